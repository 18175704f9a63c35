"""The open-case map's grid layer: every grid of the user's scope with its open and overdue cases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gridgov.cases.models import Case
from gridgov.cases.services import take_action

from .case_factories import make_team, report
from .factories import WEST_GRID, WEST_MIDDLE_GRID

EAST_POINT = (41.79, 123.435)

URL = "/api/v1/evaluation/open-by-grid.geojson"
pytestmark = pytest.mark.django_db


@pytest.fixture
def team(network):
    return make_team()


def grids_for(client, user) -> dict[str, dict]:
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return {f["id"]: f for f in response.json()["features"]}


def test_grids_carry_their_open_and_overdue_counts(client, team):
    report()
    late = report()
    Case.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(hours=1))
    rejected = report()
    take_action(rejected.pk, "reject", team["intake"], note="重复")  # closed: not open any more
    east = report(point=EAST_POINT)
    grids = grids_for(client, team["leader"])
    assert grids[WEST_GRID]["properties"] | {"name": ""} == {"code": WEST_GRID, "name": "", "open": 2, "overdue": 1}
    assert grids[east.grid_code]["properties"]["open"] == 1 and grids[east.grid_code]["properties"]["overdue"] == 0
    assert grids[WEST_MIDDLE_GRID]["properties"]["open"] == 0  # every grid is drawn, with or without cases
    assert grids[WEST_GRID]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_a_street_sees_only_its_own_grids(client, team):
    east = report(point=EAST_POINT)
    grids = grids_for(client, team["street"])
    assert grids and all(code.startswith("210199001") for code in grids)
    assert east.grid_code not in grids


def test_residents_are_refused(client, team):
    client.force_login(team["resident"])
    response = client.get(URL)
    assert response.status_code == 403 and response.json()["detail"]


def test_the_layer_answers_304_while_nothing_changed(client, team):
    report()
    client.force_login(team["leader"])
    first = client.get(URL)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('"') and "private" in first.headers["Cache-Control"]
    again = client.get(URL, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    # a new case changes a grid's count: the whole layer again, under a new tag
    report()
    changed = client.get(URL, headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json()["features"]
    # another scope gets its own tag (its grids differ)
    client.force_login(team["street"])
    assert client.get(URL).headers["ETag"] != changed.headers["ETag"]
