"""JSON API of the evaluation (mounted at /api/v1/evaluation/): the figures behind every table
and chart of the evaluation pages and the dashboard, always limited to the caller's scope.
Residents get 403; a period or level that cannot be read gets 400 with a whole sentence."""

import hashlib
import json
import re
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from gridgov.accounts.models import Role
from gridgov.accounts.requests import AuthenticatedRequest
from gridgov.cases import selectors as case_selectors
from gridgov.grids import selectors as grid_selectors
from gridgov.grids.codes import Level

from . import dashboard, presenters, selectors
from .indicators import INDICATORS
from .periods import Period, PeriodError, parse_period

router = Router(tags=["evaluation"])
CODE = re.compile(r"^\d{6,15}$")


class ErrorOut(Schema):
    detail: str


class PeriodOut(Schema):
    key: str
    kind: str
    label: str
    first: str
    last: str


class IndicatorOut(Schema):
    key: str
    label: str
    numerator: list[dict]
    denominator: dict
    higher_is_better: bool
    levels: list[str]
    roles: list[str]


class FiguresOut(Schema):
    score: float | None
    grade: str
    counts: dict[str, int]
    rates: dict[str, float | None]


class RowOut(FiguresOut):
    code: str
    name: str
    parent: str
    rank: int | None
    previous: FiguresOut | None
    year_earlier: FiguresOut | None
    score_change: float | None
    score_change_year: float | None
    links: dict[str, str]


class TableOut(Schema):
    period: PeriodOut
    previous: PeriodOut
    year_earlier: PeriodOut
    level: str
    levels: list[str]
    columns: list[dict]
    rows: list[RowOut]


class TableQuery(Schema):
    level: str = ""
    period: str = ""
    parent: str = ""


class DashboardOut(Schema):
    period: PeriodOut
    compare: list[dict]
    overdue_now: int
    own_rank: dict | None
    trend: dict
    categories: list[dict]
    ranking_level: str
    best: list[dict]
    worst: list[dict]
    best_departments: list[dict]
    worst_departments: list[dict]


def period_payload(period: Period) -> dict:
    return {
        "key": period.key,
        "kind": period.kind,
        "label": period.label,
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
    }


def _staff(request: AuthenticatedRequest):
    if request.user.role == Role.RESIDENT:
        raise HttpError(403, _("The evaluation is for staff only."))
    return request.user


def _period(key: str, now: datetime) -> Period:
    try:
        return parse_period(key, now)
    except PeriodError as error:
        raise HttpError(400, str(error)) from error


def table_payload(user, level: str, period: Period, parent: str = "", now: datetime | None = None) -> dict:
    """The evaluation table as data (shared by the API, the page and the export)."""
    now = now or timezone.now()
    level = level or selectors.ranking_level(user)
    if parent and not CODE.match(parent):
        raise selectors.EvaluationError(_("The unit code “%(code)s” is not 6 to 15 digits.") % {"code": parent[:20]})
    rows = selectors.evaluation_table(user, level, period, now=now)
    if parent:
        rows = [row for row in rows if row.unit.code.startswith(parent)]
    return {
        "period": period_payload(period),
        "previous": period_payload(period.previous()),
        "year_earlier": period_payload(period.year_earlier()),
        "level": level,
        "levels": selectors.levels_for(user),
        "columns": presenters.columns(level),
        "rows": [presenters.row_payload(row, level, period) for row in rows],
    }


@router.get(
    "/indicators",
    response=list[IndicatorOut],
    summary="The indicator registry: every rate, its numerator, denominator and levels",
)
def list_indicators(request: AuthenticatedRequest):
    _staff(request)
    return [presenters.indicator_payload(key) for key in INDICATORS]


@router.get(
    "/table",
    response={200: TableOut, 400: ErrorOut, 403: ErrorOut},
    summary="Every indicator, score, grade and rank of every unit of a level over a period",
    description="`level`: street, community, grid, department or role (default: the level below your unit). "
    "`period`: 2026-03, 2026Q1, 2026 or 2026-03-01..2026-03-15 (default: this month). "
    "`parent`: only units under this code. Each unit carries the previous period's and the same period a year "
    "earlier's figures, and for each count the link to the cases behind it.",
)
def table(request: AuthenticatedRequest, query: Query[TableQuery]):
    user = _staff(request)
    now = timezone.now()
    try:
        return table_payload(user, query.level, _period(query.period, now), query.parent, now)
    except selectors.EvaluationError as error:
        raise HttpError(400, str(error)) from error


@router.get(
    "/dashboard",
    response={200: DashboardOut, 400: ErrorOut, 403: ErrorOut},
    summary="The leader's dashboard: this period against the previous and a year earlier, trend, category mix, best and worst units",
)
def dashboard_data(request: AuthenticatedRequest, period: str = ""):
    user = _staff(request)
    now = timezone.now()
    return dashboard.dashboard_payload(user, _period(period, now), now)


@router.get(
    "/open-by-grid.geojson",
    response={200: dict, 304: None, 403: ErrorOut},
    summary="The grids of your scope with their open and overdue cases, for the open-case map",
    description="A GeoJSON FeatureCollection: one feature per grid of your unit (a department: the grids "
    "holding its open cases) with its boundary and the properties code, name, open and overdue (counted now, "
    "in one grouped query). Answers with an ETag (of the counts and the grids' outlines) and `304 Not "
    "Modified` to a matching If-None-Match, so a map that refreshes does not download the boundaries again "
    "while nothing changed.",
)
def open_by_grid(request: AuthenticatedRequest):
    user = _staff(request)
    counts = case_selectors.open_counts_by_grid(user, timezone.now())
    grids = grid_selectors.regions_in_scope(user.region if user.region_id else None).filter(level=Level.GRID).exclude(boundary="")
    if user.role == Role.DEPARTMENT_HANDLER:
        grids = grids.filter(code__in=list(counts))
    # The counts and the outlines' stamp say everything the body holds, without reading a boundary.
    outlines = grid_selectors.outlines_stamp(grids)
    key = json.dumps([outlines.etag, sorted(counts.items())], separators=(",", ":"))
    etag = quote_etag(hashlib.sha256(key.encode()).hexdigest()[:32])
    response = get_conditional_response(request, etag=etag)
    if response is None:
        features = []
        for code, name, boundary in grids.order_by("code").values_list("code", "name", "boundary"):
            figures = counts.get(code, {"open": 0, "overdue": 0})
            properties = json.dumps({"code": code, "name": name, **figures}, ensure_ascii=False)
            features.append(f'{{"type":"Feature","id":"{code}","properties":{properties},"geometry":{boundary}}}')
        body = '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
        response = HttpResponse(body, content_type="application/geo+json")
    response.headers["ETag"] = etag
    patch_cache_control(response, private=True, no_cache=True)
    return response
