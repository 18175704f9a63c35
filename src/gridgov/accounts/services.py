"""State changes of accounts: audit events and demo users."""

from django.db import connections, models, router, transaction

from gridgov.bulk import insert_objects

from . import auditlog
from .models import AuditEvent, User


def audit_event(actor: User | None, action: str, target: models.Model | None = None, **detail) -> AuditEvent:
    """An audit event, not yet saved (see ``record_audits``)."""
    return AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        detail=detail,
    )


def record_audit(actor: User | None, action: str, target: models.Model | None = None, **detail) -> AuditEvent:
    """Write one audit event. Call it inside the transaction of the change it records."""
    [event] = record_audits([audit_event(actor, action, target, **detail)])
    return event


def record_audits(events: list[AuditEvent]) -> list[AuditEvent]:
    """Write many audit events with one statement, inside the transaction of the changes they
    record. The events get no ids back (nothing reads them before the transaction ends).

    This is the only writer of the audit log: it extends the hash chain (see ``auditlog``)."""
    if not events:
        return events
    using = router.db_for_write(AuditEvent)
    connection = connections[using]
    with transaction.atomic(using=using):
        auditlog.lock_chain(connection)
        auditlog.seal(events, auditlog.chain_head(connection))
        insert_objects(AuditEvent, events)
    return events


@transaction.atomic
def ensure_user(
    username: str,
    *,
    role: str,
    region=None,
    password: str,
    first_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    actor: User | None = None,
) -> User:
    """Create the user, or bring an existing one back to the given role, scope and password."""
    user, created = User.objects.get_or_create(username=username)
    user.role = role
    user.region = region
    user.first_name = first_name
    user.is_staff = is_staff
    user.is_superuser = is_superuser
    user.is_active = True
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record_audit(actor, "accounts.user_created" if created else "accounts.user_reset", user, username=username, role=role)
    return user
