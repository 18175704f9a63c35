"""HTML pages of cases: the public intake and look-up, and the staff inbox, list, detail and map.

Views read through ``selectors`` / ``presenters`` and change cases only through ``services``.
Public pages (``report_*``, ``lookup``) never show a reporter's name, phone or e-mail.
"""

import functools
import json
import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.models import Role
from gridgov.grids import selectors as grid_selectors

from . import dispatching, presenters, privacy, selectors, services
from .forms import (
    MAX_PHOTOS,
    ActionError,
    CaseFilter,
    InboxFilter,
    LookupForm,
    MeTooForm,
    RateForm,
    ReportForm,
    action_params,
    department_choices,
    grouped_categories,
)
from .models import Case, Source, State
from .ratelimit import LookupLocked, RateLimited, check_rate, client_address, configured_rate, guarded_lookup, too_many_requests
from .workflow import INTAKE, TRANSITIONS, CaseChanged, NotAllowed, WorkflowError, combined_steps

PAGE_SIZE = 50
GRID_STAFF = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})
STAFF_SOURCES = services.STAFF_SOURCES  # what staff may pick on the form (the rule: services.intake_sources)
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
    form_options: dict[str, Any] = {
        "phone_required": role == "resident",
        "sources": [(s.value, s.label) for s in STAFF_SOURCES] if role == "staff" else None,
    }
    if request.method == "POST":
        form = ReportForm(request.POST, **form_options)
        form.set_photos(request.FILES.getlist("photos"))
        if form.is_valid():
            try:
                case = _take_report(request, form, role)
            except RateLimited as error:
                return too_many_requests(error)
            if case is not None:
                request.session[REPORTED_SESSION_KEY] = case.number
                return redirect("report:done")
    else:
        form = ReportForm(**form_options)
    return render(
        request,
        "cases/report.html",
        {
            "form": form,
            "intake_role": role,
            "max_photos": MAX_PHOTOS,
            "report_map": _report_map(request.user),
            "offline": _offline_config(request.user),
        },
        status=400 if form.errors else 200,
    )


def _take_report(request, form: ReportForm, role: str) -> Case | None:
    data = form.cleaned_data
    user = request.user if request.user.is_authenticated else None
    source = {"resident": Source.RESIDENT, "grid": Source.PATROL}.get(role) or data["source"]
    if (earlier := selectors.case_by_client_key(data.get("client_key"))) is not None:
        return earlier  # queued by the older offline script and taken in before (see ReportForm.client_key)
    try:
        return services.report_case(
            services.Report(
                category=data["category"], lat=data["lat"], lng=data["lng"], description=data["description"],
                address=data["address"], source=source, reporter=user, reporter_name=data["reporter_name"],
                reporter_phone=data["reporter_phone"], intake_key=form.intake_key(),
            ),
            photos=form.photos, channel=services.PERSON, client=client_address(request),
        )  # fmt: skip
    except ValueError as error:  # IntakeError (the intake rules: services.check_intake), or a refused photo
        form.add_error(None, str(error))
        return None


# --- the grid worker's patrol page --------------------------------------------------------------


@staff_required
def patrol(request):
    """A grid worker's patrol page (phone-first): their grid on the map with their position, a
    report that starts with the camera, their open cases, and on-the-spot handling (自处置):
    the problem, its before and after photos and "done" in one form, recorded as a patrol report
    and a ``self_handle`` step that waits for the community's verifier."""
    user = request.user
    if user.role not in GRID_STAFF:
        return redirect("cases:inbox")
    form = ReportForm(request.POST or None, phone_required=False)
    values = {"public_note": request.POST.get("public_note", "")[: services.MAX_PUBLIC_NOTE]}
    if request.method == "POST":
        form.set_photos(request.FILES.getlist("photos"))
        after = request.FILES.getlist("after_photos")
        on_the_spot = request.POST.get("mode") == "self_handle"
        if on_the_spot and not after:
            form.add_error(None, _("Add at least one photo taken after you handled the problem."))
        elif len(after) > MAX_PHOTOS:
            form.add_error(None, _("At most %(count)d photos.") % {"count": MAX_PHOTOS})
        if form.is_valid():
            case = _patrol_report(request, form, after if on_the_spot else None, values["public_note"])
            if case is not None:
                if on_the_spot:
                    messages.success(
                        request,
                        _("Case %(number)s is recorded as handled on the spot; the community will verify it.")
                        % {"number": case.number},
                    )
                else:
                    messages.success(request, _("Case %(number)s is reported.") % {"number": case.number})
                return redirect("cases:patrol")
    my_cases = [presenters.case_summary(case) for case in selectors.inbox(user)[:50]]
    report_map = _report_map(user)
    report_map["meTooUrl"] = None  # staff report what they see; "me too" is for residents
    return render(
        request,
        "cases/patrol.html",
        {
            "form": form,
            "values": values,
            "max_photos": MAX_PHOTOS,
            "report_map": report_map,
            "my_cases": my_cases,
            "offline": _offline_config(request.user),
        },
        status=400 if form.errors else 200,
    )


def _patrol_report(request, form: ReportForm, after_photos, public_note: str) -> Case | None:
    data = form.cleaned_data
    if (earlier := selectors.case_by_client_key(data.get("client_key"))) is not None:
        return earlier  # queued by the older offline script and taken in before (see ReportForm.client_key)
    # The same key with "report" and with "done on the spot" (or other after-photos) are two reports.
    handling = ("self_handle", public_note, *((p.name, p.size) for p in after_photos)) if after_photos is not None else ()
    report = services.Report(
        category=data["category"], lat=data["lat"], lng=data["lng"], description=data["description"],
        address=data["address"], source=Source.PATROL, reporter=request.user, intake_key=form.intake_key(*handling),
    )  # fmt: skip
    try:
        if after_photos is None:
            return services.report_case(report, photos=form.photos, channel=services.PERSON, client=client_address(request))
        return services.handle_on_the_spot(
            report, request.user, before_photos=form.photos, after_photos=after_photos, public_note=public_note
        )
    except (WorkflowError, ValueError) as error:  # IntakeError, a refused photo, or the step refused
        form.add_error(None, str(error))
        return None


def _offline_config(user) -> dict:
    """What static/cases/offline.js needs: the service worker, who is signed in (a handling step
    kept on the phone is sent only by the person who took it) and its sentences."""
    waiting = _("Waiting for a connection: {description}")
    return {
        "serviceWorker": reverse("report:sw"),
        "user": user.pk if user.is_authenticated else None,
        "loginUrl": reverse("login"),
        "text": {
            "waiting": waiting,
            "queued": _("No connection: the report is kept on this phone and will be sent when the connection returns."),
            "sent": _("A report kept on this phone has been sent."),
            "refused": _("A report kept on this phone was refused when it was sent; please report it again."),
            "retryLater": _("The server could not take the report now; it stays on this phone and will be sent again."),
            "signIn": _("Sign in again to send what is kept on this phone."),
            "typedNote": _("What you had written (the step was not taken):"),
            "staleCopy": _("No connection: this is the copy of the case kept on this phone from {time}; it may be out of date."),
            "step": {
                "waiting": waiting,
                "queued": _("No connection: the step is kept on this phone and will be sent when the connection returns."),
                "sent": _("A step kept on this phone has been sent."),
                "refused": _("A step kept on this phone was refused when it was sent; open the case and take it again."),
                "refusedBecause": _("“{description}”, kept on this phone, was refused when it was sent: {reason}"),
                "retryLater": _("The server could not take the step now; it stays on this phone and will be sent again."),
            },
        },
    }


def service_worker(request):
    """The offline service worker, at a URL of its own so that it may serve the report and patrol
    pages (Service-Worker-Allowed: /). Its one sentence is given here, where makemessages finds it
    (it reads templates ending in .html and .txt only)."""
    context = {"not_kept_text": _("Not kept offline")}  # drawn in place of a thumbnail not kept on the phone
    response = render(request, "cases/sw.js", context, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


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
        # Loaded by report.js once the form is usable (the names the service worker keeps).
        "leaflet": {"js": static("vendor/leaflet-1.9.4/leaflet.js"), "css": static("vendor/leaflet-1.9.4/leaflet.css")},
        "similarUrl": reverse("report:similar"),
        "meTooUrl": reverse("report:me_too"),
        "tileUrl": settings.GRIDGOV_TILE_URL,
        "tileAttribution": settings.GRIDGOV_TILE_ATTRIBUTION,
        "text": {
            "pinHere": _("The problem is here"),
            "similar": _(
                "Similar reports nearby — is yours one of them? Say “me too” to follow it instead, or still submit yours."
            ),
            "meToo": _("Me too"),
            "meTooNeedsPhone": _("Enter your phone below first: we tell you of each change through it."),
            "meTooFailed": _("Could not send it. Check your connection and try again."),
            "locating": _("Finding your location…"),
            "locateFailed": _("Your location could not be found. Tap the map where the problem is."),
            "mapFailed": _("The map could not be loaded. Press “Use my location” to set the point, or reload the page."),
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
        return HttpResponseBadRequest(
            json.dumps({"detail": "category, lat and lng are required"}), content_type="application/json"
        )
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
    comment = request.POST.get("comment", "")
    try:
        if request.user.is_authenticated and case.reporter_id == request.user.pk:
            services.take_action(case.pk, "rate", request.user, rating=rating, comment=comment)
        else:
            services.take_action(case.pk, "rate", None, system=True, by_reporter=True, rating=rating, comment=comment)
    except WorkflowError as error:
        case.refresh_from_db()
        return _public_case_page(request, LookupForm(request.POST), case, error=str(error), phone=request.POST.get("phone", ""))
    case.refresh_from_db()
    messages.success(request, _("Thank you for your rating."))
    return _public_case_page(request, LookupForm(request.POST), case)


@require_GET
def public_photo(request, token):
    """A photo shown on a look-up page, through the signed, expiring link that page made
    (presenters.public_photos); only the photos the public may see are served."""
    found = presenters.read_public_photo_token(token)
    photo = selectors.public_photo(found[0]) if found else None
    if found is None or photo is None:
        raise Http404
    if found[1] == "thumb" and photo.thumbnail:
        response = FileResponse(photo.thumbnail.open("rb"), content_type="image/jpeg")
    else:
        response = FileResponse(photo.image.open("rb"), content_type=photo.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_POST
def me_too(request):
    """我也遇到: follow an open report nearby instead of filing a duplicate (JSON, from report.js).
    Rate-limited like intake; the phone is needed to tell the resident of each change."""
    try:
        check_rate(request, "intake")
    except RateLimited as error:
        return JsonResponse({"detail": str(error)}, status=429, headers={"Retry-After": str(error.retry_after_seconds)})
    form = MeTooForm(request.POST)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        return JsonResponse({"detail": message}, status=400)
    try:
        subscriber, created = services.subscribe_me_too(
            form.cleaned_data["number"], phone=form.cleaned_data["phone"], email=form.cleaned_data["email"]
        )
    except services.MeTooError as error:
        return JsonResponse({"detail": str(error)}, status=400)
    if created:
        message = _("Thank you: you now follow case %(number)s and will be told of each change.")
    else:
        message = _("You already follow case %(number)s.")
    return JsonResponse(
        {"number": subscriber.case.number, "created": created, "detail": message % {"number": subscriber.case.number}}
    )


def _own_case(request) -> Case | None:
    return selectors.own_case(request.user, request.POST.get("number", "").strip())


def _public_case_page(request, form, case: Case | None, error: str = "", phone: str = ""):
    context = {"form": form, "error": error, "my_cases": _my_cases(request.user)}
    if case is not None:
        context.update(
            case=presenters.public_case(case),
            timeline=presenters.public_timeline(case),
            can_rate=case.state == State.CLOSED,
            photos=presenters.public_photos(case),
            point_map=presenters.public_point_map(case),
            expected_finish=presenters.expected_finish(case),
            rating_comment=case.rating_comment,
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


INBOX_SIZE = 200
DISPATCH_ROLES = TRANSITIONS["dispatch"].roles


def _streets(user) -> list[tuple[str, str]]:
    """The streets a user's filter offers: those their unit covers or lies in."""
    code = user.region.code if user.region_id else ""
    streets = grid_selectors.regions_at_level("street")
    return [(s.code, s.name) for s in streets if s.code.startswith(code) or code.startswith(s.code)]


@staff_required
def inbox(request):
    now = timezone.now()
    filters = InboxFilter(request.GET or None, streets=_streets(request.user))
    cases = selectors.inbox(request.user, now)
    if filters.is_bound:
        cases = filters.apply(cases, request.user)
    total = cases.count()
    rows = [presenters.queue_row(case, now) for case in cases[:INBOX_SIZE]]
    may_dispatch = request.user.role in DISPATCH_ROLES and any(row["state"] == State.FILED for row in rows)
    return render(
        request,
        "cases/inbox.html",
        {
            "rows": rows, "total": total, "shown": len(rows), "filters": filters, "may_dispatch": may_dispatch, "now": now,
            "inbox_config": {"refreshSeconds": INBOX_REFRESH_SECONDS, "text": _countdown_text()},
        },
        status=400 if filters.is_bound and filters.errors else 200,
    )  # fmt: skip


# The queue reloads itself this often (unless the user is typing or has ticked cases): a minute
# keeps a dispatcher's view fresh at one light request per minute per open inbox.
INBOX_REFRESH_SECONDS = 60


def _countdown_text() -> dict:
    return {
        "left": _("%(time)s left"),
        "over": _("overdue by %(time)s"),
        "days": _("%(count)s d"),
        "hours": _("%(count)s h"),
        "minutes": _("%(count)s min"),
    }


@staff_required
@require_POST
def dispatch_batch(request):
    """Dispatch each selected filed case to its proposed handler, each as its own step; one
    message per case says what happened to it."""
    numbers = request.POST.getlist("cases")[:INBOX_SIZE]
    if not numbers:
        messages.error(request, _("Tick the cases to dispatch first."))
    for number in numbers:
        case = selectors.visible_cases(request.user).filter(number=number).select_related("category", "grid").first()
        if case is None:
            messages.error(request, _("Case %(number)s is not among the cases you can see.") % {"number": number})
            continue
        try:
            version = int(request.POST.get(f"version-{number}", ""))
            assignee = dispatching.propose_assignee(case).assignee
            services.take_action(case.pk, "dispatch", request.user, expected_version=version, **assignee.params)
        except (WorkflowError, ValueError) as error:
            messages.error(request, _("Case %(number)s was not dispatched: %(reason)s") % {"number": number, "reason": error})
        else:
            messages.success(
                request, _("Case %(number)s was dispatched to %(unit)s.") % {"number": number, "unit": assignee.name}
            )
    return redirect(reverse("cases:inbox") + ("?" + request.GET.urlencode() if request.GET else ""))


@staff_required
def case_list(request):
    filters = CaseFilter(request.GET or None, caller_search=privacy.may_see_personal_data(request.user))
    cases = selectors.visible_cases(request.user).select_related("category")
    if filters.is_bound:
        cases = filters.apply(cases, request.user)
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


# The header that lets the service worker (templates/cases/sw.js) keep a case page on the phone
# for a reload without a connection: only for the grid's own staff, who work outside.
OFFLINE_COPY_HEADER = "X-Gridgov-Offline-Copy"


def _detail_page(
    request, case: Case, *, error: str = "", status: int = 200, reporter: dict | None = None, place_values: dict | None = None,
    typed: dict | None = None,
):  # fmt: skip
    user = request.user
    timeline = [presenters.step_payload(step) for step in selectors.case_timeline(case)]
    location_unconfirmed = any(step["action"] == "report" and step["data"].get("location_unconfirmed") for step in timeline)
    photos = list(case.photos.all())
    actions = [_action_form(case, action, typed) for action in selectors.allowed_actions(user, case)]
    response = render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "flags": presenters.clock_flags(case),
            "timeline": timeline,
            "before_photos": [presenters.photo_payload(p) for p in photos if p.phase == "before"],
            "after_photos": [presenters.photo_payload(p) for p in photos if p.phase == "after"],
            "actions": actions,
            "typed_form_shown": any(form["refused"] for form in actions),
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
            "typed": typed or {},
            "me_too_count": case.subscribers.count(),
            "offline": _offline_config(user),
        },
        status=status,
    )  # fmt: skip
    if user.role in GRID_STAFF and reporter is None:  # a page with the reporter revealed is never kept
        response[OFFLINE_COPY_HEADER] = "keep"
    return response


def _action_form(case: Case, action: str, typed: dict | None = None) -> dict:
    """What one action's form needs: its label, whether a note is required, its own inputs, and,
    when it was just refused, what the user had typed into it (``typed``)."""
    typed = typed if typed and typed.get("action") == action else {}
    form = {
        "action": action, "label": presenters.action_label(action), "needs_note": presenters.needs_note(action),
        "public_summary": presenters.proposes_public_summary(action),
        "standard_public_text": presenters.public_text(combined_steps(action)[-1], merged_into="…"),
        "photos": presenters.takes_photos(action), "typed": typed, "refused": bool(typed),
        "step_key": secrets.token_urlsafe(24),  # the step's one-time key (services.take_action)
    }  # fmt: skip
    if action in ("file", "accept_file"):
        form["categories"] = grouped_categories()
        form["category"] = str(typed.get("category") or case.category_id)
        form["lat"], form["lng"] = typed.get("lat") or case.lat, typed.get("lng") or case.lng
    elif action == "dispatch":
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
    return {
        "value": f"region:{assignee.code}",
        "label": f"{assignee.region.get_level_display()} · {assignee.name}",
        "group": "region",
    }


# What an action form sends besides the version (kept and shown again when the step is refused).
TYPED_FIELDS = ("note", "public_note", "assignee", "lead", "hours", "into", "rating", "category", "lat", "lng")


@staff_required
@require_POST
def case_action(request, number, action):
    case = _visible_case_or_404(request.user, number)
    typed = {
        "action": action,
        **{name: request.POST.get(name, "")[:4000] for name in TYPED_FIELDS},
        "co": request.POST.getlist("co"),
    }
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        error = _("The form was incomplete; it has been reloaded. Check the case and try again.")
        return _detail_page(request, case, error=error, status=400, typed=typed)
    try:
        params = action_params(action, request.POST)
        services.take_action(
            case.pk, action, request.user, expected_version=version, note=request.POST.get("note", ""),
            public_note=request.POST.get("public_note", "") if presenters.proposes_public_summary(action) else "",
            photos=request.FILES.getlist("photos")[:MAX_PHOTOS], step_key=request.POST.get("step_key", "")[:64], **params,
        )  # fmt: skip
    except CaseChanged as error:
        return _detail_page(request, _visible_case_or_404(request.user, number), error=str(error), status=409, typed=typed)
    except NotAllowed as error:
        return _detail_page(request, case, error=str(error), status=403, typed=typed)
    except (WorkflowError, ActionError, ValueError) as error:
        return _detail_page(request, case, error=str(error), status=400, typed=typed)
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
        return _detail_page(
            request, case, error=_("Enter the latitude and longitude as numbers."), status=400, place_values=values
        )
    try:
        services.place_case(case.pk, request.user, lat=lat, lng=lng, expected_version=version)
    except CaseChanged as error:
        return _detail_page(
            request, _visible_case_or_404(request.user, number), error=str(error), status=409, place_values=values
        )
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
