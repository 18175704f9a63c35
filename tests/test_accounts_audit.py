"""The audit log is append-only (ORM and database) and hash-chained (``gridgov audit-verify``)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from gridgov.accounts import auditlog
from gridgov.accounts.models import AppendOnlyError, AuditEvent
from gridgov.accounts.services import audit_event, record_audit, record_audits

from .auth_helpers import triggers_off


@pytest.fixture
def events(db, staff_user):
    staff_user.head_before = auditlog.chain_head(connection)
    record_audit(staff_user, "test.first", staff_user, note="第一条")
    record_audits([audit_event(None, "test.batch", None, n=n, 名="网格") for n in range(3)])
    record_audit(staff_user, "test.last", None)
    return list(AuditEvent.objects.filter(action__startswith="test.").order_by("id"))


def test_events_are_chained_in_id_order(events, staff_user):
    assert events[0].prev_hash == staff_user.head_before
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash and len(event.hash) == 64
    report = auditlog.verify_chain()
    assert report.checked >= 5 and report.first_break is None


def test_the_orm_refuses_to_change_or_remove_events(events):
    event = events[0]
    event.action = "test.changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="test.changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    ["UPDATE accounts_auditevent SET action = 'test.changed'", "DELETE FROM accounts_auditevent"],
    ids=["update", "delete"],
)
def test_the_database_refuses_to_change_or_remove_events(events, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.filter(action="test.changed").count() == 0
    assert AuditEvent.objects.filter(action__startswith="test.").count() == 5


def test_verify_names_the_first_tampered_event(events, capsys):
    call_command("audit_verify")
    assert "events checked" in capsys.readouterr().out
    tampered = events[2]
    with connection.cursor() as cursor:
        triggers_off(cursor)
        cursor.execute("UPDATE accounts_auditevent SET detail = %s WHERE id = %s", ['{"n": 99, "名": "网格"}', tampered.pk])

    report = auditlog.verify_chain()
    assert report.first_break.event_id == tampered.pk
    with pytest.raises(CommandError, match=f"broken at event {tampered.pk}") as error:
        call_command("audit_verify")
    assert error.value.returncode == 1


def test_verify_notices_a_removed_event(events):
    with connection.cursor() as cursor:
        triggers_off(cursor)
        cursor.execute("DELETE FROM accounts_auditevent WHERE id = %s", [events[1].pk])
    assert auditlog.verify_chain().first_break.event_id == events[2].pk


def test_a_new_writer_continues_the_chain_from_the_last_event(events):
    record_audit(None, "test.more")
    newest = AuditEvent.objects.order_by("-id").first()
    assert newest.prev_hash == events[-1].hash
    assert auditlog.verify_chain().first_break is None


def test_an_actor_with_events_cannot_be_deleted(events, staff_user):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        staff_user.delete()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain():
    """Writers that overlap on PostgreSQL queue on the advisory lock instead of forking the chain."""
    import threading

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes write transactions by itself; the advisory lock is PostgreSQL's")
    start = threading.Barrier(4)

    def write(writer: int) -> None:
        try:
            start.wait()
            for batch in range(10):
                with transaction.atomic():
                    record_audits([audit_event(None, "test.concurrent", None, writer=writer, batch=batch, n=n) for n in range(3)])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert AuditEvent.objects.filter(action="test.concurrent").count() == 4 * 10 * 3
    assert auditlog.verify_chain().first_break is None
