"""Read queries over cases: data scope, inboxes, lists, look-ups and duplicate suggestions."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case as DbCase
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from gridgov import workcalendar
from gridgov.accounts.models import Department, Role, User
from gridgov.accounts.selectors import data_scope
from gridgov.caching import KeyedCache, ProcessCache
from gridgov.crypto import blind_indexes
from gridgov.workcalendar import WorkingCalendar

from . import sla
from .models import Case, Category, ExtensionRequest, Photo, Source, State, Step
from .workflow import COMBINED, OPEN_STATES, TRANSITIONS, must_hold

EARTH_RADIUS_M = 6_371_008.8
# No case at all, as a condition that still compiles to SQL (``pk__in=[]`` raises EmptyResultSet
# when the evaluation compiles its query to run it raw).
NO_CASES = Q(pk__isnull=True)


def scope_filter(user: User) -> Q:
    """The cases a user may see, from their data scope (``accounts.selectors.data_scope``): their
    unit and below, their department's, their own reports, the whole district for district-wide
    roles, else none. The three administrators see none (三员分立: cases carry personal data)."""
    scope = data_scope(user)
    if scope.kind == "district":
        return Q()
    if scope.kind == "unit":
        return Q(grid_code__startswith=scope.key)
    if scope.kind == "department":
        return Q(assigned_department_id=scope.key) | Q(co_departments=scope.key)
    if scope.kind == "own":
        return Q(reporter_id=scope.key)
    return NO_CASES


def visible_cases(user: User) -> QuerySet[Case]:
    cases = Case.objects.filter(scope_filter(user))
    if data_scope(user).kind == "department":
        cases = cases.distinct()
    return cases


def can_act_on(user: User, case: Case) -> bool:
    return visible_cases(user).filter(pk=case.pk).exists()


def holds_case(user: User, case: Case) -> bool:
    """Whether the case is with the user: their department (lead or co-handler) or their unit."""
    if user.role == Role.DEPARTMENT_HANDLER:
        return user.department_id is not None and (
            case.assigned_department_id == user.department_id or case.co_departments.filter(pk=user.department_id).exists()
        )
    region = case.assigned_region
    return region is not None and user.region is not None and region.code.startswith(user.region.code)


def held_by(user: User) -> Q:
    """The cases that are with the user (as ``holds_case``, as a filter on case rows)."""
    if user.role == Role.DEPARTMENT_HANDLER:
        if user.department_id is None:
            return Q(pk__in=[])
        return Q(assigned_department_id=user.department_id) | Q(co_departments=user.department_id)
    if user.region is None:
        return Q(pk__in=[])
    return Q(assigned_region__code__startswith=user.region.code)


def waiting_on(user: User, now: datetime | None = None) -> Q:
    """The cases whose next step is this user's to take, read from the workflow table: a case
    waits on a user when they could take a step on it that queues for their role
    (``Transition.inbox_roles``) — its state, guard and, for handling roles, holding it."""
    now = now or timezone.now()
    waiting = Q(pk__in=[])
    for transition in TRANSITIONS.values():
        if user.role not in transition.inbox_roles:
            continue
        step = Q(state__in=transition.sources) & transition.guard.q(now) & transition.inbox_guard.q(now)
        if must_hold(transition, user.role):
            step &= held_by(user)
        waiting |= step
    return waiting


# What is due first: running clocks by deadline (overdue ones first of all), then the cases whose
# clock is stopped (their deadline is not running, whatever it says), then those without one.
# Cases due at the same moment, newest first: every report that comes in out of hours gets the
# same intake deadline (the next working morning plus the intake limit), and oldest first among
# them put each new report at the bottom of the intake clerk's queue.
INBOX_ORDER = (
    DbCase(When(suspended_at__isnull=False, then=Value(1)), default=Value(0)),
    F("deadline").asc(nulls_last=True),
    F("created_at").desc(),
    F("pk").desc(),
)


def inbox(user: User, now: datetime | None = None) -> QuerySet[Case]:
    """What waits on the user, what is due first (``INBOX_ORDER``), with what a queue row shows:
    the grid, community and street names, and whether an extension request waits
    (``has_pending_extension``)."""
    pending = ExtensionRequest.objects.filter(case=OuterRef("pk"), status=ExtensionRequest.Status.PENDING)
    return (
        visible_cases(user)
        .filter(pk__in=Case.objects.filter(waiting_on(user, now)).values("pk"))
        .select_related("category", "grid__parent__parent", "assigned_department", "assigned_region")
        .annotate(has_pending_extension=Exists(pending))
        .order_by(*INBOX_ORDER)
    )


@dataclass(frozen=True)
class ClockStatus:
    overdue: bool
    due_soon: bool


def clock_status(case: Case, now: datetime | None = None, calendar: WorkingCalendar | None = None) -> ClockStatus:
    """Overdue, or due soon (less than a fifth of the step's working time left, the rule the
    reminders use); a suspended clock is neither."""
    if case.deadline is None or case.suspended_at is not None or case.state not in OPEN_STATES:
        return ClockStatus(False, False)
    now = now or timezone.now()
    if case.deadline < now:
        return ClockStatus(True, False)
    calendar = calendar or workcalendar.working_calendar()
    return ClockStatus(False, calendar.working_time_between(now, case.deadline) <= sla.due_soon_window(case, calendar))


def allowed_actions(user: User, case: Case, now: datetime | None = None) -> list[str]:
    """The actions this user could take on this case now (for the buttons a page shows): each
    step whose state, role, holder rule and guard hold, and before its first step each combined
    action (``workflow.COMBINED``) whose steps the user may take one after the other."""
    if not user.is_authenticated or not can_act_on(user, case):
        return []
    now = now or timezone.now()
    holds = None
    actions = []
    for action, transition in TRANSITIONS.items():
        if case.state not in transition.sources or user.role not in transition.roles:
            continue
        if must_hold(transition, user.role):
            holds = holds if holds is not None else holds_case(user, case)
            if not holds:
                continue
        if not transition.guard.holds(case, now):
            continue
        actions.append(action)
    for combined, (first, then) in COMBINED.items():
        follow = TRANSITIONS[then]
        if first in actions and TRANSITIONS[first].target in follow.sources and user.role in follow.roles:
            actions.insert(actions.index(first), combined)
    return actions


def may_act(user: User, case: Case, now: datetime | None = None) -> bool:
    """Whether the case waits on the user (what ``inbox`` lists, read from one loaded case)."""
    now = now or timezone.now()
    for action in allowed_actions(user, case, now):
        transition = TRANSITIONS.get(action)
        if transition and user.role in transition.inbox_roles and transition.inbox_guard.holds(case, now):
            return True
    return False


def is_point(lat: float, lng: float) -> bool:
    """A longitude-latitude point (NaN and infinity are not: the distance maths would raise)."""
    return -90 <= lat <= 90 and -180 <= lng <= 180


def duplicate_candidates(category: Category, lat: float, lng: float, at: datetime | None = None, limit: int = 10) -> list[Case]:
    """Open cases of the same category within the category's radius and time window, nearest first."""
    at = at or timezone.now()
    radius = category.duplicate_radius_m
    dlat = math.degrees(radius / EARTH_RADIUS_M)
    dlng = dlat / max(math.cos(math.radians(lat)), 1e-6)
    nearby = Case.objects.filter(
        category=category,
        state__in=OPEN_STATES,
        created_at__gte=at - timedelta(hours=category.duplicate_window_hours),
        lat__range=(lat - dlat, lat + dlat),
        lng__range=(lng - dlng, lng + dlng),
    ).only("id", "number", "lat", "lng", "state", "created_at", "description")
    within = [(distance_m(lat, lng, c.lat, c.lng), c) for c in nearby]
    return [case for distance, case in sorted(within, key=lambda pair: pair[0]) if distance <= radius][:limit]


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def case_timeline(case: Case):
    return case.steps.select_related("actor").prefetch_related("photos").order_by("at", "id")


def pending_extension(case: Case) -> ExtensionRequest | None:
    return case.extension_requests.filter(status=ExtensionRequest.Status.PENDING).first()


# --- look-ups by key -------------------------------------------------------------------------


def category_by_id(pk: int) -> Category | None:
    """Any category, in use or not (intake refuses the ones switched off, with a reason)."""
    return Category.objects.filter(pk=pk).first()


def categories_by_id(pks) -> dict[int, Category]:
    """Categories in use or not, by id (intake refuses the ones switched off, with a reason)."""
    return Category.objects.in_bulk(set(pks))


def active_category(pk: int) -> Category | None:
    return Category.objects.filter(pk=pk, is_active=True).first()


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("kind", "code")


def case_with_relations(pk: int) -> Case:
    """One case with what its detail payload shows, regardless of scope."""
    related = ("category", "grid", "assigned_department", "assigned_region", "duplicate_of")
    return Case.objects.select_related(*related).get(pk=pk)


def normalise_phone(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def case_by_number_and_phone(number: str, phone: str) -> Case | None:
    """The case when number and reporter's phone match (digits only), else None. The phone is
    compared through its blind index (the column itself is encrypted)."""
    indexes = blind_indexes(phone, "digits")
    if not indexes:
        return None
    return Case.objects.select_related("category").filter(number=number, reporter_phone_index__in=indexes).first()


def cases_by_reporter_phone(phone: str) -> QuerySet[Case]:
    """Every case reported from this phone (call-centre search by the caller's number)."""
    return Case.objects.filter(reporter_phone_index__in=blind_indexes(phone, "digits") or [""]).exclude(reporter_phone_index="")


def cases_by_reporter_name(name: str) -> QuerySet[Case]:
    """Every case whose reporter gave this name (call-centre search by the caller's name): the
    whole name, compared through its blind index, so trimmed, full-width or half-width and in
    any case; never a part of it (the column is encrypted and the index matches whole values)."""
    return Case.objects.filter(reporter_name_index__in=blind_indexes(name, "name") or [""]).exclude(reporter_name_index="")


def own_case(user: User, number: str) -> Case | None:
    """A case the signed-in user reported themselves."""
    return Case.objects.select_related("category").filter(number=number, reporter=user).first()


def visible_photo(user: User, pk: int) -> Photo | None:
    """A photo whose case the user may see, else None (missing and out of scope look the same)."""
    photo = Photo.objects.select_related("case").filter(pk=pk, status=Photo.Status.READY).first()
    if photo is None or not can_act_on(user, photo.case):
        return None
    return photo


OFFLINE_KEY_PREFIX = "offline:"


def case_by_intake_key(intake_key: str) -> Case | None:
    """The case a report with this intake key made (``Case.intake_key``: a retried submission)."""
    return Case.objects.filter(intake_key=intake_key).first() if intake_key else None


def case_by_client_key(key: str | None) -> Case | None:
    """The case taken in, before the offline queue sent its key as the form's one-time key, from
    that queue's ``client_key`` (kept in ``external_id``): a report still queued on a phone by
    the older script and sent again finds it. New reports are found by ``Case.intake_key``."""
    if not key:
        return None
    return Case.objects.filter(external_id=OFFLINE_KEY_PREFIX + key, source__in=["resident", "patrol"]).first()


def public_photo(pk: int) -> Photo | None:
    """A photo the public may see (the reporter's, or the handler's result), else None."""
    from .presenters import AFTER_PHOTO_STEPS, BEFORE_PHOTO_STEPS

    photo = Photo.objects.select_related("step").filter(pk=pk, step__isnull=False, status=Photo.Status.READY).first()
    if photo is None:
        return None
    allowed = BEFORE_PHOTO_STEPS if photo.phase == "before" else AFTER_PHOTO_STEPS
    return photo if photo.step is not None and photo.step.action in allowed else None


def photo_file_names() -> set[str]:
    """Every stored file name (image and thumbnail) a photo row refers to."""
    names: set[str] = set()
    for image, thumbnail in Photo.objects.values_list("image", "thumbnail").iterator():
        names.update(name for name in (image, thumbnail) if name)
    return names


def photo_originals() -> set[str]:
    """The pending-folder names of the originals photo rows still keep (pending or to retry)."""
    return set(Photo.objects.exclude(original="").values_list("original", flat=True).iterator())


# --- hotline work orders -----------------------------------------------------------------------


def imported_work_orders(external_ids: list[str]) -> set[str]:
    """The hotline work-order numbers among these that already have a case."""
    cases = Case.objects.filter(source=Source.HOTLINE, external_id__in=external_ids)
    return set(cases.values_list("external_id", flat=True))


def hotline_case(external_id: str) -> Case | None:
    if not external_id:
        return None
    return Case.objects.filter(source=Source.HOTLINE, external_id=external_id).first()


# --- evaluation (read by the evaluation app) ---------------------------------------------------

HANDLER_STATES = (State.DISPATCHED, State.HANDLING)


def _evaluation_scope(user: User | None) -> Q:
    """The scope of a user as a filter on case rows without joins (a department's co-handled cases
    come in through a sub-query over the co-handling table, so aggregating over them counts each
    case once). A department's own cases are a test of the row's column, not a sub-query listing
    them all (``pk IN (every case of the department)``: 100,000 ids at a million cases, listed again
    for each of a department dashboard's queries)."""
    if user is None:
        return Q()
    scope = data_scope(user)
    if scope.kind == "department" and scope.key is not None:
        return Q(assigned_department_id=scope.key) | Q(pk__in=_co_handled(scope.key))
    return scope_filter(user)


def _co_handled(department_id) -> QuerySet:
    """The ids of the cases a department co-handles (a sub-query over the small co-handling table)."""
    return Case.co_departments.through.objects.filter(department_id=department_id).values("case_id")


def department_split(user: User | None) -> tuple[int, Q] | None:
    """A department's staff: their department's id, and the cases of their scope that another
    department (or none) holds — those it co-handles. The scope is the department's own cases
    (which the evaluation's kept months count per department) and these. None for any other scope."""
    if user is None:
        return None
    scope = data_scope(user)
    if scope.kind != "department" or scope.key is None:
        return None
    return int(scope.key), Q(pk__in=_co_handled(scope.key)) & ~Q(assigned_department_id=scope.key)


def evaluation_cases(
    user: User | None, *, intake_between: tuple[datetime, datetime] | None = None, only: Q | None = None
) -> QuerySet[Case]:
    """Cases in the user's scope (``None``: the whole system). Each case carries the deadlines the
    evaluation measures it against, kept on the row by the steps that set them
    (``Case.note_step_deadline``):

    - ``intake_deadline``: the deadline the report step set (accept and file within it);
    - ``handle_deadline``: the deadline of the latest step that left the case with a handler
      (dispatched or handling): the dispatch, a rework, an escalation, a whistle, an approved
      extension or a resumption set it, and every other step at the handler repeats it;
    - ``verify_deadline``: the deadline the latest finish set (verify and close within it).

    ``intake_between`` is accepted for the callers that still pass it; the columns cost nothing
    to read (they were correlated sub-queries over the steps before). ``only``: a further filter
    on the cases (``department_split``'s).
    """
    cases = Case.objects.filter(_evaluation_scope(user))
    return cases if only is None else cases.filter(only)


HELD_COLUMNS = frozenset({"grid_code", "assigned_department_id"})  # indexed, and named the same in the table


def evaluation_held(user: User | None, column: str) -> list:
    """The distinct values (not null) of an indexed case column — ``grid_code``,
    ``assigned_department_id`` — over the cases in the user's scope: the grids and departments
    that hold a case, each found by index seeks rather than by reading the scope's cases:

    - grids: a skip scan of the grid code index, one seek per value (a recursive query: both
      databases otherwise read every entry of the index, a million at a million cases, for some
      1,360 grid codes), inside the unit's code range for a unit's staff;
    - departments in a scope: each department asked whether a case of the scope holds it, one
      seek of the (department, grid code) index each (SQLite, without statistics, read every case
      through the department index to test the street's code: 0.55 s at a million cases).
    """
    if column not in HELD_COLUMNS:
        raise ValueError(f"not a column to list: {column}")
    scope = _evaluation_scope(user)
    if column == "assigned_department_id" and scope:
        holding = Case.objects.filter(scope, assigned_department_id=OuterRef("pk"))
        return list(Department.objects.filter(Exists(holding)).order_by("pk").values_list("pk", flat=True))
    prefix = _unit_prefix(user)
    if scope and (column != "grid_code" or prefix is None):
        held = Case.objects.filter(scope).exclude(**{column: None}).order_by()
        return list(held.values_list(column, flat=True).distinct())
    quote = connection.ops.quote_name
    table, value = quote(Case._meta.db_table), quote(column)
    within, params = "", []
    if prefix is not None:
        # The unit's codes as an index range (codes are digits, so every code the prefix starts
        # is between these two under any collation) and, for exactness, the prefix itself.
        width = Case._meta.get_field("grid_code").max_length or len(prefix)
        within = f" AND {value} >= %s AND {value} <= %s AND {value} LIKE %s"
        params = [prefix, prefix.ljust(width, "9"), f"{prefix}%"] * 2
    sql = (
        f"WITH RECURSIVE held(v) AS (SELECT MIN({value}) FROM {table} WHERE {value} IS NOT NULL{within} UNION ALL "
        f"SELECT (SELECT MIN({value}) FROM {table} WHERE {value} > held.v{within}) FROM held WHERE held.v IS NOT NULL) "
        "SELECT v FROM held WHERE v IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _unit_prefix(user: User | None) -> str | None:
    """The code prefix of a unit's staff scope (their unit's grids), else None."""
    if user is None:
        return None
    scope = data_scope(user)
    return str(scope.key) if scope.kind == "unit" else None


def _through_case(condition: Q) -> Q:
    """A filter on cases as a filter on their steps: every lookup read through the step's case."""
    children: list = []
    for child in condition.children:
        if isinstance(child, Q):
            children.append(_through_case(child))
        else:
            lookup, value = cast(tuple, child)  # a Q's other children are (lookup, value) pairs
            children.append((f"case__{lookup}", value))
    return Q(*children, _connector=condition.connector, _negated=condition.negated)


def evaluation_steps(user: User | None, *, only: Q | None = None) -> QuerySet[Step]:
    """Recorded steps of the cases in the user's scope (dispatches and returns are counted per
    step); ``only``: a further filter on their cases."""
    scope = _evaluation_scope(user)
    if only is not None:
        scope &= only
    if not scope:
        return Step.objects.all()
    # Through the join to each step's case (a unit's staff: its code prefix on the case), not
    # ``case_id IN (the scope's cases)``, which listed every case of the scope first (a street at a
    # million cases: 85,000 ids, 0.15 s, for a day's steps).
    return Step.objects.filter(_through_case(scope))


def cases_changed_stamp() -> tuple:
    """Changes whenever a case is taken in or takes a step: the newest step id (every intake and
    every step writes one; ids only grow) and the newest case id, two index look-ups. Caches of
    evaluation figures are keyed on it, so they need no signals and stay right across server
    processes. The platform never deletes a case (it voids or merges it, which are steps); it
    used to count the table as well to notice deletions, which cost a scan of every case each
    time the stamp was read (about 0.35 s at a million cases on PostgreSQL)."""
    return Step.objects.aggregate(top=Max("pk"))["top"], Case.objects.aggregate(top=Max("pk"))["top"]


def _plain_query(sql: str, params: list) -> tuple | None:
    """One row of a plain statement: for the marks below, read on every public GET, where the
    ORM's compiling of even ``filter(number=…).values_list(…)`` cost 20 times the query (0.35
    against 0.02 ms on SQLite)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def case_change_mark(number: str) -> tuple | None:
    """What changes whenever a case's public face may: its version (every step bumps it) and
    its ``updated_at`` (every service that changes it sets it). None when there is no such case.
    Caches of one case's public answer are keyed on it (open311/views.py)."""
    quote = connection.ops.quote_name
    table = quote(Case._meta.db_table)
    return _plain_query(f"SELECT {quote('version')}, {quote('updated_at')} FROM {table} WHERE {quote('number')} = %s", [number])


def cases_change_mark() -> tuple:
    """What changes whenever any case is taken in or changed or takes a step: the newest case id,
    the latest ``updated_at`` and the newest step id, three index look-ups (``cases_changed_stamp``
    counts the table as well, which a public GET cannot afford at a million cases). A deleted case
    does not change it: caches keyed on it also expire (open311/views.py)."""
    quote = connection.ops.quote_name
    cases, steps = quote(Case._meta.db_table), quote(Step._meta.db_table)
    sql = (
        f"SELECT (SELECT MAX({quote('id')}) FROM {cases}), (SELECT MAX({quote('updated_at')}) FROM {cases}), "
        f"(SELECT MAX({quote('id')}) FROM {steps})"
    )
    return _plain_query(sql, []) or ()


# The cases' marks, read at most every GRIDGOV_CHANGE_MARK_MS per process instead of on every
# public GET (on PostgreSQL that round trip was most of a kept answer's cost, see
# benchmarks/README.md); this process's own writes drop them at once (``forget_change_marks``,
# connected in apps.py and called after the bulk intake). Not PostgreSQL's snapshot, which would
# also see a step that commits after a newer one: transaction ids are the whole server's, so
# every write to any other database on it moved the mark (measured: every request read again).
_change_marks: ProcessCache[tuple] = ProcessCache(cases_change_mark, settings.GRIDGOV_CHANGE_MARK_MS / 1000)
_case_marks: KeyedCache[tuple | None] = KeyedCache(max_entries=8192)


def recent_cases_change_mark() -> tuple:
    """``cases_change_mark()`` as this process last read it, at most GRIDGOV_CHANGE_MARK_MS ago."""
    return _change_marks.get()


def recent_case_change_mark(number: str) -> tuple | None:
    """``case_change_mark(number)``, read again only when the cases' marks moved since it was
    read: a case that changed in another process shows within GRIDGOV_CHANGE_MARK_MS, and an
    unchanged table costs no query per request. A step whose transaction commits after a newer
    step's (its ids and times already passed by the maxima) is missed until the next change or
    the kept answer's period (open311/views.py RESPONSE_CACHE_SECONDS, 60 s) ends."""
    marks = _change_marks.get()
    return _case_marks.get((number, marks), lambda: case_change_mark(number))


def _forget_change_marks() -> None:
    _change_marks.forget()
    _case_marks.forget()


def forget_change_marks(**_signal_arguments) -> None:
    """Drop the marks now (this thread reads its own change) and again when the change commits
    (another thread of this process may have read them in between, before it was visible)."""
    _forget_change_marks()
    if connection.in_atomic_block:  # in autocommit the change has committed already
        transaction.on_commit(_forget_change_marks)


def overdue_filter(now: datetime) -> Q:
    """Open cases past their deadline whose clock is running (the case list's "overdue" filter)."""
    return Q(state__in=OPEN_STATES, suspended_at__isnull=True, deadline__lt=now)


def open_counts_by_grid(user: User, now: datetime) -> dict[str, dict[str, int]]:
    """Open and overdue cases in the user's scope per grid code, in one grouped query (the open-case
    map colours the grids by them)."""
    rows = (
        Case.objects.filter(_evaluation_scope(user), state__in=OPEN_STATES)
        .values("grid_code")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_filter(now)))
        .order_by()
    )
    return {row["grid_code"]: {"open": row["open"], "overdue": row["overdue"]} for row in rows if row["grid_code"]}


def evaluation_staff_steps(user: User | None) -> QuerySet[Step]:
    """Steps of the cases in the user's scope, each annotated with what the person who took it is
    evaluated on (individual staff, 岗位评价 per person):

    - ``intake_deadline``: the deadline the case's report step set (a filing is on time by it);
    - ``handle_deadline``: the deadline of the latest earlier step that left the case with a
      handler (a finish is on time by it);
    - ``verify_deadline``: the deadline of the latest earlier finish (a pass or a rework, the
      verdict, is on time by it);
    - ``next_action``: the case's next step (a dispatch answered by a return was inaccurate);
    - ``next_verdict``: the next pass or rework (a finish followed by a rework was reworked).
    """
    steps = Step.objects.filter(case=OuterRef("case_id"))
    before = steps.filter(Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), id__lt=OuterRef("id"))).order_by("-at", "-id")
    after = steps.filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), id__gt=OuterRef("id"))).order_by("at", "id")
    return evaluation_steps(user).annotate(
        intake_deadline=Subquery(steps.filter(action="report").values("deadline")[:1]),
        handle_deadline=Subquery(before.filter(to_state__in=HANDLER_STATES).values("deadline")[:1]),
        verify_deadline=Subquery(before.filter(action="finish").values("deadline")[:1]),
        next_action=Subquery(after.values("action")[:1]),
        next_verdict=Subquery(after.filter(action__in=("pass", "rework")).values("action")[:1]),
    )
