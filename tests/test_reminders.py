import io
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from gridgov.cases.models import Case, Notification, Step
from gridgov.cases.notifications import InAppChannel, mark_read, unread_notifications
from gridgov.cases.reminders import recipients, run_reminders
from gridgov.cases.services import take_action
from gridgov.cases.tasks import send_reminders

from .case_factories import make_team, report
from .factories import WEST_GRID

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Wednesday 2025-03-12, an ordinary working day; the intake limit is 1 working hour.
REPORTED_AT = datetime(2025, 3, 12, 9, 0, tzinfo=SHANGHAI)


def at(hour: int, minute: int = 0, day: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def team(network):
    return make_team()


def _notified(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def _act(case, action, actor, when, **params):
    return take_action(case.pk, action, actor, at=when, **params)


def _dispatched_to_grid(team):
    case = report(at=REPORTED_AT)
    for action in ("accept", "file"):
        case = _act(case, action, team["intake"], REPORTED_AT)
    # handling limit 4 working hours from 09:00 → due 14:30
    return _act(case, "dispatch", team["dispatcher"], REPORTED_AT, region=WEST_GRID)


def test_due_soon_goes_to_intake_staff_within_a_fifth_of_the_limit(team):
    case = report(at=REPORTED_AT)  # due 10:00
    assert run_reminders(now=at(9, 40)).due_soon == 0  # 20 minutes left of 60: not yet
    run = run_reminders(now=at(9, 50))  # 10 minutes left: less than 12
    assert run.due_soon == 1
    assert _notified("due_soon") == {team["intake"].username, team["shift_lead"].username}
    case.refresh_from_db()
    assert case.reminded_due_soon_at == at(9, 50)
    text = Notification.objects.filter(kind="due_soon").first().text
    assert case.number in text and "10:00" in text


def test_overdue_is_sent_once_and_a_second_pass_sends_nothing(team):
    report(at=REPORTED_AT)
    first = run_reminders(now=at(10, 5))
    # the intake clerk and the shift lead, who may accept it, and the leader, who may supervise it
    assert (first.due_soon, first.overdue, first.sent) == (0, 1, 3)
    assert _notified("overdue") == {team[name].username for name in ("intake", "shift_lead", "leader")}
    again = run_reminders(now=at(10, 10))
    assert (again.due_soon, again.overdue, again.sent) == (0, 0, 0)
    assert Notification.objects.count() == 3


def test_handlers_of_the_assigned_unit_and_above_are_reminded(team):
    _dispatched_to_grid(team)
    run_reminders(now=at(14, 0))  # 30 of 240 minutes left: due soon
    assert _notified("due_soon") == {team[name].username for name in ("grid_worker", "community", "street")}


def test_department_handlers_are_reminded_and_leaders_until_someone_supervises(team):
    case = report(at=REPORTED_AT)
    for action in ("accept", "file"):
        case = _act(case, action, team["intake"], REPORTED_AT)
    case = _act(case, "dispatch", team["dispatcher"], REPORTED_AT, department="cgj")
    assert {user.username for user in recipients(case, at(9, 30))} == {team["handler"].username}
    overdue = case.deadline + timedelta(minutes=1)
    assert {user.username for user in recipients(case, overdue)} == {team["handler"].username, team["leader"].username}
    case = _act(case, "supervise", team["leader"], REPORTED_AT)
    assert {user.username for user in recipients(case, overdue)} == {team["handler"].username}


def test_suspended_cases_are_skipped_and_resuming_earns_new_reminders(team):
    case = _dispatched_to_grid(team)
    case = _act(case, "suspend", team["shift_lead"], at(10), note="等待产权单位确认")
    assert run_reminders(now=at(16, 0)).overdue == 0
    case = _act(case, "resume", team["shift_lead"], at(9, 0, day=13))
    # 3 working hours were left when the clock stopped at 10:00 (due 14:30): due 12:00 next day
    assert case.deadline == at(12, 0, day=13)
    assert run_reminders(now=case.deadline + timedelta(minutes=1)).overdue == 1


def test_a_new_deadline_clears_the_reminder_marks(team):
    case = report(at=REPORTED_AT)
    run_reminders(now=at(9, 50))
    run_reminders(now=at(10, 5))
    case.refresh_from_db()
    assert case.reminded_due_soon_at and case.reminded_overdue_at
    case = _act(case, "accept", team["intake"], at(10, 6))
    assert case.reminded_overdue_at is not None  # accepting keeps the intake deadline
    case = _act(case, "file", team["intake"], at(10, 7))
    assert (case.reminded_due_soon_at, case.reminded_overdue_at) == (None, None)
    run_reminders(now=at(11, 20))  # dispatch limit 1 h from 10:07
    assert _notified("overdue") >= {team["dispatcher"].username}


class BrokenChannel:
    def send(self, user, case, kind, text):
        raise ConnectionError("SMS gateway down")


def test_a_failing_channel_does_not_stop_the_others_or_the_run(team, caplog):
    report(at=REPORTED_AT)
    report(at=REPORTED_AT, description="第二件")
    with caplog.at_level(logging.ERROR, logger="gridgov.cases.notifications"):
        run = run_reminders(now=at(10, 5), channels=[BrokenChannel(), InAppChannel()])
    assert run.overdue == 2
    assert (run.sent, run.failed) == (6, 6)  # two cases × three recipients, each channel
    assert Notification.objects.filter(kind="overdue").count() == 6
    assert "BrokenChannel failed" in caplog.text


def test_channels_come_from_settings(team, settings):
    settings.GRIDGOV_NOTIFICATION_CHANNELS = ["tests.test_reminders.BrokenChannel", "gridgov.cases.notifications.InAppChannel"]
    report(at=REPORTED_AT)
    run = run_reminders(now=at(10, 5))
    assert (run.sent, run.failed) == (3, 3)


def test_long_overdue_cases_are_supervised_once(team, settings):
    case = _dispatched_to_grid(team)  # due 14:30, limit 4 h
    assert run_reminders(now=at(17, 0)).supervised == 0  # 1.5 h overdue
    run = run_reminders(now=at(11, 0, day=13))  # 3 h + 2.5 h = 5.5 h overdue
    assert run.supervised == 1
    case.refresh_from_db()
    assert case.supervised
    step = Step.objects.get(case=case, action="supervise")
    assert step.actor_role == "system" and step.actor is None
    assert team["leader"].username in _notified("supervised")
    assert run_reminders(now=at(12, 0, day=13)).supervised == 0
    settings.GRIDGOV_AUTO_SUPERVISE = False
    other = _dispatched_to_grid(team)
    assert run_reminders(now=at(11, 0, day=14)).supervised == 0
    assert not Case.objects.get(pk=other.pk).supervised


def test_command_and_task_run_one_pass(team):
    report(at=REPORTED_AT)
    call_command("remind", stdout=io.StringIO())
    assert Notification.objects.filter(kind="overdue").count() == 3  # intake clerk, shift lead, leader
    report(at=REPORTED_AT, description="又一件")
    result = send_reminders.enqueue()
    assert result.return_value["overdue"] == 1


def test_unread_notifications_and_mark_read(team):
    report(at=REPORTED_AT)
    run_reminders(now=at(10, 5))
    intake, lead = team["intake"], team["shift_lead"]
    mine = list(unread_notifications(intake))
    assert len(mine) == 1 and mine[0].case.number
    theirs = unread_notifications(lead).get()
    assert mark_read(intake, [mine[0].pk, theirs.pk]) == 1
    assert not unread_notifications(intake).exists()
    assert unread_notifications(lead).exists()  # another user's message is not touched
    assert mark_read(lead) == 1
