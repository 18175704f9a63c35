"""The leader's dashboard as data: what the page, the big screen and the API show.

The headline compares the period with the one before and the same period a year earlier; the
trend covers the twelve months up to the period; the best and worst are the units just below
the user's own (streets for the district) and the departments, by composite score.
"""

from datetime import datetime

from gridgov.cases.catalogue import localized

from . import presenters, selectors
from .periods import Period, _add_months, _span

HEADLINE_COUNTS = ("reported", "closed")
HEADLINE_RATES = ("on_time_handling", "closure", "within_grid")


def _headline(label: str, period: Period, figures: selectors.Figures) -> dict:
    return {
        "which": label,
        "period": period.key,
        "label": period.label,
        **{key: figures.counts.get(key, 0) for key in HEADLINE_COUNTS},
        **{key: presenters.percent(figures.rates.get(key)) for key in HEADLINE_RATES},
    }


def _months_up_to(period: Period, count: int) -> list[Period]:
    last = _span("month", period.last.replace(day=1), 1)
    return [_span("month", _add_months(last.first, -n), 1) for n in range(count - 1, -1, -1)]


def _brief(row: selectors.UnitRow) -> dict:
    return {
        "code": row.unit.code,
        "name": row.unit.name,
        "score": presenters.number(row.figures.score),
        "grade": row.figures.grade,
        "rank": row.rank,
    }


def dashboard_payload(user, period: Period, now: datetime) -> dict:
    compare = [
        _headline("current", period, selectors.scope_totals(user, period, now=now)),
        _headline("previous", period.previous(), selectors.scope_totals(user, period.previous(), now=now)),
        _headline("year_earlier", period.year_earlier(), selectors.scope_totals(user, period.year_earlier(), now=now)),
    ]
    months = selectors.trend(user, _months_up_to(period, selectors.TREND_MONTHS), now)
    level = selectors.ranking_level(user)
    units = selectors.evaluation_table(user, level, period, now=now, compare=False)
    best, worst = selectors.best_and_worst(units)
    departments = selectors.evaluation_table(user, "department", period, now=now, compare=False)
    best_departments, worst_departments = selectors.best_and_worst(departments)
    return {
        "period": {
            "key": period.key,
            "kind": period.kind,
            "label": period.label,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
        },
        "compare": compare,
        "overdue_now": selectors.overdue_now(user, now),
        "own_rank": selectors.rank_among_siblings(user, period, now=now),
        "trend": {
            "months": [m.key for m, _ in months],
            "reported": [f.counts.get("reported", 0) for _, f in months],
            "closed": [f.counts.get("closed", 0) for _, f in months],
            "on_time_handling": [presenters.percent(f.rates.get("on_time_handling")) for _, f in months],
            "closure": [presenters.percent(f.rates.get("closure")) for _, f in months],
        },
        "categories": [{**row, "name": localized(row["name"])} for row in selectors.category_mix(user, period)],
        "ranking_level": level,
        "best": [_brief(r) for r in best],
        "worst": [_brief(r) for r in worst],
        "best_departments": [_brief(r) for r in best_departments],
        "worst_departments": [_brief(r) for r in worst_departments],
    }
