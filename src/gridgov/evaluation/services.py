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

One cache for every subject: ``CountedMonth.subject`` says what a month counted. The cases are
this module's subject; another app registers its own (``register``: how to read its marks, what
since them touches a month, how to count a month into bases), as the services app does for the
statistics page's applications (``services.selectors.KEPT_APPLICATIONS``), and reads its months
back with ``kept_counts``.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from gridgov.cases.models import Case, Step

from .indicators import Window
from .models import CountedMonth, MonthCount
from .periods import Period

BASES = ("grid", "department", "all")
CASES = "cases"

Bases = dict[str, dict[str, dict[str, Any]]]  # {base: {unit: {measure: count or sum}}}


@dataclass(frozen=True)
class Subject:
    """What a kept month counts. ``marks``: the newest step and row ids now; ``changed``: whether
    a step or row written since a month's marks may change it; ``count``: the month's figures per
    base and unit, counted afresh; ``bases``: the bases kept; ``days``: whether the running
    month's finished days are kept too (the evaluation's dashboard reads them)."""

    name: str
    marks: Callable[[], tuple[int | None, int | None]]
    changed: Callable[[CountedMonth], bool]
    count: Callable[[Period], Bases]
    bases: tuple[str, ...]
    days: bool = False


SUBJECTS: dict[str, Subject] = {}


def register(subject: Subject) -> None:
    """Keep months of another subject in the same tables (an app's ``ready``)."""
    SUBJECTS[subject.name] = subject


def _marks() -> tuple[int | None, int | None]:
    return Step.objects.aggregate(top=Max("pk"))["top"], Case.objects.aggregate(top=Max("pk"))["top"]


def _cases_changed(month: CountedMonth) -> bool:
    """A step or case written since the count touches a case reported before the month's end."""
    # Driven from the new ids (a range of the primary keys), the cases probed by key: joined the
    # other way, SQLite walked the cases' created_at index (7 s at a million cases).
    new_steps = Step.objects.all() if month.step_mark is None else Step.objects.filter(pk__gt=month.step_mark)
    touched = Case.objects.filter(pk__in=new_steps.values("case_id"), created_at__lt=month.end)
    new_cases = Case.objects.all() if month.case_mark is None else Case.objects.filter(pk__gt=month.case_mark)
    earliest = new_cases.order_by().aggregate(earliest=Min("created_at"))["earliest"]
    return touched.exists() or (earliest is not None and earliest < month.end)


def _count_cases(period: Period) -> Bases:
    from .selectors import count_bases

    bases: Bases = count_bases(None, Window(period.start, period.end, period.end))
    bases["all"] = {"all": _total(bases["grid"])}
    return bases


register(Subject(CASES, _marks, _cases_changed, _count_cases, BASES, days=True))


def _still_valid(month: CountedMonth) -> bool:
    """Nothing written since the count may change the month; if so, the marks move forward (so
    the next check reads only what is newer still)."""
    subject = SUBJECTS[month.subject]
    if subject.changed(month):
        return False
    step_mark, case_mark = subject.marks()
    if (step_mark, case_mark) != (month.step_mark, month.case_mark):
        CountedMonth.objects.filter(pk=month.pk, step_mark=month.step_mark, case_mark=month.case_mark).update(
            step_mark=step_mark, case_mark=case_mark
        )
    return True


def count_month(period: Period, subject: str = CASES) -> Bases:
    """Count a finished month (or the finished days of the running one) afresh and keep it:
    {base: {unit: {measure: count}}}. Shorter ranges kept for the same month are dropped."""
    kind = SUBJECTS[subject]
    step_mark, case_mark = kind.marks()  # taken first: whatever is written during the count is checked later
    bases = kind.count(period)
    try:
        with transaction.atomic():
            CountedMonth.objects.filter(subject=subject, start=period.start, end__lte=period.end).delete()
            month = CountedMonth.objects.create(
                subject=subject,
                start=period.start,
                end=period.end,
                step_mark=step_mark,
                case_mark=case_mark,
                counted_at=timezone.now(),
            )
            MonthCount.objects.bulk_create(
                [
                    MonthCount(month=month, base=base, unit=unit, counts=counts)
                    for base in kind.bases
                    for unit, counts in bases[base].items()
                ],
                batch_size=500,
            )
    except IntegrityError:
        pass  # another process kept the same month a moment earlier: its rows stand, these figures are as good
    return bases


def _total(units: dict[str, dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for counts in units.values():
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total


def month_counts(
    period: Period, base: str, prefix: str = "", newest: tuple[int | None, int | None] | None = None
) -> dict[str, dict[str, int]]:
    """The kept counts of the cases' finished month (or of ``finished_days``) for one base (grid,
    department or all), for the units whose code starts with ``prefix`` (``kept_counts`` for one
    month). ``newest``: the newest step and case ids as the caller last read them (the cases'
    change stamp), which spares the dashboard reading them again for each of its kept periods."""
    return kept_counts([period], [base], prefix, CASES, newest=newest)[period][base]


def kept_counts(
    periods: Sequence[Period],
    bases: Sequence[str],
    prefix: str,
    subject: str,
    newest: tuple[int | None, int | None] | None = None,
) -> dict[Period, Bases]:
    """The kept counts of several finished months of ``subject`` at once, for ``bases`` and the
    units whose code starts with ``prefix``: {period: {base: {unit: counts}}}. A month missing
    or changed since its count is counted first; when the subject's newest ids (``newest``, read
    here unless the caller has them) are a month's marks nothing newer needs checking. Four
    queries when every month is kept and unchanged (the two marks, the months, their rows)."""
    kind = SUBJECTS[subject]
    marks = (newest[0], newest[1]) if newest is not None else kind.marks()
    found = {
        (month.start, month.end): month
        for month in CountedMonth.objects.filter(subject=subject, start__in=[period.start for period in periods])
    }
    result: dict[Period, Bases] = {}
    kept: dict[int, Period] = {}
    for period in periods:
        month = found.get((period.start, period.end))
        if month is not None and ((month.step_mark, month.case_mark) == marks or _still_valid(month)):
            kept[month.pk] = period
            result[period] = {base: {} for base in bases}
            continue
        counted = count_month(period, subject)
        result[period] = {
            base: {unit: counts for unit, counts in counted[base].items() if unit.startswith(prefix)} for base in bases
        }
    if kept:
        rows = MonthCount.objects.filter(month_id__in=list(kept), base__in=list(bases))
        if prefix:
            rows = rows.filter(unit__startswith=prefix)
        for month_id, base, unit, counts in rows.values_list("month_id", "base", "unit", "counts"):
            result[kept[month_id]][base][unit] = counts
    return result


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


def count_finished_months(months: int = 25, now: datetime | None = None, subject: str = CASES) -> list[str]:
    """Count the finished days of the running month (for a subject that keeps them) and the
    ``months`` finished months before it that are missing or changed (the dashboard reads the
    last twelve and the same month a year earlier); return their keys."""
    from .periods import current_month

    now = now or timezone.now()
    period, counted = current_month(now).previous(), []
    days = finished_days(current_month(now), now) if SUBJECTS[subject].days else None
    if days is not None:
        kept = CountedMonth.objects.filter(subject=subject, start=days.start, end=days.end).first()
        if kept is None or not _still_valid(kept):
            count_month(days, subject)
            counted.append(days.key)
    for _ in range(months):
        month = CountedMonth.objects.filter(subject=subject, start=period.start, end=period.end).first()
        if month is None or not _still_valid(month):
            count_month(period, subject)
            counted.append(period.key)
        period = period.previous()
    return counted


def forget_counted_months(subject: str | None = None) -> int:
    """Drop every kept month, or those of one subject (after a repair that wrote rows without
    steps)."""
    months = CountedMonth.objects.all() if subject is None else CountedMonth.objects.filter(subject=subject)
    return months.delete()[0]
