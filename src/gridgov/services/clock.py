"""Deadlines of applications on the district's working calendar (``gridgov.workcalendar``, the
one the cases' SLA clock uses too).

The promised time is counted in working days from receipt; a correction notice and a special
procedure stop the clock, and when it restarts the deadline moves by exactly the working time
that was left (``workcalendar.resumed_deadline``). The time an application used is the working
time from receipt to decision minus the working time the clock stood still.
"""

from datetime import datetime

from gridgov.workcalendar import WorkingCalendar, resumed_deadline, working_calendar, working_day_length

__all__ = ["WorkingCalendar", "calendar", "day_seconds", "deadline_after", "restart", "stop", "used_seconds"]


def calendar() -> WorkingCalendar:
    return working_calendar()


def deadline_after(start: datetime, days: int, cal: WorkingCalendar | None = None) -> datetime:
    return (cal or calendar()).add_working_days(start, int(days))


def stop(row, now: datetime) -> None:
    """Stop the clock of an application or a part (it has ``paused_at``)."""
    if row.paused_at is None:
        row.paused_at = now


def restart(row, now: datetime, cal: WorkingCalendar | None = None) -> None:
    """Restart it: the deadline gets back the working time that was left when it stopped."""
    cal = cal or calendar()
    if row.paused_at is None:
        return
    row.paused_seconds += cal.working_seconds_between(row.paused_at, now)
    if row.deadline is not None:
        row.deadline = resumed_deadline(cal, row.deadline, row.paused_at, now)
    row.paused_at = None


def used_seconds(start: datetime, end: datetime, paused_seconds: float, cal: WorkingCalendar | None = None) -> float:
    return max(0.0, (cal or calendar()).working_seconds_between(start, end) - paused_seconds)


def day_seconds(cal: WorkingCalendar | None = None) -> float:
    return working_day_length(cal or calendar()).total_seconds()
