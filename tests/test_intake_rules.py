"""The intake rules live in one service function (``cases.services.check_intake``) that the report
page, POST /api/v1/cases/, Open311 and the hotline import all call (issue 9, fault 4). Before, the
own-grid rule, the sources per role, the resident's phone and the rate limit were in the page
only: a grid worker posted a point outside their grid with source=hotline through the API and got
a case, and a resident without a phone got 201 four times against a 2/h limit."""

import csv

import pytest

from gridgov.accounts.models import Role
from gridgov.cases import services
from gridgov.cases.hotline import import_hotline
from gridgov.cases.models import Case, Source
from gridgov.open311.services import create_api_key

from .auth_helpers import login_verified
from .case_factories import make_category, make_user
from .factories import EAST_GRID, WEST_GRID

pytestmark = pytest.mark.django_db
BASE = "/api/v1/cases/"
WEST = {"lat": 41.79, "lng": 123.405}
EAST = {"lat": 41.79, "lng": 123.435}


@pytest.fixture
def category(network):
    return make_category()


def post(client, user, category, **fields):
    client.force_login(user)
    client.cookies["django_language"] = "en"  # the messages are read in English
    body = {"category": category.pk, "description": "路边堆放生活垃圾", **WEST, **fields}
    return client.post(BASE, body, content_type="application/json")


def test_a_grid_worker_cannot_report_outside_their_grid_through_the_api(client, category):
    answer = post(client, make_user(Role.GRID_WORKER, WEST_GRID), category, **EAST)
    assert answer.status_code == 400
    assert "Report from inside your own grid: the pin is outside it." in answer.json()["detail"]
    assert not Case.objects.exists()


def test_a_grid_worker_reports_from_patrol_only(client, category):
    worker = make_user(Role.GRID_WORKER, WEST_GRID)
    refused = post(client, worker, category, source=Source.HOTLINE)
    assert refused.status_code == 400 and "source “hotline”" in refused.json()["detail"] and not Case.objects.exists()
    taken = post(client, worker, category)
    assert taken.status_code == 201 and Case.objects.get().source == Source.PATROL


def test_a_grid_worker_without_a_grid_cannot_report_from_patrol(client, category):
    answer = post(client, make_user(Role.GRID_WORKER), category)
    assert answer.status_code == 400 and "no grid of your own" in answer.json()["detail"]
    assert not Case.objects.exists()


def test_a_resident_needs_a_phone_and_reports_as_a_resident_through_the_api(client, category):
    resident = make_user(Role.RESIDENT, WEST_GRID)
    no_phone = post(client, resident, category)
    assert no_phone.status_code == 400 and "Leave a phone number" in no_phone.json()["detail"]
    as_hotline = post(client, resident, category, source=Source.HOTLINE, reporter_phone="13800001234")
    assert as_hotline.status_code == 400 and not Case.objects.exists()
    assert post(client, resident, category, reporter_phone="13800001234").status_code == 201
    assert Case.objects.get().source == Source.RESIDENT


def test_the_public_rate_limit_applies_to_the_api(client, category, settings):
    settings.GRIDGOV_INTAKE_RATE = "2/h"
    resident = make_user(Role.RESIDENT, WEST_GRID)
    answers = [post(client, resident, category, reporter_phone="13800001234") for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 429, 429]
    assert int(answers[-1]["Retry-After"]) > 0 and answers[-1].json()["detail"]
    assert Case.objects.count() == 2


def test_the_page_and_the_api_share_the_rate_limit_of_one_address(client, category, settings):
    settings.GRIDGOV_INTAKE_RATE = "2/h"
    form = {"category": category.pk, "description": "路边堆放生活垃圾", "reporter_phone": "13800001234", **WEST}
    assert client.post("/report/", form).status_code == 302
    assert post(client, make_user(Role.RESIDENT, WEST_GRID), category, reporter_phone="13800001234").status_code == 201
    assert post(client, make_user(Role.RESIDENT, WEST_GRID, username="another"), category, reporter_phone="1").status_code == 429


def test_staff_are_not_rate_limited_and_name_a_staff_source(client, category, settings):
    settings.GRIDGOV_INTAKE_RATE = "1/h"
    clerk = make_user(Role.INTAKE_CLERK)
    assert [post(client, clerk, category, source=Source.HOTLINE).status_code for _ in range(3)] == [201] * 3
    assert post(client, clerk, category, source=Source.PATROL).status_code == 400
    assert post(client, clerk, category, source=Source.OPEN311).status_code == 400


def test_the_three_administrators_take_no_reports(client, category):
    admin = make_user(Role.SYSTEM_ADMIN)
    login_verified(client, admin)
    client.cookies["django_language"] = "en"
    body = {"category": category.pk, "description": "路边堆放生活垃圾", "source": Source.SUPERVISOR, **WEST}
    answer = client.post(BASE, body, content_type="application/json")
    assert answer.status_code == 400 and "does not take reports" in answer.json()["detail"]
    assert not Case.objects.exists()


def test_the_page_refuses_the_same_way(client, category):
    client.force_login(make_user(Role.GRID_WORKER, EAST_GRID))
    page = client.post("/report/", {"category": category.pk, "description": "路边堆放生活垃圾", **WEST})
    assert page.status_code == 400 and "请在本网格内上报：标注点在您的网格之外。" in page.content.decode()
    assert not Case.objects.exists()


def test_every_way_in_calls_the_one_rule(client, category, monkeypatch, tmp_path, settings):
    settings.GRIDGOV_INTAKE_RATE = settings.GRIDGOV_API_KEY_RATE = ""
    channels = []
    original = services.check_intake

    def spy(report, **kwargs):
        channels.append(kwargs["channel"])
        return original(report, **kwargs)

    monkeypatch.setattr(services, "check_intake", spy)
    monkeypatch.setattr("gridgov.open311.services.check_intake", spy)
    client.post("/report/", {"category": category.pk, "description": "路边堆放生活垃圾", "reporter_phone": "13800001234", **WEST})
    post(client, make_user(Role.INTAKE_CLERK), category, source=Source.HOTLINE)
    client.logout()
    key = create_api_key("city-app")[1]
    form = {
        "api_key": key,
        "service_code": f"event-{category.code}",
        "description": "路边堆放生活垃圾",
        "lat": WEST["lat"],
        "long": WEST["lng"],
    }
    assert client.post("/open311/v2/requests.json", form).status_code == 201
    path = tmp_path / "orders.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(["工单编号", "受理时间", "诉求内容", "诉求地址", "经度", "纬度", "问题分类", "来电人", "联系电话"])
        writer.writerow(
            [
                "GD2025031200001",
                "2025-03-12 09:30:00",
                "小区门口堆放生活垃圾",
                "西街 1 号",
                WEST["lng"],
                WEST["lat"],
                f"event-{category.code}",
                "张先生",
                "13800001111",
            ]
        )
    assert len(import_hotline(path).imported) == 1
    assert channels == [services.PERSON, services.PERSON, services.OPEN311, services.HOTLINE]
