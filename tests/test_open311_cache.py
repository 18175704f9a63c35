"""Open311's rendered GET answers are kept per process (open311/views.py): a change shows at once,
an unchanged answer carries the same ETag, and a client that sends it back gets 304."""

import pytest
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from gridgov.cases.models import Case
from gridgov.cases.selectors import forget_change_marks

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


class _Clock:
    """A monotonic clock the test moves by hand (gridgov.caching reads ``monotonic``)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    import gridgov.caching

    fake = _Clock()
    monkeypatch.setattr(gridgov.caching, "monotonic", fake)
    return fake


def _changed_elsewhere(case: Case, description: str) -> None:
    """A change as another server process makes it: in the database, no signal in this one."""
    Case.objects.filter(pk=case.pk).update(description=description, version=F("version") + 1, updated_at=timezone.now())


def test_a_change_made_in_another_process_shows_within_the_change_mark_bound(
    client, team, category, clock, django_assert_num_queries
):
    case = report(category, reporter=team["resident"], at=ago(hours=2))
    url = f"{BASE}requests/{case.number}.json"
    first = client.get(url).json()[0]
    assert client.get(url).json()[0] == first
    with django_assert_num_queries(0):  # within the bound a kept answer asks the database nothing
        assert client.get(url).status_code == 200
    listing = client.get(f"{BASE}requests.json").json()

    _changed_elsewhere(case, "已清理的垃圾堆")
    clock.now += settings.GRIDGOV_CHANGE_MARK_MS / 1000 / 2
    assert client.get(url).json()[0] == first  # still the kept answer: at most the bound stale
    clock.now += settings.GRIDGOV_CHANGE_MARK_MS / 1000
    changed = client.get(url).json()[0]
    assert changed["description"] == "已清理的垃圾堆" != first["description"]
    relisted = client.get(f"{BASE}requests.json").json()
    assert relisted != listing and relisted[0]["description"] == "已清理的垃圾堆"


def test_a_case_made_in_another_process_is_found_within_the_bound(client, team, category, clock):
    case = report(category, reporter=team["resident"], at=ago(hours=2))
    number = case.number
    Case.objects.filter(pk=case.pk).update(number="19999999999999")  # as if not made yet
    forget_change_marks()
    assert client.get(f"{BASE}requests/{number}.json").status_code == 404
    Case.objects.filter(pk=case.pk).update(number=number, updated_at=timezone.now())  # made elsewhere
    clock.now += settings.GRIDGOV_CHANGE_MARK_MS / 1000 + 0.001
    assert client.get(f"{BASE}requests/{number}.json").json()[0]["service_request_id"] == number


def test_a_change_made_in_this_process_shows_at_once_whatever_the_bound(client, team, category, clock):
    first = report(category, reporter=team["resident"], at=ago(hours=2))
    assert len(client.get(f"{BASE}requests.json").json()) == 1
    report(category, reporter=team["resident"], at=ago(hours=1))  # the bulk intake path: no post_save
    assert len(client.get(f"{BASE}requests.json").json()) == 2
    before = client.get(f"{BASE}requests/{first.number}.json").json()[0]
    act(first, "accept", team["intake"])
    assert client.get(f"{BASE}requests/{first.number}.json").json()[0]["status_notes"] != before["status_notes"]
