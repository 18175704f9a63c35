"""HTML pages of cases: the public intake and look-up, and the staff inbox, list, detail and map.

Views read through ``selectors`` / ``presenters`` and change cases only through ``services``.
Public pages (``report_*``, ``lookup``) never show a reporter's name, phone or e-mail.
"""

import functools
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import Role
from gridgov.grids import selectors as grid_selectors

from . import dispatching, presenters, privacy, selectors, services
from .forms import MAX_PHOTOS, ActionError, CaseFilter, LookupForm, RateForm, ReportForm, action_params, department_choices
from .models import Case, Source, State
from .ratelimit import LookupLocked, RateLimited, check_rate, configured_rate, guarded_lookup, too_many_requests
from .workflow import INTAKE, CaseChanged, NotAllowed, WorkflowError

PAGE_SIZE = 50
GRID_STAFF = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})
# Sources command-centre staff may pick when they take a report in on someone's behalf.
STAFF_SOURCES = [Source.HOTLINE, Source.SUPERVISOR, Source.DEPARTMENT, Source.RESIDENT, Source.SENSOR]
REPORTED_SESSION_KEY = "cases.reported_number"
DEFAULT_LOOKUP_RATE = "60/h"


def staff_required(view):
    """Signed-in staff only; a resident is sent to the public look-up page."""

    @functools.wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.role == Role.RESIDENT:
            return redirect("report:lookup")
        return view(request, *args, **kwargs)

    return wrapper


# --- intake (public, and grid staff on patrol) ---------------------------------------------------


def _intake_role(user) -> str:
    if not user.is_authenticated or user.role == Role.RESIDENT:
        return "resident"
    return "grid" if user.role in GRID_STAFF else "staff"


def report(request):
    role = _intake_role(request.user)
    form_options = {
        "phone_required": role == "resident",
        "sources": [(s.value, s.label) for s in STAFF_SOURCES] if role == "staff" else None,
    }
    if request.method == "POST":
        if role == "resident":
            try:
                check_rate(request, "intake")
            except RateLimited as error:
                return too_many_requests(error)
        form = ReportForm(request.POST, **form_options)
        form.set_photos(request.FILES.getlist("photos"))
        if form.is_valid():
            case = _take_report(request, form, role)
            if case is not None:
                request.session[REPORTED_SESSION_KEY] = case.number
                return redirect("report:done")
    else:
        form = ReportForm(**form_options)
    return render(
        request,
        "cases/report.html",
        {"form": form, "intake_role": role, "max_photos": MAX_PHOTOS, "report_map": _report_map(request.user)},
        status=400 if form.errors else 200,
    )


def _take_report(request, form: ReportForm, role: str) -> Case | None:
    data = form.cleaned_data
    user = request.user if request.user.is_authenticated else None
    if role == "grid" and not _inside_own_unit(user, data["lat"], data["lng"]):
        form.add_error(None, _("Report from inside your own grid: the pin is outside it."))
        return None
    source = {"resident": Source.RESIDENT, "grid": Source.PATROL}.get(role) or data["source"]
    try:
        return services.report_case(
            services.Report(
                category=data["category"], lat=data["lat"], lng=data["lng"], description=data["description"],
                address=data["address"], source=source, reporter=user, reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"],
            ),
            photos=form.photos,
        )  # fmt: skip
    except ValueError as error:  # IntakeError, or a photo the photo service refused
        form.add_error(None, str(error))
        return None


def _inside_own_unit(user, lat: float, lng: float) -> bool:
    if user.region_id is None:
        return True
    location = grid_selectors.locate_point(lat, lng)
    return location is not None and location.grid.code.startswith(user.region.code)


def _report_map(user) -> dict:
    """What the intake map needs (no base tiles needed): where to fetch the outlines it draws (the
    user's own unit, or the communities, from a cacheable endpoint) and the area to show meanwhile."""
    api_root = reverse("api:api-root")
    if user.is_authenticated and user.role in GRID_STAFF and user.region_id:
        outlines_url = f"{api_root}v1/regions/{user.region.code}/boundary.geojson"
        bounds = user.region.bbox
    else:
        outlines_url = f"{api_root}v1/outlines.geojson"
        bounds = grid_selectors.network_bounds()
    return {
        "outlinesUrl": outlines_url,
        "bounds": bounds,  # (min_lng, min_lat, max_lng, max_lat) or None
        "similarUrl": reverse("report:similar"),
        "tileUrl": settings.GRIDGOV_TILE_URL,
        "tileAttribution": settings.GRIDGOV_TILE_ATTRIBUTION,
        "text": {
            "pinHere": _("The problem is here"),
            "similar": _("Similar reports nearby — is yours one of them? You can still submit."),
        },
    }


def report_done(request):
    number = request.session.get(REPORTED_SESSION_KEY)
    if not number:
        return redirect("report:new")
    return render(request, "cases/report_done.html", {"number": number})


@require_GET
def similar(request):
    """Open cases like the one being reported (same category, nearby, recent). Public: no PII."""
    try:
        category = selectors.active_category(int(request.GET["category"]))
        lat, lng = float(request.GET["lat"]), float(request.GET["lng"])
    except (KeyError, ValueError):
        category = None
    if category is None or not selectors.is_point(lat, lng):
        return HttpResponseBadRequest(json.dumps({"detail": "category, lat and lng are required"}), content_type="application/json")
    candidates = selectors.duplicate_candidates(category, lat, lng)
    return JsonResponse(
        {"results": [presenters.similar_case(c, selectors.distance_m(lat, lng, c.lat, c.lng)) for c in candidates]}
    )


# --- look-up and rating (public) ------------------------------------------------------------------


def _lookup_limited(request):
    """Look-ups try number + phone pairs; limit them per client like intake."""
    try:
        check_rate(request, "lookup", configured_rate("GRIDGOV_LOOKUP_RATE", DEFAULT_LOOKUP_RATE))
    except RateLimited as error:
        return too_many_requests(error)
    return None


def lookup(request):
    if request.method == "POST" and (limited := _lookup_limited(request)):
        return limited
    form = LookupForm(request.POST or None)
    case = None
    if request.method == "POST" and form.is_valid():
        try:
            case = guarded_lookup(request, form.cleaned_data["number"], form.find)
        except LookupLocked as error:
            return _locked_page(request, form, error)
        if case is None:
            form.add_error(None, _("No case matches this number and phone."))
        return _public_case_page(request, form, case, phone=form.cleaned_data["phone"])
    return _public_case_page(request, form, case)


def _locked_page(request, form, error: LookupLocked):
    response = _public_case_page(request, form, None, error=str(error))
    response.status_code = 429
    response["Retry-After"] = str(error.retry_after_seconds)
    return response


@login_required
def my_case(request, number):
    """A signed-in resident's own case, without typing the phone."""
    case = selectors.own_case(request.user, number)
    if case is None:
        raise Http404
    return _public_case_page(request, None, case)


@require_POST
def rate(request):
    if limited := _lookup_limited(request):
        return limited
    form = RateForm(request.POST)
    case = None
    if request.user.is_authenticated:
        case = _own_case(request)  # a signed-in resident rates their own case without the phone
    if case is None and form.is_valid():
        # Someone else's case needs its number and the right phone, within the look-up's lock.
        try:
            case = guarded_lookup(request, form.cleaned_data["number"], form.find)
        except LookupLocked as error:
            return _locked_page(request, LookupForm(request.POST), error)
    if case is None:
        return _public_case_page(request, LookupForm(request.POST), None, error=_("No case matches this number and phone."))
    rating = request.POST.get("rating", "")
    try:
        if request.user.is_authenticated and case.reporter_id == request.user.pk:
            services.take_action(case.pk, "rate", request.user, rating=rating)
        else:
            services.take_action(case.pk, "rate", None, system=True, rating=rating)
    except WorkflowError as error:
        case.refresh_from_db()
        return _public_case_page(request, LookupForm(request.POST), case, error=str(error), phone=request.POST.get("phone", ""))
    case.refresh_from_db()
    messages.success(request, _("Thank you for your rating."))
    return _public_case_page(request, LookupForm(request.POST), case)


def _own_case(request) -> Case | None:
    return selectors.own_case(request.user, request.POST.get("number", "").strip())


def _public_case_page(request, form, case: Case | None, error: str = "", phone: str = ""):
    context = {"form": form, "error": error, "my_cases": _my_cases(request.user)}
    if case is not None:
        context.update(
            case=presenters.public_case(case),
            timeline=presenters.public_timeline(case),
            can_rate=case.state == State.CLOSED,
            rating_choices=type(case).rating.field.choices,
            number=case.number,
            phone=phone,
        )
    status = 400 if error or (form is not None and form.is_bound and case is None) else 200
    return render(request, "cases/lookup.html", context, status=status)


def _my_cases(user) -> list[Case]:
    if not user.is_authenticated or user.role != Role.RESIDENT:
        return []
    return list(selectors.visible_cases(user).select_related("category").order_by("-created_at")[:20])


# --- staff pages ---------------------------------------------------------------------------------


@staff_required
def inbox(request):
    now = timezone.now()
    cases = list(selectors.inbox(request.user)[:200])
    rows = [presenters.case_summary(case, now) for case in cases]
    return render(request, "cases/inbox.html", {"rows": rows})


@staff_required
def case_list(request):
    filters = CaseFilter(request.GET or None)
    cases = selectors.visible_cases(request.user).select_related("category")
    if filters.is_bound:
        cases = filters.apply(cases)
    page = Paginator(cases.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/list.html",
        {"filters": filters, "page": page, "rows": [presenters.case_summary(c, now) for c in page], "query": query.urlencode()},
        status=400 if filters.is_bound and filters.errors else 200,
    )


def _visible_case_or_404(user, number: str) -> Case:
    related = ("category", "grid", "assigned_department", "assigned_region", "duplicate_of", "reporter")
    return get_object_or_404(selectors.visible_cases(user).select_related(*related), number=number)


@staff_required
def case_detail(request, number):
    return _detail_page(request, _visible_case_or_404(request.user, number))


@staff_required
@require_POST
def reveal_reporter(request, number):
    """The reporter's details in full on the detail page, for the roles that call back; the
    view is audited (services.reveal_reporter)."""
    case = _visible_case_or_404(request.user, number)
    try:
        reporter = services.reveal_reporter(case, request.user)
    except NotAllowed as error:
        return _detail_page(request, case, error=str(error), status=403)
    return _detail_page(request, case, reporter=reporter)


def _detail_page(request, case: Case, *, error: str = "", status: int = 200, reporter: dict | None = None, place_values: dict | None = None
):
    user = request.user
    timeline = [presenters.step_payload(step) for step in selectors.case_timeline(case)]
    location_unconfirmed = any(step["action"] == "report" and step["data"].get("location_unconfirmed") for step in timeline)
    photos = list(case.photos.all())
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "flags": presenters.clock_flags(case),
            "timeline": timeline,
            "before_photos": [presenters.photo_payload(p) for p in photos if p.phase == "before"],
            "after_photos": [presenters.photo_payload(p) for p in photos if p.phase == "after"],
            "actions": [_action_form(case, action) for action in selectors.allowed_actions(user, case)],
            "error": error,
            "point_map": {"lat": case.lat, "lng": case.lng, "boundary": json.loads(case.grid.boundary) if case.grid.boundary else None,
                          "tileUrl": settings.GRIDGOV_TILE_URL, "tileAttribution": settings.GRIDGOV_TILE_ATTRIBUTION},
            "co_departments": list(case.co_departments.all()),
            "reporter": reporter or privacy.masked_reporter(case),
            "reporter_revealed": reporter is not None,
            "has_reporter": privacy.has_reporter_details(case),
            "may_reveal": privacy.may_see_personal_data(user),
            "pending_extension": selectors.pending_extension(case),
            "location_unconfirmed": location_unconfirmed,
            "can_place": location_unconfirmed and user.role in INTAKE and case.state in services.PLACEABLE_STATES,
            "place_values": place_values or {},
        },
        status=status,
    )  # fmt: skip


def _action_form(case: Case, action: str) -> dict:
    """What one action's form needs: its label, whether a note is required, and its own inputs."""
    form = {
        "action": action, "label": presenters.action_label(action), "needs_note": presenters.needs_note(action),
        "public_summary": presenters.proposes_public_summary(action),
        "standard_public_text": presenters.public_text(action, merged_into="…"),
    }  # fmt: skip
    if action == "dispatch":
        proposal = dispatching.propose_assignee(case)
        form["proposal"] = proposal
        form["choices"] = [_assignee_choice(a) for a in (proposal.assignee, *proposal.alternatives)]
    elif action == "whistle":
        form["departments"] = department_choices()
    elif action == "merge":
        candidates = selectors.duplicate_candidates(case.category, case.lat, case.lng, limit=11)
        form["candidates"] = [c for c in candidates if c.pk != case.pk][:10]
    elif action == "rate":
        form["ratings"] = type(case).rating.field.choices
    return form


def _assignee_choice(assignee) -> dict:
    """One option of the dispatch form: ``region:<code>`` or ``department:<code>``."""
    if assignee.department is not None:
        return {"value": f"department:{assignee.code}", "label": assignee.name, "group": "department"}
    return {"value": f"region:{assignee.code}", "label": f"{assignee.region.get_level_display()} · {assignee.name}", "group": "region"}


@staff_required
@require_POST
def case_action(request, number, action):
    case = _visible_case_or_404(request.user, number)
    try:
        version = int(request.POST.get("version", ""))
        params = action_params(action, request.POST)
        services.take_action(
            case.pk, action, request.user, expected_version=version, note=request.POST.get("note", ""),
            public_note=request.POST.get("public_note", "") if presenters.proposes_public_summary(action) else "",
            photos=request.FILES.getlist("photos")[:MAX_PHOTOS], **params,
        )  # fmt: skip
    except CaseChanged as error:
        message = _("Someone changed this case while you were looking at it; it has been reloaded. Check it and try again.")
        return _detail_page(request, _visible_case_or_404(request.user, number), error=f"{message} ({error})", status=409)
    except NotAllowed as error:
        return _detail_page(request, case, error=str(error), status=403)
    except (WorkflowError, ActionError, ValueError) as error:
        return _detail_page(request, case, error=str(error), status=400)
    messages.success(request, _("%(action)s: done.") % {"action": presenters.action_label(action)})
    if selectors.visible_cases(request.user).filter(pk=case.pk).exists():
        return redirect("cases:detail", number=number)
    return redirect("cases:inbox")


@staff_required
@require_POST
def case_place(request, number):
    """Place a case taken in at a stand-in point (services.place_case)."""
    case = _visible_case_or_404(request.user, number)
    values = {"lat": request.POST.get("lat", "")[:40], "lng": request.POST.get("lng", "")[:40]}
    try:
        version = int(request.POST.get("version", ""))
        lat, lng = float(values["lat"]), float(values["lng"])
    except ValueError:
        return _detail_page(request, case, error=_("Enter the latitude and longitude as numbers."), status=400, place_values=values)
    try:
        services.place_case(case.pk, request.user, lat=lat, lng=lng, expected_version=version)
    except CaseChanged as error:
        return _detail_page(request, _visible_case_or_404(request.user, number), error=str(error), status=409, place_values=values)
    except NotAllowed as error:
        return _detail_page(request, case, error=str(error), status=403, place_values=values)
    except (WorkflowError, ValueError) as error:
        return _detail_page(request, case, error=str(error), status=400, place_values=values)
    messages.success(request, _("The case has been placed."))
    return redirect("cases:detail", number=number)


@staff_required
def case_map(request):
    return render(
        request,
        "cases/map.html",
        {
            "map_config": {
                "geojsonUrl": reverse("api:api-root") + "v1/cases/open.geojson",
                "gridsUrl": reverse("api:api-root") + "v1/evaluation/open-by-grid.geojson",
                "tileUrl": settings.GRIDGOV_TILE_URL,
                "tileAttribution": settings.GRIDGOV_TILE_ATTRIBUTION,
                "text": {
                    "open": _("Open the case"),
                    "overdue": _("Overdue"),
                    "dueSoon": _("Due soon"),
                    "onTime": _("On time"),
                    "empty": _("No open cases in your area."),
                    "loadFailed": _("Could not load the cases. Reload the page to try again."),
                    "gridFigures": _("%(open)s open, %(overdue)s overdue"),
                },
            }
        },
    )


@login_required
def photo(request, pk, size):
    """A case photo, for whoever may see the case (photos are not public media)."""
    photo = selectors.visible_photo(request.user, pk)
    if photo is None:
        raise Http404
    if size == "thumb" and photo.thumbnail:
        response = FileResponse(photo.thumbnail.open("rb"), content_type="image/jpeg")  # thumbnails are always JPEG
    else:
        response = FileResponse(photo.image.open("rb"), content_type=photo.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response
