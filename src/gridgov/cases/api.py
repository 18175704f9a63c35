"""JSON API of cases (mounted at /api/v1/cases/), session-authenticated like the grids API.

Every read is limited to the caller's scope (``selectors.visible_cases``); every change goes
through ``services``. A stale ``version`` gets 409, a step the caller may not take 403.
"""

import json

from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja import errors as ninja_errors
from ninja.errors import HttpError
from pydantic import ValidationError

from gridgov.accounts.models import Role
from gridgov.accounts.requests import AuthenticatedRequest

from . import presenters, selectors, services
from .forms import CaseFilter
from .models import Case, CaseKind, Source
from .ratelimit import RateLimited, client_address
from .schemas import (
    ACTION_PARAMS,
    ActionIn,
    CaseIn,
    CaseOut,
    CasePage,
    CategoryOut,
    ErrorOut,
    NoParams,
    PlaceIn,
    ReporterOut,
    ResidentCaseOut,
    SimilarOut,
)
from .workflow import COMBINED, OPEN_STATES, TRANSITIONS, CaseChanged, NotAllowed, WorkflowError

router = Router(tags=["cases"])
MAX_PAGE_SIZE = 200


class ListQuery(Schema):
    q: str = ""
    state: str = ""
    category: int | None = None
    source: str = ""
    region: str = ""
    overdue: bool = False
    supervised: bool = False
    date_from: str = ""
    date_to: str = ""
    page: int = 1
    page_size: int = 50


@router.get("/", response={200: CasePage, 400: ErrorOut}, summary="Cases in your scope, filtered and paginated")
def list_cases(request: AuthenticatedRequest, query: Query[ListQuery]):
    values = {
        key: value for key, value in query.dict().items() if key not in ("page", "page_size") and value not in ("", None, False)
    }
    filters = CaseFilter(values)
    if not filters.is_valid():
        raise HttpError(400, "; ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in filters.errors.items()))
    cases = filters.apply(selectors.visible_cases(request.user).select_related("category"), request.user).order_by(
        "-created_at", "-id"
    )
    page_size = max(1, min(query.page_size, MAX_PAGE_SIZE))
    page = Paginator(cases, page_size).get_page(query.page)
    now = timezone.now()
    return {
        "count": page.paginator.count,
        "page": page.number,
        "page_size": page_size,
        "results": [presenters.case_summary(c, now) for c in page],
    }


def _case_out(case: Case, user) -> dict:
    """Staff get the whole case; a resident gets the public view of their own (allow-listed)."""
    if user.role == Role.RESIDENT:
        return presenters.resident_case_payload(case, user)
    return presenters.case_payload(case, user)


MAX_IDEMPOTENCY_KEY = 255
IDEMPOTENCY_KEY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY},
    "description": "A key of your choosing (a UUID, say), new for each report: a retry of the same report with the "
    "same key (its first answer was lost) gets the case that report made, 200 with Idempotent-Replayed: true, "
    "instead of a second case. Keys are yours alone: another account's same key is another report. The same key "
    "with a different report is taken in as a new report. Sent bare or as a quoted string.",
}


def _intake_key(request: AuthenticatedRequest, payload: CaseIn) -> str:
    """The case's intake key (``Case.intake_key``, as the report page's one-time key makes it):
    the client's Idempotency-Key with the caller and the report, hashed. Empty without a key."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':  # the header's structured-field form
        key = key[1:-1]
    if not key:
        return ""
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise HttpError(400, _("Idempotency-Key: use at most %(count)d characters.") % {"count": MAX_IDEMPOTENCY_KEY})
    return services.key_digest(["api", request.user.pk, key, sorted(payload.dict().items())])


@router.post(
    "/",
    response={200: CaseOut | ResidentCaseOut, 201: CaseOut | ResidentCaseOut, 400: ErrorOut, 409: ErrorOut, 429: ErrorOut},
    summary="Take in a report, under the same intake rules as the report page (429 when a resident reports too often)",
    description="201 with the new case. With an Idempotency-Key header, a retry of the same report answers 200 with "
    "the case the first request made (header Idempotent-Replayed: true), and neither writes nor counts against "
    "the rate limit again.",
    openapi_extra={"parameters": [IDEMPOTENCY_KEY_HEADER]},
)
def create_case(request: AuthenticatedRequest, payload: CaseIn, response: HttpResponse):
    user = request.user
    category = selectors.category_by_id(payload.category)
    if category is None:
        raise HttpError(400, f"category: no category with id {payload.category}")
    source = payload.source or services.default_source(user)
    intake_key = _intake_key(request, payload)
    if intake_key and (earlier := selectors.case_by_intake_key(intake_key)) is not None:
        response["Idempotent-Replayed"] = "true"
        return Status(200, _case_out(_visible_or_404(user, earlier.number), user))
    try:
        case = services.report_case(
            services.Report(
                category=category, lat=payload.lat, lng=payload.lng, description=payload.description, source=source,
                address=payload.address, reporter=user, reporter_name=payload.reporter_name,
                reporter_phone=payload.reporter_phone, reporter_email=payload.reporter_email, external_id=payload.external_id,
                intake_key=intake_key,
            ),
            channel=services.PERSON, client=client_address(request),
        )  # fmt: skip
    except RateLimited as error:
        response["Retry-After"] = str(error.retry_after_seconds)
        return Status(429, {"detail": str(error)})
    except ValueError as error:
        raise HttpError(400, str(error)) from error
    except IntegrityError:
        # The database holds one case per hotline work order; any other integrity error is ours (500).
        existing = selectors.hotline_case(payload.external_id) if source == Source.HOTLINE else None
        if existing is None:
            raise
        message = _("external_id: hotline work order %(order)s is already case %(number)s")
        raise HttpError(409, message % {"order": payload.external_id, "number": existing.number}) from None
    return Status(201, _case_out(_visible_or_404(user, case.number), user))


@router.get("/categories", response=list[CategoryOut], summary="Active categories, for intake forms")
def list_categories(request: AuthenticatedRequest):
    kinds = dict(CaseKind.choices)
    return [
        {"id": c.pk, "kind": c.kind, "kind_label": str(kinds[c.kind]), "code": c.code, "top_name": c.top_name, "name": c.name,
         "handled_in_grid": c.handled_in_grid}
        for c in selectors.active_categories()
    ]  # fmt: skip


@router.get(
    "/duplicates", response={200: list[SimilarOut], 400: ErrorOut, 404: ErrorOut}, summary="Open cases like this one nearby"
)
def duplicates(request: AuthenticatedRequest, category: int, lat: float, lng: float):
    if not selectors.is_point(lat, lng):
        raise HttpError(400, f"lat {lat}, lng {lng} is not a longitude-latitude point")
    found = selectors.category_by_id(category)
    if found is None:
        raise Http404
    candidates = selectors.duplicate_candidates(found, lat, lng)
    return [presenters.similar_case(c, selectors.distance_m(lat, lng, c.lat, c.lng)) for c in candidates]


@router.get("/open.geojson", response=dict, summary="Open cases in your scope as GeoJSON points, for the map")
def open_geojson(request: AuthenticatedRequest):
    cases = selectors.visible_cases(request.user).filter(state__in=OPEN_STATES).select_related("category")[:5000]
    now = timezone.now()
    features = []
    for case in cases:
        summary = presenters.case_summary(case, now)
        properties = {
            key: summary[key]
            for key in ("number", "state", "state_label", "category", "overdue", "due_soon", "supervised", "url")
        }
        features.append(
            {
                "type": "Feature",
                "id": case.number,
                "properties": properties,
                "geometry": {"type": "Point", "coordinates": [case.lng, case.lat]},
            }
        )
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    return HttpResponse(body, content_type="application/geo+json")


def _visible_or_404(user, number: str) -> Case:
    related = ("category", "grid", "assigned_department", "assigned_region", "duplicate_of")
    return get_object_or_404(selectors.visible_cases(user).select_related(*related), number=number)


@router.get(
    "/{number}",
    response={200: CaseOut | ResidentCaseOut, 404: ErrorOut},
    summary="One case with its timeline and the actions open to you (a resident: the public view of their own case)",
)
def get_case(request: AuthenticatedRequest, number: str):
    return _case_out(_visible_or_404(request.user, number), request.user)


@router.post(
    "/{number}/reporter",
    response={200: ReporterOut, 403: ErrorOut, 404: ErrorOut},
    url_name="reveal_reporter",
    summary="The reporter's contact details in full, for the roles that call back (each request is audited)",
)
def reveal_reporter(request: AuthenticatedRequest, number: str):
    case = _visible_or_404(request.user, number)
    try:
        return services.reveal_reporter(case, request.user)
    except NotAllowed as error:
        raise HttpError(403, str(error)) from error


@router.post(
    "/{number}/actions/{action}",
    response={200: CaseOut | ResidentCaseOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Take one workflow step (or a combined action: accept_file, start_finish, verify_pass); 409 when the case changed since `version`, 422 when `params` do not fit the action",
)
def act(request: AuthenticatedRequest, number: str, action: str, payload: ActionIn):
    user = request.user
    if action not in TRANSITIONS and action not in COMBINED:
        message = _("There is no action called “%(action)s”; use one of: %(actions)s.")
        raise HttpError(400, message % {"action": action, "actions": ", ".join([*TRANSITIONS, *COMBINED])})
    case = selectors.visible_cases(user).filter(number=number).first()
    if case is None:
        # Out of scope and missing answer the same: telling them apart would let anyone signed in
        # find out which case numbers exist (tests/test_scope_matrix.py).
        raise HttpError(404, f"no case {number}")
    params = _action_params(action, payload.params)
    try:
        services.take_action(
            case.pk, action, user, expected_version=payload.version, note=payload.note, public_note=payload.public_note,
            step_key=payload.step_key, **params,
        )  # fmt: skip
    except CaseChanged as error:
        raise HttpError(409, str(error)) from error
    except NotAllowed as error:
        raise HttpError(403, str(error)) from error
    except WorkflowError as error:
        raise HttpError(400, str(error)) from error
    # The step may have moved the case out of the caller's scope; show them the result anyway.
    return Status(200, _case_out(selectors.case_with_relations(case.pk), user))


def _action_params(action: str, params: dict) -> dict:
    """The action's parameters checked against its schema (``schemas.ACTION_PARAMS``): an unknown,
    missing or wrongly typed one is a 422 that names it, before anything is locked or written."""
    schema = ACTION_PARAMS.get(action, NoParams)
    try:
        checked = schema.model_validate(params)
    except ValidationError as error:
        problem = error.errors()[0]
        name = ".".join(str(part) for part in problem["loc"]) or "params"
        message = _("The parameter “%(name)s” of the action “%(action)s” is not valid: %(problem)s.")
        # ninja's own shape for a body that does not fit (documented on every operation in gridgov/api.py)
        raise ninja_errors.ValidationError(
            [
                {
                    "loc": ["body", "payload", "params", name],
                    "msg": message % {"name": name, "action": action, "problem": problem["msg"]},
                    "type": "action_params",
                }
            ]
        ) from None
    return checked.model_dump(mode="json", exclude_none=True)


@router.post(
    "/{number}/location",
    response={200: CaseOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Place a case taken in without a location (an Open311 request that gave only an address)",
)
def place(request: AuthenticatedRequest, number: str, payload: PlaceIn):
    user = request.user
    case = selectors.visible_cases(user).filter(number=number).first()
    if case is None:
        raise HttpError(404, f"no case {number}")
    try:
        services.place_case(case.pk, user, lat=payload.lat, lng=payload.lng, expected_version=payload.version)
    except CaseChanged as error:
        raise HttpError(409, str(error)) from error
    except NotAllowed as error:
        raise HttpError(403, str(error)) from error
    except (WorkflowError, ValueError) as error:
        raise HttpError(400, str(error)) from error
    return Status(200, presenters.case_payload(selectors.case_with_relations(case.pk), user))
