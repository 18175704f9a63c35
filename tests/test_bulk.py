"""Plain INSERT / UPDATE of many rows (gridgov.bulk): the values the ORM would have written."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from gridgov.accounts.models import AuditEvent
from gridgov.bulk import insert_objects, update_rows
from gridgov.grids.models import Region

AT = datetime(2026, 11, 27, 9, 30, tzinfo=timezone.get_fixed_timezone(480))


@pytest.mark.django_db
def test_insert_objects_writes_every_column_and_stamps_auto_now_add():
    before = timezone.now()
    events = [AuditEvent(action="test.bulk", target_type="x", target_id=str(n), detail={"n": n, "名": "网格"}) for n in range(3)]
    insert_objects(AuditEvent, events)
    stored = list(AuditEvent.objects.filter(action="test.bulk").order_by("target_id"))
    assert [(e.target_id, e.detail) for e in stored] == [(str(n), {"n": n, "名": "网格"}) for n in range(3)]
    assert all(before <= e.created_at <= timezone.now() for e in stored)
    assert events[0].pk is None  # ids are not read back


@pytest.mark.django_db
def test_update_rows_sets_the_named_columns_by_primary_key():
    a = Region.objects.create(code="210102", level="district", name="A")
    b = Region.objects.create(code="210103", level="district", name="B")
    update_rows(Region, ["name", "area_m2", "updated_at"], [["甲", 12.5, AT, a.pk], ["乙", 0.0, AT + timedelta(hours=1), b.pk]])
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.name, a.area_m2, a.updated_at) == ("甲", 12.5, AT)
    assert (b.name, b.updated_at) == ("乙", AT + timedelta(hours=1))
