"""Bounded input outside Open311 (see test_open311_robust.py for Open311): extreme dates in the
staff case list and its JSON API answer a message, not a 500; text longer than intake accepts is
refused with a message on every intake path instead of being cut (resident and staff forms,
JSON API, hotline import, the service itself)."""

import csv

import pytest
from django.utils import translation

from gridgov.cases.hotline import import_hotline
from gridgov.cases.models import Case, Source
from gridgov.cases.services import IntakeError, Report, report_case

from .case_factories import WEST_POINT, make_category, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(network):
    make_category()
    return make_team()


@pytest.mark.parametrize("params", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}, {"date_from": "1899-12-31"}])
def test_staff_list_refuses_dates_out_of_range_with_a_message(client, team, params):
    client.force_login(team["dispatcher"])
    response = client.get("/cases/", params)
    assert response.status_code == 400
    text = response.content.decode()
    assert "1900-01-01" in text and "2999-12-31" in text  # the whole sentence, in Chinese by default
    [value] = params.values()
    assert f'value="{value}"' in text  # the form keeps what was typed


@pytest.mark.parametrize("params", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}])
def test_case_api_refuses_dates_out_of_range(client, team, params):
    client.force_login(team["dispatcher"])
    response = client.get("/api/v1/cases/", params)
    assert response.status_code == 400
    assert "2999-12-31" in response.json()["detail"]


def _api_case(client, team, **fields):
    client.force_login(team["intake"])
    category = make_category()
    body = {
        "category": category.pk,
        "lat": WEST_POINT[0],
        "lng": WEST_POINT[1],
        "description": "井盖缺失",
        "source": "hotline",
        **fields,
    }
    return client.post("/api/v1/cases/", body, content_type="application/json")


@pytest.mark.parametrize(
    "field, length",
    [("external_id", 1000), ("reporter_name", 51), ("reporter_phone", 21), ("address", 201), ("reporter_email", 255)],
)
def test_case_api_refuses_over_long_text(client, team, field, length):
    value = "a" * (length - 12) + "@example.org" if field == "reporter_email" else "1" * length
    response = _api_case(client, team, **{field: value})
    assert response.status_code == 400, response.content
    assert field in response.json()["detail"] and str(length) in response.json()["detail"]
    assert not Case.objects.exists()


def test_case_api_takes_text_at_its_limit_whole(client, team):
    response = _api_case(client, team, external_id="G" * 64, reporter_name="名" * 50, reporter_phone="1" * 20)
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert (case.external_id, case.reporter_name, case.reporter_phone) == ("G" * 64, "名" * 50, "1" * 20)


def test_the_service_refuses_rather_than_cuts(team):
    category = make_category()
    report = Report(category=category, lat=WEST_POINT[0], lng=WEST_POINT[1], description="d", source=Source.RESIDENT,
                    reporter_name="张" * 51)  # fmt: skip
    with translation.override("zh-hans"), pytest.raises(IntakeError, match="reporter_name"):
        report_case(report)
    assert not Case.objects.exists()


@pytest.mark.parametrize("role", ["resident", "dispatcher"])
def test_intake_forms_refuse_over_long_names_and_keep_the_values(client, team, role):
    if role != "resident":
        client.force_login(team[role])
    form = {"category": make_category().pk, "lat": WEST_POINT[0], "lng": WEST_POINT[1], "description": "井盖缺失",
            "reporter_name": "张" * 51, "reporter_phone": "13800001234", "source": "hotline"}  # fmt: skip
    response = client.post("/report/", form)
    assert response.status_code == 400
    assert "张" * 51 in response.content.decode()
    assert not Case.objects.exists()


def test_hotline_rows_with_over_long_caller_or_phone_are_refused(team, tmp_path):
    header = ["工单编号", "受理时间", "诉求内容", "诉求地址", "经度", "纬度", "问题分类", "来电人", "联系电话"]
    good = [
        "GD1",
        "2025-03-12 09:30:00",
        "小区门口堆放生活垃圾",
        "西街 1 号",
        "123.405",
        "41.79",
        "event-0101",
        "张先生",
        "13800001111",
    ]
    long_name = [*good[:7], "张" * 51, good[8]]
    long_name[0] = "GD2"
    long_phone = [*good[:8], "1" * 21]
    long_phone[0] = "GD3"
    path = tmp_path / "orders.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        csv.writer(out).writerows([header, good, long_name, long_phone])
    assert [order for _row, order, _number in import_hotline(path, dry_run=True).imported] == ["GD1"]
    result = import_hotline(path)
    assert [order for _row, order, _number in result.imported] == ["GD1"]
    refused = {problem.external_id: problem.reason for problem in result.refused}
    assert set(refused) == {"GD2", "GD3"} and "reporter_name" in refused["GD2"] and "reporter_phone" in refused["GD3"]
    assert Case.objects.get().reporter_name == "张先生"


@pytest.mark.parametrize("lat, lng", [("1e400", "1"), ("inf", "inf"), ("nan", "123.4"), ("91", "123.4")])
def test_similar_case_look_ups_refuse_points_that_are_not_points(client, team, lat, lng):
    category = make_category()
    public = client.get("/report/similar/", {"category": category.pk, "lat": lat, "lng": lng})
    assert public.status_code == 400 and "lat" in public.json()["detail"]
    client.force_login(team["dispatcher"])
    api = client.get("/api/v1/cases/duplicates", {"category": category.pk, "lat": lat, "lng": lng})
    assert api.status_code in (400, 422)  # 422: ninja's own refusal of what is not a float


def test_json_api_answers_an_oversized_body_in_json(client, team, settings):
    client.force_login(team["intake"])
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = client.post("/api/v1/cases/", {"description": "x" * 20_000}, content_type="application/json")
    assert response.status_code == 413 and "larger" in response.json()["detail"]


def test_html_pages_answer_unreadable_forms_with_a_sentence(client, team):
    response = client.generic("POST", "/report/", b"a=1", content_type="application/x-www-form-urlencoded; charset=rot13")
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode() and "<html" in response.content.decode()
