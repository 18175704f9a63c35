"""Call-centre search by the caller's name (issue 11, item 4): the reporter's name is encrypted at
rest, so it is found through a blind index of the normalised name (trimmed, full-width folded to
half-width, case folded), only by the roles that call reporters back, and never shows in public."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from gridgov import crypto
from gridgov.cases.models import Case
from gridgov.cases.selectors import cases_by_reporter_name

from .case_factories import make_category, make_team, report

pytestmark = pytest.mark.django_db

NAME = "欧阳 Lan"
CALLER_TYPES = "　欧阳　 ＬＡＮ "  # as typed: full-width spaces and letters, other case, stray spaces


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.GRIDGOV_LOOKUP_RATE = ""


@pytest.fixture
def team(network):
    return make_team()


@pytest.fixture
def cases(team):
    category = make_category()
    return report(category, reporter_name=NAME), report(category, reporter_name="李四")


def listed(client, user, query: str, url: str = "cases:list") -> str:
    client.force_login(user)
    return client.get(reverse(url), {"q": query}).content.decode()


def test_names_are_normalised_before_indexing():
    assert crypto.name_folded(CALLER_TYPES) == crypto.name_folded(NAME) == "欧阳 lan"
    assert crypto.name_folded("  张三丰\t") == "张三丰"
    assert crypto.name_folded("Ｚｈａｎｇ１") == "zhang1"


def test_the_name_is_stored_as_ciphertext_and_found_by_its_blind_index(cases):
    mine, other = cases
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_name, reporter_name_index FROM cases_case WHERE id = %s", [mine.pk])
        stored, index = cursor.fetchone()
    assert crypto.is_encrypted(stored) and len(index) == 64 and "欧阳" not in index
    assert list(cases_by_reporter_name(CALLER_TYPES)) == [mine]
    assert list(cases_by_reporter_name("李四")) == [other]
    # Whole names only: the index says nothing about a part of a name, and an empty search finds nothing.
    assert not cases_by_reporter_name("欧阳").exists() and not cases_by_reporter_name("  ").exists()


def test_the_migration_indexes_rows_written_before_it(cases):
    mine, _ = cases
    Case.objects.update(reporter_name_index="")
    assert not cases_by_reporter_name(NAME).exists()
    migration = importlib.import_module("gridgov.cases.migrations.0016_reporter_name_index")
    migration.index_existing(apps, type("Editor", (), {"connection": connection})())
    assert list(cases_by_reporter_name(CALLER_TYPES)) == [mine]
    assert Case.objects.get(pk=mine.pk).reporter_name == NAME  # the name itself is untouched


def test_the_call_centre_finds_cases_by_the_callers_name(client, team, cases):
    mine, other = cases
    for role in ("intake", "dispatcher", "shift_lead"):
        page = listed(client, team[role], CALLER_TYPES)
        assert mine.number in page and other.number not in page, role
    api = client.get("/api/v1/cases/", {"q": CALLER_TYPES}).json()
    assert [row["number"] for row in api["results"]] == [mine.number]
    assert 'placeholder="案件编号、描述、地址，或来电人的完整电话号码或姓名"' in listed(client, team["intake"], "")


def test_other_roles_cannot_search_by_name(client, team, cases):
    mine, _ = cases
    for role in ("grid_worker", "community", "street", "verifier", "leader", "handler"):
        page = listed(client, team[role], NAME)
        assert mine.number not in page and "来电人" not in page, role
        client.force_login(team[role])
        assert client.get("/api/v1/cases/", {"q": NAME}).json().get("results", []) == [], role


def test_a_resident_finds_nothing_by_name_and_public_views_carry_neither_name_nor_index(client, team, cases):
    mine, _ = cases
    index = Case.objects.values_list("reporter_name_index", flat=True).get(pk=mine.pk)
    client.force_login(team["resident"])
    assert client.get("/api/v1/cases/", {"q": NAME}).json().get("results", []) == []
    client.logout()
    public = [
        client.post(reverse("report:lookup"), {"number": mine.number, "phone": "13800001234"}),
        client.get(f"/open311/v2/requests/{mine.number}.json", {"extensions": "true"}),
        client.get("/open311/v2/requests.json", {"extensions": "true"}),
        client.get(f"/open311/v2/requests/{mine.number}.xml", {"extensions": "true"}),
    ]
    for response in public:
        body = response.content.decode()
        assert response.status_code == 200 and mine.number in body
        assert "欧阳" not in body and index not in body and "name_index" not in body
