"""Read queries behind the Open311 endpoints. Every query selects only public columns' owners;
reporter identity is never loaded into a response (see serializers.py)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from gridgov.bulk import PreparedQuery
from gridgov.caching import ProcessCache
from gridgov.cases import selectors as case_selectors
from gridgov.cases.models import Case, Category, Photo, State, Step
from gridgov.cases.presenters import PUBLIC_ACTIONS
from gridgov.cases.workflow import OPEN_STATES

from .models import ApiKey, Submission

# Status map (GeoReport v2 knows only open and closed): every state a case can still move on
# from is "open"; closed, rated, rejected, voided and merged are "closed". The internal state
# itself is the extension's ``detailed_status``.
CLOSED_STATES = frozenset(State) - OPEN_STATES
DEFAULT_WINDOW = timedelta(days=90)  # spec: "a span of 90 days or first 1000 requests"
MAX_PAGE_SIZE = 1000


def open311_status(state: str) -> str:
    return "open" if state in OPEN_STATES else "closed"


def service_code(category: Category) -> str:
    """Stable service code: the category's kind and four-digit GB/T 30428.2 code, e.g. ``event-0101``."""
    return f"{category.kind}-{category.code}"


def parse_service_code(code: str) -> tuple[str, str] | None:
    kind, _, number = code.partition("-")
    return (kind, number) if kind and number else None


def active_services() -> QuerySet[Category]:
    return case_selectors.active_categories()


CATALOGUE_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class _Catalogue:
    by_code: dict[tuple[str, str], Category]
    by_id: dict[int, Category]


def _load_catalogue() -> _Catalogue:
    categories = list(Category.objects.all())
    return _Catalogue({(c.kind, c.code): c for c in categories}, {c.pk: c for c in categories})


# A query per POST for a table edited a few times a year; dropped on edit (signal, apps.py).
_catalogue = ProcessCache(_load_catalogue, CATALOGUE_TTL_SECONDS)


def category_by_id(pk: int) -> Category:
    """A category by its id, from the same per-process copy (read afresh when it is newer)."""
    category = _catalogue.get().by_id.get(pk)
    if category is None:  # made in another process since this copy was read
        _catalogue.forget()
        category = _catalogue.get().by_id[pk]
    return category


def category_for_code(code: str, *, active_only: bool = False) -> Category | None:
    """The category of a service code, from the per-process copy of the catalogue. Other
    processes see an edit within ``CATALOGUE_TTL_SECONDS``; taking a queued request in checks
    its category afresh."""
    parsed = parse_service_code(code)
    category = _catalogue.get().by_code.get(parsed) if parsed else None
    if category is None or (active_only and not category.is_active):
        return None
    return category


KEY_TABLE_TTL_SECONDS = 1.0


def _load_key_table() -> dict[str, ApiKey]:
    return {api_key.hashed_key: api_key for api_key in ApiKey.objects.all()}


# Every POST names its key: the few clients' keys are kept per process, read again each second,
# so a key revoked from the command line stops working everywhere within that second.
_key_table = ProcessCache(_load_key_table, KEY_TABLE_TTL_SECONDS)


def api_keys() -> QuerySet[ApiKey]:
    """Every client's key, revoked ones too, by name."""
    return ApiKey.objects.order_by("name")


def api_key_by_hash(hashed_key: str) -> ApiKey | None:
    return _key_table.get().get(hashed_key)


def forget_key_table(**_signal_arguments) -> None:
    _key_table.forget()


def forget_catalogue(**_signal_arguments) -> None:
    _catalogue.forget()


@dataclass
class RequestQuery:
    """GET requests parameters, already checked (views.py parses them)."""

    service_request_ids: list[str] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    start_date: datetime | None = None
    end_date: datetime | None = None
    statuses: list[str] = field(default_factory=list)
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    page: int = 1
    page_size: int = MAX_PAGE_SIZE
    extensions: bool = False


# Only what the public may read of a step: never its internal note, its actor or their role.
PUBLIC_STEP_COLUMNS = ("id", "case_id", "action", "to_state", "at", "public_note", "data")


def public_steps() -> QuerySet[Step]:
    return Step.objects.filter(action__in=PUBLIC_ACTIONS)


def _latest_public_step(column: str) -> Subquery:
    return Subquery(public_steps().filter(case=OuterRef("pk")).order_by("-at", "-id").values(column)[:1])


def _location_unconfirmed() -> Exists:
    """Taken in at a stand-in point (the request named only an address): its point is no one's."""
    return Exists(Step.objects.filter(case=OuterRef("pk"), action="report", data__location_unconfirmed=True))


@dataclass
class PublicRequest:
    """What Open311 may publish of a case, read as plain values: the columns below and nothing
    else (an allow-list; the reporter's columns are never selected, so never decrypted), the
    latest public step's action and public summary (``status_notes``) and, with extensions,
    the public steps and the photos (their steps joined)."""

    id: int
    number: str
    category_id: int
    state: str
    source: str
    grid_code: str
    description: str
    address: str
    lat: float
    lng: float
    created_at: datetime
    updated_at: datetime
    deadline: datetime | None
    suspended_at: datetime | None  # not published: whether the handling clock runs (expected_datetime)
    department_name: str | None
    region_name: str | None
    merged_into: str | None
    media_url: str | None
    public_action: str | None
    public_note: str | None
    location_unconfirmed: bool
    category: Category
    steps: list[Step] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)

    def get_state_display(self) -> str:
        return str(State(self.state).label) if self.state in State.values else self.state


# The order of PublicRequest's fields up to location_unconfirmed: one value per column.
PUBLIC_CASE_COLUMNS = (
    "id", "number", "category_id", "state", "source", "grid_code", "description", "address", "lat", "lng",
    "created_at", "updated_at", "deadline", "suspended_at", "assigned_department__name", "assigned_region__name",
    "duplicate_of__number", "open311_submission__media_url", "public_action", "public_note", "location_unconfirmed",
)  # fmt: skip


_ROW_FIELDS = tuple(name for name in PublicRequest.__dataclass_fields__)[: len(PUBLIC_CASE_COLUMNS)]


def _public_rows() -> QuerySet[Case]:
    """The public columns of cases, with what ``status_notes`` is made of. ``values_list``
    rather than model rows: building a query of four joined models' every column cost more than
    running it (12 of 14 ms per request, cProfile), and a page of 1,000 made 1,000 models of five."""
    return Case.objects.annotate(
        public_action=_latest_public_step("action"),
        public_note=_latest_public_step("public_note"),
        location_unconfirmed=_location_unconfirmed(),
    ).values_list(*PUBLIC_CASE_COLUMNS)


def _public_requests(rows, extensions: bool) -> list[PublicRequest]:
    requests = [PublicRequest(**dict(zip(_ROW_FIELDS, row, strict=True)), category=category_by_id(row[2])) for row in rows]
    if extensions and requests:
        by_id = {request.id: request for request in requests}
        steps = public_steps().filter(case_id__in=by_id).only(*PUBLIC_STEP_COLUMNS).order_by("at", "id")
        for step in steps:
            by_id[step.case_id].steps.append(step)
        photos = Photo.objects.filter(case_id__in=by_id).select_related("step").order_by("created_at", "id")
        for photo in photos:  # presenters.public_photos picks the ones the public may see
            by_id[photo.case_id].photos.append(photo)
    return requests


def _window(query: RequestQuery, now: datetime) -> Q:
    if query.service_request_ids:
        return Q()  # spec: service_request_id overrides all other arguments
    window = Q()
    no_dates = not any([query.start_date, query.end_date, query.updated_after, query.updated_before])
    if no_dates:
        window &= Q(created_at__gte=now - DEFAULT_WINDOW)
    if query.start_date:
        window &= Q(created_at__gte=query.start_date)
    if query.end_date:
        window &= Q(created_at__lte=query.end_date)
    if query.updated_after:
        window &= Q(updated_at__gt=query.updated_after)
    if query.updated_before:
        window &= Q(updated_at__lt=query.updated_before)
    if query.categories:
        window &= Q(category__in=query.categories)
    if query.statuses and set(query.statuses) != {"open", "closed"}:
        states = OPEN_STATES if query.statuses == ["open"] else CLOSED_STATES
        window &= Q(state__in=list(states))
    return window


def service_requests(query: RequestQuery, now: datetime | None = None) -> list[PublicRequest]:
    """One page of requests, newest first."""
    rows = _public_rows().filter(_window(query, now or timezone.now()))
    if query.service_request_ids:
        rows = rows.filter(number__in=query.service_request_ids)
    start = (query.page - 1) * query.page_size
    return _public_requests(rows.order_by("-created_at", "-id")[start : start + query.page_size], query.extensions)


# One request by its number, and its public steps: compiled once per process (gridgov.bulk).
_one_case = PreparedQuery(
    lambda number: Case.objects.filter(number=number).values_list(*PUBLIC_CASE_COLUMNS[:-3])[:1], "\x00number"
)
_steps_of_case = PreparedQuery(
    lambda case_id: public_steps().filter(case_id=case_id).order_by("at", "id").values_list(*PUBLIC_STEP_COLUMNS), -7_654_321
)


def service_request(number: str, *, extensions: bool = False) -> PublicRequest | None:
    """One request: its columns, then its public steps, in two plain queries (the three
    correlated subqueries a page needs cost more to build than to run for one case)."""
    rows = _one_case.rows(number)
    if not rows:
        return None
    [row] = rows
    steps = [Step(**dict(zip(PUBLIC_STEP_COLUMNS, values, strict=True))) for values in _steps_of_case.rows(row[0])]
    latest = steps[-1] if steps else None
    unconfirmed = any(step.action == "report" and (step.data or {}).get("location_unconfirmed") for step in steps)
    values = dict(zip(_ROW_FIELDS, row, strict=False))  # the case's own columns: all but the last three
    values.update(public_action=latest.action if latest else None, public_note=latest.public_note if latest else None)
    request = PublicRequest(**values, location_unconfirmed=unconfirmed, category=category_by_id(row[2]))
    if extensions:
        request.steps = steps
        request.photos = list(Photo.objects.filter(case_id=request.id).select_related("step").order_by("created_at", "id"))
    return request


@dataclass(frozen=True)
class TokenStatus:
    state: str
    case_number: str | None
    refusal: str


def token_status(token: str) -> TokenStatus | None:
    row = Submission.objects.filter(token=token).values_list("state", "case__number", "refusal").first()
    return TokenStatus(*row) if row else None


@dataclass
class UpdateQuery:
    start_date: datetime | None = None
    end_date: datetime | None = None
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def request_updates(query: UpdateQuery, now: datetime | None = None) -> list[Step]:
    """Public steps after the report itself, oldest first (mySociety's servicerequestupdates)."""
    steps = public_steps().exclude(action="report").select_related("case").only(*PUBLIC_STEP_COLUMNS, "case__number")
    if query.start_date is None and query.end_date is None:
        steps = steps.filter(at__gte=(now or timezone.now()) - DEFAULT_WINDOW)
    if query.start_date:
        steps = steps.filter(at__gte=query.start_date)
    if query.end_date:
        steps = steps.filter(at__lte=query.end_date)
    start = (query.page - 1) * query.page_size
    return list(steps.order_by("at", "id")[start : start + query.page_size])
