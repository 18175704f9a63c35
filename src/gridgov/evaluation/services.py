"""Finished months' counts kept in the database (``CountedMonth`` / ``MonthCount``).

A finished month's figures change only when a case in it does, so its counts per grid, per
department and for the whole system are written once — by the ``count_finished_months`` task
(evaluation/tasks.py, on the django-tasks queue, hourly: a month is counted soon after it
closes) or by the first read that finds it missing — and read back as a few hundred rows
instead of a pass over the cases.

Invalidation: every case and every workflow step writes a row with a growing id (bulk intake
and the demo's writer included). A counted month keeps the newest step and case ids of its
count; on a read, a step or case written since on a case reported before the month's end means
the month may have changed (a late handling, a reopening, an extension moving a deadline into
it, a backdated report), and it is counted again. A case only counts in months from the one it
was reported in onwards (every date a measure looks at — filing, handling deadline, closing —
comes after the report), so steps on newer cases leave the month alone and only move its marks
forward. The check reads the new rows since the marks (an index range on the ids), so it stays
small when months are read often.

The running month is kept the same way up to its last finished day (``finished_days``: the
range from the month's first day to yesterday, a ``CountedMonth`` whose end is today's
midnight), so a read of the running month counts only today's cases live and adds them to the
kept days (``selectors.cached_counts``). Every measure counts a case (or a step) by one date in
the window — reported, filed, falling due, closed, the step's time — so the month's count is the
sum of its days'. The kept days follow the same change detection (a step or case written since
on a case reported before today counts them again); a new day replaces them (the older ranges
of the month are dropped when a longer one is kept).

What this does not see: a case edited without a step (the admin) or deleted. Such repairs call
``forget_counted_months()``, as ``gridgov bench evaluate --cases`` does after loading.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from gridgov.cases.models import Case, Step

from .indicators import Window
from .models import CountedMonth, MonthCount
from .periods import Period

BASES = ("grid", "department", "all")


def _marks() -> tuple[int | None, int | None]:
    return Step.objects.aggregate(top=Max("pk"))["top"], Case.objects.aggregate(top=Max("pk"))["top"]


def _still_valid(month: CountedMonth) -> bool:
    """No step or case written since the count touches a case reported before the month's end;
    if so, the marks move forward (so the next check reads only what is newer still)."""
    # Driven from the new ids (a range of the primary keys), the cases probed by key: joined the
    # other way, SQLite walked the cases' created_at index (7 s at a million cases).
    new_steps = Step.objects.all() if month.step_mark is None else Step.objects.filter(pk__gt=month.step_mark)
    touched = Case.objects.filter(pk__in=new_steps.values("case_id"), created_at__lt=month.end)
    new_cases = Case.objects.all() if month.case_mark is None else Case.objects.filter(pk__gt=month.case_mark)
    earliest = new_cases.order_by().aggregate(earliest=Min("created_at"))["earliest"]
    if touched.exists() or (earliest is not None and earliest < month.end):
        return False
    step_mark, case_mark = _marks()
    if (step_mark, case_mark) != (month.step_mark, month.case_mark):
        CountedMonth.objects.filter(pk=month.pk, step_mark=month.step_mark, case_mark=month.case_mark).update(
            step_mark=step_mark, case_mark=case_mark
        )
    return True


def count_month(period: Period) -> dict[str, dict[str, dict[str, int]]]:
    """Count a finished month (or the finished days of the running one) afresh and keep it:
    {base: {unit: {measure: count}}}. Shorter ranges kept for the same month are dropped."""
    from .selectors import count_bases

    step_mark, case_mark = _marks()  # taken first: whatever is written during the count is checked later
    bases = count_bases(None, Window(period.start, period.end, period.end))
    bases["all"] = {"all": _total(bases["grid"])}
    try:
        with transaction.atomic():
            CountedMonth.objects.filter(start=period.start, end__lte=period.end).delete()
            month = CountedMonth.objects.create(
                start=period.start, end=period.end, step_mark=step_mark, case_mark=case_mark, counted_at=timezone.now()
            )
            MonthCount.objects.bulk_create(
                [
                    MonthCount(month=month, base=base, unit=unit, counts=counts)
                    for base in BASES
                    for unit, counts in bases[base].items()
                ],
                batch_size=500,
            )
    except IntegrityError:
        pass  # another process kept the same month a moment earlier: its rows stand, these figures are as good
    return bases


def _total(units: dict[str, dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in units.values():
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total


def month_counts(
    period: Period, base: str, prefix: str = "", newest: tuple[int | None, int | None] | None = None
) -> dict[str, dict[str, int]]:
    """The kept counts of a finished month (or of ``finished_days``) for one base (grid,
    department or all), for the units whose code starts with ``prefix``; counted first if
    missing or changed since. ``newest``: the newest step and case ids as the caller last read
    them (the cases' change stamp): a month whose marks are those has nothing newer to check,
    which spares the dashboard four queries for each of its fourteen kept periods."""
    month = CountedMonth.objects.filter(start=period.start, end=period.end).first()
    unchanged = month is not None and newest is not None and (month.step_mark, month.case_mark) == tuple(newest)
    if month is None or not (unchanged or _still_valid(month)):
        counted = count_month(period)[base]
        return {unit: counts for unit, counts in counted.items() if unit.startswith(prefix)}
    rows = MonthCount.objects.filter(month=month, base=base)
    if prefix:
        rows = rows.filter(unit__startswith=prefix)
    return dict(rows.values_list("unit", "counts"))


def can_keep(period: Period, now: datetime) -> bool:
    """Only whole calendar months that have ended are kept."""
    return period.kind == "month" and period.is_finished(now) and period.end <= timezone.now()


def finished_days(period: Period, now: datetime) -> Period | None:
    """The days of a running month that have ended (its first day to yesterday, a range), kept
    like a finished month; None for anything else, and on a month's first day."""
    if period.kind != "month" or period.is_finished(now) or now < period.start:
        return None
    today = timezone.localdate(now)
    if today <= period.first:
        return None
    days = Period("range", period.first, today - timedelta(days=1))
    return days if days.end <= timezone.now() else None


def count_finished_months(months: int = 25, now: datetime | None = None) -> list[str]:
    """Count the finished days of the running month and the ``months`` finished months before
    it that are missing or changed (the dashboard reads the last twelve and the same month a
    year earlier); return their keys."""
    from .periods import current_month

    now = now or timezone.now()
    period, counted = current_month(now).previous(), []
    days = finished_days(current_month(now), now)
    if days is not None:
        kept = CountedMonth.objects.filter(start=days.start, end=days.end).first()
        if kept is None or not _still_valid(kept):
            count_month(days)
            counted.append(days.key)
    for _ in range(months):
        month = CountedMonth.objects.filter(start=period.start, end=period.end).first()
        if month is None or not _still_valid(month):
            count_month(period)
            counted.append(period.key)
        period = period.previous()
    return counted


def forget_counted_months() -> int:
    """Drop every kept month (after a repair that wrote cases without steps)."""
    return CountedMonth.objects.all().delete()[0]
