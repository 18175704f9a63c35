"""JSON API of the economy (mounted at /api/v1/economy/): indicators, the month's table with
ranks and records, a peer ranking, a trend and the briefing. District-wide: any staff caller."""

import re
from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from gridgov.accounts.models import Role
from gridgov.accounts.requests import AuthenticatedRequest

from . import selectors
from .briefing import monthly_briefing

router = Router(tags=["economy"])


class ErrorOut(Schema):
    detail: str


class EconomyIndicatorOut(Schema):
    code: str
    name_zh: str
    name_en: str
    unit: str
    reports_cumulative: bool


class EconomyRowOut(Schema):
    indicator: str
    month_value: Decimal | None
    cumulative_value: Decimal | None
    month_growth: Decimal | None
    cumulative_growth: Decimal | None
    rank: int | None
    ranked: int
    record: bool
    source_id: int | None


class RankOut(Schema):
    district: str
    name: str
    value: Decimal
    rank: int


class PointOut(Schema):
    year: int
    month: int
    month_value: Decimal | None
    cumulative_value: Decimal | None
    cumulative_growth: Decimal | None


class FactOut(Schema):
    label: str
    value: str
    source: str


class BriefingOut(Schema):
    chinese: str
    english: str
    facts: list[FactOut]


def _staff(request: AuthenticatedRequest) -> None:
    if request.user.role == Role.RESIDENT:
        raise HttpError(403, _("The economy's figures are for staff."))


def _month(value: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", value or "")
    if not match or not 2 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
        raise HttpError(400, _("month must be YYYY-MM with a month from 02 to 12 (January and February are reported together)."))
    return int(match[1]), int(match[2])


def _indicator(code: str):
    indicator = selectors.indicator_by_code(code)
    if indicator is None:
        raise HttpError(404, _("No indicator with code %(code)s.") % {"code": code})
    return indicator


@router.get("/indicators", response={200: list[EconomyIndicatorOut], 403: ErrorOut}, summary="Indicators in display order")
def indicators(request: AuthenticatedRequest):
    _staff(request)
    return list(selectors.indicators())


@router.get(
    "/table",
    response={200: list[EconomyRowOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Every indicator for this district and a month",
)
def table(request: AuthenticatedRequest, month: str):
    _staff(request)
    year, last = _month(month)
    district = selectors.home_district()
    if district is None:
        raise HttpError(404, _("No district is marked as this district yet."))
    return [
        {
            "indicator": row.indicator.code,
            "month_value": row.figure.month_value if row.figure else None,
            "cumulative_value": row.figure.cumulative_value if row.figure else None,
            "month_growth": row.month_growth,
            "cumulative_growth": row.cumulative_growth,
            "rank": row.rank,
            "ranked": row.ranked,
            "record": row.record,
            "source_id": row.figure.pk if row.figure else None,
        }
        for row in selectors.period_table(district, year, last)
    ]


@router.get(
    "/ranking/{code}",
    response={200: list[RankOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Peer ranking of one indicator and month (ties share a rank)",
)
def ranking(request: AuthenticatedRequest, code: str, month: str, measure: str = "cumulative_growth"):
    _staff(request)
    year, last = _month(month)
    if measure not in selectors.RANK_MEASURES:
        raise HttpError(400, _("measure must be one of: %(measures)s.") % {"measures": ", ".join(selectors.RANK_MEASURES)})
    return [
        {"district": d.code, "name": d.name, "value": v, "rank": r}
        for d, v, r in selectors.peer_ranking(_indicator(code), year, last, measure)
    ]


@router.get(
    "/trend/{code}",
    response={200: list[PointOut], 403: ErrorOut, 404: ErrorOut},
    summary="This district's figures of one indicator over time",
)
def trend(request: AuthenticatedRequest, code: str, since_year: int | None = None):
    _staff(request)
    district = selectors.home_district()
    if district is None:
        raise HttpError(404, _("No district is marked as this district yet."))
    return list(selectors.trend(_indicator(code), district, since_year=since_year))


@router.get(
    "/briefing",
    response={200: BriefingOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="The monthly briefing, January to the month",
)
def briefing(request: AuthenticatedRequest, month: str):
    _staff(request)
    year, last = _month(month)
    result = monthly_briefing(year, last)
    if result is None:
        raise HttpError(404, _("No district is marked as this district yet."))
    return {"chinese": result.chinese, "english": result.english, "facts": [f.__dict__ for f in result.facts]}
