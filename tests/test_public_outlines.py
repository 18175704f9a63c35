"""The public report page fetches the community outlines from one cacheable GeoJSON endpoint
instead of carrying them inline in every page."""

import json

import pytest
from django.urls import reverse
from django.utils.http import http_date
from shapely.geometry import Point, Polygon, box, shape

from gridgov.accounts.models import Role
from gridgov.grids.models import Region
from gridgov.grids.selectors import outlines_stamp, public_outlines
from gridgov.grids.services import set_region_boundary
from gridgov.grids.spatial import simplify_outlines

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


# --- simplified for the public map (issue 11: the report page on a slow phone) -------------------


def wiggly_border(step: float = 0.00002, wiggle: float = 0.000003) -> list[tuple[float, float]]:
    """The shared border of the two communities at lng 123.42, from south to north, with a vertex
    every ~2 m that moves it by a few decimetres: detail no district map can show."""
    count = round((NORTH - SOUTH) / step)
    return [(123.42 + (wiggle if n % 2 else -wiggle) * (0 < n < count), SOUTH + n * step) for n in range(count + 1)]


@pytest.fixture
def detailed_network(network):
    border = wiggly_border()
    west = Polygon([(123.40, SOUTH), *border, (123.40, NORTH)])
    east = Polygon([*border, (123.44, NORTH), (123.44, SOUTH)])
    set_region_boundary(Region.objects.get(code=COMMUNITIES[0]), west)
    set_region_boundary(Region.objects.get(code=COMMUNITIES[1]), east)
    return west, east


def coordinates(geometry: dict) -> list[list[float]]:
    return [point for ring in geometry["coordinates"] for point in ring]


def test_the_public_outlines_are_simplified_and_rounded(client, detailed_network):
    west, east = detailed_network
    features = client.get(OUTLINES_URL).json()["features"]
    for feature, original in zip(features, detailed_network, strict=True):
        points = coordinates(feature["geometry"])
        assert len(points) < 20 < len(original.exterior.coords)  # the wiggles are gone
        assert all(value == round(value, 5) for point in points for value in point)  # 5 decimals, ~1 m
        drawn = shape(feature["geometry"])
        assert drawn.is_valid and drawn.hausdorff_distance(original) < 1e-4  # within ~10 m of the original
    # The two communities still meet along one line: simplified together, no gap, no overlap.
    first, second = (shape(feature["geometry"]) for feature in features)
    assert first.intersection(second).area == pytest.approx(0, abs=1e-12)
    assert first.union(second).area == pytest.approx(0.04 * 0.02, rel=1e-6)
    assert first.intersection(second).length == pytest.approx(NORTH - SOUTH, rel=1e-3)


def test_staff_maps_keep_the_full_detail(client, detailed_network):
    west, _ = detailed_network
    client.force_login(make_user(Role.GRID_WORKER, WEST_GRID))
    feature = client.get(f"/api/v1/regions/{COMMUNITIES[0]}/boundary.geojson").json()["features"][0]
    assert len(coordinates(feature["geometry"])) == len(west.exterior.coords)


def test_the_simplified_outlines_have_an_etag_of_their_own(client, network):
    etag = client.get(OUTLINES_URL)["ETag"]
    # Not the stamp of the stored outlines alone: a browser holding the full outlines under the
    # stamp's ETag gets the simplified ones instead of a 304.
    stored = f'"{outlines_stamp(public_outlines()).etag}"'
    assert etag != stored and client.get(OUTLINES_URL, HTTP_IF_NONE_MATCH=stored).status_code == 200


def test_outlines_that_are_not_a_coverage_are_simplified_one_by_one():
    round_one = Point(123.41, 41.79).buffer(0.005, quad_segs=64)  # overlaps the square
    tiny = box(123.45, 41.79, 123.45003, 41.79003)  # ~3 m across: below the tolerance
    simplified = simplify_outlines([box(123.40, 41.78, 123.42, 41.80), round_one, tiny], 1e-4, 5)
    assert [shape.is_valid for shape in simplified] == [True, True, True]
    assert len(simplified[1].exterior.coords) < len(round_one.exterior.coords)
    assert simplified[1].hausdorff_distance(round_one) < 1e-4
    assert simplified[2].area > 0 and simplified[2].hausdorff_distance(tiny) < 1e-4  # still there, not collapsed
    assert simplify_outlines([], 1e-4, 5) == []
