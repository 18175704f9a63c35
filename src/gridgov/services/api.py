"""JSON API of the one-stop services (mounted at /api/v1/services/): the catalogue, the
applications in the caller's scope with personal data masked, window and department steps,
and the statistics. Every step goes through services.py, as on the pages."""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from gridgov.accounts.requests import AuthenticatedRequest
from gridgov.masking import mask_id_number, mask_phone

from . import selectors, services
from .models import Application, Bundle, ServiceItem
from .workflow import NotAllowed, ServiceError

router = Router(tags=["services"])
MAX_PAGE_SIZE = 500


class ErrorOut(Schema):
    detail: str


class ItemOut(Schema):
    code: str
    name: str
    item_type: str
    department: str
    level: str
    legal_days: int
    promised_days: int
    channels: list[str]
    visits: int
    anywhere: bool
    one_go: bool


class BundleOut(Schema):
    code: str
    name: str
    promised_days: int
    items: list[str]


class PartOut(Schema):
    item: str
    department: str
    state: str
    deadline: datetime | None


class ApplicationOut(Schema):
    number: str
    subject: str
    state: str
    applicant_kind: str
    applicant_phone: str
    applicant_id_number: str
    channel: str
    received_at: datetime
    deadline: datetime | None
    decided_at: datetime | None
    on_time: bool | None
    grade: int | None
    parts: list[PartOut]


class ApplicationPage(Schema):
    count: int
    results: list[ApplicationOut]


class ServiceListQuery(Schema):
    state: str = ""
    limit: int = 100
    offset: int = 0


class ServiceActionIn(Schema):
    action: str
    note: str = ""
    delivery: str = ""


class ServiceFiguresOut(Schema):
    catalogue: dict
    applications: dict


def _item(item: ServiceItem) -> dict:
    return {
        **{
            f: getattr(item, f)
            for f in ("code", "name", "item_type", "level", "legal_days", "promised_days", "visits", "anywhere", "one_go")
        },
        "department": item.department.name,
        "channels": item.channels,
    }


def _application(a: Application) -> dict:
    return {
        "number": a.number,
        "subject": str(a.subject),
        "state": a.state,
        "applicant_kind": a.applicant_kind,
        "applicant_phone": mask_phone(a.phone),
        "applicant_id_number": mask_id_number(a.id_number) if a.id_number else "",
        "channel": a.channel,
        "received_at": a.received_at,
        "deadline": a.deadline,
        "decided_at": a.decided_at,
        "on_time": a.on_time,
        "grade": a.grade,
        "parts": [
            {"item": p.item.code, "department": p.department.name, "state": p.state, "deadline": p.deadline}
            for p in a.parts.all()
        ],
    }


@router.get("/items", response=list[ItemOut], summary="The service items of the catalogue")
def items(request: AuthenticatedRequest, level: str = ""):
    rows = ServiceItem.objects.filter(is_active=True).select_related("department")
    if level:
        rows = rows.filter(level=level)
    return [_item(i) for i in rows[:5000]]


@router.get("/bundles", response=list[BundleOut], summary="The one-thing bundles")
def bundles(request: AuthenticatedRequest):
    return [
        {"code": b.code, "name": b.name, "promised_days": b.promised_days, "items": [i.code for i in b.items.all()]}
        for b in Bundle.objects.filter(is_active=True).prefetch_related("items")
    ]


@router.get(
    "/applications", response={200: ApplicationPage, 400: ErrorOut}, summary="Applications in your scope, personal data masked"
)
def applications(request: AuthenticatedRequest, query: Query[ServiceListQuery]):
    if not 1 <= query.limit <= MAX_PAGE_SIZE or query.offset < 0:
        raise HttpError(400, _("limit must be 1 to %(max)d and offset not negative.") % {"max": MAX_PAGE_SIZE})
    rows = (
        selectors.visible_applications(request.user)
        .select_related("item", "bundle")
        .prefetch_related("parts__item", "parts__department")
    )
    if query.state:
        rows = rows.filter(state=query.state)
    return {"count": rows.count(), "results": [_application(a) for a in rows[query.offset : query.offset + query.limit]]}


def _visible(request: AuthenticatedRequest, number: str) -> Application:
    application = selectors.visible_applications(request.user).filter(number=number).first()
    if application is None:
        raise HttpError(404, _("No such application in your scope."))
    return application


@router.get(
    "/applications/{number}", response={200: ApplicationOut, 404: ErrorOut}, summary="One application, personal data masked"
)
def application(request: AuthenticatedRequest, number: str):
    return _application(_visible(request, number))


@router.post(
    "/applications/{number}/actions",
    response={200: ApplicationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A window step: accept, notify_correction, not_accept, deliver",
)
def take_action(request: AuthenticatedRequest, number: str, body: ServiceActionIn):
    application = _visible(request, number)
    try:
        application = services.take_action(
            actor=request.user, application=application, action=body.action, note=body.note, delivery=body.delivery
        )
    except NotAllowed as error:
        raise HttpError(403, str(error)) from error
    except ServiceError as error:
        raise HttpError(400, str(error)) from error
    return _application(application)


@router.get(
    "/statistics",
    response={200: ServiceFiguresOut, 400: ErrorOut},
    summary="Catalogue and application figures of a year in your scope",
)
def statistics(request: AuthenticatedRequest, year: int | None = None):
    year = year or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise HttpError(400, _("The year must be from 2000 to 2100."))
    figures = selectors.application_figures(date(year, 1, 1), date(year + 1, 1, 1), selectors.visible_applications(request.user))
    figures["by_month"] = [
        {"month": row["month"].date().isoformat() if hasattr(row["month"], "date") else str(row["month"]), "count": row["count"]}
        for row in figures["by_month"]
    ]
    return {"catalogue": selectors.catalogue_figures(), "applications": figures}
