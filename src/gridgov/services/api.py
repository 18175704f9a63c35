"""JSON API of the one-stop services (mounted at /api/v1/services/): the catalogue, the
applications in the caller's scope with personal data masked, window and department steps,
and the statistics. Every step goes through services.py, as on the pages."""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from gridgov.accounts.models import Role
from gridgov.accounts.requests import AuthenticatedRequest
from gridgov.masking import mask_id_number, mask_phone

from . import selectors, services
from .models import ApplicantKind, Application, Bundle, Channel, ServiceItem
from .workflow import NotAllowed, ServiceError

router = Router(tags=["services"])
MAX_PAGE_SIZE = 500
MAX_FORM_FIELDS = 50  # a bundle's combined form asks a few dozen fields at most
MAX_FORM_VALUE = 500  # characters of one form answer, as on the page


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


class ApplyIn(Schema):
    """An application for one item (``item``) or one bundle (``bundle``), by their codes. Materials
    the government already holds are named in ``certificates``; files are handed in afterwards
    through ``/applications/{number}/materials``."""

    item: str = Field("", max_length=40)
    bundle: str = Field("", max_length=40)
    applicant_kind: str = Field(ApplicantKind.PERSON, max_length=12)
    applicant_name: str = Field(..., max_length=100)
    phone: str = Field(..., max_length=20)
    id_number: str = Field("", max_length=18)
    enterprise_name: str = Field("", max_length=200)
    credit_code: str = Field("", max_length=18)
    form: dict[str, str] = Field(default_factory=dict, max_length=MAX_FORM_FIELDS)
    certificates: list[str] = Field(default_factory=list, max_length=MAX_FORM_FIELDS)


def _subject(body: ApplyIn) -> ServiceItem | Bundle:
    if bool(body.item) == bool(body.bundle):
        raise HttpError(400, _("Choose either one service item or one bundle."))
    model: type[ServiceItem] | type[Bundle] = ServiceItem if body.item else Bundle
    subject = model.objects.filter(code=body.item or body.bundle, is_active=True).first()
    if subject is None:
        raise HttpError(404, _("No such service item or bundle is offered."))
    return subject


@router.post(
    "/applications",
    response={201: ApplicationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Apply for an item or a bundle (residents online; window staff for the person at the window)",
)
def apply(request: AuthenticatedRequest, body: ApplyIn):
    user = request.user
    if user.role not in selectors.APPLICANTS:
        raise HttpError(403, _("Your role may not submit applications."))
    if body.applicant_kind not in ApplicantKind.values:
        raise HttpError(400, _("The applicant is either a person or an enterprise."))
    subject = _subject(body)
    item = subject if isinstance(subject, ServiceItem) else None
    bundle = subject if isinstance(subject, Bundle) else None
    fields = [f["key"] for f in services.combined_form(subject)]
    resident = user.role == Role.RESIDENT
    try:
        application = services.submit_application(
            actor=user,
            item=item,
            bundle=bundle,
            applicant_kind=body.applicant_kind,
            applicant_name=body.applicant_name,
            phone=body.phone,
            id_number=body.id_number,
            enterprise_name=body.enterprise_name,
            credit_code=body.credit_code,
            channel=Channel.ONLINE if resident else Channel.WINDOW,
            service_point=None if resident else user.region,
            form_data={key: body.form.get(key, "")[:MAX_FORM_VALUE] for key in fields},
            certificates=body.certificates,
        )
    except NotAllowed as error:
        raise HttpError(403, str(error)) from error
    except ServiceError as error:
        raise HttpError(400, str(error)) from error
    return Status(201, _application(application))


@router.post(
    "/applications/{number}/materials",
    response={200: ApplicationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Hand in materials as multipart files named material_<key> (content-checked; a refusal writes nothing)",
)
def add_materials(request: AuthenticatedRequest, number: str):
    application = _visible(request, number)
    files = {name[len("material_") :]: upload for name, upload in request.FILES.items() if name.startswith("material_")}
    if not files:
        raise HttpError(400, _("Hand in at least one file, in a form field named material_ followed by the material's key."))
    try:
        application = services.add_materials(actor=request.user, application=application, files=files)
    except NotAllowed as error:
        raise HttpError(403, str(error)) from error
    except ServiceError as error:
        raise HttpError(400, str(error)) from error
    return _application(application)


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
    figures = selectors.application_figures(date(year, 1, 1), date(year + 1, 1, 1), selectors.statistics_scope(request.user))
    figures["by_month"] = [
        {"month": row["month"].date().isoformat() if hasattr(row["month"], "date") else str(row["month"]), "count": row["count"]}
        for row in figures["by_month"]
    ]
    return {"catalogue": selectors.catalogue_figures(), "applications": figures}


# --- rectification of bad ratings ----------------------------------------------------------------


class RectificationOut(Schema):
    id: int
    application: str
    department: str
    grade: int | None
    rating_reasons: str
    opened_at: datetime
    due_at: datetime
    overdue: bool
    reply: str
    replied_at: datetime | None
    return_visit: str
    visited_at: datetime | None
    closed_at: datetime | None


class RectificationPage(Schema):
    count: int
    results: list[RectificationOut]


class RectificationListQuery(Schema):
    status: str = "open"
    limit: int = 100
    offset: int = 0


class RectificationReplyIn(Schema):
    reply: str


class ReturnVisitIn(Schema):
    note: str


def _rectification(task) -> dict:
    application = task.application
    return {
        "id": task.pk,
        "application": application.number,
        "department": task.department.name,
        "grade": application.grade,
        "rating_reasons": application.rating_reasons,
        "opened_at": task.opened_at,
        "due_at": task.due_at,
        "overdue": bool(getattr(task, "overdue", False)),
        "reply": task.reply,
        "replied_at": task.replied_at,
        "return_visit": task.return_visit,
        "visited_at": task.visited_at,
        "closed_at": task.closed_at,
    }


def _may_rectify(request: AuthenticatedRequest) -> None:
    if request.user.role not in selectors.RECTIFIERS:
        raise HttpError(403, _("Your role may not see rectification tasks."))


MAX_ID = 2**63 - 1  # a larger number is no row, and the database would refuse to compare it


def _task(request: AuthenticatedRequest, task_id: int):
    _may_rectify(request)
    task = selectors.rectification_list(request.user, "all").filter(pk=task_id).first() if 0 < task_id <= MAX_ID else None
    if task is None:
        raise HttpError(404, _("No such rectification task in your scope."))
    return task


@router.get(
    "/rectifications",
    response={200: RectificationPage, 400: ErrorOut, 403: ErrorOut},
    summary="Rectification tasks of bad ratings in your scope (open, overdue, closed or all)",
)
def rectifications(request: AuthenticatedRequest, query: Query[RectificationListQuery]):
    _may_rectify(request)
    if query.status not in selectors.RECTIFICATION_STATUSES:
        raise HttpError(400, _("The status must be one of: open, overdue, closed, all."))
    if not 1 <= query.limit <= MAX_PAGE_SIZE or query.offset < 0:
        raise HttpError(400, _("limit must be 1 to %(max)d and offset not negative.") % {"max": MAX_PAGE_SIZE})
    rows = selectors.rectification_list(request.user, query.status)
    return {"count": rows.count(), "results": [_rectification(t) for t in rows[query.offset : query.offset + query.limit]]}


@router.get(
    "/rectifications/{task_id}", response={200: RectificationOut, 403: ErrorOut, 404: ErrorOut}, summary="One rectification task"
)
def rectification(request: AuthenticatedRequest, task_id: int):
    return _rectification(_task(request, task_id))


def _rectification_step(request: AuthenticatedRequest, task_id: int, step) -> dict:
    task = _task(request, task_id)
    try:
        step(task)
    except NotAllowed as error:
        raise HttpError(403, str(error)) from error
    except ServiceError as error:
        raise HttpError(400, str(error)) from error
    return _rectification(_task(request, task_id))


@router.post(
    "/rectifications/{task_id}/reply",
    response={200: RectificationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="The department's reply to the applicant",
)
def reply_rectification(request: AuthenticatedRequest, task_id: int, body: RectificationReplyIn):
    return _rectification_step(
        request, task_id, lambda task: services.reply_rectification(actor=request.user, rectification=task, reply=body.reply)
    )


@router.post(
    "/rectifications/{task_id}/return-visit",
    response={200: RectificationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="The return visit, which closes the task",
)
def record_return_visit(request: AuthenticatedRequest, task_id: int, body: ReturnVisitIn):
    return _rectification_step(
        request, task_id, lambda task: services.record_return_visit(actor=request.user, rectification=task, note=body.note)
    )
