"""Random sequences of workflow steps by random people, checked against the rules after every step.

A hypothesis state machine reports cases in the four grids of the small network, then tries
random actions of ``workflow.TRANSITIONS`` on them, by any member of a team that includes people
outside each case's scope, with plausible and implausible parameters, while a fake clock runs
across weekends and the 2025 National Day holiday. Every attempt either succeeds or raises a
WorkflowError; whatever happened, the invariants below must hold.

The expected holders and scope are worked out here from the steps taken (``CaseModel``), not
read back from ``selectors``, so the test can catch the core granting access it should not.

Each hypothesis example runs inside its own savepoint, rolled back at its end, so examples do not
see each other's cases. Randomness is hypothesis's default (not derandomized): a failure prints
the shrunk sequence of steps and a @reproduce_failure blob, and the example database replays it
on the next run.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from gridgov import workcalendar
from gridgov.accounts.models import AuditEvent, Role, User
from gridgov.cases import sla
from gridgov.cases.models import Case, Category, ExtensionRequest, LimitUnit, Rating, State, Step
from gridgov.cases.selectors import visible_cases
from gridgov.cases.services import Report, report_case, take_action
from gridgov.cases.workflow import TRANSITIONS, WorkflowError, must_hold
from gridgov.workcalendar import WorkingCalendar

from .case_factories import make_category, make_department, make_team, make_user
from .factories import DISTRICT, EAST_GRID, EAST_MIDDLE_GRID, NORTH, SOUTH, UNITS, WEST_GRID, WEST_MIDDLE_GRID

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Friday before the 2025 National Day holiday (1–8 October, make-up days 28 September and 11 October).
START = datetime(2025, 9, 26, 8, 0, tzinfo=SHANGHAI)
GRIDS = [WEST_GRID, WEST_MIDDLE_GRID, EAST_MIDDLE_GRID, EAST_GRID]
REGION_CODES = [*UNITS, "210199009", "nonsense"]
DEPARTMENT_CODES = ["cgj", "jtj", "nonsense"]

# Steps that start a new step of the case, each with its own fresh deadline.
NEW_DEADLINE = {"file", "dispatch", "return", "finish", "rework", "reopen", "escalate", "whistle"}
ENDS_THE_CLOCK = {"reject", "void", "merge", "pass"}  # no step left to time
CLOSES_UNHANDLED = {"reject", "void", "merge"}
# The main line of the loop, which guided steps favour so that examples reach verification and rating.
FORWARD = {
    State.REPORTED: "accept", State.ACCEPTED: "file", State.FILED: "dispatch", State.DISPATCHED: "start",
    State.HANDLING: "finish", State.HANDLED: "verify", State.VERIFYING: "pass", State.CLOSED: "rate",
}  # fmt: skip
MAX_CASES = 3  # few cases, so each gets many steps
# Most steps follow within the hour; some after days, across weekends and the holiday.
CLOCK_STEP_MINUTES = st.one_of(st.just(0), st.integers(1, 120), st.integers(120, 4 * 24 * 60))
UNASSIGNS = {"return", "reopen"}


@dataclass
class World:
    team: dict[str, User]
    categories: list[Category]
    calendar: WorkingCalendar


@dataclass
class CaseModel:
    """What the steps taken so far say about a case, worked out independently of the core."""

    reporter_id: int | None
    grid_code: str
    # ("region", code) or ("department", code) of everyone the case is currently with.
    holders: set = field(default_factory=set)
    # The moment the current step's deadline was set (its clock cannot have stopped before).
    deadline_set_at: datetime | None = None


def _grid_point(grid_code: str) -> tuple[float, float]:
    west, east = UNITS[grid_code][1]
    return (SOUTH + NORTH) / 2, (west + east) / 2


def _team() -> dict[str, User]:
    """make_team() and the people who test the edges of scope and role."""
    team = make_team()
    second = make_department("jtj", "交通局")
    team.update(
        {
            "other_resident": make_user(Role.RESIDENT, EAST_GRID, username="other-resident"),
            "second_handler": make_user(Role.DEPARTMENT_HANDLER, department=second, username="handler-jtj"),
            "handler_without_department": make_user(Role.DEPARTMENT_HANDLER, username="handler-none"),
            "east_street": make_user(Role.STREET_STAFF, "210199002", username="street-east"),
            "east_intake": make_user(Role.INTAKE_CLERK, "210199002", username="intake-east"),
            "east_dispatcher": make_user(Role.DISPATCHER, "210199002", username="dispatcher-east"),
            "west_verifier": make_user(Role.VERIFIER, "210199001", username="verifier-west"),
            "west_middle_chief": make_user(Role.GRID_CHIEF, WEST_MIDDLE_GRID, username="chief-west-middle"),
            "district_staff": make_user(Role.STREET_STAFF, DISTRICT, username="street-district"),
            "system_admin": make_user(Role.SYSTEM_ADMIN, username="sysadmin"),
        }
    )
    return team


def _categories() -> list[Category]:
    orphan = Category.objects.update_or_create(
        kind="component",
        code="9901",
        defaults={"top_name": "其他", "name": "无主部件", "default_department": None, "handle_limit": Decimal(2),
                  "handle_unit": LimitUnit.WORKING_DAYS},
    )[0]  # fmt: skip
    return [make_category(), make_category("0102", handled_in_grid=False, hours="3", unit=LimitUnit.WORKING_DAYS), orphan]


def _snapshot(case_id: int) -> tuple:
    row = Case.objects.filter(pk=case_id).values().get()
    co = sorted(Case.objects.get(pk=case_id).co_departments.values_list("code", flat=True))
    extensions = sorted(ExtensionRequest.objects.filter(case_id=case_id).values_list("id", "status", "hours"))
    counts = (Step.objects.count(), Case.objects.count(), ExtensionRequest.objects.count(), AuditEvent.objects.count())
    return row, co, extensions, counts


def _holds(model: CaseModel, user: User) -> bool:
    if user.role == Role.DEPARTMENT_HANDLER:
        return user.department is not None and ("department", user.department.code) in model.holders
    return user.region is not None and any(kind == "region" and code.startswith(user.region.code) for kind, code in model.holders)


def _sees(model: CaseModel, user: User) -> bool:
    if user.role == Role.RESIDENT:
        return model.reporter_id == user.pk
    if user.role == Role.DEPARTMENT_HANDLER:
        return _holds(model, user)
    return user.region is None or model.grid_code.startswith(user.region.code)


def _expected_target(action: str, from_state: str) -> str:
    target = TRANSITIONS[action].target
    return from_state if target is None else target


class CaseWorkflow(RuleBasedStateMachine):
    world: World  # set by the test before the machine runs

    cases = Bundle("cases")

    def __init__(self):
        super().__init__()
        self.now = START
        self.models: dict[int, CaseModel] = {}
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- rules --------------------------------------------------------------------------------

    @initialize(target=cases, grid=st.sampled_from(GRIDS))
    def first_case(self, grid):
        return self._report(grid, self.world.team["resident"], self.world.categories[0])

    @precondition(lambda self: len(self.models) < MAX_CASES)
    @rule(
        target=cases,
        grid=st.sampled_from(GRIDS),
        reporter=st.sampled_from(["resident", "other_resident", None]),
        category=st.integers(0, 2),
    )
    def report(self, grid, reporter, category):
        return self._report(grid, self.world.team[reporter] if reporter else None, self.world.categories[category])

    @rule(case_id=cases, data=st.data())
    def act(self, case_id, data):
        self.now += timedelta(minutes=data.draw(CLOCK_STEP_MINUTES, label="minutes later"))
        case = Case.objects.get(pk=case_id)
        mode = data.draw(st.sampled_from(["guided", "guided", "guided", "plausible", "random"]), label="mode")
        action, actor_name = self._draw_action_and_actor(data, case, mode)
        actor = self.world.team[actor_name]
        params = self._draw_params(data, action, case, valid=mode == "guided")
        if mode == "guided":
            note, expected_version = "处理说明", data.draw(st.sampled_from([None, case.version]), label="expected_version")
        else:
            note = data.draw(st.sampled_from(["处理说明", "", "   "]), label="note")
            expected_version = data.draw(st.sampled_from([None, case.version, case.version - 1]), label="expected_version")
        self._attempt(case, action, actor, note, expected_version, params)

    # --- drawing ------------------------------------------------------------------------------

    def _draw_action_and_actor(self, data, case: Case, mode: str) -> tuple[str, str]:
        """ "random": any action by anyone. "plausible": an action the state allows, by someone
        whose role may take it. "guided": also someone in scope who holds the case when the
        action needs it (by this test's own reckoning), so examples get deep into the loop."""
        team = self.world.team
        model = self.models[case.pk]
        possible = [a for a, t in TRANSITIONS.items() if case.state in t.sources]
        if mode == "random" or not possible:
            return data.draw(st.sampled_from(list(TRANSITIONS)), label="action"), data.draw(
                st.sampled_from(list(team)), label="actor"
            )
        if mode == "guided" and case.state in FORWARD and data.draw(st.booleans(), label="forward"):
            possible = [FORWARD[case.state]]
        elif mode == "guided" and set(possible) - CLOSES_UNHANDLED and data.draw(st.integers(0, 4), label="keep open"):
            possible = [a for a in possible if a not in CLOSES_UNHANDLED]
        action = data.draw(st.sampled_from(possible), label="action")
        transition = TRANSITIONS[action]
        actors = [name for name, user in team.items() if user.role in transition.roles]
        if mode == "guided":
            actors = [
                name
                for name in actors
                if _sees(model, team[name]) and (_holds(model, team[name]) or not must_hold(transition, team[name].role))
            ] or actors
        return action, data.draw(st.sampled_from(actors), label="actor")

    def _draw_params(self, data, action: str, case: Case, valid: bool) -> dict:
        if valid:
            return self._draw_valid_params(data, action, case)
        if action == "dispatch":
            return data.draw(
                st.one_of(
                    st.fixed_dictionaries({"region": st.sampled_from([case.grid_code, case.grid_code[:12], *REGION_CODES])}),
                    st.fixed_dictionaries({"department": st.sampled_from(DEPARTMENT_CODES)}),
                    st.just({}),
                    st.just({"region": case.grid_code, "department": "cgj"}),
                ),
                label="dispatch to",
            )
        if action == "whistle":
            return {
                "lead": data.draw(st.sampled_from([*DEPARTMENT_CODES, ""]), label="lead"),
                "co": data.draw(st.lists(st.sampled_from(DEPARTMENT_CODES), max_size=3), label="co"),
            }
        if action == "rate":
            return {"rating": data.draw(st.sampled_from([*Rating.values, "excellent", None]), label="rating")}
        if action == "request_extension":
            hours = st.sampled_from(["2", "0.5", "16", "0", "-1", "abc", "2001", "NaN", "Infinity", None, 3])
            return {"hours": data.draw(hours, label="hours")}
        if action == "merge":
            numbers = list(Case.objects.values_list("number", flat=True)) + ["", "19990101000001"]
            return {"into": data.draw(st.sampled_from(numbers), label="into")}
        return {}

    def _draw_valid_params(self, data, action: str, case: Case) -> dict:
        if action == "dispatch":
            units = [case.grid_code, case.grid_code[:12], case.grid_code[:9]]
            return data.draw(
                st.one_of(
                    st.fixed_dictionaries({"region": st.sampled_from(units)}),
                    st.fixed_dictionaries({"department": st.sampled_from(["cgj", "jtj"])}),
                ),
                label="dispatch to",
            )
        if action == "whistle":
            lead = data.draw(st.sampled_from(["cgj", "jtj"]), label="lead")
            return {"lead": lead, "co": data.draw(st.lists(st.sampled_from(["cgj", "jtj"]), max_size=2), label="co")}
        if action == "rate":
            return {"rating": data.draw(st.sampled_from(Rating.values), label="rating")}
        if action == "request_extension":
            return {"hours": data.draw(st.sampled_from(["2", "0.5", "16", 3]), label="hours")}
        if action == "merge":
            live = Case.objects.exclude(pk=case.pk).exclude(state__in=[State.MERGED, State.REJECTED, State.VOIDED])
            numbers = list(live.values_list("number", flat=True))
            return {"into": data.draw(st.sampled_from(numbers), label="into")} if numbers else {}
        return {}

    # --- one attempt and its checks -----------------------------------------------------------

    def _report(self, grid: str, reporter: User | None, category: Category) -> int:
        lat, lng = _grid_point(grid)
        steps_before = Step.objects.count()
        case = report_case(
            Report(category=category, lat=lat, lng=lng, description="路边堆放生活垃圾", source="resident", reporter=reporter),
            at=self.now,
            calendar=self.world.calendar,
        )
        assert (case.grid_code, case.state, case.version) == (grid, State.REPORTED, 1)
        assert Step.objects.count() == steps_before + 1
        self.models[case.pk] = CaseModel(reporter.pk if reporter else None, grid, deadline_set_at=self.now)
        return case.pk

    def _attempt(self, case: Case, action: str, actor: User, note: str, expected_version, params: dict) -> None:
        model = self.models[case.pk]
        before = _snapshot(case.pk)
        sees_by_selectors = visible_cases(actor).filter(pk=case.pk).exists()
        sees, holds = _sees(model, actor), _holds(model, actor)
        last_step_id = Step.objects.filter(case=case).order_by("-id").values_list("id", flat=True).first()
        try:
            after = take_action(
                case.pk, action, actor, expected_version=expected_version, note=note, at=self.now,
                calendar=self.world.calendar, **params,
            )  # fmt: skip
        except WorkflowError:
            # (f) a refused step changes nothing
            assert _snapshot(case.pk) == before, f"{action} by {actor.username} was refused but changed the case"
            self._check_refusal_was_due(case, action, actor, note, expected_version, sees, holds)
            return
        transition = TRANSITIONS[action]
        # (d) scope is never crossed, and only holders take holder-only steps
        assert sees_by_selectors, f"{action} by {actor.username} succeeded on a case selectors hide from them"
        assert sees, f"{action} by {actor.username} succeeded on case {case.number} outside their scope"
        assert not must_hold(transition, actor.role) or holds, (
            f"{action} by {actor.username}, who does not hold case {case.number}"
        )
        assert actor.role in transition.roles
        assert not transition.needs_note or note.strip()
        assert expected_version in (None, case.version)
        self._check_recorded(case, after, action, actor, last_step_id)
        steps_taken = Step.objects.count() - before[3][0]
        assert AuditEvent.objects.count() == before[3][3] + steps_taken, "every step writes one audit event"
        self._check_deadline(case, after, action)
        self._update_model(model, case, after, action, params)

    def _check_refusal_was_due(self, case, action, actor, note, expected_version, sees, holds) -> None:
        """Steps with no parameters that everything allows must not be refused."""
        transition = TRANSITIONS[action]
        if action not in {"accept", "file", "start", "finish", "verify", "pass"}:
            return
        allowed = (
            case.state in transition.sources
            and actor.role in transition.roles
            and sees
            and (holds or not must_hold(transition, actor.role))
            and (note.strip() or not transition.needs_note)
            and expected_version in (None, case.version)
        )
        assert not allowed, f"{action} by {actor.username} on a {case.state} case was refused though allowed"

    def _check_recorded(self, before: Case, after: Case, action: str, actor: User, last_step_id) -> None:
        """(c) exactly one step row per step (rate + reopen when not satisfied), with the right
        states, actor and time; the version moves by the number of steps. (e) per the table."""
        new_steps = list(Step.objects.filter(case=before).exclude(id__lte=last_step_id or 0).order_by("id"))
        expected_actions = [action]
        if action == "rate" and after.rating == Rating.NOT_SATISFIED:
            expected_actions.append("reopen")
        assert [s.action for s in new_steps] == expected_actions
        assert after.version == before.version + len(new_steps)
        stored = Case.objects.get(pk=before.pk)
        assert (stored.version, stored.state, stored.deadline) == (after.version, after.state, after.deadline)
        state = before.state
        for index, step in enumerate(new_steps):
            transition = TRANSITIONS[step.action]
            assert step.from_state == state and state in transition.sources, step
            assert step.to_state == _expected_target(step.action, state), step
            assert step.at == self.now
            if index == 0:
                assert (step.actor_id, step.actor_role) == (actor.pk, actor.role)
            else:
                assert (step.actor_id, step.actor_role) == (None, "system")
            state = step.to_state
        assert state == after.state
        assert new_steps[-1].deadline == after.deadline

    def _check_deadline(self, before: Case, after: Case, action: str) -> None:
        """(b) the deadline changes only when a new step starts, the clock ends, an extension is
        granted or a suspension ends."""
        reopened = action == "rate" and after.rating == Rating.NOT_SATISFIED
        if action in NEW_DEADLINE or reopened:
            assert after.deadline is not None and after.deadline >= self.now
        elif action in ENDS_THE_CLOCK:
            assert after.deadline is None
        elif action == "approve_extension":
            assert after.deadline > before.deadline
        elif action == "resume":
            assert after.deadline == self._resumed_deadline(before), (
                "resume did not give back the time left when the clock stopped"
            )
        else:
            assert after.deadline == before.deadline, f"{action} moved the deadline {before.deadline} → {after.deadline}"

    def _resumed_deadline(self, before: Case) -> datetime:
        """The working time that was left when the clock stopped, from now. The clock of the
        current step stopped at the suspension, or when the step began if it began later."""
        calendar = self.world.calendar
        stopped = max(before.suspended_at, self.models[before.pk].deadline_set_at)
        left = calendar.working_time_between(stopped, before.deadline) if before.deadline > stopped else timedelta(0)
        return calendar.add_working_time(self.now, left)

    def _update_model(self, model: CaseModel, before: Case, after: Case, action: str, params: dict) -> None:
        if action == "dispatch":
            model.holders = {("region", params["region"])} if params.get("region") else {("department", params["department"])}
        elif action == "whistle":
            model.holders = {("department", params["lead"]), *(("department", code) for code in params["co"] if code)}
        elif action == "escalate":
            model.holders = {self._one_level_up(before)}
        elif action in UNASSIGNS or (action == "rate" and after.rating == Rating.NOT_SATISFIED):
            model.holders = set()
        if action in NEW_DEADLINE or action == "resume" or (action == "rate" and after.rating == Rating.NOT_SATISFIED):
            model.deadline_set_at = self.now

    def _one_level_up(self, before: Case) -> tuple[str, str]:
        holder = before.assigned_region.code if before.assigned_region else None
        assert holder is not None, "a case with a department cannot be escalated"
        if len(holder) > 9:
            expected = ("region", holder[: len(holder) - 3])
        else:
            expected = ("department", before.category.default_department.code)
        after = Case.objects.get(pk=before.pk)
        actual = (
            ("region", after.assigned_region.code) if after.assigned_region else ("department", after.assigned_department.code)
        )
        assert actual == expected, f"escalated from {holder} to {actual}, expected {expected}"
        return expected

    # --- invariants over every case -----------------------------------------------------------

    @invariant()
    def closed_cases_were_verified(self):
        """(a) a closed or rated case passed verification after it was last dispatched."""
        for case in Case.objects.filter(state__in=[State.CLOSED, State.RATED]):
            actions = list(case.steps.order_by("id").values_list("action", flat=True))
            last_dispatch = max(i for i, a in enumerate(actions) if a in {"dispatch", "escalate", "whistle", "rework"})
            assert "pass" in actions[last_dispatch:], f"case {case.number} is {case.state} without passing: {actions}"

    @invariant()
    def every_state_was_reached_by_the_table(self):
        """(e) every recorded step's from → to pair is one the table allows; the case's state is
        where its last step left it; its version counts its steps."""
        for case in Case.objects.all():
            steps = list(case.steps.order_by("id").values_list("action", "from_state", "to_state"))
            assert steps[0] == ("report", "", State.REPORTED)
            state = State.REPORTED
            for action, from_state, to_state in steps[1:]:
                assert from_state == state and to_state == _expected_target(action, from_state), (case.number, steps)
                state = to_state
            assert (case.state, case.version) == (state, len(steps)), (case.number, steps)

    @invariant()
    def only_holders_see_department_cases(self):
        """(d) a department sees a case only while the case is with it (lead or co-handler)."""
        for user in self.world.team.values():
            if user.role == Role.DEPARTMENT_HANDLER:
                seen = set(visible_cases(user).values_list("pk", flat=True))
                expected = {pk for pk, model in self.models.items() if _holds(model, user)}
                assert seen == expected, f"{user.username} sees {sorted(seen)}, should see {sorted(expected)}"


@pytest.fixture
def world(network):
    return World(team=_team(), categories=_categories(), calendar=workcalendar.working_calendar())


def test_random_workflows_keep_the_invariants(world):
    CaseWorkflow.world = world
    run_state_machine_as_test(
        CaseWorkflow,
        settings=settings(
            max_examples=50,
            stateful_step_count=50,
            deadline=None,
            print_blob=True,  # a failure prints @reproduce_failure(...) to replay it exactly
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# Regressions the state machine found, kept as plain examples.


def _filed(world, grid=WEST_GRID):
    team = world.team
    lat, lng = _grid_point(grid)
    case = report_case(
        Report(
            category=world.categories[0], lat=lat, lng=lng, description="井盖缺失", source="resident", reporter=team["resident"]
        ),
        at=START,
    )
    for action in ("accept", "file"):
        case = take_action(case.pk, action, team["intake"], at=START)
    return case


def test_a_department_summoned_by_a_whistle_lets_go_when_the_case_moves_on(world):
    team = world.team
    case = _filed(world)
    take_action(case.pk, "whistle", team["street"], lead="cgj", co=["jtj"], note="吹哨")
    assert visible_cases(team["second_handler"]).filter(pk=case.pk).exists()
    take_action(case.pk, "return", team["handler"], note="不属本部门")
    take_action(case.pk, "dispatch", team["dispatcher"], region=WEST_GRID)
    assert not visible_cases(team["second_handler"]).filter(pk=case.pk).exists()
    assert not Case.objects.get(pk=case.pk).co_departments.exists()


def test_a_step_taken_while_suspended_gets_its_whole_limit_after_resuming(world):
    team, calendar = world.team, world.calendar
    case = _filed(world)
    take_action(case.pk, "suspend", team["shift_lead"], note="等待产权方", at=START)
    dispatched_at = START + timedelta(days=1, hours=2)  # Saturday 27 September, not a working day
    take_action(case.pk, "dispatch", team["dispatcher"], region=WEST_GRID, at=dispatched_at)
    resumed_at = datetime(2025, 9, 29, 9, 0, tzinfo=SHANGHAI)
    case = take_action(case.pk, "resume", team["shift_lead"], at=resumed_at)
    # 4 working hours of handling from the resumption, none used up before it.
    assert case.deadline == sla.handle_deadline(calendar, case.category, resumed_at)
    assert case.suspended_at is None
