"""Signing test clients in past the security gate (accounts/middleware.py)."""

from django.db import connection, transaction
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def second_factor(user) -> TOTPDevice:
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
    return device


def login_verified(client, user):
    """force_login plus a second factor passed in this session, as after the OTP page."""
    device = second_factor(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def triggers_off(cursor) -> None:
    """Lift the audit log's append-only triggers for the rest of the current transaction (what
    an attacker with DDL rights would do; on SQLite the DROP is undone by the rollback too)."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL session_replication_role = replica")
    else:
        cursor.execute("DROP TRIGGER IF EXISTS accounts_auditevent_no_update")
        cursor.execute("DROP TRIGGER IF EXISTS accounts_auditevent_no_delete")


def purge_audit_events_after(last_id: int) -> None:
    """Remove audit events a module-scoped fixture wrote outside the test transactions."""
    from gridgov.accounts.auditlog import install_append_only_triggers

    with transaction.atomic(), connection.cursor() as cursor:
        triggers_off(cursor)
        cursor.execute("DELETE FROM accounts_auditevent WHERE id > %s", [last_id])
    install_append_only_triggers(connection)
