import pytest

from .factories import DISTRICT, EAST_GRID, NORTH, SOUTH, WEST_GRID, WEST_MIDDLE_GRID

pytestmark = pytest.mark.django_db


def test_api_requires_login(client, network):
    response = client.get("/api/v1/regions")
    assert response.status_code == 401


def test_top_regions_are_the_districts(staff_client, network):
    body = staff_client.get("/api/v1/regions").json()
    assert [r["code"] for r in body] == [DISTRICT]
    district = body[0]
    assert district["level"] == "district"
    assert district["bbox"] == pytest.approx([123.40, SOUTH, 123.44, NORTH])


def test_region_with_children_ancestors_and_totals(staff_client, network):
    body = staff_client.get("/api/v1/regions/210199001").json()
    assert body["name"] == "西街道"
    assert body["parent_code"] == DISTRICT
    assert [a["code"] for a in body["ancestors"]] == [DISTRICT]
    assert [c["code"] for c in body["children"]] == ["210199001001"]
    assert body["totals"]["grids"] == 2
    # 0.02° of longitude by 0.02° of latitude at 41.79°N: 0.02*111.32*cos(41.79°) km x 0.02*111.0 km.
    assert body["area_km2"] == pytest.approx(3.689, rel=0.01)


def test_grid_detail_masks_phones_and_lists_party_and_centres(staff_client, network):
    body = staff_client.get(f"/api/v1/grids/{WEST_GRID}").json()
    assert body["code"] == WEST_GRID
    assert {s["phone_masked"] for s in body["staff"]} == {"138****5678", "139****1111"}
    assert "13812345678" not in str(body)
    assert body["party_organization"]["member_count"] == 1
    assert [c["region_code"] for c in body["service_centres"]] == ["210199001001", "210199001"]


def test_grid_endpoint_refuses_a_community(staff_client, network):
    response = staff_client.get("/api/v1/grids/210199001001")
    assert response.status_code == 400
    assert "not a grid" in response.json()["detail"]


@pytest.mark.parametrize(("code", "status", "message"), [("2101990010", 400, "10 digits"), ("210199009", 404, None)])
def test_bad_and_unknown_codes(staff_client, network, code, status, message):
    response = staff_client.get(f"/api/v1/regions/{code}")
    assert response.status_code == status
    if message:
        assert message in response.json()["detail"]


def test_children_geojson_is_a_feature_collection(staff_client, network):
    response = staff_client.get("/api/v1/regions/210199001001/children.geojson")
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == [WEST_GRID, WEST_MIDDLE_GRID]
    assert body["features"][0]["geometry"]["type"] == "Polygon"


def test_locate_inside_on_an_edge_and_outside(staff_client, network):
    inside = staff_client.get("/api/v1/locate", {"lat": 41.79, "lng": 123.435}).json()
    assert inside["grid"]["code"] == EAST_GRID
    assert inside["community"]["code"] == "210199002001"
    assert inside["street"]["code"] == "210199002"
    assert inside["district"]["code"] == DISTRICT
    # lng 123.41 is the edge between the two western grids: the smaller code wins.
    edge = staff_client.get("/api/v1/locate", {"lat": 41.79, "lng": 123.41}).json()
    assert edge["grid"]["code"] == WEST_GRID
    outside = staff_client.get("/api/v1/locate", {"lat": 41.81, "lng": 123.43})
    assert outside.status_code == 404
    assert "outside every grid" in outside.json()["detail"]


def test_locate_validates_coordinates(staff_client, network):
    assert staff_client.get("/api/v1/locate", {"lat": 141.79, "lng": 123.4}).status_code == 400
    assert staff_client.get("/api/v1/locate", {"lat": "north", "lng": 123.4}).status_code == 422


def test_search_by_code_prefix_and_name(staff_client, network):
    by_code = staff_client.get("/api/v1/search", {"q": "210199002"}).json()
    assert [r["code"] for r in by_code] == ["210199002", "210199002001", "210199002001001", "210199002001002"]
    by_name = staff_client.get("/api/v1/search", {"q": "西二"}).json()
    assert [r["code"] for r in by_name] == [WEST_MIDDLE_GRID]


def test_openapi_schema_lists_the_grid_endpoints(client):
    schema = client.get("/api/openapi.json").json()
    assert {"/api/v1/regions/{code}", "/api/v1/locate", "/api/v1/grids/{code}"} <= set(schema["paths"])
