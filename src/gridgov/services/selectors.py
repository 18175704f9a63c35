"""Reads: what each user may see (data scope), inboxes, materials per department, statistics.

Scope, closed by default: a resident sees their own applications; a department handler the
applications with a part for their department; staff of a street or community the applications
received at a service point inside their unit; district-level staff (no unit) every one; the
three administrators none (applications carry personal data). Statistics aggregate in SQL.
"""

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, F, Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department, Role, User
from gridgov.evaluation import periods
from gridgov.evaluation import services as kept_months
from gridgov.evaluation.periods import Period
from gridgov.grids.models import Region

from . import clock
from .models import (
    BAD_GRADES,
    GOOD_GRADES,
    Application,
    ApplicationStep,
    Bundle,
    ItemLevel,
    Part,
    Rectification,
    ServiceItem,
    State,
    SubmittedMaterial,
)
from .workflow import APPLICATION_OPEN, PART_OPEN

if TYPE_CHECKING:  # the kept months' rows are the evaluation's; this module reads them through its services
    from gridgov.evaluation.models import CountedMonth

ADMINISTRATORS = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
DASHBOARD_ROLES = frozenset(Role.values) - ADMINISTRATORS - {Role.RESIDENT}
# Who may submit an application: the applicant online, a window clerk or shift lead for the
# person at the window, community and street staff as agents (代办).
APPLICANTS = frozenset({Role.RESIDENT, Role.INTAKE_CLERK, Role.SHIFT_LEAD, Role.COMMUNITY_STAFF, Role.STREET_STAFF})


def visible_applications(user: User) -> QuerySet[Application]:
    applications = Application.objects.all()
    if not user.is_authenticated or user.role in ADMINISTRATORS:
        return applications.none()
    if user.role == Role.RESIDENT:
        return applications.filter(applicant_user=user)
    if user.role == Role.DEPARTMENT_HANDLER:
        if user.department_id is None:
            return applications.none()
        return applications.filter(pk__in=Part.objects.filter(department_id=user.department_id).values("application_id"))
    if user.region_id is not None:
        assert user.region is not None  # region_id is set, so the region row exists (a foreign key)
        return applications.filter(service_point_code__startswith=user.region.code)
    return applications


def statistics_scope(user: User) -> QuerySet[Application] | None:
    """The applications a user's statistics count: None when they see every one (so the
    district-wide figures need no sub-query), else their visible applications."""
    if user.is_authenticated and user.role not in ADMINISTRATORS | {Role.RESIDENT, Role.DEPARTMENT_HANDLER}:
        if user.region_id is None:
            return None
    return visible_applications(user)


def statistics_scope_label(user: User) -> str:
    """The applications ``statistics_scope`` counts, in words, for the export's heading."""
    if user.role == Role.DEPARTMENT_HANDLER:
        return str(user.department) if user.department_id else _("No department assigned: nothing is counted")
    if user.region_id is not None:
        assert user.region is not None  # region_id is set, so the region row exists (a foreign key)
        return f"{user.region.name} ({user.region.code})"
    return _("Whole district")


def visible_parts(user: User) -> QuerySet[Part]:
    parts = Part.objects.select_related("application", "item", "department")
    if user.role == Role.DEPARTMENT_HANDLER:
        return parts.filter(department_id=user.department_id) if user.department_id else parts.none()
    return parts.filter(application__in=visible_applications(user))


def department_inbox(user: User) -> QuerySet[Part]:
    """Open parts the user may work, the nearest deadline first."""
    parts = visible_parts(user).filter(state__in=PART_OPEN)
    if user.role in (Role.COMMUNITY_STAFF, Role.STREET_STAFF):
        parts = parts.exclude(item__level=ItemLevel.DISTRICT)
    return parts.order_by(F("deadline").asc(nulls_last=True), "id")


def window_queue(user: User) -> QuerySet[Application]:
    """Applications waiting on the window: to check and accept, to correct, to deliver. Those
    still to be checked have no deadline yet (the clock starts at acceptance) and come first,
    oldest first: the window accepts a complete application at once. Then the nearest deadline.
    (Said explicitly: SQLite sorts NULL first and PostgreSQL last.)"""
    return (
        visible_applications(user)
        .filter(state__in=[*APPLICATION_OPEN, State.DECIDED])
        .exclude(state=State.ACCEPTED)
        .order_by(F("deadline").asc(nulls_first=True), "id")
    )


def materials_for_part(part: Part) -> QuerySet[SubmittedMaterial]:
    """The materials a department sees: every submitted one its item asks for, including those
    handed in once for several items of a bundle."""
    keys = part.item.materials.values("key")
    return SubmittedMaterial.objects.filter(application_id=part.application_id, key__in=keys)


def overdue_rectifications(now: datetime | None = None) -> QuerySet[Rectification]:
    return Rectification.objects.filter(closed_at__isnull=True, due_at__lt=now or timezone.now())


# Who works at the window and in the departments (not residents, not the three administrators).
STAFF_ROLES = frozenset(Role.values) - {Role.RESIDENT, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
# Who works rectification tasks: the department that must rectify, and the window, shift lead
# and leader who follow bad ratings up; nobody else sees them.
RECTIFIERS = frozenset({Role.DEPARTMENT_HANDLER, Role.SHIFT_LEAD, Role.LEADER, Role.INTAKE_CLERK})
RECTIFICATION_STATUSES = ("open", "overdue", "closed", "all")


def visible_rectifications(user: User) -> QuerySet[Rectification]:
    """A department handler sees their department's tasks; the window, shift lead and leader
    those of the applications in their scope; every other role none."""
    rows = Rectification.objects.select_related("application", "department")
    if not user.is_authenticated or user.role not in RECTIFIERS:
        return rows.none()
    if user.role == Role.DEPARTMENT_HANDLER:
        return rows.filter(department_id=user.department_id) if user.department_id else rows.none()
    return rows.filter(application__in=visible_applications(user))


def rectification_list(user: User, status: str = "open", now: datetime | None = None) -> QuerySet[Rectification]:
    """The tasks of one status (open, overdue, closed, all), the unrectified first, nearest due
    first, each with ``overdue`` (unrectified past its due time) computed in SQL."""
    now = now or timezone.now()
    rows = visible_rectifications(user)
    if status == "open":
        rows = rows.filter(closed_at__isnull=True)
    elif status == "overdue":
        rows = rows.filter(closed_at__isnull=True, due_at__lt=now)
    elif status == "closed":
        rows = rows.filter(closed_at__isnull=False)
    overdue = ExpressionWrapper(Q(closed_at__isnull=True, due_at__lt=now), output_field=BooleanField())
    return rows.annotate(overdue=overdue).order_by(F("closed_at").asc(nulls_first=True), "due_at", "id")


# --- statistics ---------------------------------------------------------------------------------


def catalogue_figures() -> dict:
    items = ServiceItem.objects.filter(is_active=True)
    totals = items.aggregate(
        total=Count("id"),
        one_go=Count("id", filter=Q(one_go=True)),
        community=Count("id", filter=Q(level=ItemLevel.COMMUNITY)),
        no_visit=Count("id", filter=Q(visits=0)),
        at_most_one_visit=Count("id", filter=Q(visits__lte=1)),
        anywhere=Count("id", filter=Q(anywhere=True)),
    )
    by_level = {
        row["level"]: row
        for row in items.values("level")
        .annotate(
            count=Count("id"),
            window=Count("id", filter=Q(by_window=True)),
            online=Count("id", filter=Q(by_online=True)),
            mobile=Count("id", filter=Q(by_mobile=True)),
            self_service=Count("id", filter=Q(by_self_service=True)),
        )
        .order_by("level")
    }
    totals["by_level"] = [
        by_level.get(level, {"level": level, "count": 0, "window": 0, "online": 0, "mobile": 0, "self_service": 0})
        for level in ItemLevel.values
    ]
    totals["bundles"] = Bundle.objects.filter(is_active=True).count()
    totals["no_visit_share"] = totals["no_visit"] / totals["total"] if totals["total"] else None
    return totals


def _share(part, whole):
    return part / whole if whole else None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def received_between(start: date, end: date) -> Q:
    """Received on a local day in [start, end): compared as moments, not through a date cast,
    which on SQLite is a Python function called once per row (a tenth of a second per 100,000)."""
    return Q(received_at__gte=_local_midnight(start), received_at__lt=_local_midnight(end))


def _months(start: date, end: date) -> list[tuple[date, date, date]]:
    """(first of the month, from, until) for each month [start, end) touches."""
    months, first = [], start.replace(day=1)
    while first < end:
        following = (first + timedelta(days=32)).replace(day=1)
        months.append((first, max(first, start), min(following, end)))
        first = following
    return months


def application_figures(
    start: date, end: date, applications: QuerySet[Application] | None = None, points: list[dict] | None = None
) -> dict:
    """Figures of the applications received in [start, end): the totals in one pass over them, and
    each month's count by a range of the ``received_at`` index (a GROUP BY on a truncated date
    runs a Python function per row on SQLite; twelve conditional counts beside the totals cost
    more than the totals themselves; the index alone answers a range count).

    ``points``, the service-point table of the same period and scope
    (``rating_figures_by_service_point``) when the caller has it: the rated, good and bad totals
    are then its sums (the same rows, grouped) instead of three more conditional counts in the
    pass, a sixth of its CPU on SQLite at a million applications."""
    day = clock.day_seconds()
    scope = applications if applications is not None else Application.objects.all()
    rows = scope.filter(received_between(start, end))
    ratings: dict[str, Any] = {
        "rated": Count("id", filter=Q(grade__isnull=False)),
        "good": Count("id", filter=Q(grade__in=list(GOOD_GRADES))),
        "bad": Count("id", filter=Q(grade__in=list(BAD_GRADES))),
    }
    # Plain counts of a column where one says the same as a condition (``COUNT(*)``, the decided
    # ones as ``COUNT(decided_at)``, the decided bundles as ``COUNT(bundle_id)`` of the decided):
    # a tenth less CPU for the pass on SQLite at a million applications.
    totals = rows.aggregate(
        received=Count("*"),
        decided=Count("decided_at"),
        on_time=Count("id", filter=Q(on_time=True)),
        avg_used=Avg("used_working_seconds"),
        avg_promised=Avg("promised_days", filter=Q(decided_at__isnull=False)),
        avg_legal=Avg("legal_days", filter=Q(decided_at__isnull=False)),
        bundles=Count("bundle", filter=Q(decided_at__isnull=False)),
        bundles_one_day=Count("id", filter=Q(bundle__isnull=False, used_working_seconds__lte=day)),
        **(ratings if points is None else {}),
    )
    if points is not None:
        totals.update({key: sum(row[key] for row in points) for key in ratings})
    totals["on_time_rate"] = _share(totals["on_time"], totals["decided"])
    totals["good_rate"] = _share(totals["good"], totals["rated"])
    totals["bundle_one_day_rate"] = _share(totals["bundles_one_day"], totals["bundles"])
    totals["avg_used_days"] = totals["avg_used"] / day if totals["avg_used"] is not None else None
    counts = [(first, scope.filter(received_between(since, until)).count()) for first, since, until in _months(start, end)]
    totals["by_month"] = [{"month": _local_midnight(first), "count": count} for first, count in counts if count]
    return totals


def rating_figures_by_department(
    start: date, end: date, now: datetime | None = None, applications: QuerySet[Application] | None = None
) -> list[dict]:
    """Per department: rated applications it worked, good ones, bad ones, rectifications, the
    share rectified, and the unrectified ones past their due time at ``now``; over
    ``applications`` (a user's ``statistics_scope``) when given, else every one."""
    since, until = _local_midnight(start), _local_midnight(end)
    return _department_table(_rated_by_department(since, until, applications), since, until, now, applications)


def _department_table(
    counted: dict[int, dict], since: datetime, until: datetime, now: datetime | None, applications: QuerySet[Application] | None
) -> list[dict]:
    """The department table from the rated, good and bad per department id: the names, the
    rectifications counted live (a small table; ``late`` depends on ``now``), the rates."""
    now = now or timezone.now()
    names = dict(Department.objects.filter(pk__in=list(counted)).values_list("id", "name"))
    rows = {
        department_id: {"department_id": department_id, "department__name": names[department_id], **counts}
        for department_id, counts in counted.items()
    }
    rectified = Rectification.objects.filter(received_at__gte=since, received_at__lt=until)
    if applications is not None:
        rectified = rectified.filter(application__in=applications)
    for counts in rectified.values("department_id").annotate(
        opened=Count("id"),
        closed=Count("id", filter=Q(closed_at__isnull=False)),
        late=Count("id", filter=Q(closed_at__isnull=True, due_at__lt=now)),
    ):
        target = rows.get(counts["department_id"])
        if target is not None:
            target.update(opened=counts["opened"], closed=counts["closed"], late=counts["late"])
    result = []
    for row in sorted(rows.values(), key=lambda r: r["department__name"]):
        row.setdefault("opened", 0), row.setdefault("closed", 0), row.setdefault("late", 0)
        row["good_rate"] = _share(row["good"], row["rated"])
        row["rectified_rate"] = _share(row["closed"], row["opened"])
        result.append(row)
    return result


def _ratings(queryset: QuerySet, key: str) -> dict[Any, dict]:
    """Rated, good and bad per ``key``, counted per (key, grade) in SQL and added up here."""
    counts: dict[Any, dict] = {}
    for value, grade, count in (
        queryset.values(key, "grade").annotate(count=Count("*")).order_by().values_list(key, "grade", "count")
    ):
        _tally(counts.setdefault(value, dict.fromkeys(RATING_KEYS, 0)), grade, count)
    return counts


def _tally(target: dict[str, int], grade: object, count: int) -> None:
    """Add ``count`` ratings of ``grade`` to a unit's rated, good and bad."""
    target["rated"] += count
    if grade in GOOD_GRADES:
        target["good"] += count
    elif grade in BAD_GRADES:
        target["bad"] += count


def _rated_by_department(since: datetime, until: datetime, applications: QuerySet[Application] | None) -> dict[int, dict]:
    """Rated applications per department, each counted once however many of its parts the
    department worked: read from the parts alone, which carry their application's receipt moment
    and rating, one part per department of an application marked ``first_of_department`` (see
    ``Part``); a partial index on the rated ones answers the range without the table. Joining a
    year of applications and making the (department, application) pairs distinct cost 60 % of
    the page (measured by ``gridgov bench services``; see benchmarks/README.md). Counted per
    (department, grade) in the index's order, and good and bad added up here: one plain count per
    row instead of three conditional ones (a third less CPU on SQLite at a million applications)."""
    return _ratings(_rated_parts(since, until, applications), "department_id")


def _rated_parts(since: datetime, until: datetime, applications: QuerySet[Application] | None) -> QuerySet[Part]:
    parts = Part.objects.filter(received_at__gte=since, received_at__lt=until, grade__isnull=False, first_of_department=True)
    return parts if applications is None else parts.filter(application__in=applications)


def rating_figures_by_service_point(start: date, end: date, applications: QuerySet[Application] | None = None) -> list[dict]:
    rows = (applications if applications is not None else Application.objects.all()).filter(
        received_between(start, end), grade__isnull=False
    )
    # Grouped by the code the application carries, without joining the regions for their names
    # (fetched once per service point afterwards): the join doubled the cost of the grouping.
    # Counted per (point, grade) in the order of the partial index, good and bad added up here
    # (as for the departments).
    return _point_table(_ratings(rows, "service_point_code"))


def _point_table(counted: dict[str, dict]) -> list[dict]:
    """The service-point table from the rated, good and bad per point: the names, the rate."""
    names = dict(Region.objects.filter(code__in=list(counted)).values_list("code", "name"))
    result: list[dict[str, Any]] = []
    for code in sorted(counted):
        row = {"service_point_code": code, **counted[code], "service_point__name": names.get(code)}
        row["good_rate"] = _share(row["good"], row["rated"])
        result.append(row)
    return result


# --- panels on other apps' pages ----------------------------------------------------------------


def dashboard_panel(user: User, start: date, end: date) -> dict:
    """The services' headline rates for the leader's dashboard, over the applications in the
    user's scope received in [start, end): on-time completion (decided by the deadline, of the
    decided), good ratings (satisfied or very satisfied, of the rated), and the one-day rate of
    the bundles promised in one working day (opening a business): decided within one working
    day's office hours, of those decided."""
    day = clock.day_seconds()
    one_day = Q(bundle__promised_days=1, decided_at__isnull=False)
    figures = (
        visible_applications(user)
        .filter(received_between(start, end))
        .aggregate(
            received=Count("id"),
            decided=Count("id", filter=Q(decided_at__isnull=False)),
            on_time=Count("id", filter=Q(on_time=True)),
            rated=Count("id", filter=Q(grade__isnull=False)),
            good=Count("id", filter=Q(grade__in=list(GOOD_GRADES))),
            one_day_bundles=Count("id", filter=one_day),
            one_day_done=Count("id", filter=one_day & Q(used_working_seconds__lte=day)),
        )
    )
    figures["on_time_rate"] = _share(figures["on_time"], figures["decided"])
    figures["good_rate"] = _share(figures["good"], figures["rated"])
    figures["one_day_rate"] = _share(figures["one_day_done"], figures["one_day_bundles"])
    figures["unrectified_overdue"] = rectification_list(user, "overdue").count()
    return figures


def service_point_of(region) -> dict | None:
    """The community service centre a grid (or a community) belongs to, and the community-level
    items handled there: public catalogue fields only."""
    from gridgov.grids.codes import Level

    community = region
    while community is not None and community.level != Level.COMMUNITY:
        community = community.parent
    if community is None:
        return None
    # One query: the community items are about a hundred rows (115 in the source article).
    items = list(ServiceItem.objects.filter(is_active=True, level=ItemLevel.COMMUNITY).order_by("code").values("name", "visits"))
    return {"community": community, "count": len(items), "items": items[:SHOWN_ITEMS]}


SHOWN_ITEMS = 12  # the grid page lists the first items; the catalogue link shows them all


def period_figures(
    start: date,
    end: date,
    applications: QuerySet[Application] | None = None,
    now: datetime | None = None,
    kept_prefix: str | None = None,
) -> dict:
    """The statistics page's tables of the applications received in [start, end) within
    ``applications`` (a ``statistics_scope``; None for every one): the totals and months, the
    departments and the service points, the totals' ratings summed from the points' table.

    ``kept_prefix``: the service-point code prefix that ``applications`` stands for ("" for
    every one; ``statistics_prefix``), when the scope is one the kept months can answer: the
    finished months are then summed from their kept counts (``kept_period_figures``)."""
    if kept_prefix is not None:
        return kept_period_figures(start, end, kept_prefix, applications, now)
    points = rating_figures_by_service_point(start, end, applications)
    return {
        "figures": application_figures(start, end, applications, points=points),
        "departments": rating_figures_by_department(start, end, now=now, applications=applications),
        "points": points,
    }


def year_statistics(user, year: int, now: datetime | None = None) -> dict:
    """The statistics page's figures of ``year`` within ``user``'s scope: the finished months
    from their kept counts for a district-wide viewer and a street's or community's staff."""
    scope = statistics_scope(user)
    figures = period_figures(date(year, 1, 1), date(year + 1, 1, 1), scope, now=now, kept_prefix=statistics_prefix(user))
    return {"year": year, "scope_label": statistics_scope_label(user), "catalogue": catalogue_figures(), **figures}


# --- finished months kept (the evaluation's CountedMonth, subject "applications") -------------
#
# The statistics of a finished month change only when one of its applications does, and every
# write that changes a figure of the page records an ``ApplicationStep`` (receipt ``submit``,
# ``accept`` — which writes the parts —, the parts' ``grant``/``refuse``, ``decide`` — the
# bundle's completion included —, ``rate`` — which copies the grade onto the parts) or is a new
# application. So a month is counted once per service point, per department, per (service
# point, department) pair and for the whole district, with the newest step and application ids
# as its marks, and counted again on its next read when a step since them is on an application
# received in the month, or an application since them was received before the month's end
# (``_applications_changed``). Kept are counts and sums, never averages (an average of months is
# not the year's). The rectifications stay live (a small table, and "late" depends on now).
# Not seen: an application edited without a step (the admin) or deleted; such repairs call
# ``evaluation.services.forget_counted_months("applications")``, as the bench's loader does.

APPLICATIONS = "applications"
APPLICATION_BASES = ("point", "department", "point_department", "all")
RATING_KEYS = ("rated", "good", "bad")


def _application_marks() -> tuple[int | None, int | None]:
    return ApplicationStep.objects.aggregate(top=Max("pk"))["top"], Application.objects.aggregate(top=Max("pk"))["top"]


def _applications_changed(month: "CountedMonth") -> bool:
    """A step written since the marks on an application received in the month, or an
    application written since received before the month's end (backdated: conservative)."""
    steps = ApplicationStep.objects.all() if month.step_mark is None else ApplicationStep.objects.filter(pk__gt=month.step_mark)
    touched = Application.objects.filter(
        pk__in=steps.values("application_id"), received_at__gte=month.start, received_at__lt=month.end
    )
    new = Application.objects.all() if month.case_mark is None else Application.objects.filter(pk__gt=month.case_mark)
    earliest = new.order_by().aggregate(earliest=Min("received_at"))["earliest"]
    return touched.exists() or (earliest is not None and earliest < month.end)


def _add(target: dict[str, Any], counts: dict[str, Any]) -> None:
    for key, value in counts.items():
        target[key] = target.get(key, 0) + (value or 0)


def _summable(since: datetime, until: datetime, applications: QuerySet[Application] | None) -> dict:
    """The page's summable figures of the applications received in [since, until) within
    ``applications`` (every one, or a service-point code prefix's: the scopes the kept months
    answer): per service point the totals' counts and sums and the ratings, per "point/department"
    the ratings of the departments' first parts, per department id their sum over the points, and
    the district's sum (``all``).

    For a month or a part month, not a year: both queries are driven by the range of the
    applications' receipt index (a month at a million applications: 83,000 rows; the year's
    partial indexes in department or point order are read whole for any range, 0.66 s a month
    before, against 0.18 s). The pairs are counted for every application of the range and kept
    for the scope's points, which is the scope (a code prefix)."""
    day = clock.day_seconds()
    decided = Q(decided_at__isnull=False)
    rows = (applications if applications is not None else Application.objects.all()).filter(
        received_at__gte=since, received_at__lt=until
    )
    points: dict[str, dict[str, Any]] = {}
    for row in (
        rows.values("service_point_code")
        .annotate(
            received=Count("*"),
            decided=Count("decided_at"),
            on_time=Count("id", filter=Q(on_time=True)),
            used_sum=Sum("used_working_seconds"),
            used_n=Count("used_working_seconds"),
            promised_sum=Sum("promised_days", filter=decided),
            legal_sum=Sum("legal_days", filter=decided),
            bundles=Count("bundle", filter=decided),
            bundles_one_day=Count("id", filter=Q(bundle__isnull=False, used_working_seconds__lte=day)),
            rated=Count("grade"),
            good=Count("id", filter=Q(grade__in=sorted(GOOD_GRADES))),
            bad=Count("id", filter=Q(grade__in=sorted(BAD_GRADES))),
        )
        .order_by()
    ):
        points[row["service_point_code"]] = {key: value or 0 for key, value in row.items() if key != "service_point_code"}
    first_parts = Part.objects.filter(
        application__received_at__gte=since, application__received_at__lt=until, first_of_department=True, grade__isnull=False
    )
    pairs: dict[str, dict[str, int]] = {}
    departments: dict[str, dict[str, int]] = {}
    for code, department_id, grade, count in (
        first_parts.values("application__service_point_code", "department_id", "grade")
        .annotate(count=Count("*"))
        .order_by()
        .values_list("application__service_point_code", "department_id", "grade", "count")
    ):
        if code not in points:
            continue  # outside the scope
        _tally(pairs.setdefault(f"{code}/{department_id}", dict.fromkeys(RATING_KEYS, 0)), grade, count)
        _tally(departments.setdefault(str(department_id), dict.fromkeys(RATING_KEYS, 0)), grade, count)
    total: dict[str, Any] = {}
    for counts in points.values():
        _add(total, counts)
    return {"point": points, "department": departments, "point_department": pairs, "all": {"all": total} if points else {}}


def _count_applications(period: Period) -> dict:
    return _summable(period.start, period.end, None)


KEPT_APPLICATIONS = kept_months.Subject(
    APPLICATIONS, _application_marks, _applications_changed, _count_applications, APPLICATION_BASES
)


def statistics_prefix(user: User) -> str | None:
    """The service-point code prefix a user's ``statistics_scope`` stands for, when the kept
    months can answer it: "" for a district-wide viewer, the unit's code for a street's or a
    community's staff; None for a department handler (their scope is their parts) and for
    those who see no statistics."""
    if user.is_authenticated and user.role not in ADMINISTRATORS | {Role.RESIDENT, Role.DEPARTMENT_HANDLER}:
        if user.region_id is None:
            return ""  # statistics_scope is None: every application
        assert user.region is not None  # region_id is set, so the region row exists (a foreign key)
        return user.region.code
    return None


def kept_period_figures(
    start: date, end: date, prefix: str, applications: QuerySet[Application] | None, now: datetime | None = None
) -> dict:
    """``period_figures`` with every whole month of [start, end) that has ended summed from the
    kept counts of the service points under ``prefix`` (and, for the whole district, of the
    district and the departments), the rest (the running month, a part month at either end)
    counted live within ``applications`` (the same scope), and the rectifications live: the same
    figures as the cold computation (averages from sums: equal up to the order of a float sum)."""
    now = now or timezone.now()
    since, until = _local_midnight(start), _local_midnight(end)
    months = [
        period
        for period in (periods.month(first.year, first.month) for first, _since, _until in _months(start, end))
        if start <= period.first and period.last < end and kept_months.can_keep(period, now)
    ]
    bases = ("all", "point", "department") if not prefix else ("point", "point_department")
    kept = kept_months.kept_counts(months, bases, prefix, APPLICATIONS)
    totals: dict[str, Any] = {}
    points: dict[str, dict[str, Any]] = {}
    departments: dict[int, dict[str, int]] = {}
    by_month: dict[date, int] = {}
    for period in months:
        rows = kept[period]
        month_total: dict[str, Any] = {}
        for counts in rows["all"].values() if not prefix else rows["point"].values():
            _add(month_total, counts)
        _add(totals, month_total)
        by_month[period.first] = month_total.get("received", 0)
        for code, counts in rows["point"].items():
            _add(points.setdefault(code, {}), counts)
        for unit, counts in (rows["department"] if not prefix else rows["point_department"]).items():
            _add(departments.setdefault(int(unit.rsplit("/", 1)[-1]), {}), counts)
    # what no kept month covers: before the first kept month (or everything), after the last one
    first_kept, after_kept = (months[0].first, months[-1].last + timedelta(days=1)) if months else (end, end)
    pieces = [(first, last) for first, last in ((start, first_kept), (after_kept, end)) if first < last]
    scope = applications if applications is not None else Application.objects.all()
    for first, last in pieces:
        live = _summable(_local_midnight(first), _local_midnight(last), applications)
        _add(totals, live["all"].get("all", {}))
        for code, counts in live["point"].items():
            _add(points.setdefault(code, {}), counts)
        for unit, counts in live["department"].items():
            _add(departments.setdefault(int(unit), {}), counts)
        for month_first, month_since, month_until in _months(first, last):
            by_month[month_first] = scope.filter(received_between(month_since, month_until)).count()
    point_table = _point_table(
        {code: {key: counts[key] for key in RATING_KEYS} for code, counts in points.items() if counts["rated"]}
    )
    department_table = _department_table(
        {department_id: counts for department_id, counts in departments.items() if counts["rated"]},
        since,
        until,
        now,
        applications,
    )
    return {"figures": _totals_figures(totals, by_month), "departments": department_table, "points": point_table}


def _totals_figures(totals: dict[str, Any], by_month: dict[date, int]) -> dict:
    """``application_figures``' dictionary from the summed counts and sums."""
    day = clock.day_seconds()

    def get(key: str) -> Any:
        return totals.get(key, 0)

    decided = get("decided")
    figures: dict[str, Any] = {
        "received": get("received"),
        "decided": decided,
        "on_time": get("on_time"),
        "avg_used": get("used_sum") / get("used_n") if get("used_n") else None,
        "avg_promised": get("promised_sum") / decided if decided else None,
        "avg_legal": get("legal_sum") / decided if decided else None,
        "bundles": get("bundles"),
        "bundles_one_day": get("bundles_one_day"),
        **{key: get(key) for key in RATING_KEYS},
    }
    figures["on_time_rate"] = _share(figures["on_time"], figures["decided"])
    figures["good_rate"] = _share(figures["good"], figures["rated"])
    figures["bundle_one_day_rate"] = _share(figures["bundles_one_day"], figures["bundles"])
    figures["avg_used_days"] = figures["avg_used"] / day if figures["avg_used"] is not None else None
    figures["by_month"] = [
        {"month": _local_midnight(first), "count": count} for first, count in sorted(by_month.items()) if count
    ]
    return figures
