"""The SLA clock: deadlines of each step on the district's working calendar.

The calendar is the official holiday schedule (``holidays.py``) as edited in the
``CalendarDay`` table, which a data migration seeds; office hours come from settings
(``GRIDGOV_WORK_PERIODS``) or default to 08:30–12:00 and 13:30–17:30.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings

from gridgov.caching import ProcessCache

from .calendar import DISTRICT_OFFICE_HOURS, WorkingCalendar
from .models import CalendarDay, Case, Category, LimitUnit, State

DUE_SOON_SHARE = Decimal("0.2")  # due soon: less than a fifth of the step's limit left
INTAKE_STATES = frozenset({State.REPORTED, State.ACCEPTED})
VERIFY_STATES = frozenset({State.HANDLED, State.VERIFYING})


def work_periods() -> tuple[tuple[time, time], ...]:
    configured = getattr(settings, "GRIDGOV_WORK_PERIODS", None)
    if not configured:
        return DISTRICT_OFFICE_HOURS
    return tuple((time.fromisoformat(start), time.fromisoformat(end)) for start, end in configured)


CALENDAR_TTL_SECONDS = 60.0


def _load_calendar() -> WorkingCalendar:
    days_off: set[date] = set()
    workdays: set[date] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (days_off if kind == CalendarDay.Kind.DAY_OFF else workdays).add(day)
    return WorkingCalendar(work_periods=work_periods(), holidays=frozenset(days_off), makeup_workdays=frozenset(workdays))


_calendar = ProcessCache(_load_calendar, CALENDAR_TTL_SECONDS)


def working_calendar() -> WorkingCalendar:
    """The calendar as currently edited, cached per process.

    An edit in this process (admin, seeding) drops the cache at once through a signal (see
    ``apps.py``); other server processes pick it up within ``CALENDAR_TTL_SECONDS``.
    """
    return _calendar.get()


def forget_calendar(**_signal_arguments) -> None:
    _calendar.forget()


def intake_deadline(calendar: WorkingCalendar, category: Category, start: datetime) -> datetime:
    return calendar.add_working_hours(start, category.intake_hours)


def dispatch_deadline(calendar: WorkingCalendar, category: Category, start: datetime) -> datetime:
    return calendar.add_working_hours(start, category.dispatch_hours)


def handle_deadline(calendar: WorkingCalendar, category: Category, start: datetime) -> datetime:
    if category.handle_unit == LimitUnit.WORKING_DAYS:
        return add_working_days(calendar, start, category.handle_limit)
    return calendar.add_working_hours(start, category.handle_limit)


def add_working_days(calendar: WorkingCalendar, start: datetime, days: Decimal) -> datetime:
    """A limit in working days that may have a fraction (0.5 day, 2.5 days): the whole days by
    the calendar's day rule, then the fraction as that share of a working day's office hours.
    So 2.5 days is the same deadline as 2.5 × the hours of a working day, as whole days are."""
    days = Decimal(days)
    whole = int(days)
    deadline = calendar.add_working_days(start, whole)
    fraction = days - whole
    if fraction:
        deadline = calendar.add_working_seconds(deadline, fraction * Decimal(working_day_length(calendar).total_seconds()))
    return deadline


def verify_deadline(calendar: WorkingCalendar, category: Category, start: datetime) -> datetime:
    return calendar.add_working_hours(start, category.verify_hours)


def resumed_deadline(calendar: WorkingCalendar, deadline: datetime, suspended_at: datetime, resumed_at: datetime) -> datetime:
    """The deadline after a suspension: the working time that was left when the clock stopped,
    counted again from the moment it restarts."""
    left = calendar.working_time_between(suspended_at, deadline) if deadline > suspended_at else timedelta(0)
    return calendar.add_working_time(resumed_at, left)


def extended_deadline(calendar: WorkingCalendar, deadline: datetime, hours: Decimal) -> datetime:
    return calendar.add_working_hours(deadline, hours)


# --- the clock of the step a case waits on ------------------------------------------------------


def working_day_length(calendar: WorkingCalendar) -> timedelta:
    day = date(2000, 1, 3)
    return sum((datetime.combine(day, end) - datetime.combine(day, start) for start, end in calendar.work_periods), timedelta())


def step_limit(case: Case, calendar: WorkingCalendar) -> timedelta:
    """The working time the category allows for the step the case waits on."""
    category = case.category
    if case.state in INTAKE_STATES:
        hours = category.intake_hours
    elif case.state == State.FILED:
        hours = category.dispatch_hours
    elif case.state in VERIFY_STATES:
        hours = category.verify_hours
    else:
        return handling_limit(category, calendar)
    return timedelta(hours=float(hours))


def handling_limit(category: Category, calendar: WorkingCalendar) -> timedelta:
    """The working time the category allows for handling, whether written in hours or in
    (possibly fractional) working days."""
    if category.handle_unit == LimitUnit.WORKING_DAYS:
        return working_day_length(calendar) * float(category.handle_limit)
    return timedelta(hours=float(category.handle_limit))


def due_soon_window(case: Case, calendar: WorkingCalendar) -> timedelta:
    """Due soon: less than a fifth of the current step's working time is left."""
    return step_limit(case, calendar) * float(DUE_SOON_SHARE)
