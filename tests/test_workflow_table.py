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
from gridgov.cases.workflow import COMBINED, TRANSITIONS, IllegalTransition, NotAllowed, WorkflowError

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


# --- combined actions ---------------------------------------------------------------------------


def _steps(case):
    return [(step.action, step.actor_id, step.actor_role) for step in case.steps.order_by("at", "id")][1:]


def test_accept_and_file_is_two_recorded_steps_in_one_call(team):
    case = report(at=T0)
    intake = team["intake"]
    assert selectors.allowed_actions(intake, case, T0)[:2] == ["accept_file", "accept"]
    case = take_action(case.pk, "accept_file", intake, expected_version=case.version, at=T0, note="核实无误")
    assert case.state == State.FILED and case.version == 3
    assert _steps(case) == [("accept", intake.pk, "intake_clerk"), ("file", intake.pk, "intake_clerk")]
    assert case.steps.get(action="file").note == "核实无误"


def test_a_combined_action_that_fails_half_way_takes_neither_step(team):
    case = report(at=T0)
    with pytest.raises(WorkflowError, match="outside the district"):
        take_action(case.pk, "accept_file", team["intake"], at=T0, lat=10.0, lng=10.0)
    case.refresh_from_db()
    assert case.state == State.REPORTED and case.version == 1 and case.steps.count() == 1


def test_filing_corrects_the_category_and_the_point_and_the_grid_follows(team):
    from gridgov.accounts.models import AuditEvent

    from .case_factories import make_category
    from .factories import EAST_MIDDLE_GRID

    other = make_category("0102", hours="8")
    case = report(at=T0)
    case = take_action(case.pk, "accept_file", team["intake"], at=T0, category=other.pk, lat=41.79, lng=123.425)
    assert (case.category_id, case.grid_code, case.lat, case.lng) == (other.pk, EAST_MIDDLE_GRID, 41.79, 123.425)
    data = case.steps.get(action="file").data
    assert data["category"] == {"from": "0101", "to": "0102"} and data["grid"] == EAST_MIDDLE_GRID
    assert data["moved_from"]["grid"] == WEST_GRID
    event = AuditEvent.objects.get(action="cases.file")
    assert event.detail["grid"] == EAST_MIDDLE_GRID and event.detail["category"]["to"] == "0102"


def test_start_and_finish_takes_the_photos_as_after(team, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    case = _walk(report(at=T0), team, TO_GRID)
    worker = team["grid_worker"]
    assert "start_finish" in selectors.allowed_actions(worker, case, T0)
    case = take_action(case.pk, "start_finish", worker, at=T0, note="已清理", photos=[_photo()])
    assert case.state == State.HANDLED
    assert [a for a, _, _ in _steps(case)][-2:] == ["start", "finish"]
    finish = case.steps.get(action="finish")
    assert [p.phase for p in finish.photos.all()] == ["after"] and finish.note == "已清理"


def test_verify_and_pass_with_a_verification_photo(team, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    case = _walk(report(at=T0), team, HANDLED)
    verifier = team["verifier"]
    assert "verify_pass" in selectors.allowed_actions(verifier, case, T0)
    case = take_action(case.pk, "verify_pass", verifier, at=T0, public_note="已核实清理完毕", photos=[_photo()])
    assert case.state == State.CLOSED
    verify, passed = case.steps.get(action="verify"), case.steps.get(action="pass")
    assert verify.photos.count() == 1 and passed.public_note == "已核实清理完毕"
    # the verification step alone takes photos too
    other = _walk(report(at=T0), team, HANDLED)
    other = take_action(other.pk, "verify", verifier, at=T0, photos=[_photo()])
    assert other.steps.get(action="verify").photos.count() == 1


def test_combined_actions_are_offered_only_when_the_role_may_take_both(team):
    case = _walk(report(at=T0), team, TO_GRID)
    assert "start_finish" not in selectors.allowed_actions(team["dispatcher"], case, T0)
    assert "start_finish" not in selectors.allowed_actions(team["other_grid_worker"], case, T0)
    with pytest.raises(NotAllowed):
        take_action(case.pk, "start_finish", team["dispatcher"], at=T0)


def _photo():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, "JPEG")
    return SimpleUploadedFile("after.jpg", out.getvalue(), content_type="image/jpeg")
