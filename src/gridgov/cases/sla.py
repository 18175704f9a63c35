"""The SLA clock: deadlines of each step of a case on the district's working calendar.

The calendar itself (arithmetic, official holidays, the edited ``CalendarDay`` rows and their
per-process cache) lives in ``gridgov.workcalendar``, shared with the services' clock; this
module turns a category's step limits into deadlines on it.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from gridgov.workcalendar import WorkingCalendar, working_day_length

from .models import Case, Category, LimitUnit, State

DUE_SOON_SHARE = Decimal("0.2")  # due soon: less than a fifth of the step's limit left
INTAKE_STATES = frozenset({State.REPORTED, State.ACCEPTED})
VERIFY_STATES = frozenset({State.HANDLED, State.VERIFYING})


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


def extended_deadline(calendar: WorkingCalendar, deadline: datetime, hours: Decimal) -> datetime:
    return calendar.add_working_hours(deadline, hours)


# --- the clock of the step a case waits on ------------------------------------------------------


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
