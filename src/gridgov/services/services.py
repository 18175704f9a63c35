"""Every change to applications, in a transaction, audited (accounts.services.record_audit).

Pages, the JSON API and the demo call these; none changes the models directly. The state
checks come from the tables in ``workflow.py``; deadlines from ``clock.py``.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role, User
from gridgov.accounts.services import record_audit

from . import clock, steps
from .models import (
    BAD_GRADES,
    ApplicantKind,
    Application,
    ApplicationStep,
    Bundle,
    Channel,
    Grade,
    Material,
    Part,
    Rectification,
    ServiceItem,
    State,
    SubmittedMaterial,
)
from .uploads import CheckedFile, check_files
from .workflow import (
    APPLICATION_TRANSITIONS,
    PART_DECIDED,
    PART_TRANSITIONS,
    NotAllowed,
    ServiceError,
    check,
)

RECTIFICATION_DAYS = 15  # working days a department has to rectify a bad rating
MAX_RECTIFICATION_TEXT = 2000  # characters of a reply or a return-visit note


# --- the catalogue's view of an application --------------------------------------------------


def items_of(subject: ServiceItem | Bundle) -> list[ServiceItem]:
    return list(subject.items.order_by("code")) if isinstance(subject, Bundle) else [subject]


@dataclass(frozen=True)
class RequiredMaterial:
    key: str
    name: str
    form: str
    copies: int
    certificate_replaces: bool
    item_codes: tuple[str, ...]  # the items that ask for it (a shared one has several)


def required_materials(subject: ServiceItem | Bundle) -> list[RequiredMaterial]:
    """One entry per material key: a material several items ask for is asked once."""
    by_key: dict[str, list[Material]] = {}
    for material in Material.objects.filter(item__in=items_of(subject)).select_related("item").order_by("key", "item__code"):
        by_key.setdefault(material.key, []).append(material)
    return [
        RequiredMaterial(
            key=key,
            name=group[0].name,
            form=group[0].form,
            copies=max(m.copies for m in group),
            certificate_replaces=all(m.certificate_replaces for m in group),
            item_codes=tuple(m.item.code for m in group),
        )
        for key, group in by_key.items()
    ]


def combined_form(subject: ServiceItem | Bundle) -> list[dict]:
    """The fields of every item, each key asked once (the first item's label)."""
    fields, seen = [], set()
    for item in items_of(subject):
        for field in item.form_fields or []:
            if field.get("key") and field["key"] not in seen:
                seen.add(field["key"])
                fields.append({"key": field["key"], "label": field.get("label") or field["key"]})
    return fields


def missing_materials(application: Application) -> list[RequiredMaterial]:
    submitted = set(application.submitted.values_list("key", flat=True))
    return [m for m in required_materials(application.subject) if m.key not in submitted]


# --- helpers ------------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _step(application, action, actor, now, *, part=None, from_state="", to_state="", note=""):
    ApplicationStep.objects.create(
        application=application,
        part=part,
        action=action,
        actor=actor,
        at=now,
        from_state=from_state,
        to_state=to_state,
        note=note,
    )


def _store(
    application: Application, checked: list[CheckedFile], names: dict[str, str], now: datetime, written: list[str]
) -> None:
    for item in checked:
        name = default_storage.save(
            f"services/{now:%Y/%m}/{application.number}-{item.key}.{item.extension}", ContentFile(item.content)
        )
        written.append(name)
        SubmittedMaterial.objects.update_or_create(
            application=application,
            key=item.key,
            defaults={
                "name": names.get(item.key, item.key),
                "file": name,
                "content_type": item.content_type,
                "size": len(item.content),
                "uploaded_at": now,
                "by_certificate": False,
            },
        )


def _record_materials(application, files, certificates, now) -> list[str]:
    """Check every file first, then write; on any failure remove what was written."""
    required = {m.key: m for m in required_materials(application.subject)}
    names = {key: m.name for key, m in required.items()}
    unknown = [key for key in list(files) + list(certificates) if key not in required]
    if unknown:
        raise ServiceError(_("This application asks for no material called %(key)s.") % {"key": unknown[0]})
    refused = [names[key] for key in certificates if not required[key].certificate_replaces]
    if refused:
        raise ServiceError(
            _("%(material)s must be handed in; no certificate held by the government replaces it.") % {"material": refused[0]}
        )
    checked = check_files(files, names)
    written: list[str] = []
    try:
        _store(application, checked, names, now, written)
        for key in certificates:
            SubmittedMaterial.objects.update_or_create(
                application=application,
                key=key,
                defaults={
                    "name": names[key],
                    "by_certificate": True,
                    "uploaded_at": now,
                    "file": "",
                    "size": 0,
                    "content_type": "",
                },
            )
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return written


# --- applying -----------------------------------------------------------------------------------


def submit_application(
    *,
    actor: User | None,
    item: ServiceItem | None = None,
    bundle: Bundle | None = None,
    applicant_name: str,
    phone: str,
    id_number: str = "",
    applicant_kind: str = ApplicantKind.PERSON,
    enterprise_name: str = "",
    credit_code: str = "",
    channel: str = Channel.WINDOW,
    service_point=None,
    form_data: dict | None = None,
    files: dict | None = None,
    certificates=(),
    applicant_user: User | None = None,
    now: datetime | None = None,
) -> Application:
    """Receive an application (at a window or online). The clock starts now; the materials are
    checked by content, and a refusal writes nothing."""
    if (item is None) == (bundle is None):
        raise ServiceError(_("Choose either one service item or one bundle."))
    subject = bundle or item
    assert subject is not None  # exactly one of the two, checked above
    if not subject.is_active:
        raise ServiceError(_("This service is not offered at present."))
    if not applicant_name.strip() or not phone.strip():
        raise ServiceError(_("The applicant's name and phone are required."))
    if applicant_kind == ApplicantKind.ENTERPRISE and not enterprise_name.strip():
        raise ServiceError(_("An enterprise applying must give its name."))
    now = _now(now)
    items = items_of(subject)
    promised = subject.promised_days
    legal = max((i.legal_days for i in items), default=promised)
    if actor is not None and actor.role == Role.RESIDENT:
        applicant_user = actor
    written: list[str] = []
    try:
        with transaction.atomic():
            application = Application.objects.create(
                number=f"tmp{uuid.uuid4().hex[:20]}",  # replaced by the dated number once the id is known
                item=item,
                bundle=bundle,
                applicant_kind=applicant_kind,
                applicant_name=applicant_name.strip(),
                phone=phone.strip(),
                id_number=id_number.strip(),
                enterprise_name=enterprise_name.strip(),
                credit_code=credit_code.strip(),
                applicant_user=applicant_user,
                agent=actor if actor is not None and actor.role == Role.COMMUNITY_STAFF else None,
                channel=channel,
                service_point=service_point,
                service_point_code=service_point.code if service_point is not None else "",
                form_data=form_data or {},
                promised_days=promised,
                legal_days=legal,
                received_at=now,
                deadline=clock.deadline_after(now, promised),
            )
            application.number = f"SV{now:%Y%m%d}{application.pk:07d}"
            application.save(update_fields=["number"])
            written = _record_materials(application, files or {}, certificates, now)
            _step(application, "submit", actor, now, to_state=State.RECEIVED)
            record_audit(actor, "services.submit", application, number=application.number, channel=channel)
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return application


def add_materials(
    *, actor: User | None, application: Application, files: dict | None = None, certificates=(), now: datetime | None = None
) -> Application:
    """The applicant hands in what a correction notice asked for (the window takes it, or the
    applicant uploads online); the application then returns to the window's check."""
    now = _now(now)
    written: list[str] = []
    try:
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=application.pk)
            if application.state not in (State.RECEIVED, State.CORRECTION):
                raise ServiceError(_("Materials can only be added before the application is accepted."))
            written = _record_materials(application, files or {}, certificates, now)
            record_audit(actor, "services.materials", application, keys=sorted([*(files or {}), *certificates]))
            if application.state == State.CORRECTION:
                _apply(actor, application, "resubmit", now=now)
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return application


# --- the window -----------------------------------------------------------------------------


def _role(actor: User | None) -> str:
    return actor.role if actor is not None else Role.INTAKE_CLERK  # the system acts as the window


def _check_actor_on_application(actor: User | None, application: Application, action: str) -> None:
    from . import selectors

    if actor is not None and not selectors.visible_applications(actor).filter(pk=application.pk).exists():
        raise NotAllowed(_("This application is outside your area."))
    if actor is not None and actor.role == Role.RESIDENT and application.applicant_user_id != actor.pk:
        raise NotAllowed(_("This application is not yours."))


def _apply(actor, application: Application, action: str, *, note: str = "", params: dict | None = None, now: datetime) -> None:
    """One step on the locked application: the row's checks, its handler, the saved row, the
    recorded step and its audit event."""
    transition = APPLICATION_TRANSITIONS[action]
    check(transition, application.state, _role(actor))
    before = application.state
    context = steps.StepContext(application=application, actor=actor, note=note, params=params or {}, now=now)
    transition.handler(context)
    if transition.needs_note and not context.note.strip():
        raise ServiceError(_("Please write the reason for this step."))
    application.state = transition.target or application.state
    application.save()
    _step(application, action, actor, now, from_state=before, to_state=application.state, note=context.note)
    record_audit(
        actor, f"services.{action}", application, number=application.number, **({"from": before, "to": application.state})
    )


def take_action(
    *, actor: User | None, application: Application, action: str, note: str = "", delivery: str = "", now: datetime | None = None
) -> Application:
    """One window step: accept, notify_correction, resubmit, not_accept, deliver (what each does
    is its row's handler in ``steps.py``)."""
    if action not in APPLICATION_TRANSITIONS or action == "rate":
        raise ServiceError(_("This step does not exist."))
    now = _now(now)
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        _check_actor_on_application(actor, application, action)
        _apply(actor, application, action, note=note, params={"delivery": delivery}, now=now)
    return application


# --- the departments ----------------------------------------------------------------------------


def holds_part(actor: User, part: Part) -> bool:
    if actor.role == Role.DEPARTMENT_HANDLER:
        return actor.department_id is not None and actor.department_id == part.department_id
    if actor.role in (Role.COMMUNITY_STAFF, Role.STREET_STAFF) and actor.region is not None:
        return part.item.level != "district" and part.application.service_point_code.startswith(actor.region.code)
    return False


def act_on_part(
    *,
    actor: User | None,
    part: Part,
    action: str,
    note: str = "",
    special_kind: str = "",
    result_document: str = "",
    now: datetime | None = None,
) -> Part:
    """A department's step on its part: start_special / end_special / grant / refuse."""
    transition = PART_TRANSITIONS.get(action)
    if transition is None:
        raise ServiceError(_("This step does not exist."))
    now = _now(now)
    with transaction.atomic():
        part = Part.objects.select_for_update().select_related("item", "application").get(pk=part.pk)
        application = Application.objects.select_for_update().get(pk=part.application_id)
        check(transition, part.state, actor.role if actor is not None else Role.DEPARTMENT_HANDLER)
        if actor is not None and transition.holder_only and not holds_part(actor, part):
            raise NotAllowed(_("This part of the application belongs to another department."))
        if transition.needs_note and not note.strip():
            raise ServiceError(_("Please write the reason for this step."))
        before = part.state
        context = steps.StepContext(
            application=application,
            actor=actor,
            note=note,
            params={"special_kind": special_kind, "result_document": result_document},
            now=now,
            part=part,
        )
        transition.handler(context)
        part.state = transition.target or part.state
        part.save()
        _step(application, action, actor, now, part=part, from_state=before, to_state=part.state, note=context.note)
        record_audit(actor, f"services.{action}", application, number=application.number, item=part.item.code)
        if part.state in PART_DECIDED:
            _decide_when_complete(application, now)
        application.save()
    return part


def _decide_when_complete(application: Application, now: datetime) -> None:
    """The application is decided when its last part is: granted when every part is."""
    states = list(application.parts.values_list("state", flat=True))
    if not states or any(state not in PART_DECIDED for state in states):
        return
    application.state = State.DECIDED
    application.decided_at = now
    application.granted = all(state == State.GRANTED for state in states)
    application.used_working_seconds = clock.used_seconds(application.received_at, now, application.paused_seconds)
    application.on_time = application.deadline is None or now <= application.deadline
    _step(application, "decide", None, now, from_state=State.ACCEPTED, to_state=State.DECIDED)


# --- ratings and rectification -----------------------------------------------------------------


def rate_application(
    *, actor: User | None, application: Application, grade: int, reasons: str = "", now: datetime | None = None
) -> Application:
    """The applicant rates (非常满意 … 非常不满意); a bad grade opens a rectification task for
    each department that worked the application, due in 15 working days."""
    try:
        grade = Grade(int(grade))
    except (TypeError, ValueError):
        raise ServiceError(_("Choose one of the five grades.")) from None
    if grade in BAD_GRADES and not reasons.strip():
        raise ServiceError(_("Please say why you are not satisfied."))
    now = _now(now)
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        _check_actor_on_application(actor, application, "rate")
        check(APPLICATION_TRANSITIONS["rate"], application.state, _role(actor) if actor is not None else Role.RESIDENT)
        application.grade, application.rating_reasons, application.rated_at = grade, reasons.strip(), now
        before = application.state
        application.state = State.RATED
        application.save()
        application.parts.update(grade=grade)  # the statistics' copy (see ``Part.grade``): written only here
        _step(application, "rate", actor, now, from_state=before, to_state=State.RATED, note=reasons)
        record_audit(actor, "services.rate", application, number=application.number, grade=int(grade))
        if grade in BAD_GRADES:
            due = clock.deadline_after(now, RECTIFICATION_DAYS)
            for department_id in sorted(set(application.parts.values_list("department_id", flat=True))):
                rectification = Rectification.objects.create(
                    application=application,
                    department_id=department_id,
                    opened_at=now,
                    due_at=due,
                    received_at=application.received_at,  # the statistics' copy (see ``Rectification``)
                )
                record_audit(actor, "services.rectification_opened", rectification, number=application.number)
    return application


def _rectification_for(actor: User | None, rectification: Rectification) -> Rectification:
    """The task, locked, once the actor may work it (scope as ``selectors.visible_rectifications``)."""
    from . import selectors

    rectification = Rectification.objects.select_for_update().get(pk=rectification.pk)
    if actor is not None:
        if actor.role not in selectors.RECTIFIERS:
            raise NotAllowed(_("Your role may not take this step."))
        if not selectors.visible_rectifications(actor).filter(pk=rectification.pk).exists():
            if actor.role == Role.DEPARTMENT_HANDLER:
                raise NotAllowed(_("This rectification belongs to another department."))
            raise NotAllowed(_("This application is outside your area."))
    if rectification.closed_at is not None:
        raise ServiceError(_("This rectification is already closed."))
    return rectification


def reply_rectification(
    *, actor: User | None, rectification: Rectification, reply: str, now: datetime | None = None
) -> Rectification:
    """The department's reply to the applicant on what it changed; it may be written again
    until the return visit closes the task. The applicant reads it on the application's page."""
    reply = reply.strip()
    if not reply:
        raise ServiceError(_("Please write the reply to the applicant."))
    if len(reply) > MAX_RECTIFICATION_TEXT:
        raise ServiceError(_("The text is too long: at most %(max)d characters.") % {"max": MAX_RECTIFICATION_TEXT})
    now = _now(now)
    with transaction.atomic():
        rectification = _rectification_for(actor, rectification)
        rectification.reply, rectification.replied_at = reply, now
        rectification.save(update_fields=["reply", "replied_at"])
        application = rectification.application
        _step(application, "rectification_reply", actor, now, note=reply)
        record_audit(
            actor,
            "services.rectification_reply",
            rectification,
            number=application.number,
            department=rectification.department_id,
        )
    return rectification


def record_return_visit(
    *, actor: User | None, rectification: Rectification, note: str, now: datetime | None = None
) -> Rectification:
    """The return visit closes the rectification (it needs the reply first); one closed after its
    due time stays counted as rectified late (``closed_at`` > ``due_at``)."""
    note = note.strip()
    if not note:
        raise ServiceError(_("Please write what the applicant said on the return visit."))
    if len(note) > MAX_RECTIFICATION_TEXT:
        raise ServiceError(_("The text is too long: at most %(max)d characters.") % {"max": MAX_RECTIFICATION_TEXT})
    now = _now(now)
    with transaction.atomic():
        rectification = _rectification_for(actor, rectification)
        if rectification.replied_at is None:
            raise ServiceError(_("Reply to the applicant before the return visit."))
        rectification.return_visit, rectification.visited_at, rectification.closed_at = note, now, now
        rectification.save(update_fields=["return_visit", "visited_at", "closed_at"])
        application = rectification.application
        _step(application, "return_visit", actor, now, note=note)
        record_audit(
            actor,
            "services.rectification_closed",
            rectification,
            number=application.number,
            department=rectification.department_id,
            late=now > rectification.due_at,
        )
    return rectification


# --- personal data ------------------------------------------------------------------------------


def reveal_applicant(*, actor: User, application: Application) -> dict:
    """The unmasked ID-card number and phone, for a window or department that must call back;
    every view is audited."""
    from . import selectors

    if actor.role in (Role.RESIDENT, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.LEADER):
        raise NotAllowed(_("Your role may not see applicants' personal data."))
    if not selectors.visible_applications(actor).filter(pk=application.pk).exists():
        raise NotAllowed(_("This application is outside your area."))
    with transaction.atomic():
        record_audit(actor, "services.reveal_applicant", application, number=application.number)
    return {"name": application.applicant_name, "phone": application.phone, "id_number": application.id_number}
