"""The working calendar behind every deadline: the cases' SLA clock (DESIGN.md section 4) and the
applications' promised time (section 8).

Working time is the union of the daily work periods on working days. A working day is a
Monday–Friday that is not an official day off, or a weekend day announced as a make-up
working day (调休上班).

Conventions shared by every method:
- periods are half-open, [start, end): 12:00 is not working time when the morning ends at 12:00;
- a duration that runs out exactly at the end of a period ends there (a 3.5-hour limit from
  08:30 is due at 12:00, not at 13:30), so a deadline is the last moment the work may take;
- inputs must be timezone-aware; results are in the calendar's time zone;
- elapsed time is measured on the UTC line, so the arithmetic stays correct in a zone with
  daylight saving time (Asia/Shanghai has none).

Suspension (挂账, a correction notice, a special procedure) is the caller's business: the clock
measures working time with `working_time_between`, leaves suspended intervals out, and moves a
deadline with `resumed_deadline` from the moment the clock resumes.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from . import holidays as official_holidays

DISTRICT_OFFICE_HOURS = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
SHANGHAI = ZoneInfo("Asia/Shanghai")
SATURDAY, SUNDAY = 5, 6

Amount = int | float | Decimal | timedelta


def _require_aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment.isoformat()}")


def _elapsed(earlier: datetime, later: datetime) -> timedelta:
    # Subtracting two datetimes sharing one tzinfo ignores offsets; go through UTC to be exact.
    return later.astimezone(UTC) - earlier.astimezone(UTC)


def _to_timedelta(amount: Amount, unit_seconds: int, name: str) -> timedelta:
    if isinstance(amount, timedelta):
        duration = amount
    elif isinstance(amount, bool) or not isinstance(amount, int | float | Decimal):
        raise TypeError(f"{name} must be a number or a timedelta, got {type(amount).__name__}")
    elif isinstance(amount, Decimal):
        if not amount.is_finite():
            raise ValueError(f"{name} must be finite, got {amount}")
        micro = (amount * unit_seconds * 1_000_000).to_integral_value(rounding=ROUND_HALF_EVEN)
        duration = timedelta(microseconds=int(micro))
    else:
        if not math.isfinite(amount):
            raise ValueError(f"{name} must be finite, got {amount}")
        duration = timedelta(seconds=amount * unit_seconds)
    if duration < timedelta(0):
        raise ValueError(f"{name} must not be negative, got {amount}")
    return duration


def _validate_periods(periods) -> tuple[tuple[time, time], ...]:
    periods = tuple((start, end) for start, end in periods)
    if not periods:
        raise ValueError("a working calendar needs at least one work period")
    previous_end = None
    for start, end in periods:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("work periods are wall-clock times; give them without tzinfo")
        if start >= end:
            raise ValueError(f"work period {start}–{end} must start before it ends")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"work period {start}–{end} overlaps or precedes the one before it")
        previous_end = end
    return periods


@dataclass(frozen=True)
class WorkingCalendar:
    work_periods: tuple[tuple[time, time], ...] = DISTRICT_OFFICE_HOURS
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[date] = field(default_factory=frozenset)
    tz: ZoneInfo = SHANGHAI

    def __post_init__(self):
        object.__setattr__(self, "work_periods", _validate_periods(self.work_periods))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "makeup_workdays", frozenset(self.makeup_workdays))
        clash = self.holidays & self.makeup_workdays
        if clash:
            days = ", ".join(day.isoformat() for day in sorted(clash))
            raise ValueError(f"dates cannot be both a day off and a make-up working day: {days}")

    # --- days -------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """A datetime is judged by its date in the calendar's time zone."""
        if isinstance(day, datetime):
            _require_aware(day, "day")
            day = day.astimezone(self.tz).date()
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in (SATURDAY, SUNDAY)

    def _periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, start, tzinfo=self.tz), datetime.combine(day, end, tzinfo=self.tz))
            for start, end in self.work_periods
        ]

    def _working_days_from(self, day: date):
        while True:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)

    # --- moments ----------------------------------------------------------------------------

    def _local(self, moment: datetime, name: str) -> datetime:
        _require_aware(moment, name)
        return moment.astimezone(self.tz)

    def is_working_moment(self, moment: datetime) -> bool:
        local = self._local(moment, "moment")
        return any(start <= local < end for start, end in self._periods_on(local.date()))

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself when it is working time, else the start of the next work period."""
        local = self._local(moment, "moment")
        for day in self._working_days_from(local.date()):
            for start, end in self._periods_on(day):
                if local < end:
                    return max(start, local)
        raise AssertionError("unreachable: working days never run out")

    # --- durations --------------------------------------------------------------------------

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when `duration` of working time has passed since `start`.

        A start outside working time begins at the next working moment; a zero duration
        therefore returns `next_working_moment(start)`.
        """
        local = self._local(start, "start")
        remaining = _to_timedelta(duration, 1, "duration")
        for day in self._working_days_from(local.date()):
            for period_start, period_end in self._periods_on(day):
                if local >= period_end:
                    continue
                segment_start = max(period_start, local)
                available = _elapsed(segment_start, period_end)
                if remaining <= available:
                    return (segment_start.astimezone(UTC) + remaining).astimezone(self.tz)
                remaining -= available
        raise AssertionError("unreachable: working days never run out")

    def add_working_hours(self, start: datetime, hours: Amount) -> datetime:
        return self.add_working_time(start, _to_timedelta(hours, 3600, "hours"))

    def add_working_seconds(self, start: datetime, seconds: Amount) -> datetime:
        return self.add_working_time(start, _to_timedelta(seconds, 1, "seconds"))

    def working_time_between(self, earlier: datetime, later: datetime) -> timedelta:
        """Working time inside [earlier, later]; negative when `later` comes first."""
        a = self._local(earlier, "earlier")
        b = self._local(later, "later")
        if b < a:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        day = a.date()
        while day <= b.date():
            for period_start, period_end in self._periods_on(day):
                overlap_start, overlap_end = max(period_start, a), min(period_end, b)
                if overlap_start < overlap_end:
                    total += _elapsed(overlap_start, overlap_end)
            day += timedelta(days=1)
        return total

    def working_seconds_between(self, earlier: datetime, later: datetime) -> float:
        return self.working_time_between(earlier, later).total_seconds()

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The deadline `days` working days after `start`, at the same position in the working day.

        Digital city-management (数字城管) practice counts limits in working time: a limit of
        N working days is N full working days of office hours from the moment the clock
        starts. So the clock first moves to the next working moment; its position is the
        working time already elapsed that day; the deadline is that position on the N-th
        working day after. A start at the opening of a day (position 0) is due at the close
        of the (N-1)-th working day after it — the same amount of working time, and the
        natural reading ("by Tuesday 17:30", not "by Wednesday 08:30"). With equal working
        days this equals `add_working_hours(start, N × hours per day)`, so a category limit
        gives the same deadline whether it is written in hours or in days.
        """
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"days must be a whole number of working days, got {days!r}")
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        clock_start = self.next_working_moment(start)
        if days == 0:
            return clock_start
        first_day = clock_start.date()
        opening = self._periods_on(first_day)[0][0]
        position = self.working_time_between(opening, clock_start)
        working_days = self._working_days_from(first_day)
        target_days = [next(working_days) for _ in range(days + 1)]
        if position == timedelta(0):
            return self._periods_on(target_days[-2])[-1][1]
        target_opening = self._periods_on(target_days[-1])[0][0]
        return self.add_working_time(target_opening, position)


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """District office hours with the official holiday schedules of `holidays.py`."""
    return WorkingCalendar(
        holidays=official_holidays.official_days_off(),
        makeup_workdays=official_holidays.official_makeup_workdays(),
    )


def working_day_length(calendar: WorkingCalendar) -> timedelta:
    """The office hours of one working day (every working day has the same periods)."""
    day = date(2000, 1, 3)
    return sum((datetime.combine(day, end) - datetime.combine(day, start) for start, end in calendar.work_periods), timedelta())


def resumed_deadline(calendar: WorkingCalendar, deadline: datetime, suspended_at: datetime, resumed_at: datetime) -> datetime:
    """The deadline after a suspension: the working time that was left when the clock stopped,
    counted again from the moment it restarts."""
    left = calendar.working_time_between(suspended_at, deadline) if deadline > suspended_at else timedelta(0)
    return calendar.add_working_time(resumed_at, left)
