"""The indicator registry: every count and rate of DESIGN.md section 5, defined once.

Every figure is computed by SQL aggregation over the cases of a scope (``cases.selectors.
evaluation_cases``, annotated with the deadlines read from each case's steps): a *measure* is a
count of the cases that meet a condition, summed with ``Case/When`` per unit; an *indicator* is
a ratio of measures. The same conditions list the cases behind any number (``cases_behind``).

Which cases fall in a period — following GB/T 30428.4 (数字化城市管理信息系统 第4部分：绩效评价),
which evaluates regions (区域评价), departments (部门评价) and posts (岗位评价) on the cases of each
stage of the flow, each stage counted when it is due or done:

- by **report time** (``created_at``): reported, valid reports — 有效上报率;
- by **filing time** (``filed_at``, the first filing): filed, filed on time — 按时立案率
  (on time: by the intake deadline the report step set);
- by **step time**: dispatches and returns, one per recorded step — 准确派遣率
  = (dispatches − returns) / dispatches (a case returned and re-dispatched counts two dispatches
  and one return);
- by **due time**: the cases whose handling deadline fell in the period (应处置数) — 按期处置率,
  结案率, 按期结案率, 返工率, 超期率. The handling deadline is the one of the case's latest round
  at a handler (the dispatch, a rework, an escalation, a whistle, an approved extension or a
  resumption set it), so an extension or a suspension moves the case to the period its moved
  deadline falls in. A case "falls due" only once the deadline has passed (within a running
  period, deadlines still ahead do not count yet), only while a handling round exists
  (returned or reopened cases waiting for a new dispatch have none), and not while its clock is
  stopped (a suspended case at its handler has no deadline until it resumes). Rejected, voided
  and merged cases never reach a handler and never fall due;
- by **closing time** (``closed_at`` of a closed or rated case): closed, closed within the
  grid — 网格内解决率. A reopened case is no longer closed.

Handled on time: the latest round was finished (the case is handled, being verified, closed or
rated) at or before that round's deadline. Reworked twice or once, a case counts once in 返工率.
Closed on time (按期结案): handled on time, and closed by the verification deadline its last
finish set.

12345 hotline three rates (hotline cases only): response (filed by the intake deadline, by report
time), resolution (closed among those fallen due) and satisfaction ((satisfied + 0.9 × basically
satisfied) / rated, by closing time).

Staff-role indicators (岗位评价) follow the same standard's posts: the grid worker / supervisor
(信息采集: 有效上报率), the intake clerk (受理: 按时立案率), the dispatcher (派遣: 准确派遣率) and the
handling departments (处置: 按期处置率, 返工率, 结案率).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from gridgov.cases.models import Rating, SolvedLevel, Source, State

FINISHED = (State.HANDLED, State.VERIFYING, State.CLOSED, State.RATED)  # the latest round was finished
AT_HANDLER = (State.DISPATCHED, State.HANDLING)
ROUND_STATES = AT_HANDLER + FINISHED  # a handling round exists
CLOSED = (State.CLOSED, State.RATED)
REGION_LEVELS = frozenset({"street", "community", "grid"})
ALL_LEVELS = REGION_LEVELS | {"department", "role"}
STAFF = frozenset({"staff"})


@dataclass(frozen=True)
class Window:
    """The bounds a period's conditions use: [start, end), and ``now`` for deadlines still ahead."""

    start: datetime
    end: datetime
    now: datetime

    @property
    def due_end(self) -> datetime:
        return min(self.end, self.now)


def _in(field_name: str, w: Window) -> Q:
    return Q(**{f"{field_name}__gte": w.start, f"{field_name}__lt": w.end})


# --- measures: counts of cases (or of steps) ---------------------------------------------------


def _reported(w):
    return _in("created_at", w)


def _valid(w):
    return _reported(w) & Q(filed_at__isnull=False) & ~Q(state=State.MERGED)


def _filed(w):
    return _in("filed_at", w)


def _filed_on_time(w):
    return _filed(w) & Q(filed_at__lte=F("intake_deadline"))


def _due(w):
    stopped = Q(suspended_at__isnull=False, state__in=AT_HANDLER)
    return Q(handle_deadline__gte=w.start, handle_deadline__lt=w.due_end, state__in=ROUND_STATES) & ~stopped


def _handled(w):
    return _due(w) & Q(state__in=FINISHED)


def _handled_on_time(w):
    return _handled(w) & Q(handled_at__lte=F("handle_deadline"))


def _overdue(w):
    return _due(w) & (~Q(state__in=FINISHED) | Q(handled_at__gt=F("handle_deadline")))


def _due_closed(w):
    return _due(w) & Q(state__in=CLOSED)


def _closed_on_time(w):
    return _handled_on_time(w) & Q(state__in=CLOSED, closed_at__lte=F("verify_deadline"))


def _reworked(w):
    return Q(rework_count__gt=0) & _due(w)


def _closed(w):
    return _in("closed_at", w) & Q(state__in=CLOSED)


def _closed_in_grid(w):
    return Q(solved_level=SolvedLevel.GRID) & _closed(w)


# The rarer, cheaper test first where a measure narrows a stage (the hotline's orders here;
# reworked cases and cases solved in the grid above): SQLite evaluates each measure's conditions
# in order for every case of the window and stops at the first false one (a month at a million
# cases: 460 → 387 ms of CPU for the case pass; benchmarks/README.md). In any order the same
# conditions count the same cases.
HOTLINE = Q(source=Source.HOTLINE)


@dataclass(frozen=True)
class Measure:
    key: str
    label: StrOrPromise
    condition: Callable[[Window], Q] | None  # a Q over evaluation_cases(); None for step counts
    step_action: str = ""  # counted over recorded steps of this action instead of cases

    def where(self, w: Window) -> Q:
        """The condition for the window (a measure counted over steps has none to give)."""
        if self.condition is None:
            raise TypeError(f"the measure {self.key} counts steps, not cases")
        return self.condition(w)


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in [
        Measure("reported", _("Reported"), _reported),
        Measure("valid", _("Valid reports"), _valid),
        Measure("filed", _("Filed"), _filed),
        Measure("filed_on_time", _("Filed on time"), _filed_on_time),
        Measure("dispatched", _("Dispatched"), None, step_action="dispatch"),
        Measure("returned", _("Returned"), None, step_action="return"),
        Measure("due", _("Due for handling"), _due),
        Measure("handled", _("Handled"), _handled),
        Measure("handled_on_time", _("Handled on time"), _handled_on_time),
        Measure("due_closed", _("Closed of those due"), _due_closed),
        Measure("closed_on_time", _("Closed on time"), _closed_on_time),
        Measure("reworked", _("Reworked"), _reworked),
        Measure("overdue", _("Overdue"), _overdue),
        Measure("closed", _("Closed"), _closed),
        Measure("closed_in_grid", _("Closed within the grid"), _closed_in_grid),
        Measure("hotline_reported", _("Hotline orders"), lambda w: HOTLINE & _reported(w)),
        Measure("hotline_responded", _("Hotline orders answered on time"), lambda w: HOTLINE & _reported(w) & Q(filed_at__lte=F("intake_deadline"))),
        Measure("hotline_due", _("Hotline orders due"), lambda w: HOTLINE & _due(w)),
        Measure("hotline_resolved", _("Hotline orders resolved"), lambda w: HOTLINE & _due_closed(w)),
        Measure("hotline_rated", _("Hotline orders rated"), lambda w: HOTLINE & _closed(w) & ~Q(rating="")),
        Measure("hotline_satisfied", _("Hotline orders satisfied"), lambda w: HOTLINE & _closed(w) & Q(rating=Rating.SATISFIED)),
        Measure("hotline_basically", _("Hotline orders basically satisfied"), lambda w: HOTLINE & _closed(w) & Q(rating=Rating.BASICALLY)),
    ]
}  # fmt: skip
STEP_MEASURES = [m for m in MEASURES.values() if m.step_action]
CASE_MEASURES = [m for m in MEASURES.values() if not m.step_action]

# Individual staff (岗位评价 per person): counts of the steps each person took in the period (by
# step time), over ``cases.selectors.evaluation_staff_steps``. Grid workers and verifiers: valid
# reports (the case was filed, not merged) and verdicts (pass or rework) by the deadline the
# finish set; intake clerks: filings by the report's intake deadline; dispatchers: dispatches not
# answered by a return; department handlers: finishes by the round's deadline, and finishes the
# verifier sent back (rework).
STAFF_MEASURES: dict[str, Measure] = {
    m.key: m
    for m in [
        Measure("staff_reports", _("Reports made"), lambda w: Q(action="report")),
        Measure("staff_valid_reports", _("Valid reports made"), lambda w: Q(action="report", case__filed_at__isnull=False) & ~Q(case__state=State.MERGED)),
        Measure("staff_verdicts", _("Verifications"), lambda w: Q(action__in=("pass", "rework"))),
        Measure("staff_verdicts_on_time", _("Verifications on time"), lambda w: Q(action__in=("pass", "rework"), at__lte=F("verify_deadline"))),
        Measure("staff_filings", _("Filings"), lambda w: Q(action="file")),
        Measure("staff_filings_on_time", _("Filings on time"), lambda w: Q(action="file", at__lte=F("intake_deadline"))),
        Measure("staff_dispatches", _("Dispatches made"), lambda w: Q(action="dispatch")),
        Measure("staff_dispatches_returned", _("Dispatches returned"), lambda w: Q(action="dispatch", next_action="return")),
        Measure("staff_finishes", _("Handlings finished"), lambda w: Q(action="finish")),
        Measure("staff_finishes_on_time", _("Handlings finished on time"), lambda w: Q(action="finish", at__lte=F("handle_deadline"))),
        Measure("staff_finishes_reworked", _("Handlings sent back"), lambda w: Q(action="finish", next_verdict="rework")),
    ]
}  # fmt: skip

# The counts every table shows, in order (DESIGN.md section 5).
SHOWN_COUNTS = ["reported", "valid", "filed", "dispatched", "handled", "closed", "reworked", "returned", "overdue"]


# --- indicators: rates ------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    key: str
    label: StrOrPromise
    numerator: tuple[tuple[str, Decimal], ...]  # measures and their factors
    denominator: str
    higher_is_better: bool = True
    levels: frozenset = field(default=ALL_LEVELS)
    roles: tuple[str, ...] = ()  # the posts (岗位) this indicator evaluates

    def rate(self, counts: dict[str, int]) -> Decimal | None:
        """The ratio in [0, 1], or None when nothing fell in the denominator."""
        denominator = counts.get(self.denominator) or 0
        if not denominator:
            return None
        numerator = sum((Decimal(counts.get(key) or 0) * factor for key, factor in self.numerator), Decimal(0))
        return numerator / Decimal(denominator)

    def points(self, rate: Decimal) -> Decimal:
        """What the rate contributes to a score, out of 100 (lower-is-better rates are turned over)."""
        percent = rate * 100
        return percent if self.higher_is_better else 100 - percent


ONE = Decimal(1)
CASES_LEVELS = REGION_LEVELS | {"department"}

INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in [
        Indicator("on_time_handling", _("On-time handling rate"), (("handled_on_time", ONE),), "due", levels=CASES_LEVELS, roles=("department",)),
        Indicator("closure", _("Closure rate"), (("due_closed", ONE),), "due", levels=CASES_LEVELS, roles=("department",)),
        Indicator("on_time_closure", _("On-time closure rate"), (("closed_on_time", ONE),), "due", levels=CASES_LEVELS),
        Indicator("rework", _("Rework rate"), (("reworked", ONE),), "due", higher_is_better=False, levels=CASES_LEVELS, roles=("department",)),
        Indicator("overdue", _("Overdue rate"), (("overdue", ONE),), "due", higher_is_better=False, levels=CASES_LEVELS),
        Indicator("dispatch_accuracy", _("Dispatch accuracy"), (("dispatched", ONE), ("returned", -ONE)), "dispatched", levels=REGION_LEVELS | {"role"}, roles=("dispatcher",)),
        Indicator("valid_reports", _("Valid report rate"), (("valid", ONE),), "reported", levels=REGION_LEVELS | {"role"}, roles=("grid_worker",)),
        Indicator("on_time_filing", _("On-time filing rate"), (("filed_on_time", ONE),), "filed", levels=REGION_LEVELS | {"role"}, roles=("intake_clerk",)),
        Indicator("within_grid", _("Solved within the grid rate"), (("closed_in_grid", ONE),), "closed", levels=REGION_LEVELS),
        Indicator("hotline_response", _("Hotline response rate"), (("hotline_responded", ONE),), "hotline_reported", levels=CASES_LEVELS),
        Indicator("hotline_resolution", _("Hotline resolution rate"), (("hotline_resolved", ONE),), "hotline_due", levels=CASES_LEVELS),
        Indicator("staff_valid_reports", _("Valid report rate"), (("staff_valid_reports", ONE),), "staff_reports", levels=STAFF),
        Indicator("staff_on_time_verification", _("On-time verification rate"), (("staff_verdicts_on_time", ONE),), "staff_verdicts", levels=STAFF),
        Indicator("staff_on_time_filing", _("On-time filing rate"), (("staff_filings_on_time", ONE),), "staff_filings", levels=STAFF),
        Indicator("staff_dispatch_accuracy", _("Dispatch accuracy"), (("staff_dispatches", ONE), ("staff_dispatches_returned", -ONE)), "staff_dispatches", levels=STAFF),
        Indicator("staff_on_time_handling", _("On-time handling rate"), (("staff_finishes_on_time", ONE),), "staff_finishes", levels=STAFF),
        Indicator("staff_rework", _("Rework rate"), (("staff_finishes_reworked", ONE),), "staff_finishes", higher_is_better=False, levels=STAFF),
        Indicator("hotline_satisfaction", _("Hotline satisfaction rate"), (("hotline_satisfied", ONE), ("hotline_basically", Decimal("0.9"))), "hotline_rated", levels=CASES_LEVELS),
    ]
}  # fmt: skip

# Default weights per level (seeded by migration 0002, then edited in the admin). Regions weigh
# the whole flow with the handling stage first; departments only what they hold; hotline rates
# start at 0 so a district turns them on when it imports 12345 orders.
DEFAULT_WEIGHTS = {
    "region": {
        "on_time_handling": 30, "closure": 15, "on_time_closure": 10, "rework": 10, "overdue": 10,
        "within_grid": 10, "valid_reports": 5, "on_time_filing": 5, "dispatch_accuracy": 5,
        "hotline_response": 0, "hotline_resolution": 0, "hotline_satisfaction": 0,
    },
    "department": {
        "on_time_handling": 40, "closure": 20, "on_time_closure": 15, "rework": 15, "overdue": 10,
        "hotline_response": 0, "hotline_resolution": 0, "hotline_satisfaction": 0,
    },
    "staff": {key: 1 for key in (
        "staff_valid_reports", "staff_on_time_verification", "staff_on_time_filing", "staff_dispatch_accuracy",
        "staff_on_time_handling", "staff_rework",
    )},
    "role": {"dispatch_accuracy": 1, "valid_reports": 1, "on_time_filing": 1, "on_time_handling": 1, "closure": 1, "rework": 1},
}  # fmt: skip


# Which of the staff indicators evaluate a person, by their post (the roles GB/T 30428.4 names).
STAFF_INDICATORS = {
    "grid_worker": ("staff_valid_reports", "staff_on_time_verification"),
    "grid_chief": ("staff_valid_reports", "staff_on_time_verification"),
    "verifier": ("staff_on_time_verification",),
    "intake_clerk": ("staff_on_time_filing",),
    "dispatcher": ("staff_dispatch_accuracy",),
    "department_handler": ("staff_on_time_handling", "staff_rework"),
}
ANY_MEASURE = {**MEASURES, **STAFF_MEASURES}


def default_weights(level: str) -> dict[str, int]:
    return DEFAULT_WEIGHTS["region" if level in REGION_LEVELS else level]


def indicators_for(level: str) -> list[Indicator]:
    return [i for i in INDICATORS.values() if level in i.levels]


# --- score and grade ---------------------------------------------------------------------------

CENT = Decimal("0.01")
GRADES = ("A", "B", "C", "D", "E")


def composite_score(rates: dict[str, Decimal | None], weights: dict[str, Decimal]) -> Decimal | None:
    """The weighted mean of the indicators' points, rounded to hundredths; indicators with nothing
    in their denominator (rate None) or weight 0 are left out and the others' weights rescaled."""
    total = weight_sum = Decimal(0)
    for key, weight in weights.items():
        rate = rates.get(key)
        if rate is None or not weight or key not in INDICATORS:
            continue
        total += INDICATORS[key].points(rate) * Decimal(weight)
        weight_sum += Decimal(weight)
    if not weight_sum:
        return None
    return (total / weight_sum).quantize(CENT, rounding=ROUND_HALF_UP)


def grade_for(score: Decimal | None, bands: tuple[Decimal, Decimal, Decimal, Decimal]) -> str:
    """A ≥ bands[0], B ≥ bands[1], C ≥ bands[2], D ≥ bands[3], else E; no score, no grade."""
    if score is None:
        return ""
    for grade, lowest in zip(GRADES, bands, strict=False):
        if score >= lowest:
            return grade
    return "E"
