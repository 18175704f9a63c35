"""Pages of the one-stop services: the catalogue, applying (a phone-sized form), an
application's page (window steps, the department's steps on its part, the applicant's rating),
the window queue, the department inbox, and the statistics with Excel export. The catalogue's
import and export and the statistics' export run as queued jobs (``jobs``).

Every change goes through services.py; a refused step shows its whole-sentence reason and the
form keeps what was typed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.models import Role
from gridgov.masking import mask_id_number, mask_phone
from gridgov.ops import filejobs, job_views

from . import catalogue, jobs, selectors, services
from .models import (
    ApplicantKind,
    Bundle,
    Delivery,
    Grade,
    ServiceItem,
    SpecialProcedure,
)
from .workflow import APPLICATION_TRANSITIONS, PART_TRANSITIONS, ServiceError

STAFF_ROLES = selectors.STAFF_ROLES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def catalogue_page(request):
    items = ServiceItem.objects.filter(is_active=True).select_related("department")
    level = request.GET.get("level", "")
    if level:
        items = items.filter(level=level)
    return render(
        request,
        "services/catalogue.html",
        {
            "items": items[:300],
            "count": items.count(),
            "bundles": Bundle.objects.filter(is_active=True).prefetch_related("items"),
            "figures": selectors.catalogue_figures(),
            "level": level,
            "can_import": jobs.can_import_catalogue(request.user),
        },
    )


@login_required
def catalogue_export(request):
    """The whole catalogue as Excel, built in the request (the direct link); the page's button
    queues the same export (``prepare_catalogue_export``)."""
    response = HttpResponse(catalogue.export_catalogue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="service-catalogue.xlsx"'
    return response


@require_POST
@login_required
def prepare_catalogue_export(request):
    token = filejobs.start_export(
        request.user, jobs.export_catalogue, filename="service-catalogue.xlsx", back=reverse("services:catalogue")
    )
    return redirect("jobs:status", token=token)


@require_POST
@login_required
def catalogue_import(request):
    """Check the file (a readable .xlsx within 10 MB), keep it privately and queue the import;
    its status page shows the result: the refusal report naming each bad row, or what was
    imported. Only who may change the catalogue in the admin may import it."""
    if not jobs.can_import_catalogue(request.user):
        return HttpResponseForbidden()
    return job_views.queue_upload(request, jobs.import_catalogue, back="services:catalogue")


def _subject(kind: str, code: str):
    model = Bundle if kind == "bundle" else ServiceItem if kind == "item" else None
    if model is None:
        raise Http404
    return get_object_or_404(model, code=code, is_active=True)


@login_required
def apply(request, kind: str, code: str):
    subject = _subject(kind, code)
    fields = services.combined_form(subject)
    materials = services.required_materials(subject)
    error, values = None, request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            application = services.submit_application(
                actor=request.user,
                item=subject if kind == "item" else None,
                bundle=subject if kind == "bundle" else None,
                applicant_kind=request.POST.get("applicant_kind", ApplicantKind.PERSON),
                applicant_name=request.POST.get("applicant_name", ""),
                phone=request.POST.get("phone", ""),
                id_number=request.POST.get("id_number", ""),
                enterprise_name=request.POST.get("enterprise_name", ""),
                channel="online" if request.user.role == Role.RESIDENT else "window",
                service_point=request.user.region if request.user.role != Role.RESIDENT else None,
                form_data={f["key"]: request.POST.get(f"field_{f['key']}", "")[:500] for f in fields},
                files={
                    m.key: request.FILES.get(f"material_{m.key}") for m in materials if request.FILES.get(f"material_{m.key}")
                },
                certificates=[m.key for m in materials if request.POST.get(f"certificate_{m.key}")],
            )
        except ServiceError as refusal:
            error = str(refusal)
        else:
            messages.success(request, _("Application %(number)s has been received.") % {"number": application.number})
            return redirect("services:detail", number=application.number)
    return render(
        request,
        "services/apply.html",
        {
            "subject": subject,
            "kind": kind,
            "fields": fields,
            "materials": materials,
            "error": error,
            "values": values,
            "kinds": ApplicantKind.choices,
        },
        status=400 if error else 200,
    )


@login_required
def my_applications(request):
    return render(
        request,
        "services/list.html",
        {
            "title": _("My applications"),
            "applications": selectors.visible_applications(request.user).select_related("item", "bundle")[:200],
        },
    )


@login_required
def window(request):
    if request.user.role not in STAFF_ROLES:
        return HttpResponseForbidden()
    return render(
        request,
        "services/list.html",
        {"title": _("Window queue"), "applications": selectors.window_queue(request.user).select_related("item", "bundle")[:200]},
    )


@login_required
def inbox(request):
    if request.user.role not in STAFF_ROLES:
        return HttpResponseForbidden()
    return render(
        request, "services/inbox.html", {"parts": selectors.department_inbox(request.user)[:200], "now": timezone.now()}
    )


@login_required
def detail(request, number: str):
    application = get_object_or_404(selectors.visible_applications(request.user).select_related("item", "bundle"), number=number)
    error = None
    if request.method == "POST":
        try:
            _act(request, application)
        except ServiceError as refusal:
            error = str(refusal)
        else:
            return redirect("services:detail", number=number)
    revealed = None
    if request.GET.get("reveal") and request.user.role in STAFF_ROLES:
        try:
            revealed = services.reveal_applicant(actor=request.user, application=application)
        except ServiceError as refusal:
            error = str(refusal)
    role = request.user.role
    parts = []
    for part in application.parts.select_related("item", "department"):
        actions = [
            a
            for a, t in PART_TRANSITIONS.items()
            if part.state in t.sources and role in t.roles and services.holds_part(request.user, part)
        ]
        parts.append(
            {"part": part, "actions": actions, "materials": selectors.materials_for_part(part) if role in STAFF_ROLES else []}
        )
    actions = [
        a for a, t in APPLICATION_TRANSITIONS.items() if application.state in t.sources and role in t.roles and a != "rate"
    ]
    can_rate = application.state in APPLICATION_TRANSITIONS["rate"].sources and role == Role.RESIDENT
    return render(
        request,
        "services/detail.html",
        {
            "application": application,
            "parts": parts,
            "actions": actions,
            "can_rate": can_rate,
            "error": error,
            "phone": mask_phone(application.phone),
            "id_number": mask_id_number(application.id_number),
            "revealed": revealed,
            "staff": role in STAFF_ROLES,
            "missing": services.missing_materials(application),
            "submitted": application.submitted.all(),
            "steps": application.steps.all() if role in STAFF_ROLES else [],
            "replies": application.rectifications.filter(replied_at__isnull=False).select_related("department"),
            "grades": Grade.choices,
            "deliveries": Delivery.choices,
            "specials": SpecialProcedure.choices,
        },
        status=400 if error else 200,
    )


def _act(request, application):
    action, note = request.POST.get("action", ""), request.POST.get("note", "")
    if action == "rate":
        services.rate_application(
            actor=request.user, application=application, grade=request.POST.get("grade"), reasons=request.POST.get("reasons", "")
        )
    elif action in PART_TRANSITIONS:
        part = application.parts.filter(pk=request.POST.get("part") or 0).first()
        if part is None:
            raise ServiceError(_("This part of the application does not exist."))
        services.act_on_part(
            actor=request.user,
            part=part,
            action=action,
            note=note,
            special_kind=request.POST.get("special_kind", ""),
            result_document=request.POST.get("result_document", ""),
        )
    elif action == "resubmit" or (action == "materials"):
        services.add_materials(
            actor=request.user,
            application=application,
            files={k[len("material_") :]: f for k, f in request.FILES.items() if k.startswith("material_")},
        )
    else:
        services.take_action(
            actor=request.user, application=application, action=action, note=note, delivery=request.POST.get("delivery", "")
        )


def _year(request) -> int:
    return _year_of(request.GET.get("year"))


def _year_of(value) -> int:
    try:
        year = int(value or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@login_required
def statistics(request):
    """A year's figures; ``?format=xlsx`` builds the workbook in the request (the direct link),
    the page's button queues the same export (``prepare_statistics_export``)."""
    if request.user.role not in STAFF_ROLES:
        return HttpResponseForbidden()
    context = selectors.year_statistics(request.user, _year(request))
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(jobs.statistics_workbook(context), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="services-{context["year"]}.xlsx"'
        return response
    return render(request, "services/statistics.html", context)


@require_POST
@login_required
def prepare_statistics_export(request):
    if request.user.role not in STAFF_ROLES:
        return HttpResponseForbidden()
    year = _year_of(request.POST.get("year"))
    token = filejobs.start_export(
        request.user,
        jobs.export_statistics,
        {"year": year},
        filename=f"services-{year}.xlsx",
        back=f"{reverse('services:statistics')}?year={year}",
    )
    return redirect("jobs:status", token=token)


# --- rectification of bad ratings ----------------------------------------------------------------


@login_required
def rectifications(request):
    """The rectification tasks the user works, unrectified and nearest due first; overdue ones
    are flagged."""
    if request.user.role not in selectors.RECTIFIERS:
        return HttpResponseForbidden()
    status = request.GET.get("status", "open")
    if status not in selectors.RECTIFICATION_STATUSES:
        status = "open"
    rows = selectors.rectification_list(request.user, status)
    return render(
        request,
        "services/rectifications.html",
        {
            "rows": rows[:300],
            "count": rows.count(),
            "status": status,
            "statuses": _rectification_statuses(),
            "overdue_count": selectors.rectification_list(request.user, "overdue").count(),
        },
    )


def _rectification_statuses() -> list[tuple[str, str]]:
    return [("open", _("Open")), ("overdue", _("Overdue")), ("closed", _("Rectified")), ("all", _("All"))]


@login_required
def rectification(request, pk: int):
    """One task: the bad rating, the reply to the applicant, then the return visit."""
    if pk > 2**63 - 1:  # no row has it, and the database would refuse to compare it
        raise Http404
    task = get_object_or_404(selectors.rectification_list(request.user, "all"), pk=pk)
    error, values = None, request.POST if request.method == "POST" else {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "reply":
                services.reply_rectification(actor=request.user, rectification=task, reply=request.POST.get("reply", ""))
                done = _("The reply has been recorded; the applicant can read it on the application's page.")
            elif action == "return_visit":
                services.record_return_visit(actor=request.user, rectification=task, note=request.POST.get("note", ""))
                done = _("The return visit has been recorded and the rectification is closed.")
            else:
                raise ServiceError(_("This step does not exist."))
        except ServiceError as refusal:
            error = str(refusal)
        else:
            messages.success(request, done)
            return redirect("services:rectification", pk=pk)
    return render(
        request,
        "services/rectification.html",
        {"task": task, "application": task.application, "error": error, "values": values},
        status=400 if error else 200,
    )
