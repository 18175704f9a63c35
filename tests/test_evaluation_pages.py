"""The evaluation's API, pages and Excel export over the hand-built log of
test_evaluation_indicators.py: same figures everywhere, data scope in every output."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from gridgov.evaluation import selectors
from gridgov.evaluation.exporting import HEADER_ROW

from .case_factories import make_user
from .evaluation_log import EAST, NOW, WEST, build_log

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_figures():
    """Figures are kept per process under a change stamp; another test's rows can repeat it."""
    selectors.forget_all()
    yield
    selectors.forget_all()


@pytest.fixture
def log(network):
    return build_log()


@pytest.fixture
def leader_client(client, log):
    client.force_login(log["team"]["leader"])
    return client


@pytest.fixture
def frozen_now(monkeypatch):
    """The API reads the clock; the log's figures were counted on 15 April 2026."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)


def test_table_api_gives_the_hand_counted_figures(leader_client, frozen_now):
    body = leader_client.get("/api/v1/evaluation/table", {"level": "street", "period": "2026-03"}).json()
    rows = {row["code"]: row for row in body["rows"]}
    assert rows[WEST]["score"] == 66.24 and rows[WEST]["grade"] == "C"
    assert rows[WEST]["rates"]["on_time_handling"] == 50.0 and rows[WEST]["rates"]["on_time_filing"] == 85.71
    assert rows[WEST]["counts"]["overdue"] == 3 and rows[WEST]["previous"]["counts"]["reported"] == 1
    assert rows[EAST]["rank"] == 1 and body["previous"]["key"] == "2026-02" and body["year_earlier"]["key"] == "2025-03"
    link = rows[WEST]["links"]["overdue"]
    page = leader_client.get(link)
    assert page.status_code == 200
    numbers = {c.number for c in (leader_client.get(link).context["page"])}
    assert numbers == {log_case.number for log_case in _cases(leader_client, "C3", "C7", "C10")}


def _cases(client, *keys):
    from gridgov.cases.models import Case

    dates = {"C3": "20260304", "C7": "20260310", "C10": "20260316"}
    return [Case.objects.get(number=f"{dates[k]}000001") for k in keys]


def test_bad_input_is_a_400_with_a_sentence(leader_client):
    response = leader_client.get("/api/v1/evaluation/table", {"period": "2026-13"})
    assert response.status_code == 400 and "2026-13" in response.json()["detail"]
    response = leader_client.get("/api/v1/evaluation/table", {"level": "planet"})
    assert response.status_code == 400
    response = leader_client.get("/evaluation/", {"kind": "range", "from": "2026-03-10", "to": "x"})
    assert response.status_code == 400 and b"2026-03-10" in response.content  # the picker keeps what was typed
    assert leader_client.get("/evaluation/cases/", {"measure": "nothing"}).status_code == 400


def test_residents_get_no_evaluation(client, log):
    client.force_login(log["team"]["resident"])
    assert client.get("/api/v1/evaluation/table").status_code == 403
    assert client.get("/evaluation/").status_code == 302


def test_excel_export_round_trips(leader_client, frozen_now):
    api = leader_client.get("/api/v1/evaluation/table", {"level": "street", "period": "2026-03"}).json()
    response = leader_client.get("/evaluation/export.xlsx", {"level": "street", "period": "2026-03"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    assert "2026-03-01" in sheet["B2"].value  # the period is written in the sheet
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    rows = {r[1]: dict(zip(headers, r, strict=False)) for r in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
    for row in api["rows"]:
        exported = rows[row["code"]]
        assert exported[headers[3]] == row["score"] and exported[headers[4]] == row["grade"]
        for column in api["columns"]:
            label = column["label"] + (" (%)" if column["kind"] == "rate" else "")
            expected = row["counts"][column["key"]] if column["kind"] == "count" else row["rates"][column["key"]]
            assert exported[label] == expected


def test_a_street_users_outputs_hold_nothing_of_another_street(client, log, frozen_now):
    east_staff = make_user("street_staff", EAST, username="east-street")
    client.force_login(east_staff)
    body = client.get("/api/v1/evaluation/table", {"level": "community", "period": "2026-03"}).json()
    assert [row["code"] for row in body["rows"]] == ["210199002001"]
    sheet = load_workbook(BytesIO(client.get("/evaluation/export.xlsx", {"level": "grid", "period": "2026-03"}).content)).active
    codes = [row[1] for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
    assert codes and all(code.startswith(EAST) for code in codes)
    text = "".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None)
    assert WEST not in text and "西" not in text
    dashboard = client.get("/api/v1/evaluation/dashboard", {"period": "2026-03"}).json()
    assert dashboard["compare"][0]["reported"] == 1  # C6 only
    assert all(unit["code"].startswith(EAST) for unit in dashboard["best"] + dashboard["worst"])
    page = client.get("/evaluation/dashboard/", {"period": "2026-03"})
    assert page.status_code == 200 and "西街道".encode() not in page.content


def test_home_routes_by_role(client, log):
    client.force_login(log["team"]["leader"])
    assert client.get("/").url == "/evaluation/dashboard/"
    client.force_login(log["team"]["dispatcher"])
    assert client.get("/").url == "/grids/"


def test_pages_render(leader_client, frozen_now):
    for url in ("/evaluation/?period=2026-03&level=department", "/evaluation/report/?period=2026-03",
                "/evaluation/dashboard/?period=2026-03", "/evaluation/dashboard/big/", "/evaluation/?kind=quarter&year=2026&quarter=1"):  # fmt: skip
        response = leader_client.get(url)
        assert response.status_code == 200, url
        assert b"<script>" not in response.content  # no inline scripts (CSP)
    dashboard = leader_client.get("/api/v1/evaluation/dashboard", {"period": "2026-03"}).json()
    assert dashboard["compare"][0]["reported"] == 9 and dashboard["compare"][1]["reported"] == 1
    assert dashboard["trend"]["months"][-1] == "2026-03" and len(dashboard["trend"]["months"]) == 12
    assert dashboard["ranking_level"] == "street" and dashboard["best"][0]["code"] == EAST


def test_openapi_lists_the_evaluation(leader_client):
    schema = leader_client.get("/api/openapi.json").json()
    assert {"/api/v1/evaluation/table", "/api/v1/evaluation/dashboard", "/api/v1/evaluation/indicators"} <= set(schema["paths"])


def test_a_street_sees_its_rank_among_the_streets_but_not_their_figures(client, log, frozen_now):
    west_staff = make_user("street_staff", WEST, username="west-street")
    client.force_login(west_staff)
    dashboard = client.get("/api/v1/evaluation/dashboard", {"period": "2026-03"}).json()
    assert dashboard["own_rank"] == {"level": "street", "rank": 2, "of": 2, "siblings": 2}  # behind the east street
    page = client.get("/evaluation/dashboard/", {"period": "2026-03"})
    assert "东街道".encode() not in page.content and b'data-testid="own-rank"' in page.content


def _ledger_numbers(content: bytes) -> list[str]:
    sheet = load_workbook(BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(n for n, row in enumerate(rows) if row and row[0] in ("Case number", "案件编号", "案件号"))
    return [row[0] for row in rows[header + 1 :]]


def test_the_ledger_of_a_figure_and_of_a_list_filter_keeps_to_the_scope(client, log, frozen_now):
    cases = log["cases"]
    client.force_login(log["team"]["leader"])
    response = client.get("/evaluation/ledger.xlsx", {"measure": "overdue", "period": "2026-03", "level": "street", "unit": WEST})
    assert response.status_code == 200
    assert sorted(_ledger_numbers(response.content)) == sorted(cases[k].number for k in ("C3", "C7", "C10"))
    text = "".join(
        str(c) for row in load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True) for c in row if c
    )
    assert "13800001234" not in text  # no reporter's phone in the ledger
    east_staff = make_user("street_staff", EAST, username="east-street")
    client.force_login(east_staff)
    assert _ledger_numbers(client.get("/evaluation/ledger.xlsx", {"state": "closed"}).content) == [cases["C6"].number]
    assert _ledger_numbers(client.get("/evaluation/ledger.xlsx").content) == [cases["C6"].number]
    assert _ledger_numbers(client.get("/evaluation/ledger.xlsx", {"region": WEST}).content) == []
    assert client.get("/evaluation/ledger.xlsx", {"date_from": "soon"}).status_code == 400
