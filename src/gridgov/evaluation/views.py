"""Pages of the evaluation: the table (with its Excel export and the cases behind each number),
the printable monthly report, the leader's dashboard and its big-screen mode, and the home page
that sends each role where it works.

Pages read through ``selectors`` (and the API's ``table_payload``, so page, API and export show
the same figures); charts and the map fetch ``/api/v1/evaluation/`` in the browser. No inline
scripts: data reaches the scripts through ``json_script`` blocks and data- attributes.
"""

import functools
from datetime import date

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.models import Role
from gridgov.cases import presenters as case_presenters
from gridgov.economy import selectors as economy_selectors
from gridgov.grids import selectors as grid_selectors
from gridgov.ops import filejobs

from . import dashboard, ledger_exports, selectors
from .api import table_payload
from .exporting import table_workbook
from .indicators import MEASURES, SHOWN_COUNTS
from .models import EvaluationLevel
from .periods import Period, month, period_from_query

DASHBOARD_ROLES = frozenset({Role.LEADER, Role.STREET_STAFF, Role.COMMUNITY_STAFF})
BIG_SCREEN_REFRESH_SECONDS = 180
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def staff_only(view):
    @functools.wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.role == Role.RESIDENT:
            return redirect("report:lookup")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
def home(request):
    """Leaders and street and community staff land on the dashboard; everyone else on the map."""
    if request.user.role in DASHBOARD_ROLES:
        return redirect("evaluation:dashboard")
    return redirect("grids:map")


# --- the period picker ---------------------------------------------------------------------------


def _level_choices(user) -> list[tuple[str, str]]:
    labels = dict(EvaluationLevel.choices)
    return [(level, str(labels[level])) for level in selectors.levels_for(user)]


# --- the table, its cases and its export -----------------------------------------------------------


def _table_context(request):
    period, picker, error = period_from_query(request.GET)
    level = request.GET.get("level", "") or selectors.ranking_level(request.user)
    parent = request.GET.get("parent", "").strip()[:15]
    try:
        payload = table_payload(request.user, level, period, parent)
    except selectors.EvaluationError as problem:
        error = error or str(problem)
        level = selectors.ranking_level(request.user)
        payload = table_payload(request.user, level, period)
    return {"payload": payload, "period": period, "picker": picker, "error": error, "level": payload["level"],
            "levels": _level_choices(request.user), "parent": parent, "scope_label": selectors.scope_label(request.user),
            "level_label": dict(EvaluationLevel.choices)[payload["level"]]}  # fmt: skip


@staff_only
def table_page(request):
    context = _table_context(request)
    context["export_query"] = request.GET.urlencode()
    return render(request, "evaluation/table.html", context, status=400 if context["error"] else 200)


@staff_only
def export_table(request):
    context = _table_context(request)
    body = table_workbook(
        context["payload"], scope_label=context["scope_label"], level_label=str(context["level_label"]), parent=context["parent"]
    )
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="evaluation-{context["level"]}-{context["period"].key}.xlsx"'
    return response


@staff_only
def cases_page(request):
    """The cases one number of the table stands for (the same condition the number counts)."""
    period, _picker, error = period_from_query(request.GET)
    measure = request.GET.get("measure", "")
    level = request.GET.get("level", "street")
    unit = request.GET.get("unit", "").strip()[:32]
    try:
        cases = selectors.cases_behind(request.user, measure, period, unit=unit, level=level)
    except selectors.EvaluationError as problem:
        error, cases = error or str(problem), None
    page = (
        Paginator(cases.select_related("category").order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
        if cases is not None
        else None
    )
    now = timezone.now()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "evaluation/cases.html",
        {"page": page, "rows": [case_presenters.case_summary(c, now) for c in page] if page else [], "error": error,
         "measure_label": MEASURES[measure].label if measure in MEASURES else "", "period": period, "unit": unit,
         "query": query.urlencode()},
        status=400 if error else 200,
    )  # fmt: skip


@staff_only
def export_ledger(request):
    """The case ledger as Excel, built in the request: the cases behind one figure (``measure``,
    ``period``, ``unit``, ``level``, as the table links them), or any filter of the case list
    (``state``, ``region``, ``date_from`` …), always within the user's scope. The cases page's
    button queues the same export as a task instead (``prepare_ledger``)."""
    now = timezone.now()
    try:
        body = ledger_exports.ledger_bytes(request.user, request.GET, now)
    except ledger_exports.LedgerRequestError as problem:
        return HttpResponse(str(problem), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="ledger-{now:%Y%m%d-%H%M}.xlsx"'
    return response


@staff_only
@require_POST
def prepare_ledger(request):
    """Queue the ledger the posted ``query`` asks for and send the user to its status page
    (``gridgov.ops.filejobs``); parameters it cannot be built from are refused here, before
    anything is queued."""
    query = QueryDict(request.POST.get("query", "")[:2000])
    try:
        ledger_exports.ledger_request(request.user, query)
    except ledger_exports.LedgerRequestError as problem:
        message = _("The export was not started: %(reason)s") % {"reason": problem}
        return render(request, "ops/job_status.html", {"refused": message}, status=400)
    token = filejobs.start_export(
        request.user,
        ledger_exports.ledger_job,
        {"query": query.urlencode()},
        filename=f"ledger-{timezone.localtime():%Y%m%d-%H%M}.xlsx",
        back=f"{reverse('evaluation:cases')}?{query.urlencode()}" if query.get("measure") else reverse("cases:list"),
    )
    return redirect("jobs:status", token=token)


# --- the monthly report --------------------------------------------------------------------------


def _last_finished_month(today: date) -> Period:
    first = today.replace(day=1)
    return month(first.year - (first.month == 1), 12 if first.month == 1 else first.month - 1)


@staff_only
def report_page(request):
    """The monthly evaluation report, laid out for A4 paper (print CSS)."""
    if not request.GET.get("period") and not request.GET.get("kind"):
        period, error = _last_finished_month(timezone.localdate()), ""
    else:
        period, _picker, error = period_from_query(request.GET)
    levels = [level for level in selectors.levels_for(request.user) if level in ("street", "community", "department")][:2]
    sections = [(dict(EvaluationLevel.choices)[level], table_payload(request.user, level, period)) for level in levels]
    summary = dashboard.dashboard_payload(request.user, period, timezone.now())
    return render(
        request,
        "evaluation/report.html",
        {"period": period, "sections": sections, "summary": summary, "scope_label": selectors.scope_label(request.user), "error": error,
         "generated_at": timezone.now()},
        status=400 if error else 200,
    )  # fmt: skip


# --- the dashboard ---------------------------------------------------------------------------------


def _dashboard_config(request, period: Period, big: bool) -> dict:
    user = request.user
    root = user.region if user.region_id else grid_selectors.top_regions().first()
    return {
        "apiBase": reverse("api:api-root") + "v1/",
        "period": period.key,
        "root": root.code if root else "",
        "rootName": root.name if root else "",
        "rankingLevel": selectors.ranking_level(user),
        "casesUrl": reverse("evaluation:cases"),
        "tableUrl": reverse("evaluation:table"),
        "refreshSeconds": BIG_SCREEN_REFRESH_SECONDS if big else 0,
        "tileUrl": settings.GRIDGOV_TILE_URL,
        "tileAttribution": settings.GRIDGOV_TILE_ATTRIBUTION,
        "indicators": [{"key": key, "label": str(label)} for key, label in _map_indicators()],
        "text": {
            "reported": _("Reported"), "closed": _("Closed"), "onTimeHandling": _("On-time handling rate"),
            "closure": _("Closure rate"), "withinGrid": _("Solved within the grid rate"), "current": _("This period"),
            "previous": _("Previous period"), "yearEarlier": _("A year earlier"), "score": _("Score"),
            "noData": _("No figures for this unit yet."), "loadFailed": _("Could not load the figures. Reload the page to try again."),
            "back": _("Back up one level"), "updated": _("Updated %(time)s"),
        },
    }  # fmt: skip


def _map_indicators():
    from .indicators import INDICATORS

    yield "score", _("Composite score")
    for key in ("on_time_handling", "closure", "overdue", "within_grid", "rework"):
        yield key, INDICATORS[key].label


def _dashboard_page(request, template: str, big: bool, briefing=None):
    period, picker, error = period_from_query(request.GET)
    data = dashboard.dashboard_payload(request.user, period, timezone.now())
    return render(
        request,
        template,
        {"period": period, "picker": picker, "error": error, "data": data, "config": _dashboard_config(request, period, big),
         "scope_label": selectors.scope_label(request.user), "shown_counts": SHOWN_COUNTS, "briefing": briefing},
        status=400 if error else 200,
    )  # fmt: skip


@staff_only
def dashboard_page(request):
    return _dashboard_page(
        request, "evaluation/dashboard.html", big=False, briefing=economy_selectors.briefing_headline(request.user)
    )


@staff_only
def big_screen(request):
    return _dashboard_page(request, "evaluation/big_screen.html", big=True)
