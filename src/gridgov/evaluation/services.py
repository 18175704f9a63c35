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

What this does not see: a case edited without a step (the admin) or deleted. Such repairs call
``forget_counted_months()``, as ``gridgov bench evaluate --cases`` does after loading.
"""

from datetime import datetime

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
    """Count a finished month afresh and keep it: {base: {unit: {measure: count}}}."""
    from .selectors import count_bases

    step_mark, case_mark = _marks()  # taken first: whatever is written during the count is checked later
    bases = count_bases(None, Window(period.start, period.end, period.end))
    bases["all"] = {"all": _total(bases["grid"])}
    try:
        with transaction.atomic():
            CountedMonth.objects.filter(start=period.start, end=period.end).delete()
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


def month_counts(period: Period, base: str, prefix: str = "") -> dict[str, dict[str, int]]:
    """The kept counts of a finished month for one base (grid, department or all), for the units
    whose code starts with ``prefix``; counted first if missing or changed since."""
    month = CountedMonth.objects.filter(start=period.start, end=period.end).first()
    if month is None or not _still_valid(month):
        counted = count_month(period)[base]
        return {unit: counts for unit, counts in counted.items() if unit.startswith(prefix)}
    rows = MonthCount.objects.filter(month=month, base=base)
    if prefix:
        rows = rows.filter(unit__startswith=prefix)
    return dict(rows.values_list("unit", "counts"))


def can_keep(period: Period, now: datetime) -> bool:
    """Only whole calendar months that have ended are kept."""
    return period.kind == "month" and period.is_finished(now) and period.end <= timezone.now()


def count_finished_months(months: int = 25, now: datetime | None = None) -> list[str]:
    """Count the ``months`` finished months before now that are missing or changed (the
    dashboard reads the last twelve and the same month a year earlier); return their keys."""
    from .periods import current_month

    now = now or timezone.now()
    period, counted = current_month(now).previous(), []
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
