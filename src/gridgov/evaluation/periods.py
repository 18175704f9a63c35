"""Evaluation periods: a month, a quarter, a year or any range of days, in the district's time
zone, with the period before it and the same period a year earlier.

A period is the half-open interval [start, end) of local midnights; ``key`` names it in URLs
(``2026-03``, ``2026Q1``, ``2026``, ``2026-03-01..2026-03-15``).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
YEAR = re.compile(r"^(\d{4})$")
RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
MAX_RANGE_DAYS = 3 * 366
MIN_YEAR, MAX_YEAR = 1950, 2999


class PeriodError(ValueError):
    """A period that cannot be read; the message says what is expected."""


@dataclass(frozen=True)
class Period:
    kind: str  # month, quarter, year, range
    first: date  # first day
    last: date  # last day (inclusive)

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.first.year}Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "year":
            return f"{self.first.year}"
        return f"{self.first:%Y-%m-%d}..{self.last:%Y-%m-%d}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(year)d-%(month)02d") % {"year": self.first.year, "month": self.first.month}
        if self.kind == "quarter":
            return _("Q%(quarter)d %(year)d") % {"year": self.first.year, "quarter": (self.first.month - 1) // 3 + 1}
        if self.kind == "year":
            return _("Year %(year)d") % {"year": self.first.year}
        return _("%(first)s to %(last)s") % {"first": self.first.isoformat(), "last": self.last.isoformat()}

    def is_finished(self, now: datetime | None = None) -> bool:
        return self.end <= (now or timezone.now())

    def previous(self) -> "Period":
        """The period just before: the month, quarter or year before, or a range as long."""
        if self.kind == "range":
            length = self.last - self.first + timedelta(days=1)
            return Period("range", self.first - length, self.first - timedelta(days=1))
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        return _span(self.kind, _add_months(self.first, -months), months)

    def year_earlier(self) -> "Period":
        return Period(self.kind, _shift_year(self.first, -1), _shift_year(self.last, -1))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _span(kind: str, first: date, months: int) -> Period:
    return Period(kind, first, _add_months(first, months) - timedelta(days=1))


def month(year: int, month_number: int) -> Period:
    return _span("month", date(year, month_number, 1), 1)


def current_month(now: datetime | None = None) -> Period:
    today = timezone.localdate(now)
    return month(today.year, today.month)


def parse_period(key: str | None, now: datetime | None = None) -> Period:
    """A period from its key; empty means the current month."""
    key = (key or "").strip()
    if not key:
        return current_month(now)
    if not (MIN_YEAR <= int(key[:4]) <= MAX_YEAR if key[:4].isdigit() else False):
        raise _unreadable(key)  # also keeps the period before and a year earlier within the calendar
    try:
        if m := MONTH.match(key):
            return month(int(m[1]), int(m[2]))
        if m := QUARTER.match(key):
            return _span("quarter", date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1), 3)
        if m := YEAR.match(key):
            return _span("year", date(int(m[1]), 1, 1), 12)
        if m := RANGE.match(key):
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if last < first or (last - first).days > MAX_RANGE_DAYS:
                raise ValueError
            return Period("range", first, last)
    except ValueError:
        pass
    raise _unreadable(key)


def _unreadable(key: str) -> PeriodError:
    return PeriodError(
        _("The period “%(key)s” is not one we can read: give a month (2026-03), a quarter (2026Q1), a year (2026) "
          "or a range of at most three years (2026-03-01..2026-03-15).") % {"key": key[:40]}
    )  # fmt: skip


def recent_months(count: int, now: datetime | None = None) -> list[Period]:
    """The last ``count`` months, oldest first, ending with the current one."""
    this = current_month(now)
    return [_span("month", _add_months(this.first, -n), 1) for n in range(count - 1, -1, -1)]


PERIOD_KINDS = ("month", "quarter", "year", "range")


def period_from_query(query, now=None) -> tuple[Period, dict, str]:
    """The period the picker asks for (``period=<key>``, or ``kind`` with its fields), what to
    show back in the picker, and an error sentence (the current month is used meanwhile)."""
    now = now or timezone.now()
    kind = query.get("kind", "")
    values = {name: query.get(name, "").strip()[:40] for name in ("kind", "month", "year", "quarter", "from", "to", "period")}
    key = values["period"]
    if kind == "month" and values["month"]:
        key = values["month"]
    elif kind == "quarter" and values["year"]:
        key = f"{values['year']}Q{values['quarter'] or '1'}"
    elif kind == "year" and values["year"]:
        key = values["year"]
    elif kind == "range" and (values["from"] or values["to"]):
        key = f"{values['from']}..{values['to']}"
    try:
        period = parse_period(key, now)
        error = ""
    except PeriodError as problem:
        period, error = parse_period("", now), str(problem)
    values.setdefault("kind", period.kind)
    values["kind"] = values["kind"] if values["kind"] in PERIOD_KINDS else period.kind
    values.update(
        month=values["month"] or f"{period.first:%Y-%m}", year=values["year"] or str(period.first.year),
        quarter=values["quarter"] or str((period.first.month - 1) // 3 + 1),
        **{"from": values["from"] or period.first.isoformat(), "to": values["to"] or period.last.isoformat()},
    )  # fmt: skip
    return period, values, error
