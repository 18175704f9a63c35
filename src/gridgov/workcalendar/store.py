"""The district's working calendar as currently edited, loaded once per process and cached.

The official schedules (``holidays.py``) seed the editable ``CalendarDay`` rows (a data
migration of ``cases``); office hours come from settings (``GRIDGOV_WORK_PERIODS``) or default
to 08:30–12:00 and 13:30–17:30.

The table stays in the ``cases`` app, where it was created: moving the model would rename its
admin pages, its permission codenames (granted to the system administrator by
``accounts/permissions.py`` and stored in every deployment's group permissions) and its content
type, for no gain to anyone who edits a holiday. So the code moved and the rows did not; this
module reads them by app label, and ``cases/apps.py`` drops the cache when a row changes.
"""

from datetime import date, time

from django.apps import apps
from django.conf import settings

from gridgov.caching import ProcessCache

from .calendar import DISTRICT_OFFICE_HOURS, WorkingCalendar

DAY_MODEL = ("cases", "CalendarDay")
DAY_OFF = "day_off"

# An edit in another server process reaches this one within a minute: holidays are edited a few
# times a year, and a minute-old calendar moves no deadline that matters.
CALENDAR_TTL_SECONDS = 60.0


def work_periods() -> tuple[tuple[time, time], ...]:
    configured = getattr(settings, "GRIDGOV_WORK_PERIODS", None)
    if not configured:
        return DISTRICT_OFFICE_HOURS
    return tuple((time.fromisoformat(start), time.fromisoformat(end)) for start, end in configured)


def _load_calendar() -> WorkingCalendar:
    days_off: set[date] = set()
    workdays: set[date] = set()
    for day, kind in apps.get_model(*DAY_MODEL).objects.values_list("date", "kind"):
        (days_off if kind == DAY_OFF else workdays).add(day)
    return WorkingCalendar(work_periods=work_periods(), holidays=frozenset(days_off), makeup_workdays=frozenset(workdays))


_calendar = ProcessCache(_load_calendar, CALENDAR_TTL_SECONDS)


def working_calendar() -> WorkingCalendar:
    """The calendar as currently edited, cached per process.

    An edit in this process (admin, seeding) drops the cache at once through a signal (see
    ``cases/apps.py``); other server processes pick it up within ``CALENDAR_TTL_SECONDS``.
    """
    return _calendar.get()


def forget_calendar(**_signal_arguments) -> None:
    _calendar.forget()
