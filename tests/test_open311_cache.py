"""Open311's rendered GET answers are kept per process (open311/views.py): a change shows at once,
an unchanged answer carries the same ETag, and a client that sends it back gets 304."""

import pytest
from django.conf import settings

from gridgov.cases.models import Case

from .case_factories import make_category, make_team, report
from .test_open311 import BASE, act, ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.GRIDGOV_INTAKE_RATE = ""


@pytest.fixture
def team(network):
    return make_team()


@pytest.fixture
def category(network):
    return make_category()


def test_a_step_shows_at_once_and_an_unchanged_answer_is_not_sent_again(client, team, category):
    case = report(category, reporter=team["resident"], at=ago(hours=2))
    first = client.get(f"{BASE}requests/{case.number}.json")
    again = client.get(f"{BASE}requests/{case.number}.json")
    assert first.status_code == again.status_code == 200
    assert first["ETag"] == again["ETag"] and first.content == again.content

    unchanged = client.get(f"{BASE}requests/{case.number}.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == first["ETag"]

    act(case, "accept", team["intake"])
    changed = client.get(f"{BASE}requests/{case.number}.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert changed.json()[0]["status_notes"] != first.json()[0]["status_notes"]


def test_the_listing_shows_a_new_case_and_drops_a_deleted_one_at_once(client, team, category):
    older = report(category, reporter=team["resident"], at=ago(days=1))
    listed = client.get(f"{BASE}requests.json")
    assert [item["service_request_id"] for item in listed.json()] == [older.number]
    assert client.get(f"{BASE}requests.json", HTTP_IF_NONE_MATCH=listed["ETag"]).status_code == 304

    newer = report(category, reporter=team["resident"], at=ago(hours=1))
    relisted = client.get(f"{BASE}requests.json", HTTP_IF_NONE_MATCH=listed["ETag"])
    assert relisted.status_code == 200
    assert [item["service_request_id"] for item in relisted.json()] == [newer.number, older.number]

    Case.objects.filter(pk=newer.pk).delete()
    assert [item["service_request_id"] for item in client.get(f"{BASE}requests.json").json()] == [older.number]
    assert client.get(f"{BASE}requests/{newer.number}.json").status_code == 404


def test_each_language_and_format_is_kept_apart(client, team, category):
    case = report(category, reporter=team["resident"], at=ago(hours=2))
    act(case, "accept", team["intake"])
    chinese = client.get(f"{BASE}requests/{case.number}.json").json()[0]["status_notes"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(f"{BASE}requests/{case.number}.json").json()[0]["status_notes"]
    assert chinese != english and english.isascii()
    xml = client.get(f"{BASE}requests/{case.number}.xml")
    assert xml["Content-Type"].startswith("text/xml") and xml.content.startswith(b"<?xml")
