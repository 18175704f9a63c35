"""GeoJSON export, and the export → import round trip."""

import json

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.grids.codes import LEVEL_ORDER, Level
from gridgov.grids.exporting import feature_collection
from gridgov.grids.models import Region
from gridgov.grids.spatial import from_geojson

from .factories import DISTRICT, WEST_GRID


def stored_network():
    return {
        code: (name, level, parent, area, from_geojson(boundary))
        for code, name, level, parent, area, boundary in Region.objects.values_list(
            "code", "name", "level", "parent__code", "area_m2", "boundary"
        )
    }


def delete_network():
    for level in reversed(LEVEL_ORDER):  # parents are protected while they have children
        Region.objects.filter(level=level).delete()


@pytest.mark.django_db
def test_grid_export_carries_code_name_level_parent_and_area(network):
    collection = feature_collection(level=Level.GRID)

    assert collection["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in collection["features"]] == sorted(c for c in network if len(c) == 15)
    west = next(f for f in collection["features"] if f["properties"]["code"] == WEST_GRID)
    grid = network[WEST_GRID]
    assert west["properties"] == {
        "code": WEST_GRID,
        "name": grid.name,
        "level": "grid",
        "parent_code": "210199001001",
        "area_km2": pytest.approx(grid.area_m2 / 1e6, abs=1e-6),
    }
    assert shapely.geometry.shape(west["geometry"]).equals(from_geojson(grid.boundary))


@pytest.mark.django_db
def test_export_filters_by_district(network):
    assert len(feature_collection(level="all", district=DISTRICT)["features"]) == 9
    assert feature_collection(level="all", district="210188")["features"] == []


@pytest.mark.django_db
def test_export_then_import_restores_the_network(network, tmp_path):
    path = tmp_path / "network.geojson"
    call_command("export_grids", str(path), "--level", "all")
    before = stored_network()
    delete_network()
    assert Region.objects.count() == 0

    call_command("import_grids", str(path))

    after = stored_network()
    assert after.keys() == before.keys()
    for code, (name, level, parent, area, boundary) in before.items():
        new_name, new_level, new_parent, new_area, new_boundary = after[code]
        assert (new_name, new_level, new_parent) == (name, level, parent)
        assert new_area == pytest.approx(area, rel=1e-6)
        assert shapely.hausdorff_distance(new_boundary, boundary) < 1e-7


@pytest.mark.django_db
def test_export_written_file_is_geojson_with_chinese_names(network, tmp_path):
    path = tmp_path / "grids.geojson"

    call_command("export_grids", str(path))

    collection = json.loads(path.read_text(encoding="utf-8"))
    assert len(collection["features"]) == 4 and "西一网格" in path.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_export_of_an_unknown_district_is_an_error(network, tmp_path):
    with pytest.raises(CommandError, match="no district 210188"):
        call_command("export_grids", str(tmp_path / "x.geojson"), "--district", "210188")
