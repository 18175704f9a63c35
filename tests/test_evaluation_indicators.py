"""Every evaluation indicator against the hand-built case log of tests/evaluation_log.py, whose
figures were computed by hand (the log and the working-calendar arithmetic are described there)."""

from datetime import datetime
from decimal import Decimal

import pytest

from gridgov.cases import selectors as case_selectors
from gridgov.cases.models import Case, Step
from gridgov.cases.services import take_action
from gridgov.evaluation import selectors
from gridgov.evaluation.indicators import Window, composite_score, grade_for
from gridgov.evaluation.models import Scheme, Weight
from gridgov.evaluation.periods import month, parse_period

from .case_factories import make_user
from .evaluation_log import EAST, MARCH, NOW, TZ, WEST, at, build_log
from .factories import EAST_GRID, WEST_GRID

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_figures():
    selectors.forget_all()
    yield
    selectors.forget_all()


@pytest.fixture
def log(network):
    return build_log()


WEST_MARCH = {
    "reported": 8, "valid": 6, "filed": 7, "filed_on_time": 6, "dispatched": 8, "returned": 1, "due": 6,
    "handled": 5, "handled_on_time": 3, "due_closed": 5, "closed_on_time": 3, "reworked": 1, "overdue": 3,
    "closed": 5, "closed_in_grid": 4, "hotline_reported": 0, "hotline_rated": 0,
}  # fmt: skip
EAST_MARCH = {
    "reported": 1, "valid": 1, "filed": 1, "filed_on_time": 1, "dispatched": 1, "returned": 0, "due": 1,
    "handled": 1, "handled_on_time": 1, "due_closed": 1, "closed_on_time": 1, "reworked": 0, "overdue": 0,
    "closed": 1, "closed_in_grid": 0,
}  # fmt: skip


def _subset(counts, expected):
    return {key: counts[key] for key in expected}


def test_counts_of_each_street_match_the_hand_count(log):
    counts = selectors.count_measures(None, "street", Window(MARCH.start, MARCH.end, NOW))
    assert _subset(counts[WEST], WEST_MARCH) == WEST_MARCH
    assert _subset(counts[EAST], EAST_MARCH) == EAST_MARCH


def test_rates_score_and_grade_of_the_streets(log):
    rows = {row.unit.code: row for row in selectors.evaluation_table(log["team"]["leader"], "street", MARCH, now=NOW)}
    west = rows[WEST].figures.rates
    assert west["on_time_handling"] == Decimal(3) / 6
    assert west["closure"] == Decimal(5) / 6
    assert west["on_time_closure"] == Decimal(3) / 6
    assert west["rework"] == Decimal(1) / 6
    assert west["overdue"] == Decimal(3) / 6
    assert west["dispatch_accuracy"] == Decimal(7) / 8
    assert west["valid_reports"] == Decimal(6) / 8
    assert west["on_time_filing"] == Decimal(6) / 7
    assert west["within_grid"] == Decimal(4) / 5
    assert west["hotline_response"] is None
    # (30×50 + 15×83.33 + 10×50 + 10×83.33 + 10×50 + 10×80 + 5×75 + 5×85.71 + 5×87.5) / 100
    assert rows[WEST].figures.score == Decimal("66.24") and rows[WEST].figures.grade == "C"
    # Everything at 100 except solved-in-the-grid (0, weight 10): 90.00 exactly.
    assert rows[EAST].figures.score == Decimal("90.00") and rows[EAST].figures.grade == "A"
    assert [rows[EAST].rank, rows[WEST].rank] == [1, 2]


def test_previous_period_and_a_year_earlier(log):
    rows = {row.unit.code: row for row in selectors.evaluation_table(log["team"]["leader"], "street", MARCH, now=NOW)}
    february = rows[WEST].previous
    assert february.counts["reported"] == 1 and february.counts["filed"] == 1 and february.counts["dispatched"] == 1
    assert february.counts["due"] == 0 and february.rates["valid_reports"] == 1
    assert rows[WEST].year_earlier.counts["reported"] == 0 and rows[WEST].year_earlier.score is None


def test_a_suspended_case_is_not_due_while_its_clock_is_stopped(log):
    end_of_march = datetime(2026, 3, 31, 18, 0, tzinfo=TZ)
    counts = selectors.count_measures(None, "department", Window(MARCH.start, MARCH.end, end_of_march))
    assert counts["cgj"]["due"] == 2  # C6 and C10; C5's old deadline (30 Mar 14:50) is stopped
    counts = selectors.count_measures(None, "department", Window(MARCH.start, MARCH.end, NOW))
    assert counts["cgj"]["due"] == 2 and counts["cgj"]["handled_on_time"] == 1 and counts["cgj"]["overdue"] == 1
    april = month(2026, 4)
    counts = selectors.count_measures(None, "department", Window(april.start, april.end, NOW))
    assert counts["cgj"]["due"] == 0  # C5 is still suspended
    c5 = take_action(log["cases"]["C5"].pk, "resume", log["team"]["shift_lead"], at=at(4, 2, 9))
    assert c5.deadline == at(4, 2, 13, 50)  # the 3 h 20 min left, from the resumption
    counts = selectors.count_measures(None, "department", Window(april.start, april.end, NOW))
    assert counts["cgj"]["due"] == 1 and counts["cgj"]["overdue"] == 1  # resumed, not finished by 13:50
    counts = selectors.count_measures(None, "department", Window(MARCH.start, MARCH.end, NOW))
    assert counts["cgj"]["due"] == 2  # the resumption moved it to April, not back into March
    take_action(log["cases"]["C5"].pk, "finish", log["team"]["handler"], at=at(4, 2, 13), note="done")
    counts = selectors.count_measures(None, "department", Window(april.start, april.end, NOW))
    assert counts["cgj"]["due"] == 1 and counts["cgj"]["handled_on_time"] == 1


def test_department_score(log):
    [row] = selectors.evaluation_table(log["team"]["leader"], "department", MARCH, now=NOW)
    assert row.unit.code == "cgj"
    assert row.figures.rates["on_time_handling"] == Decimal(1) / 2
    assert "dispatch_accuracy" not in row.figures.rates  # the dispatcher's figure, not the department's
    # 40×50 + 20×50 + 15×50 + 15×100 + 10×50 over 100
    assert row.figures.score == Decimal("57.50") and row.figures.grade == "D"


def test_staff_roles_read_their_own_stage(log):
    rows = {row.unit.code: row for row in selectors.evaluation_table(log["team"]["leader"], "role", MARCH, now=NOW)}
    assert rows["grid_worker"].figures.rates == {"valid_reports": Decimal(7) / 9}
    assert rows["intake_clerk"].figures.rates == {"on_time_filing": Decimal(7) / 8}
    assert rows["dispatcher"].figures.rates == {"dispatch_accuracy": Decimal(8) / 9}
    assert rows["department"].figures.rates == {
        "on_time_handling": Decimal(4) / 7,
        "closure": Decimal(6) / 7,
        "rework": Decimal(1) / 7,
    }


def test_grid_level_and_units_without_cases(log):
    rows = {row.unit.code: row for row in selectors.evaluation_table(log["team"]["leader"], "grid", MARCH, now=NOW)}
    assert rows[WEST_GRID].figures.score == Decimal("66.24")
    assert rows[EAST_GRID].figures.score == Decimal("90.00")
    assert rows["210199001001002"].figures.score is None and rows["210199001001002"].rank is None


def test_cases_behind_a_count_are_the_counted_cases(log):
    leader, cases = log["team"]["leader"], log["cases"]
    behind = selectors.cases_behind(leader, "overdue", MARCH, unit=WEST, now=NOW)
    assert {c.number for c in behind} == {cases[k].number for k in ("C3", "C7", "C10")}
    behind = selectors.cases_behind(leader, "returned", MARCH, unit=WEST, now=NOW)
    assert [c.number for c in behind] == [cases["C4"].number]


def test_data_scope_a_street_sees_only_itself(log):
    east_staff = make_user("street_staff", EAST, username="east-street")
    rows = selectors.evaluation_table(east_staff, "street", MARCH, now=NOW)
    assert [row.unit.code for row in rows] == [EAST]
    rows = selectors.evaluation_table(east_staff, "department", MARCH, now=NOW)
    assert rows[0].figures.counts["reported"] == 1  # only C6 of the department's three cases
    community = log["team"]["community"]
    with pytest.raises(selectors.EvaluationError):
        selectors.evaluation_table(community, "street", MARCH, now=NOW)
    assert [row.unit.code for row in selectors.evaluation_table(community, "community", MARCH, now=NOW)] == ["210199001001"]


@pytest.mark.parametrize("role", ["street_staff", "department_handler", None])
def test_the_grids_and_departments_holding_a_case_are_read_from_the_indexes_as_listed_from_the_cases(log, role):
    user = None
    if role == "street_staff":
        user = make_user("street_staff", EAST, username="east-held")
    elif role == "department_handler":
        user = log["team"]["handler"]
        # A case of another department (or none) co-handled by this one is in its scope too.
        other = Case.objects.exclude(assigned_department_id=user.department_id).exclude(grid_code="").first()
        assert other is not None
        other.co_departments.add(user.department_id)
    cases = Case.objects.filter(case_selectors._evaluation_scope(user))
    if user is not None:  # the evaluation's filter is the user's data scope, each case once
        assert sorted(cases.values_list("pk", flat=True)) == sorted(
            case_selectors.visible_cases(user).values_list("pk", flat=True)
        )
    for column in ("grid_code", "assigned_department_id"):
        listed = set(cases.exclude(**{column: None}).values_list(column, flat=True))
        assert listed and set(case_selectors.evaluation_held(user, column)) == listed, column
    steps = case_selectors.evaluation_steps(user)
    assert sorted(steps.values_list("pk", flat=True)) == sorted(Step.objects.filter(case__in=cases).values_list("pk", flat=True))


def test_grade_boundaries():
    bands = (Decimal(90), Decimal(75), Decimal(60), Decimal(40))
    assert grade_for(Decimal("89.99"), bands) == "B"
    assert grade_for(Decimal("90.00"), bands) == "A"
    assert grade_for(Decimal("75.00"), bands) == "B"
    assert grade_for(Decimal("74.99"), bands) == "C"
    assert grade_for(Decimal(40), bands) == "D" and grade_for(Decimal("39.99"), bands) == "E"
    assert grade_for(None, bands) == ""
    # 89.994 rounds to 89.99 (B); 89.995 rounds up to 90.00 (A)
    assert composite_score({"on_time_handling": Decimal("0.89994")}, {"on_time_handling": Decimal(1)}) == Decimal("89.99")
    assert composite_score({"on_time_handling": Decimal("0.89995")}, {"on_time_handling": Decimal(1)}) == Decimal("90.00")


def test_changed_weights_change_the_grades(log):
    leader = log["team"]["leader"]
    rows = {row.unit.code: row for row in selectors.evaluation_table(leader, "street", MARCH, now=NOW)}
    assert rows[EAST].figures.grade == "A"
    weight = Weight.objects.get(scheme__level="street", indicator="within_grid")
    weight.weight = Decimal(20)
    weight.save()  # as the admin saves it
    rows = {row.unit.code: row for row in selectors.evaluation_table(leader, "street", MARCH, now=NOW)}
    assert rows[EAST].figures.score == Decimal("81.82") and rows[EAST].figures.grade == "B"  # 9000 / 110
    scheme = Scheme.objects.get(level="street")
    scheme.grade_b = Decimal(85)
    scheme.save()
    rows = {row.unit.code: row for row in selectors.evaluation_table(leader, "street", MARCH, now=NOW)}
    assert rows[EAST].figures.grade == "C"


def test_periods():
    assert parse_period("2026Q1").previous().key == "2025Q4"
    assert parse_period("2026-01").previous().key == "2025-12"
    assert parse_period("2026-03").year_earlier().key == "2025-03"
    assert parse_period("2026-03-01..2026-03-10").previous().key == "2026-02-19..2026-02-28"
    for unreadable in ("2026-13", "0001-01", "9999-12", "0000Q1", "2026-03-01..0001-01-01", "x", "2026-3"):
        with pytest.raises(ValueError):
            parse_period(unreadable)
    with pytest.raises(ValueError):
        parse_period("2026-13")
    with pytest.raises(ValueError):
        parse_period("2026-03-10..2026-03-01")


@pytest.mark.parametrize("level", ["street", "community", "grid", "department", "role"])
def test_the_derived_table_sums_equal_the_plain_sums(log, level):
    for period in (MARCH, month(2026, 2), month(2026, 4)):
        window = Window(period.start, period.end, NOW)
        assert selectors.count_measures(None, level, window) == selectors.count_measures(None, level, window, derived=False)


def test_every_time_on_a_case_row_is_at_or_after_its_report(log):
    # The window's count leaves out ``created_at < end`` because of this (selectors._case_rows).
    columns = ("filed_at", "handled_at", "closed_at", "suspended_at", "intake_deadline", "handle_deadline", "verify_deadline")
    rows = list(Case.objects.values("number", "created_at", *columns))
    assert rows
    for row in rows:
        for column in columns:
            assert row[column] is None or row[column] >= row["created_at"], (row["number"], column)


def test_a_finished_months_figures_are_cached_until_a_case_changes(log, django_assert_num_queries):
    leader = log["team"]["leader"]
    selectors.evaluation_table(leader, "street", MARCH, now=NOW, compare=False)
    with django_assert_num_queries(1):  # the street names; the figures and the stamp are kept
        rows = {row.unit.code: row for row in selectors.evaluation_table(leader, "street", MARCH, now=NOW, compare=False)}
    assert rows[WEST].figures.counts["handled"] == 5
    # C10, overdue and still at the department, is finished now: March's figures change.
    c10 = log["cases"]["C10"]
    take_action(c10.pk, "start", log["team"]["handler"], at=at(4, 3, 9))
    take_action(c10.pk, "finish", log["team"]["handler"], at=at(4, 3, 10), note="done")
    rows = {row.unit.code: row for row in selectors.evaluation_table(leader, "street", MARCH, now=NOW, compare=False)}
    assert rows[WEST].figures.counts["handled"] == 6 and rows[WEST].figures.counts["overdue"] == 3


def test_a_running_period_is_counted_as_of_the_minute_asked(log):
    leader = log["team"]["leader"]
    mid_march = datetime(2026, 3, 20, 12, 0, tzinfo=TZ)
    rows = {row.unit.code: row for row in selectors.evaluation_table(leader, "street", MARCH, now=mid_march, compare=False)}
    later = {row.unit.code: row for row in selectors.evaluation_table(leader, "street", MARCH, now=NOW, compare=False)}
    # C6's extended deadline (26 March) was still ahead on 20 March
    assert rows[EAST].figures.counts["due"] == 0 and later[EAST].figures.counts["due"] == 1


def test_the_trend_in_one_pass_equals_each_month_counted_alone(log):
    leader = log["team"]["leader"]
    months = [month(2026, n) for n in (1, 2, 3, 4)]
    for period, figures in selectors.trend(leader, months, NOW):
        alone = selectors.scope_totals(leader, period, now=NOW)
        assert {k: figures.counts[k] for k in selectors.TREND_MEASURES} == {k: alone.counts[k] for k in selectors.TREND_MEASURES}
        assert figures.rates["on_time_handling"] == alone.rates["on_time_handling"]
        assert figures.rates["closure"] == alone.rates["closure"]
