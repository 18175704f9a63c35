"""Individual staff (岗位评价 per person) against a hand-built log, computed by hand.

March 2026 (category 0101: intake 1 working hour, handling 4, verification 4; 8:30–12:00, 13:30–17:30).

A  reported by the grid worker Tue 3 Mar 9:00, filed 9:10 (on time: intake deadline 10:00);
   dispatched to the department 9:20, returned by the handler 9:30, re-dispatched to the grid
   9:40; the grid worker finishes 10:00; the verifier passes it 10:20 (deadline 14:30).
B  reported by the grid worker Wed 4 Mar 9:00, merged into A: not a valid report.
C  reported by a resident Thu 5 Mar 9:00, filed late 10:30 (deadline 10:00), dispatched to the
   department 10:40 (deadline 16:10); the handler finishes Fri 6 Mar 9:00 (late); the verifier
   sends it back 9:20 (on time); the handler finishes again 10:00 (deadline 14:50, on time);
   the verifier passes it 10:20.

By hand:
- grid worker: 2 reports, 1 valid → 50 %; no verdicts → no verification rate; score 50.00;
- intake clerk: 2 filings, 1 on time → 50 %;
- dispatcher: 3 dispatches, 1 returned → 2/3 = 66.67 %;
- department handler: 2 finishes, 1 on time → 50 %; 1 sent back → rework 50 % (50 points); score 50.00;
- verifier: 3 verdicts (pass, rework, pass), all on time → 100 %.
"""

from decimal import Decimal

import pytest

from gridgov.cases.services import take_action
from gridgov.evaluation import selectors
from gridgov.evaluation.indicators import Window

from .case_factories import make_category, make_user, report
from .evaluation_log import MARCH, NOW, at, make_team, walk
from .factories import WEST_GRID

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(network):
    team = make_team()
    a = report(make_category(), reporter=team["grid_worker"], at=at(3, 3, 9))
    a = walk(
        a, team, ("accept", at(3, 3, 9, 5), "intake", {}), ("file", at(3, 3, 9, 10), "intake", {}),
        ("dispatch", at(3, 3, 9, 20), "dispatcher", {"department": "cgj"}),
        ("return", at(3, 3, 9, 30), "handler", {}),
        ("dispatch", at(3, 3, 9, 40), "dispatcher", {"region": WEST_GRID}),
        ("start", at(3, 3, 9, 50), "grid_worker", {}), ("finish", at(3, 3, 10), "grid_worker", {}),
        ("verify", at(3, 3, 10, 10), "verifier", {}), ("pass", at(3, 3, 10, 20), "verifier", {}),
    )  # fmt: skip
    b = report(make_category(), reporter=team["grid_worker"], at=at(3, 4, 9))
    take_action(b.pk, "merge", team["intake"], at=at(3, 4, 9, 10), note="重复", into=a.number)
    c = report(make_category(), at=at(3, 5, 9))
    walk(
        c, team, ("accept", at(3, 5, 9, 10), "intake", {}), ("file", at(3, 5, 10, 30), "intake", {}),
        ("dispatch", at(3, 5, 10, 40), "dispatcher", {"department": "cgj"}),
        ("start", at(3, 5, 11), "handler", {}), ("finish", at(3, 6, 9), "handler", {}),
        ("verify", at(3, 6, 9, 10), "verifier", {}), ("rework", at(3, 6, 9, 20), "verifier", {}),
        ("start", at(3, 6, 9, 30), "handler", {}), ("finish", at(3, 6, 10), "handler", {}),
        ("verify", at(3, 6, 10, 10), "verifier", {}), ("pass", at(3, 6, 10, 20), "verifier", {}),
    )  # fmt: skip
    selectors.forget_all()
    return team


def rows_by_person(user):
    return {row.unit.code: row for row in selectors.evaluation_table(user, "staff", MARCH, now=NOW)}


def rate(row, key):
    value = row.figures.rates[key]
    return None if value is None else (value * 100).quantize(Decimal("0.01"))


def test_each_post_is_evaluated_on_its_own_steps(log):
    counts = selectors.staff_counts(None, Window(MARCH.start, MARCH.end, NOW))
    worker, clerk, dispatcher, handler, verifier = (
        counts[log[k].pk] for k in ("grid_worker", "intake", "dispatcher", "handler", "verifier")
    )
    assert (worker["staff_reports"], worker["staff_valid_reports"]) == (2, 1)
    assert (clerk["staff_filings"], clerk["staff_filings_on_time"]) == (2, 1)
    assert (dispatcher["staff_dispatches"], dispatcher["staff_dispatches_returned"]) == (3, 1)
    assert (handler["staff_finishes"], handler["staff_finishes_on_time"], handler["staff_finishes_reworked"]) == (2, 1, 1)
    assert (verifier["staff_verdicts"], verifier["staff_verdicts_on_time"]) == (3, 3)


def test_the_staff_table_scores_each_person_on_their_posts_indicators(log):
    rows = rows_by_person(log["leader"])
    worker = rows[str(log["grid_worker"].pk)]
    assert rate(worker, "staff_valid_reports") == Decimal("50.00")
    assert rate(worker, "staff_on_time_verification") is None
    assert worker.figures.score == Decimal("50.00")
    assert rate(rows[str(log["intake"].pk)], "staff_on_time_filing") == Decimal("50.00")
    assert rate(rows[str(log["dispatcher"].pk)], "staff_dispatch_accuracy") == Decimal("66.67")
    handler = rows[str(log["handler"].pk)]
    assert (rate(handler, "staff_on_time_handling"), rate(handler, "staff_rework")) == (Decimal("50.00"), Decimal("50.00"))
    assert handler.figures.score == Decimal("50.00")
    assert rate(rows[str(log["verifier"].pk)], "staff_on_time_verification") == Decimal("100.00")
    assert rows[str(log["verifier"].pk)].rank == 1


def test_a_street_sees_only_the_staff_of_its_units(log):
    rows = rows_by_person(log["street"])
    assert set(rows) == {str(log["grid_worker"].pk)}  # the command centre's staff belong to no street
    other = make_user("street_staff", "210199002", username="east-street")
    assert rows_by_person(other) == {}


def test_the_api_serves_the_staff_level(client, log):
    client.force_login(log["leader"])
    payload = client.get("/api/v1/evaluation/table", {"level": "staff", "period": "2026-03"}).json()
    assert "staff" in payload["levels"]
    assert {row["code"] for row in payload["rows"]} >= {str(log["dispatcher"].pk)}


def test_the_page_and_the_export_list_each_person(client, log):
    import io

    from openpyxl import load_workbook

    log["dispatcher"].first_name = "派遣员甲"
    log["dispatcher"].save()
    selectors.forget_all()
    client.force_login(log["leader"])
    page = client.get("/evaluation/", {"level": "staff", "period": "2026-03"})
    assert page.status_code == 200 and "派遣员甲" in page.content.decode()
    export = client.get("/evaluation/export.xlsx", {"level": "staff", "period": "2026-03"})
    assert export.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True) for c in row]
    assert "派遣员甲" in cells and 66.67 in cells


def test_each_case_keeps_the_deadlines_its_steps_set(log):
    """The deadlines on the case row (written by the step that sets them) are the ones its steps
    recorded: the report's, the latest step that left it with a handler, the latest finish."""
    from gridgov.cases.models import Case

    for case in Case.objects.prefetch_related("steps"):
        steps = list(case.steps.order_by("at", "id"))
        at_handler = [s.deadline for s in steps if s.to_state in ("dispatched", "handling")]
        finishes = [s.deadline for s in steps if s.action == "finish"]
        assert case.intake_deadline == steps[0].deadline and steps[0].action == "report"
        assert case.handle_deadline == (at_handler[-1] if at_handler else None)
        assert case.verify_deadline == (finishes[-1] if finishes else None)


def test_a_department_handler_without_a_department_evaluates_nobody(network):
    # department_id=None would match every person without a department: all the grid staff.
    make_user("grid_worker", WEST_GRID, username="west-worker")
    orphan = make_user("department_handler", username="handler-without-department")
    assert list(selectors.staff_in_scope(orphan)) == []
