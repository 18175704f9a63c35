"""Cases of the demo district: a year of history, and live cases waiting in the demo inboxes.

History (``plan_case_history`` + ``write_case_history``): about 1.8 cases per grid per month.
Taking 29,000 cases through ``take_action`` one step at a time would take many minutes, so each
case's path is simulated in memory instead — every step through the workflow table
(``workflow.TRANSITIONS`` / ``check_state``) and every deadline from the ``sla`` functions on one
working calendar, exactly as ``services.take_action`` would set them — and written with
``bulk_create``. A path is cut where it would pass the end of the history, so cases reported in
the last days are still open, at whatever step they reached. The plan is a pure function of the
seed, the end moment, the grids and the categories.

The mix: events of 市容环境 and 街面秩序 dominate; most cases come from grid patrols, the rest from
residents, the 12345 hotline, supervisors, departments and sensors; most are reported in working
hours. Most close within their limits; some are rejected or voided, returned by the wrong
handler, escalated, summoned by a street's whistle, extended, suspended, reworked, overdue,
supervised, or rated "not satisfied" and reopened.

Live cases (``create_live_cases``) go through the real services as the demo users, so each demo
account finds work in its inbox.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import shapely
from django.db import transaction
from django.utils import timezone
from shapely.geometry.base import BaseGeometry

from gridgov import workcalendar
from gridgov.accounts.models import Department, Role, User
from gridgov.bulk import insert_objects, insert_rows
from gridgov.cases import sla
from gridgov.cases.models import (
    Case,
    CaseCounter,
    Category,
    ExtensionRequest,
    LimitUnit,
    Notification,
    Photo,
    Source,
    State,
    Step,
)
from gridgov.cases.workflow import TRANSITIONS, check_state
from gridgov.grids.models import Region
from gridgov.grids.spatial import from_geojson
from gridgov.workcalendar import WorkingCalendar

from . import DEMO_DISTRICT_CODE, SAMPLE_MARK
from .people import SURNAMES
from .users import DEMO_DEPARTMENT, demo_username

CASES_PER_GRID_PER_MONTH = 1.8
HISTORY_DAYS = 365
DAYS_PER_MONTH = 365.25 / 12
BATCH = 2000
OFF_DAY_WEIGHT = 0.55  # patrols go on at weekends and holidays, at about half strength
IN_OFFICE_HOURS = 0.85

SOURCE_WEIGHTS = {
    Source.PATROL: 60,
    Source.HOTLINE: 15,
    Source.RESIDENT: 12,
    Source.SUPERVISOR: 6,
    Source.DEPARTMENT: 3,
    Source.OPEN311: 2,
    Source.SENSOR: 2,
}
REPORTER_ROLE: dict[str, str] = {
    Source.PATROL: Role.GRID_WORKER,
    Source.RESIDENT: Role.RESIDENT,
    Source.OPEN311: Role.RESIDENT,
    Source.SUPERVISOR: Role.VERIFIER,
    Source.DEPARTMENT: Role.DEPARTMENT_HANDLER,
}
RATED_BY: dict[str, str] = {Source.RESIDENT: Role.RESIDENT, Source.OPEN311: Role.RESIDENT, Source.HOTLINE: Role.INTAKE_CLERK}
# Share of cases by (kind, top class); within a top class shared equally, times HOT below.
TOP_WEIGHTS = {
    ("event", "01"): 30, ("event", "05"): 28, ("event", "02"): 10, ("event", "06"): 8, ("event", "03"): 5,
    ("event", "04"): 3, ("component", "01"): 6, ("component", "02"): 3, ("component", "03"): 3,
    ("component", "04"): 2, ("component", "05"): 1, ("component", "06"): 1,
}  # fmt: skip
HOT = {
    ("event", "0102"): 4, ("event", "0201"): 3, ("event", "0507"): 3, ("event", "0504"): 3, ("event", "0601"): 3,
    ("event", "0505"): 2.5, ("event", "0506"): 2.5, ("event", "0104"): 2,
}  # fmt: skip
HOLDER_ROLE = {"grid": Role.GRID_WORKER, "community": Role.COMMUNITY_STAFF, "street": Role.STREET_STAFF}
EXTENSION_REASON = "需协调产权单位，申请延期"
PLACES = ("路口", "小区门口", "人行道上", "公交站旁", "市场周边", "学校附近", "背街小巷", "楼栋之间")
DETAILS = ("影响居民出行", "群众反映强烈", "已持续数日", "存在安全隐患", "影响市容", "巡查时发现")


# --- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoGrid:
    id: int
    code: str
    name: str
    polygon: BaseGeometry  # prepared
    label: tuple[float, float]  # lng, lat


@dataclass(frozen=True)
class PlannedStep:
    action: str
    from_state: str
    to_state: str
    at: datetime
    deadline: datetime | None
    role: str
    note: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class PlannedExtension:
    hours: float
    reason: str
    created_at: datetime
    status: str = ExtensionRequest.Status.PENDING
    decided_at: datetime | None = None


@dataclass
class PlannedCase:
    """One case and its path; the fields mirror Case (ids instead of rows)."""

    category: Category
    source: str
    grid: DemoGrid
    lat: float
    lng: float
    description: str
    address: str
    reporter_name: str = ""
    reporter_phone: str = ""
    state: str = ""
    deadline: datetime | None = None
    suspended_at: datetime | None = None
    supervised: bool = False
    department: str | None = None
    region: str | None = None
    co_departments: tuple[str, ...] = ()
    escalation_level: str = "grid"
    solved_level: str = ""
    rework_count: int = 0
    return_count: int = 0
    reopen_count: int = 0
    rating: str = ""
    filed_at: datetime | None = None
    dispatched_at: datetime | None = None
    handled_at: datetime | None = None
    closed_at: datetime | None = None
    steps: list[PlannedStep] = field(default_factory=list)
    extensions: list[PlannedExtension] = field(default_factory=list)

    @property
    def created_at(self) -> datetime:
        return self.steps[0].at


class _HistoryEnds(Exception):
    """The next step would happen after the end of the history: the case stays where it is."""


class _CaseWalk:
    """Walks one case through the workflow, setting state and deadlines as take_action does."""

    def __init__(self, case: PlannedCase, calendar: WorkingCalendar, until: datetime, departments: dict[int, str]):
        self.case, self.calendar, self.until, self.departments = case, calendar, until, departments

    # the clock
    def later(self, moment: datetime, minutes: float) -> datetime:
        return self.calendar.add_working_time(moment, timedelta(minutes=minutes))

    @property
    def now(self) -> datetime:
        return self.case.steps[-1].at

    def handle_limit(self) -> timedelta:
        category = self.case.category
        if category.handle_unit == LimitUnit.WORKING_DAYS:
            day = sum(
                (datetime.combine(date.min, e) - datetime.combine(date.min, s) for s, e in self.calendar.work_periods),
                timedelta(),
            )
            return day * int(category.handle_limit)
        return timedelta(hours=float(category.handle_limit))

    # one step
    def step(self, action: str, at: datetime, role: str, note: str = "", **params) -> None:
        if at > self.until:
            raise _HistoryEnds
        case = self.case
        transition = TRANSITIONS.get(action)  # None for the report, which is no transition
        from_state = case.state
        if transition is None:
            assert action == "report" and not case.steps, action
        else:
            check_state(transition, from_state)
            assert at >= self.now, (action, at, self.now)
        data = getattr(self, f"_{action}")(at, **params) or {}
        if transition is None:
            case.state = State.REPORTED
        elif transition.target is not None:
            case.state = transition.target
        case.steps.append(PlannedStep(action, from_state, case.state, at, case.deadline, role, note, data))

    # effects, as in cases/steps.py (the handlers the workflow table names)
    def _report(self, at):
        self.case.deadline = sla.intake_deadline(self.calendar, self.case.category, at)
        return {"source": self.case.source}

    def _accept(self, at):
        pass

    def _close_without_handling(self, at):
        self.case.deadline, self.case.closed_at = None, at

    _reject = _void = _close_without_handling

    def _file(self, at):
        self.case.filed_at = at
        self.case.deadline = sla.dispatch_deadline(self.calendar, self.case.category, at)

    def _assign(self, at, department=None, region=None):
        case = self.case
        case.department, case.region, case.co_departments = department, region, ()
        case.escalation_level = {6: "district", 9: "street", 12: "community", 15: "grid"}[len(region)] if region else "district"
        case.dispatched_at = at
        case.deadline = sla.handle_deadline(self.calendar, case.category, at)
        return {"department": department, "region": region, "level": case.escalation_level}

    _dispatch = _assign

    def _return(self, at):
        case = self.case
        data = {"returned_by": case.department or case.region}
        case.return_count += 1
        case.department = case.region = None
        case.co_departments = ()
        case.deadline = sla.dispatch_deadline(self.calendar, case.category, at)
        return data

    def _start(self, at):
        pass

    def _finish(self, at):
        self.case.handled_at = at
        self.case.deadline = sla.verify_deadline(self.calendar, self.case.category, at)

    def _verify(self, at):
        pass

    def _pass(self, at):
        case = self.case
        case.solved_level, case.deadline, case.closed_at = case.escalation_level, None, at
        return {"solved_level": case.solved_level}

    def _rework(self, at):
        self.case.rework_count += 1
        self.case.dispatched_at = at
        self.case.deadline = sla.handle_deadline(self.calendar, self.case.category, at)

    def _rate(self, at, rating):
        self.case.rating = rating
        return {"rating": rating}

    def _reopen(self, at):
        case = self.case
        case.reopen_count += 1
        case.solved_level, case.closed_at = "", None
        case.department = case.region = None
        case.co_departments = ()
        case.deadline = sla.dispatch_deadline(self.calendar, case.category, at)

    def _escalate(self, at):
        case = self.case
        above = {"grid": 12, "community": 9}.get(case.escalation_level)
        if above:
            return self._assign(at, region=case.grid.code[:above])
        department_id = case.category.default_department_id
        assert department_id is not None, "only a category with a default department is escalated to the district"
        return self._assign(at, department=self.departments[department_id])

    def _whistle(self, at, lead, co):
        data = self._assign(at, department=lead)
        self.case.co_departments = tuple(co)
        return data | {"lead": lead, "co": list(co)}

    def _request_extension(self, at, hours):
        self.case.extensions.append(PlannedExtension(hours, EXTENSION_REASON, at))
        return {"hours": str(hours)}

    def _decide(self, at, status):
        request = self.case.extensions[-1]
        request.status, request.decided_at = status, at
        return request

    def _approve_extension(self, at):
        request = self._decide(at, ExtensionRequest.Status.APPROVED)
        assert self.case.deadline is not None, "a case at its handler has a deadline"
        self.case.deadline = sla.extended_deadline(self.calendar, self.case.deadline, request.hours)
        return {"hours": str(request.hours)}

    def _deny_extension(self, at):
        return {"hours": str(self._decide(at, ExtensionRequest.Status.DENIED).hours)}

    def _suspend(self, at):
        self.case.suspended_at = at

    def _resume(self, at):
        case = self.case
        assert case.deadline is not None and case.suspended_at is not None, "only a suspended case at its handler resumes"
        case.deadline = workcalendar.resumed_deadline(self.calendar, case.deadline, case.suspended_at, at)
        data = {"suspended_at": case.suspended_at.isoformat()}
        case.suspended_at = None
        return data

    def _supervise(self, at):
        self.case.supervised = True


OVERDUE_SHARE = 0.08  # of handling rounds finished late, across the district
REWORK_SHARE = 0.06  # of first handlings sent back by the verifier
# How far units stray from the district's average (multipliers of the two shares above): wide
# enough that the monthly evaluation ranks and grades them apart (A to D, a few E grids), as
# real districts' rankings do, instead of every unit scoring the same.
STREET_SLACK = (0.2, 5.0)
GRID_SLACK = (0.5, 1.8)
DEPARTMENT_SLACK = (0.2, 5.0)


@dataclass(frozen=True)
class UnitPerformance:
    """Each street's, grid's and department's own tendency to run late or be sent back, drawn
    once per seed from a stream of its own (so the plan's other draws stay as they were)."""

    streets: dict[str, float]
    grids: dict[str, float]
    departments: dict[str, float]

    @classmethod
    def drawn(cls, seed: int, grids: list, department_codes: list[str]) -> "UnitPerformance":
        rng = random.Random(f"performance-{seed}")
        streets = sorted({grid.code[:9] for grid in grids})
        return cls(
            {code: rng.uniform(*STREET_SLACK) for code in streets},
            {grid.code: rng.uniform(*GRID_SLACK) for grid in grids},
            {code: rng.uniform(*DEPARTMENT_SLACK) for code in sorted(department_codes)},
        )

    def of(self, case) -> float:
        if case.department:
            return self.departments.get(case.department, 1.0)
        return self.streets.get(case.grid.code[:9], 1.0) * self.grids.get(case.grid.code, 1.0)


class _Story:
    """Chooses what happens to one case (the probabilities of the demo) and walks it."""

    def __init__(
        self, walk: _CaseWalk, rng: random.Random, department_codes: list[str], performance: "UnitPerformance | None" = None
    ):
        self.walk, self.rng, self.department_codes = walk, rng, department_codes
        self.case = walk.case
        self.performance = performance or UnitPerformance({}, {}, {})

    def slack(self) -> float:
        """How much more often than the district's average the case's holder works late or badly."""
        return self.performance.of(self.case)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def minutes(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def taken_of(self, limit_hours, on_time=(0.05, 0.6), late=(1.1, 1.8), late_share=0.03) -> float:
        """Working minutes a command-centre step takes: mostly well within its limit, a few late."""
        low, high = late if self.chance(late_share) else on_time
        return float(limit_hours) * 60 * self.rng.uniform(low, high)

    def holder_role(self) -> str:
        return Role.DEPARTMENT_HANDLER if self.case.department else HOLDER_ROLE[self.case.escalation_level]

    def tell(self, reported_at: datetime) -> None:
        walk, case = self.walk, self.case
        walk.step("report", reported_at, REPORTER_ROLE.get(case.source, ""))
        t = walk.later(reported_at, self.taken_of(case.category.intake_hours, late=(1.1, 2.0)))
        if self.chance(0.03):
            return walk.step("reject", t, Role.INTAKE_CLERK, "不属于受理范围")
        walk.step("accept", t, Role.INTAKE_CLERK)
        t = walk.later(t, self.minutes(1, 8))
        if self.chance(0.02):
            return walk.step("void", t, Role.INTAKE_CLERK, "经核实不符合立案条件")
        walk.step("file", t, Role.INTAKE_CLERK)
        self.dispatch_and_handle()
        self.rate()

    def dispatch_and_handle(self) -> None:
        walk, case = self.walk, self.case
        t = walk.later(walk.now, self.taken_of(case.category.dispatch_hours, on_time=(0.05, 0.7)))
        department_id = case.category.default_department_id
        default = walk.departments.get(department_id) if department_id is not None else None
        if default and self.chance(0.01):
            co = self.rng.sample(
                [code for code in self.department_codes if code != default], k=min(2, len(self.department_codes) - 1)
            )
            walk.step("whistle", t, Role.STREET_STAFF, "街道吹哨，部门报到", lead=default, co=co)
        else:
            first = self.first_assignee(default)
            walk.step("dispatch", t, Role.DISPATCHER, **first)
            if self.chance(0.04):
                walk.step("return", walk.later(t, self.minutes(10, 120)), self.holder_role(), "非本单位职责，申请退回")
                t = walk.later(walk.now, self.minutes(5, 40))
                walk.step("dispatch", t, Role.DISPATCHER, **self.second_assignee(first, default))
        while True:
            self.handle()
            t = walk.later(walk.now, self.taken_of(case.category.verify_hours, late=(1.1, 1.6)))
            walk.step("verify", t, Role.VERIFIER)
            t = walk.later(t, self.minutes(2, 30))
            if case.rework_count == 0 and self.chance(min(0.4, REWORK_SHARE * self.slack())):
                walk.step("rework", t, Role.VERIFIER, "现场核查未处置到位，请重新处置")
                continue
            walk.step("pass", t, Role.VERIFIER)
            return

    def first_assignee(self, default: str | None) -> dict:
        if self.case.category.handled_in_grid:
            return {"region": self.case.grid.code if self.chance(0.9) else self.case.grid.code[:12]}
        return {"department": default} if default else {"region": self.case.grid.code[:9]}

    def second_assignee(self, first: dict, default: str | None) -> dict:
        """Where a case goes after the first assignee sent it back."""
        if "department" in first:
            return {"region": self.case.grid.code[:9]}
        if default:
            return {"department": default}
        return {"region": self.case.grid.code[:12]}

    def handle(self) -> None:
        walk, case = self.walk, self.case
        walk.step("start", walk.later(walk.now, self.minutes(5, 90)), self.holder_role())
        if (
            case.region
            and self.chance(0.05)
            and (case.escalation_level != "street" or case.category.default_department_id in walk.departments)
        ):
            walk.step("escalate", walk.later(walk.now, self.minutes(30, 240)), self.holder_role(), "超出本级处置能力，申请上报")
            walk.step("start", walk.later(walk.now, self.minutes(5, 90)), self.holder_role())
        if self.chance(0.03):
            hours = self.rng.choice((4, 8, 16, 24))
            walk.step(
                "request_extension",
                walk.later(walk.now, self.minutes(30, 180)),
                self.holder_role(),
                EXTENSION_REASON,
                hours=hours,
            )
            approve = self.chance(0.8)
            walk.step(
                "approve_extension" if approve else "deny_extension", walk.later(walk.now, self.minutes(20, 240)),
                Role.SHIFT_LEAD, "" if approve else "理由不充分，请按期办结",
            )  # fmt: skip
        if self.chance(0.02):
            walk.step("suspend", walk.later(walk.now, self.minutes(30, 240)), Role.SHIFT_LEAD, "涉及历史遗留问题，挂账处理")
            walk.step("resume", walk.later(walk.now, self.minutes(450, 450 * 8)), Role.SHIFT_LEAD)
        self.finish()

    def finish(self) -> None:
        walk, case = self.walk, self.case
        now, limit = walk.now, walk.handle_limit()
        deadline = case.deadline
        assert deadline is not None, "a case at its handler has a deadline"
        if self.chance(min(0.6, OVERDUE_SHARE * self.slack())):  # overdue
            finish_at = walk.calendar.add_working_time(max(deadline, now), limit * self.rng.uniform(0.05, 1.4))
            overrun = walk.calendar.working_time_between(deadline, finish_at)
            supervise_at = walk.calendar.add_working_time(deadline, limit * 0.5)
            if overrun > limit * 0.8 and now < supervise_at < finish_at and not case.supervised and self.chance(0.7):
                walk.step("supervise", supervise_at, Role.LEADER, "超期督办")
        else:
            left = walk.calendar.working_time_between(now, deadline) if deadline > now else timedelta(0)
            finish_at = walk.calendar.add_working_time(now, left * self.rng.uniform(0.1, 0.95))
        walk.step("finish", max(finish_at, walk.later(walk.now, 5)), self.holder_role(), "已按要求处置完毕")

    def rate(self) -> None:
        walk, case = self.walk, self.case
        role = RATED_BY.get(case.source)
        if role is None:
            return
        at = walk.now + timedelta(hours=self.rng.uniform(0.5, 72))
        first_time = case.reopen_count == 0
        roll = self.rng.random()
        rating = "satisfied" if roll < 0.80 else "basically" if roll < 0.94 or not first_time else "not_satisfied"
        walk.step("rate", at, role, rating=rating)
        if rating == "not_satisfied":
            walk.step("reopen", at, "system", "resident not satisfied")
            self.dispatch_and_handle()
            self.rate()


def demo_grids(prefix: str = DEMO_DISTRICT_CODE) -> list[DemoGrid]:
    grids = []
    for region in Region.objects.filter(level="grid", code__startswith=prefix).order_by("code"):
        polygon = from_geojson(region.boundary)
        shapely.prepare(polygon)
        if region.label_lng is not None and region.label_lat is not None:
            label = (region.label_lng, region.label_lat)
        else:
            x, y = polygon.representative_point().coords[0]
            label = (x, y)
        grids.append(DemoGrid(region.pk, region.code, region.name, polygon, label))
    return grids


def category_weights(categories: list[Category]) -> list[float]:
    per_top = Counter((c.kind, c.top_code) for c in categories)
    return [
        TOP_WEIGHTS.get((c.kind, c.top_code), 1) / per_top[c.kind, c.top_code] * HOT.get((c.kind, c.code), 1) for c in categories
    ]


def _daily_counts(days: list[date], calendar: WorkingCalendar, expected: float, np_rng) -> list[int]:
    weights = np.array([1.0 if calendar.is_working_day(day) else OFF_DAY_WEIGHT for day in days])
    return list(np_rng.poisson(weights * expected / weights.sum()))


def _moment_on(day: date, calendar: WorkingCalendar, rng: random.Random) -> datetime:
    if calendar.is_working_day(day) and rng.random() < IN_OFFICE_HOURS:
        opening = datetime.combine(day, time(0), tzinfo=calendar.tz)
        return calendar.add_working_time(opening, timedelta(minutes=rng.uniform(0, 449)))
    return datetime.combine(day, time(7), tzinfo=calendar.tz) + timedelta(minutes=rng.uniform(0, 14 * 60))


def _point_in(grid: DemoGrid, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = grid.polygon.bounds
    for _ in range(30):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(grid.polygon, x, y):
            return round(y, 6), round(x, 6)
    return round(grid.label[1], 6), round(grid.label[0], 6)


def _new_case(grid: DemoGrid, category: Category, source: str, rng: random.Random) -> PlannedCase:
    lat, lng = _point_in(grid, rng)
    place = rng.choice(PLACES)
    case = PlannedCase(
        category=category, source=source, grid=grid, lat=lat, lng=lng,
        description=f"{grid.name}{place}发现{category.name}，{rng.choice(DETAILS)}。（示例数据）",
        address=f"{grid.name}{place}",
    )  # fmt: skip
    if source in (Source.RESIDENT, Source.HOTLINE, Source.OPEN311):
        case.reporter_name = f"{rng.choice(SURNAMES)}{rng.choice('先生女士')}{SAMPLE_MARK}"
        case.reporter_phone = f"1380000{rng.randrange(10000):04d}"
    return case


def plan_case_history(
    grids: list[DemoGrid],
    categories: list[Category],
    departments: dict[int, str],
    *,
    seed: int,
    until: datetime,
    calendar: WorkingCalendar,
    days: int = HISTORY_DAYS,
    per_grid_month: float = CASES_PER_GRID_PER_MONTH,
) -> list[PlannedCase]:
    """Every case reported in the ``days`` before ``until``, with its path up to ``until``.

    ``departments`` maps department ids to codes (for the categories' default departments).
    Deterministic: the same arguments give the same plan.
    """
    rng, np_rng = random.Random(seed), np.random.default_rng(seed)
    categories = sorted(categories, key=lambda c: (c.kind, c.code))
    weights = category_weights(categories)
    sources, source_weights = list(SOURCE_WEIGHTS), list(SOURCE_WEIGHTS.values())
    department_codes = sorted(departments.values())
    last_day = timezone.localtime(until, calendar.tz).date()
    day_list = [last_day - timedelta(days=n) for n in range(days - 1, -1, -1)]
    expected = len(grids) * per_grid_month * days / DAYS_PER_MONTH
    performance = UnitPerformance.drawn(seed, grids, department_codes)
    planned = []
    for day, count in zip(day_list, _daily_counts(day_list, calendar, expected, np_rng), strict=True):
        for _ in range(count):
            reported_at = _moment_on(day, calendar, rng)
            grid = grids[rng.randrange(len(grids))]
            category = rng.choices(categories, weights)[0]
            case = _new_case(grid, category, rng.choices(sources, source_weights)[0], rng)
            if reported_at > until:
                continue
            try:
                _Story(_CaseWalk(case, calendar, until, departments), rng, department_codes, performance).tell(reported_at)
            except _HistoryEnds:
                pass
            planned.append(case)
    planned.sort(key=lambda case: case.created_at)
    return planned


# --- writing it -------------------------------------------------------------------------------


def _numbers(planned: list[PlannedCase], calendar: WorkingCalendar) -> tuple[list[str], dict[date, int]]:
    """Day + 6-digit sequence, continuing any counter that already exists for the day."""
    days = {timezone.localtime(case.created_at, calendar.tz).date() for case in planned}
    last = dict(CaseCounter.objects.filter(day__in=days).values_list("day", "last"))
    numbers = []
    for case in planned:
        day = timezone.localtime(case.created_at, calendar.tz).date()
        last[day] = last.get(day, 0) + 1
        numbers.append(f"{day:%Y%m%d}{last[day]:06d}")
    return numbers, last


def _save_counters(last: dict[date, int]) -> None:
    existing = set(CaseCounter.objects.filter(day__in=last).values_list("day", flat=True))
    for day in existing:
        CaseCounter.objects.filter(day=day).update(last=last[day])
    CaseCounter.objects.bulk_create(
        [CaseCounter(day=day, last=n) for day, n in last.items() if day not in existing], batch_size=BATCH
    )


def _case_row(case: PlannedCase, number: str, departments: dict[str, int], regions: dict[str, int]) -> Case:
    last = case.steps[-1]
    return Case(
        number=number, category=case.category, source=case.source, state=case.state, version=len(case.steps),
        description=case.description, address=case.address[:200], lat=case.lat, lng=case.lng,
        grid_id=case.grid.id, grid_code=case.grid.code, reporter_name=case.reporter_name, reporter_phone=case.reporter_phone,
        external_id=f"12345-{number}" if case.source == Source.HOTLINE else "",
        assigned_department_id=departments.get(case.department) if case.department else None,
        assigned_region_id=regions.get(case.region) if case.region else None,
        escalation_level=case.escalation_level, solved_level=case.solved_level, deadline=case.deadline,
        suspended_at=case.suspended_at, supervised=case.supervised, rework_count=case.rework_count,
        return_count=case.return_count, reopen_count=case.reopen_count, rating=case.rating,
        created_at=case.created_at, updated_at=last.at, filed_at=case.filed_at, dispatched_at=case.dispatched_at,
        handled_at=case.handled_at, closed_at=case.closed_at, **_evaluation_deadlines(case),
    )  # fmt: skip


def _evaluation_deadlines(case: PlannedCase) -> dict:
    """The deadlines ``Case.note_step_deadline`` keeps, replayed over the planned steps."""
    row = Case(state=State.REPORTED)
    for step in case.steps:
        row.state, row.deadline = step.to_state, step.deadline
        row.note_step_deadline(step.action)
    return {
        "intake_deadline": row.intake_deadline,
        "handle_deadline": row.handle_deadline,
        "verify_deadline": row.verify_deadline,
    }


STEP_COLUMNS = [
    "case_id",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "actor_role",
    "at",
    "note",
    "public_note",
    "deadline",
    "data",
]


@transaction.atomic
def write_case_history(planned: list[PlannedCase], calendar: WorkingCalendar) -> int:
    """Write the planned cases with their steps, extension requests, co-handlers and counters."""
    numbers, last = _numbers(planned, calendar)
    departments = dict(Department.objects.values_list("code", "id"))
    regions = dict(Region.objects.filter(code__in={case.region for case in planned if case.region}).values_list("code", "id"))
    through = Case.co_departments.through
    for start in range(0, len(planned), BATCH):
        chunk, chunk_numbers = planned[start : start + BATCH], numbers[start : start + BATCH]
        rows = [_case_row(case, number, departments, regions) for case, number in zip(chunk, chunk_numbers, strict=True)]
        insert_objects(Case, rows)  # encrypts the reporter's details and indexes the phone
        ids = dict(Case.objects.filter(number__in=chunk_numbers).values_list("number", "id"))
        case_ids = [ids[number] for number in chunk_numbers]
        insert_rows(
            Step,
            STEP_COLUMNS,
            [
                (case_id, s.action, s.from_state, s.to_state, None, s.role, s.at, s.note, "", s.deadline, s.data)
                for case_id, case in zip(case_ids, chunk, strict=True)
                for s in case.steps
            ],
        )
        ExtensionRequest.objects.bulk_create(
            [
                ExtensionRequest(
                    case_id=case_id,
                    hours=Decimal(e.hours),
                    reason=e.reason,
                    status=e.status,
                    created_at=e.created_at,
                    decided_at=e.decided_at,
                )  # fmt: skip
                for case_id, case in zip(case_ids, chunk, strict=True)
                for e in case.extensions
            ]
        )
        through.objects.bulk_create(
            [
                through(case_id=case_id, department_id=departments[code])
                for case_id, case in zip(case_ids, chunk, strict=True)
                for code in case.co_departments
            ]
        )
    _save_counters(last)
    return len(planned)


def history_categories():
    """The categories random demo cases are drawn from: every active one but the projects'
    blocking-problem categories (06 91–95), which only the project service raises."""
    from gridgov.projects.catalogue import PROBLEM_CATEGORIES, PROBLEM_KIND

    return Category.objects.filter(is_active=True).exclude(
        kind=PROBLEM_KIND, code__in=[code for _kind, code, _name, _dept in PROBLEM_CATEGORIES]
    )


def build_case_history(seed: int, until: datetime | None = None, *, per_grid_month: float = CASES_PER_GRID_PER_MONTH) -> int:
    """Plan and write the demo district's case history up to ``until`` (default: now)."""
    from gridgov.cases.catalogue import seed_catalogue

    seed_catalogue()
    calendar = workcalendar.working_calendar()
    categories = list(history_categories())
    departments = dict(Department.objects.values_list("id", "code"))
    planned = plan_case_history(
        demo_grids(),
        categories,
        departments,
        seed=seed,
        until=until or timezone.now(),
        calendar=calendar,
        per_grid_month=per_grid_month,
    )
    return write_case_history(planned, calendar)


def remove_case_history(prefix: str = DEMO_DISTRICT_CODE) -> int:
    """Delete every case in the district with what hangs on it (before its grids can go)."""
    cases = Case.objects.filter(grid_code__startswith=prefix)
    for model in (Notification, Photo, ExtensionRequest, Case.co_departments.through):
        model.objects.filter(case__in=cases).delete()
    cases.update(duplicate_of=None)
    # Raw: loading a quarter of a million steps to cascade nothing would be slow; no photo is left.
    Step.objects.filter(case__in=cases)._raw_delete(Step.objects.db)
    return cases.delete()[1].get("cases.Case", 0)


# --- live cases for the demo users --------------------------------------------------------


def _demo_user(role: str) -> User | None:
    return User.objects.filter(username=demo_username(role)).first()


def create_live_cases(now: datetime | None = None) -> int:
    """A handful of cases waiting on each demo account, taken through the real services."""
    from gridgov.cases.services import Report, report_case, take_action

    now = now or timezone.now()
    users = {role: _demo_user(role) for role in Role}
    grid = Region.objects.filter(level="grid", code__startswith=DEMO_DISTRICT_CODE).order_by("code").first()
    if (
        grid is None
        or grid.label_lat is None
        or grid.label_lng is None
        or any(users[role] is None for role in (Role.RESIDENT, Role.INTAKE_CLERK, Role.DISPATCHER))
    ):
        return 0
    in_grid = Category.objects.filter(is_active=True, handled_in_grid=True).order_by("kind", "code").first()
    departmental = (
        Category.objects.filter(is_active=True, handled_in_grid=False, default_department__code=DEMO_DEPARTMENT)
        .order_by("kind", "code")
        .first()
        or in_grid
    )
    created = []
    lat, lng = grid.label_lat, grid.label_lng

    def new(category, source, reporter, minutes_ago=30, text="（示例）演示用实时案件"):
        at = now - timedelta(minutes=minutes_ago)
        description = f"{category.name}：{text}"
        report = Report(category=category, lat=lat, lng=lng, description=description, source=source, reporter=reporter)
        case = report_case(report, at=at)
        created.append(case)
        return case

    def act(case, action, role, **params):
        return take_action(case.pk, action, users[role], at=params.pop("at", now), **params)

    def filed(category, source=Source.PATROL, reporter=None, **kwargs):
        case = new(category, source, reporter or users[Role.GRID_WORKER], **kwargs)
        act(case, "accept", Role.INTAKE_CLERK, at=case.created_at)
        return act(case, "file", Role.INTAKE_CLERK, at=case.created_at)

    with transaction.atomic():
        new(in_grid, Source.RESIDENT, users[Role.RESIDENT])
        new(departmental, Source.PATROL, users[Role.GRID_WORKER], minutes_ago=10)
        act(new(in_grid, Source.RESIDENT, users[Role.RESIDENT], minutes_ago=20), "accept", Role.INTAKE_CLERK)
        for category in (in_grid, departmental):
            filed(category)
        for _ in range(2):
            act(filed(in_grid), "dispatch", Role.DISPATCHER, region=grid.code)
        started = act(filed(in_grid), "dispatch", Role.DISPATCHER, region=grid.code)
        act(started, "start", Role.GRID_WORKER)
        for _ in range(2):
            act(filed(departmental), "dispatch", Role.DISPATCHER, department=DEMO_DEPARTMENT)
        extended = act(filed(departmental), "dispatch", Role.DISPATCHER, department=DEMO_DEPARTMENT)
        act(extended, "start", Role.DEPARTMENT_HANDLER)
        act(extended, "request_extension", Role.DEPARTMENT_HANDLER, hours=8, note="需协调产权单位（示例）")
        for final in ("finish", "verify", "pass", "pass"):
            case = act(filed(in_grid, Source.RESIDENT, users[Role.RESIDENT]), "dispatch", Role.DISPATCHER, region=grid.code)
            for action in ("start", "finish"):
                case = act(case, action, Role.GRID_WORKER)
            if final != "finish":
                case = act(case, "verify", Role.VERIFIER)
            if final == "pass":
                act(case, "pass", Role.VERIFIER)
        supervised = act(filed(departmental), "dispatch", Role.DISPATCHER, department=DEMO_DEPARTMENT)
        act(supervised, "supervise", Role.LEADER)
        overdue = filed(in_grid, minutes_ago=60 * 24 * 7)
        act(overdue, "dispatch", Role.DISPATCHER, region=grid.code, at=overdue.created_at + timedelta(hours=1))
    return len(created)
