"""The workflow table is the one place that says who may act in which state: the inbox, the
reminders' recipients and the "what you can do" list are all read from it and must agree.

These tests drive cases into every open state (and the side conditions: suspended, an extension
waiting, supervised, overdue) and compare, for every user of every role, the three readings."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gridgov.cases import selectors
from gridgov.cases.models import Rating, State
from gridgov.cases.reminders import recipients
from gridgov.cases.services import take_action
from gridgov.cases.workflow import COMBINED, TRANSITIONS, IllegalTransition

from .case_factories import make_team, report
from .factories import WEST_GRID

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 3, 12, 9, 0, tzinfo=SHANGHAI)  # a Wednesday morning


@pytest.fixture
def team(network):
    return make_team()


def _walk(case, team, steps):
    for action, who, params in steps:
        case = take_action(case.pk, action, team[who] if who else None, at=T0, **params)
    return case


TO_GRID = [("accept", "intake", {}), ("file", "intake", {}), ("dispatch", "dispatcher", {"region": WEST_GRID})]
TO_DEPARTMENT = [("accept", "intake", {}), ("file", "intake", {}), ("dispatch", "dispatcher", {"department": "cgj"})]
HANDLED = [*TO_GRID, ("start", "grid_worker", {}), ("finish", "grid_worker", {})]
CLOSED = [*HANDLED, ("verify", "verifier", {}), ("pass", "verifier", {})]

PATHS = {
    "reported": [],
    "accepted": [("accept", "intake", {})],
    "filed": [("accept", "intake", {}), ("file", "intake", {})],
    "filed, suspended": [("accept", "intake", {}), ("file", "intake", {}), ("suspend", "shift_lead", {"note": "等待"})],
    "at the grid": TO_GRID,
    "handling in the grid": [*TO_GRID, ("start", "grid_worker", {})],
    "at a department": TO_DEPARTMENT,
    "extension asked": [*TO_GRID, ("request_extension", "grid_worker", {"hours": "2", "note": "需要设备"})],
    "supervised": [*TO_DEPARTMENT, ("supervise", "leader", {})],
    "handled": HANDLED,
    "verifying": [*HANDLED, ("verify", "verifier", {})],
    "closed": CLOSED,
    "rated": [*CLOSED, ("rate", "resident", {"rating": Rating.SATISFIED})],
}


@pytest.mark.parametrize("path", list(PATHS))
def test_inbox_reminders_and_actions_agree_for_every_user(team, path):
    case = _walk(report(reporter=team["resident"], at=T0), team, PATHS[path])
    for now in (T0 + timedelta(minutes=5), T0 + timedelta(days=3)):  # on time, then overdue
        told = {user.pk for user in recipients(case, now)}
        for name, user in team.items():
            in_inbox = selectors.inbox(user, now).filter(pk=case.pk).exists()
            assert in_inbox == selectors.may_act(user, case, now), (path, name, now)
            assert in_inbox == (user.pk in told), (path, name, now)


@pytest.mark.parametrize("path", list(PATHS))
def test_every_step_a_role_may_queue_for_puts_the_case_in_its_inbox(team, path):
    """For each step open to a user that queues for their role, the case is in their inbox."""
    case = _walk(report(reporter=team["resident"], at=T0), team, PATHS[path])
    now = T0 + timedelta(days=3)
    for name, user in team.items():
        for action in selectors.allowed_actions(user, case, now):
            transition = TRANSITIONS.get(action)
            if transition and user.role in transition.inbox_roles and transition.inbox_guard.holds(case, now):
                assert selectors.inbox(user, now).filter(pk=case.pk).exists(), (path, name, action)


def test_each_row_carries_its_handler_and_a_guard_with_words():
    for transition in TRANSITIONS.values():
        assert callable(transition.handler), transition.action
        assert transition.inbox_roles <= transition.roles, transition.action
        if transition.guard.name != "any":
            assert str(transition.guard.refusal), transition.action
    for first, then in COMBINED.values():
        assert TRANSITIONS[first].target in TRANSITIONS[then].sources


def test_only_possible_actions_are_offered(team):
    case = _walk(report(at=T0), team, PATHS["filed"])
    actions = selectors.allowed_actions(team["shift_lead"], case, T0)
    assert "suspend" in actions and "resume" not in actions
    case = take_action(case.pk, "suspend", team["shift_lead"], at=T0, note="等待产权方")
    actions = selectors.allowed_actions(team["shift_lead"], case, T0)
    assert "resume" in actions and "suspend" not in actions
    assert "approve_extension" not in actions
    with pytest.raises(IllegalTransition, match="already suspended"):
        take_action(case.pk, "suspend", team["shift_lead"], at=T0, note="again")


def test_a_pending_extension_waits_on_the_shift_lead(team):
    case = _walk(report(at=T0), team, PATHS["extension asked"])
    assert selectors.inbox(team["shift_lead"], T0).filter(pk=case.pk).exists()
    assert {"approve_extension", "deny_extension"} <= set(selectors.allowed_actions(team["shift_lead"], case, T0))
    assert "request_extension" not in selectors.allowed_actions(team["grid_worker"], case, T0)
    assert case.state == State.DISPATCHED
