"""Evaluation figures: every indicator for every unit of a level over a period, in a fixed
number of queries (one over cases, one over steps, per period), scored and graded.

Units of the grid network are grouped by the prefix of the case's grid code (street = 9
digits, community = 12, grid = 15); departments by the department holding the case's latest
round; staff roles (岗位) read the whole scope once. Every read goes through the user's data
scope (``cases.selectors.evaluation_cases``): a street's staff see their street and below only.

A finished period's figures do not change unless a case does, so they are kept per process
under the cases' change stamp (``cases.selectors.cases_changed_stamp``); a running period is
computed afresh (its "fallen due" cases grow with the clock).
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connections, transaction
from django.db.models import Case as Choose
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department, Role, User
from gridgov.accounts.selectors import data_scope
from gridgov.caching import KeyedCache, ProcessCache
from gridgov.cases import selectors as case_selectors
from gridgov.grids import selectors as grid_selectors
from gridgov.grids.codes import Level

from .indicators import (
    CASE_MEASURES,
    INDICATORS,
    MEASURES,
    STAFF_INDICATORS,
    STAFF_MEASURES,
    STEP_MEASURES,
    Indicator,
    Window,
    composite_score,
    grade_for,
    indicators_for,
)
from .periods import Period
from .schemes import forget_schemes, scheme_for

PREFIX = {"street": 9, "community": 12, "grid": 15}
LEVEL_DEPTH = {"district": 6, "street": 9, "community": 12, "grid": 15}
ROLE_UNITS = {  # the posts of GB/T 30428.4 岗位评价, each with the indicators of its stage
    "grid_worker": Role.GRID_WORKER,
    "intake_clerk": Role.INTAKE_CLERK,
    "dispatcher": Role.DISPATCHER,
    "department": Role.DEPARTMENT_HANDLER,
}
STAMP_TTL_SECONDS = 5.0  # another process's change shows within this; this process's at once
_figures: KeyedCache[Any] = KeyedCache(max_entries=256)
_stamp = ProcessCache(case_selectors.cases_changed_stamp, STAMP_TTL_SECONDS)


def forget_figures(**_signal_arguments) -> None:
    _stamp.forget()


def forget_all() -> None:
    """Drop everything the evaluation keeps in this process: figures, change stamp, schemes."""
    _stamp.forget()
    _figures.forget()
    forget_schemes()


class EvaluationError(ValueError):
    """A level or unit the user cannot evaluate; the message says why."""


# --- levels and units in scope -------------------------------------------------------------------


def levels_for(user: User) -> list[str]:
    """The levels a user may evaluate: the network's levels at or below their own unit, and
    departments and staff roles (over the cases in their scope)."""
    depth = len(user.region.code) if user.region else 6
    levels = [level for level, digits in PREFIX.items() if digits >= depth]
    return [*levels, "department", "role", "staff"]


def check_level(user: User, level: str) -> str:
    if level not in levels_for(user):
        raise EvaluationError(_("The level “%(level)s” is not one you can evaluate.") % {"level": str(level)[:20]})
    return level


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    parent: str = ""


def units_of(user: User, level: str) -> list[Unit]:
    if level in PREFIX:
        root = user.region if user.region_id else None
        regions = grid_selectors.regions_in_scope(root).filter(level=Level(level)).order_by("code")
        return [Unit(r.code, r.name, r.code[: PREFIX[level] - 3]) for r in regions.only("code", "name")]
    if level == "department":
        departments = Department.objects.order_by("code")
        if user.role == Role.DEPARTMENT_HANDLER:
            departments = departments.filter(pk=user.department_id) if user.department_id else departments.none()
        return [Unit(d.code, d.name) for d in departments]
    return [Unit(key, str(role.label)) for key, role in ROLE_UNITS.items()]


# --- counting ----------------------------------------------------------------------------------


def _one_if(condition) -> Sum:
    return Sum(Choose(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField()))


def _group_key(level: str, prefix: str = ""):
    if level in PREFIX:
        return Substr(f"{prefix}grid_code", 1, PREFIX[level])
    if level == "department":
        return F(f"{prefix}assigned_department__code")
    return Value("all")


def count_measures(user: User | None, level: str, window: Window, *, derived: bool = True) -> dict[str, dict[str, int]]:
    """Every measure for every unit of the level: {unit code: {measure: count}}, in two queries
    (one over cases, one over steps). ``derived=False`` sums without the window's pre-filter
    (the plain form, kept to check the fast one against)."""
    base = "department" if level == "department" else "grid"
    counts = count_bases(user, window, prefilter=derived)[base]
    return counts if base == level else rolled_up(counts, level)


def _add(units: dict, unit, values: dict[str, int]) -> None:
    if unit is None:
        return
    target = units.get(unit)
    if target is None:
        units[unit] = target = dict.fromkeys(MEASURES, 0)
    for key, value in values.items():
        target[key] += value or 0


def count_bases(
    user: User | None, window: Window, *, prefilter: bool = True, held: bool = True, only: Q | None = None
) -> dict[str, dict[str, dict[str, int]]]:
    """Every measure per grid and per department: {"grid": {code: {measure: count}}, "department":
    {...}}, from one query over cases and one over steps, each grouped by (grid, department) and
    summed both ways here: one pass over the rows instead of one per base. ``held``: also list,
    with zeros, every grid and department holding a case in scope (two skip scans of the case
    table's indexes; left out where the kept days list them). ``only``: a further filter on the
    cases counted."""
    bases: dict[str, dict] = {"grid": {}, "department": {}}
    for row in _case_rows(user, "pair", window, prefilter, only=only):
        values = {m.key: row[m.key] for m in CASE_MEASURES}
        _add(bases["grid"], row["unit_grid"], values)
        _add(bases["department"], row["unit_department"], values)
    steps = case_selectors.evaluation_steps(user, only=only).filter(at__gte=window.start, at__lt=window.end)
    steps = steps.filter(action__in=[m.step_action for m in STEP_MEASURES])
    step_rows = steps.values(unit_grid=F("case__grid_code"), unit_department=F("case__assigned_department__code")).annotate(
        **{m.key: _one_if(Q(action=m.step_action)) for m in STEP_MEASURES}
    )
    for step_row in _rows(step_rows.order_by()):
        step_values = {m.key: step_row[m.key] for m in STEP_MEASURES}
        _add(bases["grid"], step_row["unit_grid"], step_values)
        _add(bases["department"], step_row["unit_department"], step_values)
    if not held:
        return bases
    # Every grid and department that holds a case in scope has a row, zeros when nothing fell
    # in the window (the department table lists the departments with cases); read from the
    # columns' indexes.
    for grid_code in case_selectors.evaluation_held(user, "grid_code"):
        _add(bases["grid"], grid_code, {})
    codes = dict(Department.objects.values_list("pk", "code"))
    for department_id in case_selectors.evaluation_held(user, "assigned_department_id"):
        _add(bases["department"], codes.get(department_id), {})
    return bases


def in_window(window: Window) -> Q:
    """The cases any case measure can count in the window: reported, filed, falling due or
    closed in it (every measure's condition includes one of these). Cheap comparisons on the
    row, so the many CASE WHENs run only for the window's cases, not the whole history."""
    return (
        Q(created_at__gte=window.start, created_at__lt=window.end)
        | Q(filed_at__gte=window.start, filed_at__lt=window.end)
        | Q(handle_deadline__gte=window.start, handle_deadline__lt=window.due_end)
        | Q(closed_at__gte=window.start, closed_at__lt=window.end)
    )


def _case_rows(
    user: User | None, level: str, window: Window, prefilter: bool, sums: dict | None = None, only: Q | None = None
) -> list[dict]:
    """One row per unit (``pair``: per grid and department) with every case measure summed, in
    one scan of the cases: the deadlines the measures compare against are columns of the case
    row (kept by the workflow step that sets them), and ``prefilter`` keeps only the cases
    reported, filed, due or closed in the window (``in_window``).

    (Before the deadlines were on the row they were correlated sub-queries over the steps,
    selected once in a derived table fenced with ``OFFSET 0``; see benchmarks/README.md.)
    """
    cases = case_selectors.evaluation_cases(user, only=only).order_by()
    if prefilter:
        # No ``created_at < end`` beside the window: every time on a case row (filing, deadlines,
        # closing) is at or after its report, so a case in the window was reported before its
        # end. SQLite repeats an extra condition in each of the window's four index ranges, before
        # it drops the cases two ranges share: 340,000 row reads instead of 95,000 for a month at
        # a million cases (0.35 s of the 0.7 s case pass; benchmarks/README.md).
        cases = cases.filter(in_window(window))
    else:
        cases = cases.filter(created_at__lt=window.end)
    sums = sums if sums is not None else {m.key: _one_if(m.where(window)) for m in CASE_MEASURES}
    if level == "pair":
        # SQLite: grouped by an expression, not the bare column, as it would otherwise walk the
        # grid code index and fetch the rows in its order (12.8 s against 5.9 s at 1,000,000
        # cases). PostgreSQL: the bare column, with no expression to compute per row (it still
        # sorts: it guesses far more (grid, department) pairs than the ~1,900 there are).
        grid = F("grid_code") if connections[cases.db].vendor == "postgresql" else Substr("grid_code", 1, PREFIX["grid"])
        rows: QuerySet = cases.values(unit_grid=grid, unit_department=F("assigned_department__code")).annotate(**sums).order_by()
    else:
        rows = cases.values(unit=_group_key(level)).annotate(**sums).order_by()
    return _rows(rows)


def _rows(query: QuerySet) -> list[dict]:
    """The rows of a counting query as dicts, run as one plain statement. On PostgreSQL with
    ``jit`` off (it JIT-compiled the many CASE WHENs: 0.8 s on the demo year, more than the
    whole query takes without it) and random reads priced as on an SSD or the page cache
    (``random_page_cost`` 1.1 instead of 4, the spinning-disk default): otherwise it read the
    whole case table — for the month's 90,000 cases of a million, and to join the month's
    90,000 steps to their cases — instead of the four date indexes and the primary key
    (1.3 → 1.0 s and 1.9 → 1.4 s at a million cases, before ``VACUUM``)."""
    sql, params = query.query.sql_with_params()
    connection_ = connections[query.db]
    with transaction.atomic(using=query.db), connection_.cursor() as cursor:
        if connection_.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL random_page_cost = 1.1")
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _scope_key(user: User | None) -> tuple:
    """The cache key of a scope: the same rule the figures are filtered by, so two users share
    cached figures only when they see the same cases (a grid worker without a grid sees none,
    not the district's)."""
    if user is None:
        return ("all",)
    scope = data_scope(user)
    return (scope.kind, scope.key)


RUNNING_GRAIN_SECONDS = 60  # a running period is counted as of the minute: repeated reads within it are free


def _kept_prefix(user: User | None) -> str | None:
    """The grid-code prefix under which the kept months (``services.month_counts``) answer for a
    scope: "" for the whole system, the unit's code for a unit's staff; None for scopes that are
    not a set of grids (a department's cases, a resident's own; a department's headline figures
    read its kept department row instead: ``_department_total``)."""
    if user is None:
        return ""
    scope = data_scope(user)
    if scope.kind == "district":
        return ""
    if scope.kind == "unit":
        return str(scope.key)  # a unit's scope is keyed by its region code
    return None


def cached_counts(user: User | None, level: str, period: Period, now: datetime) -> dict[str, dict[str, int]]:
    """Counts per unit, kept per process under the cases' change stamp.

    Every level of the grid network (and the whole scope, for staff roles) is summed from one
    count per grid: the measures count cases, and a case lies in one grid, so a community's
    count is the sum of its grids'. A finished month is read from the months kept in the
    database (``services.month_counts``: grid rows under the scope's prefix, or the department
    and whole-system rows for the whole district); a running month the same way up to
    yesterday (``services.finished_days``), plus today counted from the cases; anything else is
    counted from the cases, the grid and department counts in one pass (``count_bases``), and
    kept per process — a finished period by its bounds, a running one also by the minute it is
    counted at (its fallen-due cases grow with the clock).
    """
    from . import services

    base = "department" if level == "department" else "grid"
    prefix = _kept_prefix(user)
    split = case_selectors.department_split(user) if level == "role" else None
    keepable = (prefix is not None and (base == "grid" or prefix == "")) or split is not None
    kept = keepable and services.can_keep(period, now)
    days = services.finished_days(period, now) if keepable and not kept else None
    if (kept or days is not None) and level == "role" and (prefix == "" or split is not None):
        base = "all"
    as_of = _as_of(period, now)
    key = (_scope_key(user), period.start, period.end, None if as_of is now else as_of, _stamp.get())

    def count() -> dict[str, dict[str, int]]:
        newest = key[-1][:2]  # the change stamp's newest step and case ids
        if split is not None and (kept or days is not None):
            return {"all": _department_total(user, split, period, days if days is not None else period, as_of, newest)}
        if kept:
            assert prefix is not None  # kept only where the scope is the district or a unit
            return services.month_counts(period, base, prefix, newest)
        if days is not None:
            assert prefix is not None
            # Today only, from the cases (both bases in one pass, kept for the other base's read);
            # the units holding a case without a count today come with the kept days.
            today = _figures.get((*key, "today"), lambda: count_bases(user, Window(days.end, period.end, as_of), held=False))
            live = rolled_up(today["grid"], "role") if base == "all" else today[base]
            return _summed(services.month_counts(days, base, prefix, newest), live)
        bases = count_bases(user, Window(period.start, period.end, as_of))
        other = "department" if base == "grid" else "grid"
        _figures.get((*key, other), lambda: bases[other])  # the same pass counted it: keep it too
        return bases[base]

    counts = _figures.get((*key, base), count)
    if base in (level, "all"):
        return counts
    return _figures.get((*key, base, level), lambda: rolled_up(counts, level))  # summing 1,360 grids costs 30 ms


def _department_total(
    user: User | None, split: tuple[int, Q], period: Period, kept_span: Period, as_of: datetime, newest: tuple
) -> dict[str, int]:
    """A department's staff's whole scope over a finished month or a running one's kept days
    (``kept_span``) and, for a running month, today: its own cases from the kept months' row for
    the department, the cases it co-handles for another department counted from the cases (few),
    and today counted from the cases (``department_split``)."""
    from . import services

    department_id, elsewhere = split
    code = Department.objects.filter(pk=department_id).values_list("code", flat=True).first() or ""
    parts = [services.month_counts(kept_span, "department", code, newest).get(code, {})]
    co_handled = count_bases(None, Window(kept_span.start, kept_span.end, kept_span.end), held=False, only=elsewhere)
    parts += co_handled["grid"].values()
    if kept_span.end < period.end:  # the running month: today from the cases
        parts += count_bases(user, Window(kept_span.end, period.end, as_of), held=False)["grid"].values()
    total: dict[str, dict[str, int]] = {"all": dict(EMPTY_COUNTS)}
    for counts in parts:
        _add(total, "all", counts)
    return total["all"]


def _summed(kept: dict[str, dict[str, int]], live: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Two counts per unit added up (the kept days and today)."""
    units = {unit: dict(counts) for unit, counts in kept.items()}
    for unit, counts in live.items():
        _add(units, unit, counts)
    return units


def _as_of(period: Period, now: datetime) -> datetime:
    """``now`` for a finished period; for a running one, the start of the current minute."""
    if period.is_finished(now):
        return now
    seconds = int(now.timestamp()) // RUNNING_GRAIN_SECONDS * RUNNING_GRAIN_SECONDS
    return datetime.fromtimestamp(seconds, tz=now.tzinfo)


def rolled_up(grid_counts: dict[str, dict[str, int]], level: str) -> dict[str, dict[str, int]]:
    """Grid counts summed to streets, communities or (staff roles) the whole scope."""
    units: dict[str, dict[str, int]] = {}
    for code, counts in grid_counts.items():
        unit = units.setdefault(code[: PREFIX[level]] if level in PREFIX else "all", dict.fromkeys(counts, 0))
        for key, value in counts.items():
            unit[key] = unit.get(key, 0) + value
    return units


# --- figures of units ----------------------------------------------------------------------------


@dataclass
class Figures:
    counts: dict[str, int]
    rates: dict[str, Decimal | None]
    score: Decimal | None
    grade: str


@dataclass
class UnitRow:
    unit: Unit
    figures: Figures
    rank: int | None = None
    previous: Figures | None = None
    year_earlier: Figures | None = None
    extra: dict = field(default_factory=dict)


EMPTY_COUNTS = {key: 0 for key in MEASURES}


def figures_of(level: str, counts: dict[str, int], indicators: list[Indicator] | None = None) -> Figures:
    indicators = indicators if indicators is not None else indicators_for(level)
    rates = {i.key: i.rate(counts) for i in indicators}
    scheme = scheme_for(level)
    weights = {key: w for key, w in scheme.weights.items() if key in rates}
    score = composite_score(rates, weights)
    return Figures(counts, rates, score, grade_for(score, scheme.bands))


def _role_indicators(role: str) -> list[Indicator]:
    return [i for i in INDICATORS.values() if role in i.roles]


def _figures_for(level: str, unit: Unit, counts: dict[str, dict[str, int]]) -> Figures:
    if level == "role":
        return figures_of(level, counts.get("all", EMPTY_COUNTS), _role_indicators(unit.code))
    return figures_of(level, counts.get(unit.code, EMPTY_COUNTS))


def rank(rows: list[UnitRow]) -> list[UnitRow]:
    """Best score first; equal scores share a rank; units without a score come last, unranked."""
    rows.sort(key=lambda r: (r.figures.score is None, -(r.figures.score or 0), r.unit.code))
    previous_score, previous_rank = None, 0
    for position, row in enumerate(rows, start=1):
        if row.figures.score is None:
            row.rank = None
            continue
        if row.figures.score != previous_score:
            previous_score, previous_rank = row.figures.score, position
        row.rank = previous_rank
    return rows


def evaluation_table(
    user: User, level: str, period: Period, *, now: datetime | None = None, compare: bool = True
) -> list[UnitRow]:
    """Every unit of the level in the user's scope, scored, graded and ranked, with the same
    figures for the period before and the same period a year earlier (six queries in all)."""
    now = now or timezone.now()
    check_level(user, level)
    if level == "staff":
        return staff_table(user, period, now=now, compare=compare)
    units = units_of(user, level)
    current = cached_counts(user, level, period, now)
    rows = [UnitRow(unit, _figures_for(level, unit, current)) for unit in units]
    if level == "department" and user.role != Role.DEPARTMENT_HANDLER:
        rows = [row for row in rows if row.unit.code in current]  # departments that hold a case in scope
    if compare:
        previous = cached_counts(user, level, period.previous(), now)
        earlier = cached_counts(user, level, period.year_earlier(), now)
        for row in rows:
            row.previous = _figures_for(level, row.unit, previous)
            row.year_earlier = _figures_for(level, row.unit, earlier)
    return rank(rows)


def scope_totals(user: User, period: Period, *, now: datetime | None = None) -> Figures:
    """The whole of the user's scope as one unit (the dashboard's headline figures)."""
    now = now or timezone.now()
    counts = cached_counts(user, "role", period, now).get("all", EMPTY_COUNTS)
    return figures_of("street", counts)


def cases_behind(
    user: User, measure: str, period: Period, *, unit: str = "", level: str = "street", now: datetime | None = None
) -> QuerySet:
    """The cases a count stands for, in the user's scope (the same condition the count sums)."""
    now = now or timezone.now()
    m = MEASURES.get(measure)
    if m is None:
        raise EvaluationError(_("There is no figure called “%(measure)s”.") % {"measure": str(measure)[:30]})
    window = Window(period.start, period.end, now)
    if m.step_action:
        steps = case_selectors.evaluation_steps(user).filter(action=m.step_action, at__gte=window.start, at__lt=window.end)
        cases = case_selectors.evaluation_cases(user).filter(pk__in=steps.values("case_id"))
    else:
        cases = case_selectors.evaluation_cases(user).filter(m.where(window))
    if unit:
        if level == "department":
            cases = cases.filter(assigned_department__code=unit)
        elif level in PREFIX:
            cases = cases.filter(grid_code__startswith=unit)
    return cases


# --- the dashboard -----------------------------------------------------------------------------

HEADLINE = ("reported", "closed")
HEADLINE_RATES = ("on_time_handling", "closure", "within_grid")
TREND_MONTHS = 12
RANKED = 5


def ranking_level(user: User) -> str:
    """The level a user's dashboard ranks: the units just below their own (streets for the district)."""
    depth = len(user.region.code) if user.region else 6
    for level, digits in PREFIX.items():
        if digits > depth:
            return level
    return "grid"


def overdue_now(user: User, now: datetime) -> int:
    """Open cases past their deadline with the clock running, now."""
    return case_selectors.evaluation_cases(user).filter(case_selectors.overdue_filter(now)).count()


def category_mix(user: User, period: Period) -> list[dict]:
    """Cases reported in the period by kind and top class, largest first."""
    cases = case_selectors.evaluation_cases(user).filter(created_at__gte=period.start, created_at__lt=period.end)
    rows = (
        cases.values("category__kind", "category__top_name").annotate(count=Count("pk")).order_by("-count", "category__top_name")
    )
    return [{"kind": r["category__kind"], "name": r["category__top_name"], "count": r["count"]} for r in rows]


TREND_MEASURES = ("reported", "closed", "due", "handled_on_time", "due_closed")


def trend(user: User, months: list[Period], now: datetime) -> list[tuple[Period, Figures]]:
    """The scope's headline figures month by month. Where the kept months answer for the scope
    (the district, a unit's staff, a department's staff with its co-handled cases counted
    beside), each finished month is read from them and a running one
    counted like any period; otherwise all months are summed in one pass over the cases (a sum
    per month and measure), kept like the counts of a period."""
    if _kept_prefix(user) is not None or case_selectors.department_split(user) is not None:
        return [(m, figures_of("street", cached_counts(user, "role", m, now).get("all", EMPTY_COUNTS))) for m in months]
    as_of = _as_of(months[-1], now)
    key = (
        _scope_key(user),
        "trend",
        tuple(m.start for m in months),
        months[-1].end,
        None if as_of is now else as_of,
        _stamp.get(),
    )

    def count() -> list[dict[str, int]]:
        sums = {
            f"{measure}_{n}": _one_if(MEASURES[measure].where(Window(m.start, m.end, as_of)))
            for n, m in enumerate(months)
            for measure in TREND_MEASURES
        }
        rows = _case_rows(user, "role", Window(months[0].start, months[-1].end, as_of), True, sums=sums)
        row = rows[0] if rows else {}
        return [{measure: row.get(f"{measure}_{n}") or 0 for measure in TREND_MEASURES} for n in range(len(months))]

    return [(m, figures_of("street", counts)) for m, counts in zip(months, _figures.get(key, count), strict=True)]


def best_and_worst(rows: list[UnitRow], count: int = RANKED) -> tuple[list[UnitRow], list[UnitRow]]:
    scored = [row for row in rows if row.figures.score is not None]
    return scored[:count], list(reversed(scored[-count:])) if len(scored) > count else list(reversed(scored))


def rank_among_siblings(user: User, period: Period, *, now: datetime | None = None) -> dict | None:
    """Where the user's own street or community ranks among the units of the same parent: the
    rank and the number of siblings only (their figures stay outside the user's scope)."""
    region = user.region if user.region_id else None
    if region is None or region.level not in ("street", "community") or region.parent is None:
        return None
    now = now or timezone.now()
    counts = cached_counts(None, region.level, period, now)
    siblings = grid_selectors.children_of(region.parent)
    rows = rank([UnitRow(Unit(s.code, s.name), figures_of(region.level, counts.get(s.code, EMPTY_COUNTS))) for s in siblings])
    own = next((row for row in rows if row.unit.code == region.code), None)
    if own is None:
        return None
    return {"level": region.level, "rank": own.rank, "of": sum(1 for row in rows if row.rank is not None), "siblings": len(rows)}


# --- individual staff ----------------------------------------------------------------------------


def staff_in_scope(user: User | None):
    """The people a user evaluates: everyone for the district (or a user without a unit), the
    staff of their street, community or grid below it, a department's own handlers."""
    people = User.objects.exclude(role=Role.RESIDENT)
    if user is None:
        return people
    if user.role == Role.DEPARTMENT_HANDLER:
        # Without a department a handler evaluates nobody (department_id=None would match every
        # person without a department, i.e. all the grid staff).
        return people.filter(department_id=user.department_id) if user.department_id else people.none()
    if user.region and len(user.region.code) > LEVEL_DEPTH["district"]:
        return people.filter(region__code__startswith=user.region.code)
    return people


def staff_counts(user: User | None, window: Window) -> dict[int, dict[str, int]]:
    """Every staff measure for every person in the user's scope: {user id: {measure: count}}, in
    one query over the steps they took in the window (cases in the user's scope only)."""
    steps = case_selectors.evaluation_staff_steps(user).filter(at__gte=window.start, at__lt=window.end, actor__isnull=False)
    steps = steps.filter(actor__in=staff_in_scope(user).values("pk"))
    rows = steps.values("actor_id").annotate(**{m.key: _one_if(m.where(window)) for m in STAFF_MEASURES.values()}).order_by()
    # The Django plugin types values() rows by their literal names; it cannot follow annotate(**measures).
    return {row["actor_id"]: {m: row[m] or 0 for m in STAFF_MEASURES} for row in rows}  # type: ignore[literal-required]


def _cached_staff_counts(user: User, period: Period, now: datetime) -> dict[int, dict[str, int]]:
    as_of = _as_of(period, now)
    key = (_scope_key(user), "staff", period.start, period.end, None if as_of is now else as_of, _stamp.get())
    return _figures.get(key, lambda: staff_counts(user, Window(period.start, period.end, as_of)))


def staff_figures(role: str, counts: dict[str, int]) -> Figures:
    keys = STAFF_INDICATORS.get(role, ())
    return figures_of("staff", counts, [INDICATORS[key] for key in keys])


def staff_table(user: User, period: Period, *, now: datetime | None = None, compare: bool = True) -> list[UnitRow]:
    """Every person in the user's scope who took a step in the period, scored on their post's
    indicators and ranked (three queries over steps with the comparisons, one for the names)."""
    now = now or timezone.now()
    current = _cached_staff_counts(user, period, now)
    previous = _cached_staff_counts(user, period.previous(), now) if compare else {}
    earlier = _cached_staff_counts(user, period.year_earlier(), now) if compare else {}
    empty = dict.fromkeys(STAFF_MEASURES, 0)
    people = User.objects.filter(pk__in=list(current)).order_by("pk")
    rows = []
    for person in people.only("pk", "username", "first_name", "last_name", "role"):
        row = UnitRow(
            Unit(str(person.pk), person.get_full_name() or person.username, person.role),
            staff_figures(person.role, current[person.pk]),
        )
        if compare:
            row.previous = staff_figures(person.role, previous.get(person.pk, empty))
            row.year_earlier = staff_figures(person.role, earlier.get(person.pk, empty))
        rows.append(row)
    return rank(rows)


def scope_label(user) -> str:
    """The data scope as shown above the table and in the exports."""
    if user.role == Role.DEPARTMENT_HANDLER and user.department_id:
        return str(user.department)
    if user.region_id:
        return f"{user.region.name} ({user.region.code})"
    return _("Whole district")
