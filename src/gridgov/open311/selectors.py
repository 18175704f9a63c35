"""Read queries behind the Open311 endpoints. Every query selects only public columns' owners;
reporter identity is never loaded into a response (see serializers.py)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

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


def _load_catalogue() -> dict[tuple[str, str], Category]:
    return {(category.kind, category.code): category for category in Category.objects.all()}


# A query per POST for a table edited a few times a year; dropped on edit (signal, apps.py).
_catalogue = ProcessCache(_load_catalogue, CATALOGUE_TTL_SECONDS)


def category_for_code(code: str, *, active_only: bool = False) -> Category | None:
    """The category of a service code, from the per-process copy of the catalogue. Other
    processes see an edit within ``CATALOGUE_TTL_SECONDS``; taking a queued request in checks
    its category afresh."""
    parsed = parse_service_code(code)
    category = _catalogue.get().get(parsed) if parsed else None
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


def _public_cases(extensions: bool) -> QuerySet[Case]:
    """Cases with what ``status_notes`` is made of: the latest public step's action and public
    summary (serializers.status_notes turns them into text)."""
    cases = Case.objects.select_related("category", "assigned_department", "assigned_region", "open311_submission").annotate(
        public_action=_latest_public_step("action"),
        public_note=_latest_public_step("public_note"),
        merged_into=F("duplicate_of__number"),
        location_unconfirmed=_location_unconfirmed(),
    )
    if extensions:
        steps = public_steps().only(*PUBLIC_STEP_COLUMNS).order_by("at", "id")
        photos = Photo.objects.select_related("step").order_by("created_at", "id")  # for presenters.public_photos
        cases = cases.prefetch_related(Prefetch("steps", queryset=steps), Prefetch("photos", queryset=photos))
    return cases


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


def service_requests(query: RequestQuery, now: datetime | None = None) -> list[Case]:
    """One page of requests, newest first."""
    cases = _public_cases(query.extensions).filter(_window(query, now or timezone.now()))
    if query.service_request_ids:
        cases = cases.filter(number__in=query.service_request_ids)
    start = (query.page - 1) * query.page_size
    return list(cases.order_by("-created_at", "-id")[start : start + query.page_size])


def service_request(number: str, *, extensions: bool = False) -> Case | None:
    return _public_cases(extensions).filter(number=number).first()


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
