"""State changes of accounts: audit events, passwords, second factors and demo users."""

import ipaddress
import json

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils.module_loading import import_string

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


def lockout_address(request) -> str | None:
    """settings.AXES_CLIENT_IP_CALLABLE: the client as ``GRIDGOV_CLIENT_ADDRESS`` names it (the
    rate limits' trusted-proxy rule), or None when that is not an address (a request built in
    code has none), which django-axes stores as unknown."""
    address = import_string(settings.GRIDGOV_CLIENT_ADDRESS)(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address


def client_address(request) -> str:
    """The address a request came from, as the login lockout counts it: the one rule of
    settings.AXES_CLIENT_IP_CALLABLE (the rate limits' trusted-proxy rule), so the audit log
    and the lockout name the same client."""
    if request is None:
        return ""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or ""


def record_admin_change(actor: User, action: str, obj: models.Model, message) -> None:
    """One change made through the admin (added, changed, deleted), with Django's change message."""
    detail = json.loads(json.dumps({"repr": str(obj)[:200], "change": message}, default=str))
    record_audit(actor, f"admin.{action}", obj, **detail)


@transaction.atomic
def reset_password(*, actor: User | None, user: User, password: str) -> User:
    """An administrator sets someone's password: they must choose their own at next log-in
    (demo accounts excepted: their password is published)."""
    user.set_password(password)
    user.must_change_password = not user.is_demo
    user.save(update_fields=["password", "must_change_password"])
    record_audit(actor, "accounts.password_reset", user, username=user.username)
    return user


@transaction.atomic
def password_changed_by_owner(*, user: User) -> User:
    """The user chose a new password themselves (the form has saved it)."""
    user.must_change_password = False
    user.save(update_fields=["must_change_password"])
    record_audit(user, "accounts.password_changed", user)
    return user


@transaction.atomic
def confirm_second_factor(*, user: User, device) -> None:
    """The user proved they hold the TOTP secret: the device now counts as their second factor."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_audit(user, "accounts.otp_enrolled", user, device=device.name)


@transaction.atomic
def unlock_accounts(*, actor: User, usernames: list[str]) -> int:
    """Lift login lockouts (django-axes) of these accounts; returns the attempts removed."""
    from axes.utils import reset

    removed = sum(reset(username=username) for username in usernames)
    for username in usernames:
        record_audit(actor, "accounts.unlocked", username=username)
    return removed


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
    is_demo: bool = False,
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
    user.is_demo = is_demo
    user.must_change_password = not is_demo
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    record_audit(actor, "accounts.user_created" if created else "accounts.user_reset", user, username=username, role=role)
    return user
