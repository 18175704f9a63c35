"""Evaluation figures as plain data for the JSON API, the pages and the Excel export: rates as
percentages rounded to hundredths, scores as numbers, and the links to the cases behind each count."""

from decimal import ROUND_HALF_UP, Decimal
from typing import overload
from urllib.parse import urlencode

from django.urls import reverse

from gridgov.cases.catalogue import localized

from .indicators import ANY_MEASURE, INDICATORS, SHOWN_COUNTS, STAFF_MEASURES, indicators_for
from .periods import Period
from .selectors import Figures, UnitRow

CENT = Decimal("0.01")


def percent(rate: Decimal | None) -> float | None:
    if rate is None:
        return None
    return float((rate * 100).quantize(CENT, rounding=ROUND_HALF_UP))


def number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def shown_counts(level: str) -> list[str]:
    return list(STAFF_MEASURES) if level == "staff" else SHOWN_COUNTS


@overload
def figures_payload(figures: Figures, level: str = "") -> dict: ...
@overload
def figures_payload(figures: None, level: str = "") -> None: ...
def figures_payload(figures: Figures | None, level: str = "") -> dict | None:
    if figures is None:
        return None
    return {
        "score": number(figures.score),
        "grade": figures.grade,
        "counts": {key: figures.counts.get(key, 0) for key in shown_counts(level)},
        "rates": {key: percent(rate) for key, rate in figures.rates.items()},
    }


def change(now: float | None, then: float | None) -> float | None:
    if now is None or then is None:
        return None
    return round(now - then, 2)


def cases_url(measure: str, period: Period, level: str, unit: str) -> str:
    return reverse("evaluation:cases") + "?" + urlencode({"measure": measure, "period": period.key, "level": level, "unit": unit})


def row_payload(row: UnitRow, level: str, period: Period) -> dict:
    current = figures_payload(row.figures, level)
    previous, earlier = figures_payload(row.previous, level), figures_payload(row.year_earlier, level)
    return {
        "code": row.unit.code,
        "name": localized(row.unit.name),
        "parent": row.unit.parent,
        "rank": row.rank,
        **current,
        "previous": previous,
        "year_earlier": earlier,
        "score_change": change(current["score"], previous["score"] if previous else None),
        "score_change_year": change(current["score"], earlier["score"] if earlier else None),
        "links": {key: cases_url(key, period, level, row.unit.code) for key in SHOWN_COUNTS}
        if level not in ("role", "staff")
        else {},
    }


def columns(level: str) -> list[dict]:
    """The table's columns: the counts, then the level's rates."""
    counts = [{"key": key, "label": str(ANY_MEASURE[key].label), "kind": "count"} for key in shown_counts(level)]
    rates = [
        {"key": i.key, "label": str(i.label), "kind": "rate", "higher_is_better": i.higher_is_better}
        for i in indicators_for(level)
    ]
    return counts + rates


def indicator_payload(key: str) -> dict:
    indicator = INDICATORS[key]
    return {
        "key": key,
        "label": str(indicator.label),
        "numerator": [{"measure": m, "label": str(ANY_MEASURE[m].label), "factor": float(f)} for m, f in indicator.numerator],
        "denominator": {"measure": indicator.denominator, "label": str(ANY_MEASURE[indicator.denominator].label)},
        "higher_is_better": indicator.higher_is_better,
        "levels": sorted(indicator.levels),
        "roles": list(indicator.roles),
    }
