"""The economy page (every indicator for a month: value, cumulative, growth, rank, record),
the Excel import and export (queued as tasks, ``jobs``), and the monthly briefing. The economy
is district-wide: any signed-in staff member reads it; importing takes the
``economy.add_monthlyfigure`` permission."""

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.models import Role
from gridgov.ops import filejobs, job_views

from . import jobs, selectors, services
from .briefing import monthly_briefing

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _staff(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.role == Role.RESIDENT:
            raise Http404(_("This page is for staff."))
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper


def _period(request) -> tuple[int, int]:
    """(year, month) from ``?month=YYYY-MM``, else the newest period with figures, else last month."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", request.GET.get("month", ""))
    if match and 2 <= int(match[2]) <= 12 and 2000 <= int(match[1]) <= 2100:
        return int(match[1]), int(match[2])
    latest = selectors.latest_period(selectors.home_district())
    if latest:
        return latest
    today = timezone.localdate()
    return today.year, max(2, today.month - 1)


@_staff
def index(request):
    year, month = _period(request)
    district = selectors.home_district()
    rows = selectors.period_table(district, year, month) if district else []
    indicator = selectors.indicator_by_code(request.GET.get("indicator", "")) or (rows[0].indicator if rows else None)
    trend = list(selectors.trend(indicator, district, since_year=year - 2)) if district and indicator else []
    high = max((f.month_value for f in trend if f.month_value is not None and f.month != 2), default=None)
    return render(
        request,
        "economy/index.html",
        {
            "district": district,
            "year": year,
            "month": month,
            "month_value": f"{year}-{month:02d}",
            "rows": rows,
            "can_import": jobs.can_import(request.user),
            "trend_indicator": indicator,
            "trend": trend,
            "trend_high": high,
            "trend_chart": trend_chart_data(indicator, trend) if trend else None,
        },
    )


def _number(value):
    return None if value is None else float(value)


def trend_chart_data(indicator, trend) -> dict:
    """An indicator's months for the trend chart (json_script): month values as bars, the
    month's and the cumulative growth as lines. Month 2 is January and February together."""
    return {
        "months": [f"{f.year}-{f.month:02d}" for f in trend],
        "values": [_number(f.month_value) for f in trend],
        "monthGrowth": [_number(f.month_growth) for f in trend],
        "cumulativeGrowth": [_number(f.cumulative_growth) for f in trend],
        "text": {
            "value": _("Month value (%(unit)s)") % {"unit": indicator.unit},
            "monthGrowth": _("Month growth (%)"),
            "cumulativeGrowth": _("Cumulative growth (%)"),
        },
    }


@require_POST
@_staff
def import_table(request):
    """Check the file (a readable .xlsx within 10 MB), keep it privately and queue the import; its
    status page shows the result: the refusal report row by row, or what was imported."""
    if not jobs.can_import(request.user):
        raise Http404(_("You may not import figures."))
    return job_views.queue_upload(request, jobs.import_figures, back="economy:index")


@_staff
def export_table(request):
    """The figures of a year (or all) as Excel, built in the request (the direct link); the
    page's button queues the same export (``prepare_export``)."""
    year = jobs.export_year(request.GET.get("year"))
    response = HttpResponse(services.export_monthly_table(selectors.figures_for_export(year)), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="economy-{year or "all"}.xlsx"'
    return response


@require_POST
@_staff
def prepare_export(request):
    """Queue the export of a year's figures and send the user to its status page."""
    year = jobs.export_year(request.POST.get("year"))
    token = filejobs.start_export(
        request.user, jobs.export_figures, {"year": year}, filename=f"economy-{year or 'all'}.xlsx", back=reverse("economy:index")
    )
    return redirect("jobs:status", token=token)


@_staff
def briefing(request):
    year, month = _period(request)
    result = monthly_briefing(year, month)
    if result is None:
        raise Http404(_("No district is marked as this district yet."))
    fmt = request.GET.get("format", "")
    if fmt == "md":
        response = HttpResponse(result.markdown(), content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="briefing-{year}-{month:02d}.md"'
        return response
    if fmt == "docx":
        response = HttpResponse(result.docx(), content_type=DOCX)
        response["Content-Disposition"] = f'attachment; filename="briefing-{year}-{month:02d}.docx"'
        return response
    return render(request, "economy/briefing.html", {"briefing": result, "month_value": f"{year}-{month:02d}"})
