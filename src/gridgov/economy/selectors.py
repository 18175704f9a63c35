"""Reads over the monthly figures: trends, the peer ranking, record months, the period table.

Ranking and maxima are computed by the database (a RANK() window and MAX aggregates), so the
economy page costs a fixed handful of queries however many years are stored.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, Max, Q, QuerySet, Window
from django.db.models.functions import Rank

from .models import FIRST_MONTH, District, Indicator, MonthlyFigure

RANK_MEASURES = ("cumulative_growth", "month_growth", "cumulative_value", "month_value")
ONE_DECIMAL = Decimal("0.1")


def round_growth(value: Decimal | float | None) -> Decimal | None:
    """Growth to one decimal, halves away from zero (how statistical bulletins round: 18.85 → 18.9,
    where Python's ``round`` would give 18.8)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def growth_rate(current: Decimal | int, previous: Decimal | int) -> Decimal | None:
    """Percentage change from ``previous`` to ``current``, one decimal; None when there is no base."""
    if not previous:
        return None
    return round_growth((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous))


def home_district() -> District | None:
    return District.objects.filter(is_home=True).first()


def indicators() -> QuerySet[Indicator]:
    return Indicator.objects.all()


def districts() -> QuerySet[District]:
    return District.objects.all()


def indicator_by_code(code: str) -> Indicator | None:
    return Indicator.objects.filter(code=code).first()


def figure(indicator: Indicator, district: District, year: int, month: int) -> MonthlyFigure | None:
    return MonthlyFigure.objects.filter(indicator=indicator, district=district, year=year, month=month).first()


def trend(indicator: Indicator, district: District, *, since_year: int | None = None) -> QuerySet[MonthlyFigure]:
    """The district's figures of one indicator in time order."""
    figures = MonthlyFigure.objects.filter(indicator=indicator, district=district)
    if since_year is not None:
        figures = figures.filter(year__gte=since_year)
    return figures.order_by("year", "month")


def peer_ranking(
    indicator: Indicator, year: int, month: int, measure: str = "cumulative_growth"
) -> list[tuple[District, Decimal, int]]:
    """(district, value, rank) of every district with a value, best first; equal values share a
    rank and the next rank skips (1, 1, 3), as bulletins print them."""
    if measure not in RANK_MEASURES:
        raise ValueError(f"measure: {measure!r} is not one of {', '.join(RANK_MEASURES)}")
    rows = (
        MonthlyFigure.objects.filter(indicator=indicator, year=year, month=month)
        .exclude(**{f"{measure}__isnull": True})
        .select_related("district")
        .annotate(rank=Window(Rank(), order_by=F(measure).desc()))
        .order_by("rank", "district__code")
    )
    return [(row.district, getattr(row, measure), row.rank) for row in rows]


def district_rank(
    indicator: Indicator, district: District, year: int, month: int, measure: str = "cumulative_growth"
) -> tuple[int, int] | None:
    """(rank, number of districts ranked) of one district, or None when it has no value."""
    ranking = peer_ranking(indicator, year, month, measure)
    for ranked, _value, rank in ranking:
        if ranked.pk == district.pk:
            return rank, len(ranking)
    return None


def earlier_filter(year: int, month: int) -> Q:
    return Q(year__lt=year) | Q(year=year, month__lt=month)


def is_record_month(indicator: Indicator, district: District, year: int, month: int) -> bool:
    """Whether the month's value is the highest month value on record for the indicator and
    district: above every earlier single month. Month 2 (January and February together) is two
    months' output, so it is neither compared nor a record."""
    current = figure(indicator, district, year, month)
    if current is None or current.month_value is None or month == FIRST_MONTH:
        return False
    earlier = (
        MonthlyFigure.objects.filter(indicator=indicator, district=district)
        .filter(earlier_filter(year, month))
        .exclude(month=FIRST_MONTH)
        .aggregate(high=Max("month_value"))["high"]
    )
    return earlier is not None and current.month_value > earlier


@dataclass(frozen=True)
class IndicatorRow:
    indicator: Indicator
    figure: MonthlyFigure | None
    rank: int | None
    ranked: int
    record: bool

    @property
    def month_growth(self) -> Decimal | None:
        return round_growth(self.figure.month_growth) if self.figure else None

    @property
    def cumulative_growth(self) -> Decimal | None:
        return round_growth(self.figure.cumulative_growth) if self.figure else None


def period_table(district: District, year: int, month: int) -> list[IndicatorRow]:
    """Every indicator for one district and month: values, growth, rank among peers by
    cumulative growth, and the record flag. Three queries whatever the number of indicators."""
    figures = {f.indicator_id: f for f in MonthlyFigure.objects.filter(district=district, year=year, month=month)}
    ranks: dict[int, int] = {}
    counts: dict[int, int] = {}
    ranked = (
        MonthlyFigure.objects.filter(year=year, month=month, cumulative_growth__isnull=False)
        .annotate(rank=Window(Rank(), partition_by=F("indicator_id"), order_by=F("cumulative_growth").desc()))
        .values_list("indicator_id", "district_id", "rank")
    )
    for indicator_id, district_id, rank in ranked:
        counts[indicator_id] = counts.get(indicator_id, 0) + 1
        if district_id == district.pk:
            ranks[indicator_id] = rank
    highs = dict(
        MonthlyFigure.objects.filter(district=district)
        .filter(earlier_filter(year, month))
        .exclude(month=FIRST_MONTH)
        .values("indicator_id")
        .annotate(high=Max("month_value"))
        .values_list("indicator_id", "high")
    )
    rows = []
    for indicator in Indicator.objects.all():
        current = figures.get(indicator.pk)
        high = highs.get(indicator.pk)
        record = bool(
            current
            and current.month_value is not None
            and month != FIRST_MONTH
            and high is not None
            and current.month_value > high
        )
        rows.append(IndicatorRow(indicator, current, ranks.get(indicator.pk), counts.get(indicator.pk, 0), record))
    return rows


def latest_period(district: District | None = None) -> tuple[int, int] | None:
    """The newest (year, month) with figures for the district (or any district)."""
    figures = MonthlyFigure.objects.all()
    if district is not None:
        figures = figures.filter(district=district)
    latest = figures.order_by("-year", "-month").values_list("year", "month").first()
    return latest


def figures_for_export(year: int | None = None) -> QuerySet[MonthlyFigure]:
    figures = MonthlyFigure.objects.select_related("indicator", "district")
    if year is not None:
        figures = figures.filter(year=year)
    return figures.order_by("year", "month", "indicator__display_order", "indicator__code", "district__code")


@dataclass(frozen=True)
class BriefingHeadline:
    """What the leader's dashboard shows of the monthly briefing: the last published month's
    indicators (district-wide) and the ≥ 100 M project counts of the user's own project scope."""

    year: int
    month: int
    rows: list[IndicatorRow]
    project_counts: dict | None  # projects.selectors.Count_ per measure; None outside a project scope

    @property
    def month_value(self) -> str:
        return f"{self.year}-{self.month:02d}"


HEADLINE_INDICATORS = 4


def briefing_headline(user) -> BriefingHeadline | None:
    """The briefing's headline figures for the newest month the home district has figures for;
    None when there is no home district or no figure yet. Five queries."""
    from gridgov.projects import selectors as project_selectors

    district = home_district()
    latest = latest_period(district) if district else None
    if district is None or latest is None:
        return None
    year, month = latest
    rows = [row for row in period_table(district, year, month) if row.figure is not None and row.cumulative_growth is not None]
    counts = None
    if project_selectors.region_code(user) is not None:
        counts = project_selectors.period_counts(
            project_selectors.Period.months(year, 1, month), project_selectors.visible_projects(user)
        )
    return BriefingHeadline(year, month, rows[:HEADLINE_INDICATORS], counts)
