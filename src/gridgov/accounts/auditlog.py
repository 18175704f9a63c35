"""The audit log's tamper evidence: the hash chain and the append-only triggers.

Every event stores ``prev_hash`` (the hash of the event written just before it, by id) and
``hash`` = SHA-256 of ``prev_hash`` and a canonical JSON of the event's content. Changing any
stored field, removing an event or inserting one in the middle breaks the chain from that event
on, and ``verify_chain`` names the first event that no longer fits.

Writers must append in id order: on PostgreSQL ``lock_chain`` takes a transaction-level advisory
lock, so a second writer reads the head only after the first one committed (and its ids, drawn
after the lock, come after the first one's); on SQLite write transactions are serialized anyway
(``BEGIN IMMEDIATE``). The lock is held to the end of the caller's transaction, which serializes
audited writes on PostgreSQL; the hot intake path writes its events in one batch per
transaction, so that costs one lock per batch.

The triggers refuse UPDATE and DELETE in the database itself. On SQLite a migration that rebuilds
the table drops its triggers, so they are installed again after every ``migrate``
(apps.py connects ``install_append_only_triggers`` to ``post_migrate``). PostgreSQL's TRUNCATE is
not refused (Django's test flush uses it); only the database owner can run it.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC

TABLE = "accounts_auditevent"
# Any 64-bit number of our own: the advisory lock that serializes audit writers on PostgreSQL.
CHAIN_LOCK_KEY = 0x6772_6964_6175_6474  # "gridaudt"
GENESIS = ""

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
]
POSTGRESQL_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$""",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()",
]


def install_append_only_triggers(connection) -> None:
    """Create (or re-create) the triggers that refuse UPDATE and DELETE of audit events."""
    statements = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRESQL_TRIGGERS}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def canonical_content(created_at, actor_id, action: str, target_type: str, target_id: str, detail) -> str:
    """The event's content as one JSON text that survives a round trip through either database
    (keys sorted, times in UTC to the microsecond as both databases store them)."""
    stamp = created_at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(
        [stamp, actor_id, action, target_type, target_id, detail], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )


def event_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def lock_chain(connection) -> None:
    """Make this transaction the only audit writer until it ends (PostgreSQL; see the docstring)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def chain_head(connection) -> str:
    """The hash of the last event written, or the genesis value for an empty log."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT hash FROM {TABLE} ORDER BY id DESC LIMIT 1")  # noqa: S608 (constant)
        row = cursor.fetchone()
    return row[0] if row else GENESIS


def seal(events: Iterable, head: str) -> str:
    """Fill ``prev_hash`` and ``hash`` of unsaved events in writing order; return the new head."""
    for event in events:
        content = canonical_content(
            event.created_at, event.actor_id, event.action, event.target_type, event.target_id, event.detail
        )
        event.prev_hash = head
        event.hash = head = event_hash(head, content)
    return head


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str  # "link": its previous hash is not the event before it; "content": it was changed


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_break: ChainBreak | None


def _rows(using: str, batch: int = 5000) -> Iterator[tuple]:
    """Every event in id order, read in keyset pages so memory stays flat on a long log."""
    from .models import AuditEvent

    last_id = 0
    while True:
        page = list(
            AuditEvent.objects.using(using)
            .filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", "created_at", "actor_id", "action", "target_type", "target_id", "detail", "prev_hash", "hash")[
                :batch
            ]
        )
        if not page:
            return
        yield from page
        last_id = page[-1][0]


def verify_chain(using: str = "default", start_hash: str = GENESIS) -> ChainReport:
    """Recompute the chain from the first event; stop at the first event that does not fit.

    ``start_hash`` is the hash of the last event archived away (when old events were removed),
    so the first remaining event must continue from it."""
    head = start_hash
    checked = 0
    for event_id, created_at, actor_id, action, target_type, target_id, detail, prev_hash, stored_hash in _rows(using):
        if prev_hash != head:
            return ChainReport(checked, ChainBreak(event_id, "link"))
        expected = event_hash(head, canonical_content(created_at, actor_id, action, target_type, target_id, detail))
        if stored_hash != expected:
            return ChainReport(checked, ChainBreak(event_id, "content"))
        head = stored_hash
        checked += 1
    return ChainReport(checked, None)
