"""One working calendar for every app that counts working time (cases, services).

- ``calendar.py``: the arithmetic (working days, office hours, holidays, make-up working days,
  deadlines and working time between two moments, the deadline after a suspension);
- ``holidays.py``: the State Council's yearly holiday notices;
- ``store.py``: the calendar as edited in the ``CalendarDay`` rows, cached per process.

Apps import from this package, never from its modules' internals.
"""

from .calendar import (
    DISTRICT_OFFICE_HOURS,
    SHANGHAI,
    WorkingCalendar,
    default_calendar,
    resumed_deadline,
    working_day_length,
)
from .store import CALENDAR_TTL_SECONDS, forget_calendar, work_periods, working_calendar

__all__ = [
    "CALENDAR_TTL_SECONDS",
    "DISTRICT_OFFICE_HOURS",
    "SHANGHAI",
    "WorkingCalendar",
    "default_calendar",
    "forget_calendar",
    "resumed_deadline",
    "work_periods",
    "working_calendar",
    "working_day_length",
]
