"""State changes of accounts: audit events and demo users."""

from django.db import models

from .models import AuditEvent, User


def record_audit(actor: User | None, action: str, target: models.Model | None = None, **detail) -> AuditEvent:
    """Write one audit event. Call it inside the transaction of the change it records."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        detail=detail,
    )
