from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from gridgov.cases.models import Case, Rating, SolvedLevel, State
from gridgov.cases.selectors import allowed_actions
from gridgov.cases.services import IntakeError, take_action
from gridgov.cases.workflow import CaseChanged, IllegalTransition, NotAllowed, WorkflowError

from .case_factories import make_team, report
from .factories import WEST_GRID

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Wednesday 2025-03-12 09:00: an ordinary working day.
WEDNESDAY_9 = datetime(2025, 3, 12, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def team(network):
    return make_team()


def _act(case, action, actor, at=None, **params):
    return take_action(case.pk, action, actor, at=at or WEDNESDAY_9, **params)


def test_intake_locates_the_grid_and_starts_the_clock(team):
    case = report(reporter=team["resident"], at=WEDNESDAY_9)
    assert case.grid.code == WEST_GRID and case.grid_code == WEST_GRID
    assert case.state == State.REPORTED
    assert case.number == "20250312000001"
    # intake limit 1 working hour from 09:00
    assert case.deadline == datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI)
    assert case.steps.get().action == "report"


def test_a_point_outside_the_district_is_refused(team):
    with pytest.raises(IntakeError, match="outside the district"):
        report(point=(41.9, 123.5))
    assert Case.objects.count() == 0


def test_description_limits(team):
    with pytest.raises(IntakeError, match="at most 4000"):
        report(description="x" * 4001)
    with pytest.raises(IntakeError, match="required"):
        report(description="   ")


def test_full_loop_solved_in_the_grid(team):
    case = report(reporter=team["resident"], at=WEDNESDAY_9)
    case = _act(case, "accept", team["intake"])
    case = _act(case, "file", team["intake"])
    case = _act(case, "dispatch", team["dispatcher"], region=WEST_GRID)
    # 4 working hours from 09:00 Wednesday: 09:00–12:00 is 3 h, then 13:30–14:30.
    assert case.deadline == datetime(2025, 3, 12, 14, 30, tzinfo=SHANGHAI)
    case = _act(case, "start", team["grid_worker"])
    case = _act(case, "finish", team["grid_worker"], note="已清理")
    case = _act(case, "verify", team["verifier"])
    case = _act(case, "pass", team["verifier"])
    assert (case.state, case.solved_level, case.deadline) == (State.CLOSED, SolvedLevel.GRID, None)
    case = _act(case, "rate", team["resident"], rating=Rating.SATISFIED)
    assert case.state == State.RATED
    assert [s.action for s in case.steps.all()] == [
        "report",
        "accept",
        "file",
        "dispatch",
        "start",
        "finish",
        "verify",
        "pass",
        "rate",
    ]
    assert case.version == 9


def test_illegal_transition_names_the_states(team):
    case = report()
    with pytest.raises(IllegalTransition, match="cannot be taken on a case that is “Reported”"):
        _act(case, "dispatch", team["dispatcher"], region=WEST_GRID)


def test_roles_and_holders_are_enforced(team):
    case = report()
    with pytest.raises(NotAllowed, match=r"Your role \(Grid worker\) may not take the step “Accept”"):
        _act(case, "accept", team["grid_worker"])
    for action in ("accept", "file"):
        case = _act(case, action, team["intake"])
    case = _act(case, "dispatch", team["dispatcher"], region=WEST_GRID)
    with pytest.raises(NotAllowed, match="outside your unit"):
        _act(case, "start", team["other_grid_worker"])
    # the department handler cannot even see a case held by the grid
    with pytest.raises(NotAllowed, match="outside your unit"):
        _act(case, "start", team["handler"])


def test_stale_version_is_refused(team):
    case = report()
    seen = case.version
    _act(case, "accept", team["intake"])
    with pytest.raises(CaseChanged, match="changed by someone else after you opened it"):
        take_action(case.pk, "reject", team["intake"], expected_version=seen, note="dup")


def test_not_satisfied_reopens(team):
    case = report(reporter=team["resident"], at=WEDNESDAY_9)
    for action, actor, params in [
        ("accept", "intake", {}), ("file", "intake", {}), ("dispatch", "dispatcher", {"region": WEST_GRID}),
        ("start", "grid_worker", {}), ("finish", "grid_worker", {}), ("verify", "verifier", {}), ("pass", "verifier", {}),
    ]:  # fmt: skip
        case = _act(case, action, team[actor], **params)
    case = _act(case, "rate", team["resident"], rating=Rating.NOT_SATISFIED)
    assert case.state == State.FILED and case.reopen_count == 1
    assert [s.action for s in case.steps.all()][-2:] == ["rate", "reopen"]


def test_escalation_climbs_to_the_department(team):
    case = report()
    for action, actor, params in [
        ("accept", "intake", {}),
        ("file", "intake", {}),
        ("dispatch", "dispatcher", {"region": WEST_GRID}),
    ]:
        case = _act(case, action, team[actor], **params)
    case = _act(case, "escalate", team["grid_worker"], note="需社区协调")
    assert (case.assigned_region.code, case.escalation_level) == ("210199001001", SolvedLevel.COMMUNITY)
    case = _act(case, "escalate", team["community"], note="需街道协调")
    case = _act(case, "escalate", team["street"], note="需部门处置")
    assert (case.assigned_department.code, case.escalation_level) == ("cgj", SolvedLevel.DISTRICT)
    with pytest.raises(IllegalTransition, match="already with a district department"):
        _act(case, "escalate", team["dispatcher"], note="again")


def test_only_the_unit_holding_a_case_escalates_it_but_the_command_centre_may(team):
    case = report()
    for action, actor, params in [
        ("accept", "intake", {}),
        ("file", "intake", {}),
        ("dispatch", "dispatcher", {"region": WEST_GRID}),
    ]:
        case = _act(case, action, team[actor], **params)
    case = _act(case, "escalate", team["grid_worker"], note="需社区协调")  # now the community holds it
    with pytest.raises(NotAllowed, match="not assigned to you or your unit"):
        _act(case, "escalate", team["grid_worker"], note="再上报")
    assert "escalate" not in allowed_actions(team["grid_worker"], case)
    assert "escalate" in allowed_actions(team["dispatcher"], case)
    case = _act(case, "escalate", team["dispatcher"], note="指挥中心上报街道")
    assert (case.assigned_region.code, case.escalation_level) == ("210199001", SolvedLevel.STREET)


def test_suspension_stops_the_clock_and_extension_moves_it(team):
    case = report(at=WEDNESDAY_9)
    for action, actor, params in [
        ("accept", "intake", {}),
        ("file", "intake", {}),
        ("dispatch", "dispatcher", {"region": WEST_GRID}),
    ]:
        case = _act(case, action, team[actor], **params)
    assert case.deadline == datetime(2025, 3, 12, 14, 30, tzinfo=SHANGHAI)
    # Suspended at 10:00 with 3 working hours left (10:00–12:00, 13:30–14:30).
    case = _act(case, "suspend", team["shift_lead"], at=datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI), note="等待产权方")
    case = _act(case, "resume", team["shift_lead"], at=datetime(2025, 3, 13, 9, 0, tzinfo=SHANGHAI))
    # 3 h from Thursday 09:00: 09:00–12:00.
    assert case.deadline == datetime(2025, 3, 13, 12, 0, tzinfo=SHANGHAI)
    case = _act(case, "request_extension", team["grid_worker"], hours="2", note="需要设备")
    with pytest.raises(WorkflowError, match="already has an extension request"):
        _act(case, "request_extension", team["grid_worker"], hours="2", note="again")
    case = _act(case, "approve_extension", team["shift_lead"])
    # 2 more working hours after 12:00: 13:30–15:30.
    assert case.deadline == datetime(2025, 3, 13, 15, 30, tzinfo=SHANGHAI)


def test_whistle_summons_departments_with_one_lead(team):
    from .case_factories import make_department

    make_department("jtj", "交通局")
    make_department("sw", "水务局")
    case = report()
    for action, actor in [("accept", "intake"), ("file", "intake")]:
        case = _act(case, action, team[actor])
    case = _act(case, "whistle", team["street"], lead="cgj", co=["jtj", "sw"], note="吹哨报到")
    assert case.assigned_department.code == "cgj"
    assert sorted(case.co_departments.values_list("code", flat=True)) == ["jtj", "sw"]
    case = _act(case, "start", team["handler"])
    assert case.state == State.HANDLING


def test_a_pending_extension_does_not_outlive_its_step(team):
    case = report(at=WEDNESDAY_9)
    for action, actor, params in [
        ("accept", "intake", {}),
        ("file", "intake", {}),
        ("dispatch", "dispatcher", {"region": WEST_GRID}),
    ]:
        case = _act(case, action, team[actor], **params)
    case = _act(case, "start", team["grid_worker"])
    case = _act(case, "request_extension", team["grid_worker"], hours="8", note="需要设备")
    case = _act(case, "finish", team["grid_worker"])
    case = _act(case, "verify", team["verifier"])
    case = _act(case, "rework", team["verifier"], note="未清理干净")
    # The request was for the first handling deadline; the rework's deadline is not stretched by it.
    assert case.extension_requests.get().status == "superseded"
    with pytest.raises(WorkflowError, match="no extension request waiting"):
        _act(case, "approve_extension", team["shift_lead"])


def test_clock_flags_follow_working_time_like_the_reminders(team):
    from gridgov.cases.selectors import ClockStatus, clock_status

    case = report(at=WEDNESDAY_9)  # intake limit 1 working hour: due 10:00
    assert clock_status(case, datetime(2025, 3, 12, 9, 47, tzinfo=SHANGHAI)) == ClockStatus(False, False)
    assert clock_status(case, datetime(2025, 3, 12, 9, 48, tzinfo=SHANGHAI)) == ClockStatus(False, True)  # 12 min = a fifth
    assert clock_status(case, datetime(2025, 3, 12, 10, 1, tzinfo=SHANGHAI)) == ClockStatus(True, False)
