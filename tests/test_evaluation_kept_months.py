"""Finished months' counts kept in the database (evaluation/services.py): the same figures as
counting the cases, counted again after a late step or a backdated case, left alone by steps on
newer cases, and filled by the task. The case log is tests/evaluation_log.py (March 2026)."""

from datetime import datetime

import pytest

from gridgov.cases.models import Case
from gridgov.cases.services import take_action
from gridgov.evaluation import selectors, services
from gridgov.evaluation.indicators import Window
from gridgov.evaluation.models import CountedMonth, MonthCount
from gridgov.evaluation.periods import month

from .case_factories import make_user, report
from .evaluation_log import EAST, MARCH, NOW, TZ, WEST, at, build_log

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_figures():
    selectors.forget_all()
    yield
    selectors.forget_all()


@pytest.fixture
def log(network):
    return build_log()


def _live(level, period=MARCH, user=None):
    return selectors.count_measures(user, level, Window(period.start, period.end, NOW))


def test_a_kept_month_gives_the_figures_of_the_cases(log):
    assert not CountedMonth.objects.exists()
    leader = log["team"]["leader"]
    rows = {row.unit.code: row.figures.counts for row in selectors.evaluation_table(leader, "street", MARCH, now=NOW)}
    # the first read counted March (and February, a year earlier: the comparisons) into the table
    assert CountedMonth.objects.filter(start=MARCH.start).exists()
    assert MonthCount.objects.filter(month__start=MARCH.start, base="grid").count() == len(_live("grid"))
    assert rows[WEST] == _live("street")[WEST] and rows[WEST]["handled"] == 5
    assert services.month_counts(MARCH, "department") == _live("department")
    assert services.month_counts(MARCH, "all") == _live("role")
    # a unit's staff read their own grids' rows
    east_staff = make_user("street_staff", EAST, username="east-street")
    selectors.forget_all()
    [east] = selectors.evaluation_table(east_staff, "street", MARCH, now=NOW)
    assert east.figures.counts == _live("street", user=east_staff)[EAST]
    # the dashboard's trend reads the same rows
    for period, figures in selectors.trend(leader, [month(2026, 2), MARCH, month(2026, 4)], NOW):
        assert figures.counts["reported"] == _live("role", period)["all"]["reported"]


def test_a_late_step_on_a_case_of_the_month_counts_it_again(log):
    kept = services.month_counts(MARCH, "grid")
    first = CountedMonth.objects.get(start=MARCH.start)
    west_handled = sum(c["handled"] for code, c in kept.items() if code.startswith(WEST))
    assert west_handled == 5
    # C10, reported in March and overdue at its department, is finished in April.
    c10 = log["cases"]["C10"]
    take_action(c10.pk, "start", log["team"]["handler"], at=at(4, 3, 9))
    take_action(c10.pk, "finish", log["team"]["handler"], at=at(4, 3, 10), note="done")
    kept = services.month_counts(MARCH, "grid")
    assert sum(c["handled"] for code, c in kept.items() if code.startswith(WEST)) == 6
    again = CountedMonth.objects.get(start=MARCH.start)
    assert again.pk != first.pk and again.step_mark > first.step_mark
    assert kept == _live("grid")


def test_a_backdated_case_counts_the_month_again(log):
    before = services.month_counts(MARCH, "all")["all"]["reported"]
    report(at=datetime(2026, 3, 20, 10, 0, tzinfo=TZ))  # e.g. a hotline order imported late
    assert services.month_counts(MARCH, "all")["all"]["reported"] == before + 1


def test_steps_on_newer_cases_leave_the_month_kept_and_move_its_marks(log):
    services.month_counts(MARCH, "grid")
    first = CountedMonth.objects.get(start=MARCH.start)
    case = report(at=datetime(2026, 4, 10, 9, 0, tzinfo=TZ))  # reported after March ended
    take_action(case.pk, "accept", log["team"]["intake"], at=datetime(2026, 4, 10, 9, 5, tzinfo=TZ))
    services.month_counts(MARCH, "grid")
    kept = CountedMonth.objects.get(start=MARCH.start)
    assert kept.pk == first.pk  # not counted again
    assert kept.step_mark > first.step_mark and kept.case_mark > first.case_mark


def test_the_task_counts_missing_and_changed_months_only(log):
    counted = services.count_finished_months(months=3, now=NOW)
    # the running month's finished days first (15 April: the 1st to the 14th), then the months
    assert counted == ["2026-04-01..2026-04-14", "2026-03", "2026-02", "2026-01"]
    assert services.count_finished_months(months=3, now=NOW) == []
    c10 = log["cases"]["C10"]
    take_action(c10.pk, "start", log["team"]["handler"], at=at(4, 3, 9))
    # C10 was reported in March: March and the months after it may change, not those before
    assert services.count_finished_months(months=3, now=NOW) == ["2026-04-01..2026-04-14", "2026-03"]


def test_quarters_and_the_running_months_today_are_not_kept(log):
    leader = log["team"]["leader"]
    selectors.evaluation_table(leader, "street", month(2026, 4), now=NOW, compare=False)
    selectors.evaluation_table(leader, "street", MARCH, now=datetime(2026, 3, 20, 12, 0, tzinfo=TZ), compare=False)
    from gridgov.evaluation.periods import parse_period

    selectors.evaluation_table(leader, "street", parse_period("2026Q1"), now=NOW, compare=False)
    selectors.evaluation_table(leader, "street", month(2026, 3), now=datetime(2026, 3, 1, 12, 0, tzinfo=TZ), compare=False)
    # only the running months' finished days (never today, nor a running month on its first day)
    kept = sorted((m.start, m.end) for m in CountedMonth.objects.all())
    assert kept == [(MARCH.start, datetime(2026, 3, 20, tzinfo=TZ)), (month(2026, 4).start, datetime(2026, 4, 15, tzinfo=TZ))]


RUNNING = datetime(2026, 3, 31, 12, 0, tzinfo=TZ)  # March running: the 1st to the 30th kept, the 31st live


def _running(level, user=None):
    return selectors.count_measures(user, level, Window(MARCH.start, MARCH.end, RUNNING))


def test_a_running_month_keeps_its_finished_days_and_counts_today_live(log):
    leader = log["team"]["leader"]
    rows = {row.unit.code: row.figures.counts for row in selectors.evaluation_table(leader, "street", MARCH, now=RUNNING)}
    days = CountedMonth.objects.get(start=MARCH.start, end__lt=MARCH.end)
    assert days.end == datetime(2026, 3, 31, tzinfo=TZ)
    assert rows == {code: counts for code, counts in _running("street").items() if code in rows}
    assert rows[WEST]["due"] == _running("street")[WEST]["due"] > 0
    assert selectors.scope_totals(leader, MARCH, now=RUNNING).counts == _running("role")["all"]
    departments = selectors.evaluation_table(leader, "department", MARCH, now=RUNNING, compare=False)
    assert {row.unit.code: row.figures.counts for row in departments} == _running("department")
    east_staff = make_user("street_staff", EAST, username="east-street")
    selectors.forget_all()
    [east] = selectors.evaluation_table(east_staff, "street", MARCH, now=RUNNING, compare=False)
    assert east.figures.counts == _running("street", user=east_staff)[EAST]
    # a case reported today counts live, the kept days stay
    selectors.forget_all()
    report(at=datetime(2026, 3, 31, 9, 0, tzinfo=TZ))
    assert selectors.scope_totals(leader, MARCH, now=RUNNING).counts["reported"] == _running("role")["all"]["reported"]
    assert CountedMonth.objects.get(start=MARCH.start, end__lt=MARCH.end).pk == days.pk


def test_a_late_step_on_a_kept_day_of_the_running_month_counts_the_days_again(log):
    leader = log["team"]["leader"]
    before = selectors.scope_totals(leader, MARCH, now=RUNNING).counts
    days = CountedMonth.objects.get(start=MARCH.start, end__lt=MARCH.end)
    assert before["handled"] == _running("role")["all"]["handled"]
    # C10 fell due on 16 March (a kept day) and was never handled; it is finished today.
    c10 = log["cases"]["C10"]
    take_action(c10.pk, "start", log["team"]["handler"], at=at(3, 31, 9))
    take_action(c10.pk, "finish", log["team"]["handler"], at=at(3, 31, 10), note="done")
    selectors.forget_all()
    after = selectors.scope_totals(leader, MARCH, now=RUNNING).counts
    assert after["handled"] == before["handled"] + 1 and after["overdue"] == before["overdue"]
    assert after == _running("role")["all"]
    again = CountedMonth.objects.get(start=MARCH.start, end__lt=MARCH.end)
    assert again.pk != days.pk and again.step_mark > days.step_mark
    # the next day replaces the kept days with a longer range
    for day in (2, 3):
        selectors.forget_all()
        selectors.scope_totals(leader, month(2026, 4), now=datetime(2026, 4, day, 12, 0, tzinfo=TZ))
    [april] = CountedMonth.objects.filter(start=month(2026, 4).start)
    assert april.end == datetime(2026, 4, 3, tzinfo=TZ)


def test_a_departments_staff_read_its_kept_row_and_count_the_cases_it_co_handles(log):
    handler = log["team"]["handler"]
    # a case another department (or none) holds, co-handled by the handler's department
    other = (
        Case.objects.exclude(assigned_department_id=handler.department_id)
        .filter(created_at__gte=MARCH.start, created_at__lt=MARCH.end)
        .first()
    )
    assert other is not None
    other.co_departments.add(handler.department_id)
    for period, now in ((MARCH, NOW), (MARCH, RUNNING), (month(2026, 2), NOW)):
        selectors.forget_all()
        live = selectors.count_measures(handler, "role", Window(period.start, period.end, now))["all"]
        assert selectors.scope_totals(handler, period, now=now).counts == live
        assert live["reported"] > 0 or period != MARCH
    assert CountedMonth.objects.filter(start=MARCH.start, end=MARCH.end).exists()  # read from the kept month
    selectors.forget_all()
    for period, figures in selectors.trend(handler, [month(2026, 2), MARCH, month(2026, 4)], NOW):
        assert figures.counts == selectors.count_measures(handler, "role", Window(period.start, period.end, NOW))["all"]
    # the co-handling ended: the case leaves the scope at once (it is counted from the cases)
    reported = selectors.scope_totals(handler, MARCH, now=NOW).counts["reported"]
    other.co_departments.remove(handler.department_id)
    selectors.forget_all()
    assert selectors.scope_totals(handler, MARCH, now=NOW).counts["reported"] == reported - 1
