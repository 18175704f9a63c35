"""Every inbox sorts by what is due first and says so (issue 11, item 4), and a new report does
not sink to the bottom of the intake clerk's queue."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.cases import selectors
from gridgov.cases.services import take_action

from .case_factories import make_category, make_team, report

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def team(network):
    return make_team()


def numbers(user) -> list[str]:
    return list(selectors.inbox(user).values_list("number", flat=True))


def test_reports_due_at_the_same_moment_come_newest_first(team):
    # Reported on a Sunday evening: both get the same intake deadline, the next working morning's.
    category = make_category()
    earlier = report(category, at=datetime(2026, 11, 29, 19, 0, tzinfo=SHANGHAI))
    later = report(category, at=datetime(2026, 11, 29, 22, 30, tzinfo=SHANGHAI))
    assert earlier.deadline == later.deadline
    assert numbers(team["intake"]) == [later.number, earlier.number]


def test_overdue_first_then_the_nearest_deadline_and_stopped_clocks_last(team):
    category = make_category()
    now = timezone.now()
    overdue = report(category, at=now - timedelta(days=10))
    stopped = take_action(report(category, at=now - timedelta(days=20)).pk, "accept_file", team["intake"])
    take_action(stopped.pk, "suspend", team["shift_lead"], note="等待产权单位确认")
    fresh = report(category)
    # The suspended case's deadline is the oldest of all, but its clock does not run.
    assert numbers(team["shift_lead"]) == [overdue.number, fresh.number, stopped.number]
    assert numbers(team["intake"]) == [overdue.number, fresh.number]


def test_the_inbox_and_the_patrol_say_how_they_are_sorted(client, team):
    report(make_category())
    client.force_login(team["intake"])
    page = client.get(reverse("cases:inbox")).content.decode()
    assert "按到期先后排序：已超期的在最前，其后是期限最近的；期限相同的，新案件在前" in page
    client.force_login(team["grid_worker"])
    assert "按到期先后排序：已超期的在最前。" in client.get(reverse("cases:patrol")).content.decode()
