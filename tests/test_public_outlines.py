"""The public report page fetches the community outlines from one cacheable GeoJSON endpoint
instead of carrying them inline in every page."""

import json

import pytest
from django.urls import reverse
from django.utils.http import http_date
from shapely.geometry import box

from gridgov.accounts.models import Role
from gridgov.grids.models import Region
from gridgov.grids.services import set_region_boundary

from .case_factories import make_user
from .factories import DISTRICT, NORTH, SOUTH, WEST_GRID, build_small_network

pytestmark = pytest.mark.django_db

OUTLINES_URL = "/api/v1/outlines.geojson"
COMMUNITIES = ["210199001001", "210199002001"]


def report_map(response) -> dict:
    page = response.content.decode()
    start = page.index('<script id="report-map-data" type="application/json">') + len(
        '<script id="report-map-data" type="application/json">'
    )
    return json.loads(page[start : page.index("</script>", start)])


def test_the_report_page_links_the_outlines_instead_of_embedding_them(client, network):
    response = client.get(reverse("report:new"))
    assert response.status_code == 200
    page = response.content.decode()
    data = report_map(response)
    assert data["outlinesUrl"] == OUTLINES_URL and "outlines" not in data
    # Nothing of a boundary is in the page: no coordinates, no community names or codes.
    assert "coordinates" not in page and "Polygon" not in page
    assert "西社区" not in page and not any(code in page for code in COMMUNITIES)
    # Only the box around the district, so the map shows the right place before (or without) them.
    assert data["bounds"] == pytest.approx([123.40, SOUTH, 123.44, NORTH])


def test_a_grid_worker_on_patrol_gets_the_outline_of_their_own_grid(client, network):
    client.force_login(make_user(Role.GRID_WORKER, WEST_GRID))
    data = report_map(client.get(reverse("report:new")))
    assert data["outlinesUrl"] == f"/api/v1/regions/{WEST_GRID}/boundary.geojson"
    assert data["bounds"] == pytest.approx([123.40, SOUTH, 123.41, NORTH])
    outline = client.get(data["outlinesUrl"]).json()
    assert [f["properties"]["code"] for f in outline["features"]] == [WEST_GRID]


def test_the_endpoint_answers_anyone_with_every_community_outline(client, network):
    response = client.get(OUTLINES_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in collection["features"]] == COMMUNITIES
    assert [f["properties"]["name"] for f in collection["features"]] == ["西社区", "东社区"]
    west = collection["features"][0]["geometry"]
    assert west["type"] == "Polygon"
    lngs = [lng for lng, _ in west["coordinates"][0]]
    assert (min(lngs), max(lngs)) == pytest.approx((123.40, 123.42))


def test_the_endpoint_is_cacheable_and_revalidated(client, network):
    response = client.get(OUTLINES_URL)
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "no-cache"} <= cache_control
    newest = max(Region.objects.filter(code__in=COMMUNITIES).values_list("updated_at", flat=True))
    assert response["Last-Modified"] == http_date(int(newest.timestamp()))

    again = client.get(OUTLINES_URL)
    assert again["ETag"] == etag  # stable while nothing changes

    revalidated = client.get(OUTLINES_URL, HTTP_IF_NONE_MATCH=etag)
    assert revalidated.status_code == 304 and revalidated.content == b""
    assert revalidated["ETag"] == etag and "no-cache" in revalidated["Cache-Control"]

    by_date = client.get(OUTLINES_URL, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
    assert by_date.status_code == 304

    assert client.get(OUTLINES_URL, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_outlines_are_gzipped_for_a_client_that_takes_it(client, network):
    import gzip

    plain = client.get(OUTLINES_URL)
    packed = client.get(OUTLINES_URL, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content and "Content-Encoding" not in plain
    # Its ETag is the weak form of the plain one, and still revalidates.
    assert packed["ETag"] == "W/" + plain["ETag"]
    again = client.get(OUTLINES_URL, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert again.status_code == 304


def test_a_304_reads_no_boundary(client, network, django_assert_max_num_queries):
    etag = client.get(OUTLINES_URL)["ETag"]
    with django_assert_max_num_queries(3):  # communities exist?, count + latest change, revision
        assert client.get(OUTLINES_URL, HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("change", ["boundary", "name"])
def test_a_changed_outline_gets_a_new_etag(client, network, change):
    etag = client.get(OUTLINES_URL)["ETag"]
    community = Region.objects.get(code=COMMUNITIES[0])
    if change == "boundary":
        set_region_boundary(community, box(123.40, SOUTH, 123.415, NORTH))
    else:
        community.name = "西湖社区"
        community.save()
    response = client.get(OUTLINES_URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag
    first = json.loads(response.content)["features"][0]
    if change == "boundary":
        assert max(lng for lng, _ in first["geometry"]["coordinates"][0]) == pytest.approx(123.415)
    else:
        assert first["properties"]["name"] == "西湖社区"


def test_a_removed_community_gets_a_new_etag(client, network):
    etag = client.get(OUTLINES_URL)["ETag"]
    Region.objects.filter(code__startswith=COMMUNITIES[1], level="grid").delete()
    Region.objects.filter(code=COMMUNITIES[1]).delete()
    response = client.get(OUTLINES_URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert [f["properties"]["code"] for f in json.loads(response.content)["features"]] == COMMUNITIES[:1]


def test_a_network_without_communities_outlines_its_districts(client, db):
    regions = build_small_network(with_people=False)
    for code in sorted(regions, key=len, reverse=True):
        if len(code) > len(DISTRICT):
            regions[code].delete()
    collection = client.get(OUTLINES_URL).json()
    assert [f["properties"]["code"] for f in collection["features"]] == [DISTRICT]


def test_an_empty_network_answers_an_empty_collection(client, db):
    response = client.get(OUTLINES_URL)
    assert response.status_code == 200 and json.loads(response.content)["features"] == []
    assert client.get(OUTLINES_URL, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert report_map(client.get(reverse("report:new")))["bounds"] is None
