"""Grid boundary import: every refusal names its codes and leaves the database as it was."""

import json
import zipfile

import numpy as np
import pyogrio.raw
import pyproj
import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import LineString, Polygon, box

from gridgov.accounts.models import AuditEvent
from gridgov.grids.codes import Level
from gridgov.grids.importing import (
    DUPLICATE_CODE,
    HOLE,
    INVALID_POLYGON,
    MALFORMED_CODE,
    MISSING_GEOMETRY,
    MISSING_PARENT,
    NOT_LNG_LAT,
    NOT_POLYGON,
    OUTSIDE_PARENT,
    OVERLAP,
    PARENT_MISMATCH,
    FeatureRecord,
    ImportRefused,
    import_features,
)
from gridgov.grids.models import NetworkRevision, Region
from gridgov.grids.selectors import locate_point
from gridgov.grids.spatial import areas_m2, from_geojson

from .factories import DISTRICT, EAST_GRID, EAST_MIDDLE_GRID, NORTH, SOUTH, WEST_GRID, WEST_MIDDLE_GRID

NEW_DISTRICT = "210188"
CELL = 0.005  # degrees; a grid cell is about 415 m × 555 m at lat 41.7


# --- building files and records ----------------------------------------------------------------


def tiled_records(district=NEW_DISTRICT, *, streets=2, communities=2, columns=2, rows=2, west=123.50, north=41.72):
    """A district tiled without gaps: streets side by side, communities stacked, grids in a lattice.

    Parents come without geometry (derived from their children)."""
    records = [FeatureRecord(district, "新区", None)]
    for s in range(streets):
        street = f"{district}{s + 1:03d}"
        records.append(FeatureRecord(street, f"街道{s + 1}", None))
        for c in range(communities):
            community = f"{street}{c + 1:03d}"
            records.append(FeatureRecord(community, f"社区{s + 1}-{c + 1}", None))
            for r in range(rows):
                for k in range(columns):
                    west_edge = west + (s * columns + k) * CELL
                    north_edge = north - (c * rows + r) * CELL
                    cell = box(west_edge, north_edge - CELL, west_edge + CELL, north_edge)
                    records.append(FeatureRecord(f"{community}{r * columns + k + 1:03d}", f"网格{s}{c}{r}{k}", cell))
    return records


def replaced(records, code, **changes):
    return [FeatureRecord(**{**vars(r), **changes}) if r.code == code else r for r in records]


def write_layer(
    path, records, *, driver, crs="EPSG:4326", transform=None, layer=None, extra_fields=None, names=("code", "name", "parent")
):
    """Write records with pyogrio's raw API (code, name and parent fields), optionally projected."""
    geometries = np.asarray([r.geometry for r in records], dtype=object)
    if transform is not None:
        geometries = shapely.transform(geometries, transform)
    fields = list(names)
    data = [
        np.asarray([r.code for r in records], dtype=object),
        np.asarray([r.name for r in records], dtype=object),
        np.asarray([r.parent_code or "" for r in records], dtype=object),
    ]
    for name, values in (extra_fields or {}).items():
        fields.append(name)
        data.append(np.asarray(values))
    pyogrio.raw.write(
        str(path),
        shapely.to_wkb(geometries),
        data,
        fields,
        driver=driver,
        geometry_type="Polygon",
        crs=pyproj.CRS.from_user_input(crs).to_wkt() if crs else None,
        encoding="UTF-8" if driver == "ESRI Shapefile" else None,
        layer=layer,
    )
    return path


def zipped_shapefile(tmp_path, records, **options):
    folder = tmp_path / "shp"
    folder.mkdir()
    write_layer(folder / "grids.shp", records, driver="ESRI Shapefile", **options)
    archive = tmp_path / "grids.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for member in sorted(folder.iterdir()):
            bundle.write(member, member.name)
    return archive


def geojson_file(path, records):
    features = [
        {
            "type": "Feature",
            "properties": {"code": r.code, "name": r.name, **({"parent": r.parent_code} if r.parent_code else {})},
            "geometry": json.loads(shapely.to_geojson(r.geometry)) if r.geometry is not None else None,
        }
        for r in records
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


# --- database state ----------------------------------------------------------------------------


def snapshot():
    """Everything a refused import must leave alone."""
    return {
        "regions": list(Region.objects.order_by("code").values_list("code", "name", "boundary", "area_m2", "parent_id")),
        "revision": NetworkRevision.objects.filter(pk=1).values_list("number", flat=True).first(),
        "audit": AuditEvent.objects.count(),
    }


def refusal(records, **options):
    before = snapshot()
    with pytest.raises(ImportRefused) as caught:
        import_features(records, **options)
    assert snapshot() == before
    return caught.value


def problems_of(refused, kind):
    return [problem for problem in refused.problems if problem.kind == kind]


# --- accepted imports --------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_creates_the_hierarchy_and_derives_parent_boundaries():
    records = tiled_records()

    report = import_features(records)

    assert len(report.created) == 1 + 2 + 4 + 16 and report.updated == ()
    assert Region.objects.filter(level=Level.GRID).count() == 16
    community = Region.objects.get(code=f"{NEW_DISTRICT}001001")
    assert community.parent.code == f"{NEW_DISTRICT}001" and community.parent.parent.code == NEW_DISTRICT
    grid_area = sum(Region.objects.filter(parent=community).values_list("area_m2", flat=True))
    assert community.area_m2 == pytest.approx(grid_area, rel=1e-6)
    assert from_geojson(community.boundary).equals(box(123.50, 41.71, 123.51, 41.72))
    district = Region.objects.get(code=NEW_DISTRICT)
    assert (district.min_lng, district.min_lat, district.max_lng, district.max_lat) == pytest.approx(
        (123.50, 41.70, 123.52, 41.72)
    )
    assert report.revision == NetworkRevision.objects.get(pk=1).number
    event = AuditEvent.objects.get(action="grids.imported")
    assert event.detail["created"] == 23 and event.detail["updated"] == 0


@pytest.mark.django_db
def test_imported_grids_are_found_by_point_lookup():
    import_features(tiled_records())

    location = locate_point(lat=41.7175, lng=123.5025)

    assert location.grid.code == f"{NEW_DISTRICT}001001001"


@pytest.mark.django_db
def test_reimport_updates_by_code_and_keeps_other_grids(network):
    renamed = [FeatureRecord(WEST_GRID, "新名字", box(123.40, SOUTH, 123.41, NORTH), extra={"households": 12})]
    revision = NetworkRevision.objects.get(pk=1).number

    report = import_features(renamed)

    assert report.created == () and WEST_GRID in report.updated
    assert {"210199001001", "210199001", DISTRICT} <= set(report.derived)
    grid = Region.objects.get(code=WEST_GRID)
    assert (grid.name, grid.households) == ("新名字", 12)
    assert grid.staff.count() == 2  # the same row, updated in place
    assert Region.objects.count() == 9
    assert NetworkRevision.objects.get(pk=1).number == revision + 1


@pytest.mark.django_db
def test_reshaping_two_grids_within_their_community_rederives_nothing_else(network):
    moved_edge = 123.415
    records = [
        FeatureRecord(WEST_GRID, "西一网格", box(123.40, SOUTH, moved_edge, NORTH)),
        FeatureRecord(WEST_MIDDLE_GRID, "西二网格", box(moved_edge, SOUTH, 123.42, NORTH)),
    ]

    import_features(records)

    west = Region.objects.get(code=WEST_GRID)
    assert west.max_lng == pytest.approx(moved_edge)
    community = Region.objects.get(code="210199001001")
    assert from_geojson(community.boundary).equals(box(123.40, SOUTH, 123.42, NORTH))


@pytest.mark.django_db
def test_overlap_below_tolerance_is_accepted(network):
    sliver = 0.00001  # about 0.8 m wide and 2.2 km long: about 1,850 m² of overlap
    records = [FeatureRecord(WEST_GRID, "西一网格", box(123.40, SOUTH, 123.41 + sliver, NORTH))]

    refused = refusal(records)
    assert problems_of(refused, OVERLAP)

    import_features(records, overlap_tolerance_m2=5000)
    assert Region.objects.get(code=WEST_GRID).max_lng == pytest.approx(123.41 + sliver)


@pytest.mark.django_db
def test_missing_parents_can_be_created_on_request():
    grids = [r for r in tiled_records() if len(r.code) == 15]

    report = import_features(grids, create_missing_parents=True)

    assert len(report.created) == 23
    street = Region.objects.get(code=f"{NEW_DISTRICT}002")
    assert street.name.endswith(f"{NEW_DISTRICT}002")
    assert street.area_m2 == pytest.approx(float(areas_m2([box(123.51, 41.70, 123.52, 41.72)])[0]), rel=1e-6)


@pytest.mark.django_db
def test_dry_run_validates_but_writes_nothing():
    before = snapshot()

    report = import_features(tiled_records(), dry_run=True)

    assert report.dry_run and len(report.created) == 23 and report.revision is None
    assert snapshot() == before


@pytest.mark.django_db
def test_quiet_without_progress_and_a_bar_with_it(capsys):
    import_features(tiled_records())
    assert capsys.readouterr() == ("", "")

    import_features(tiled_records(), progress=True)
    assert "writing" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_district_of_1360_grids_imports_whole():
    # 10 streets × 4 communities × 34 grids (2 columns × 17 rows) = 1,360 grids.
    records = tiled_records(streets=10, communities=4, columns=2, rows=17, west=123.3, north=41.9)

    report = import_features(records)

    assert Region.objects.filter(level=Level.GRID).count() == 1360 and len(report.created) == 1 + 10 + 40 + 1360


@pytest.mark.django_db
def test_irregular_tiling_with_shared_edges_is_accepted_as_seamless():
    # A Voronoi tiling clipped to the district: slanted shared edges, no gaps, no overlaps.
    rng = np.random.default_rng(7)
    outline = box(123.50, 41.70, 123.56, 41.74)
    seeds = shapely.MultiPoint(np.column_stack([rng.uniform(123.50, 123.56, 40), rng.uniform(41.70, 41.74, 40)]))
    cells = [cell.intersection(outline) for cell in shapely.voronoi_polygons(seeds, extend_to=outline).geoms]
    records = [FeatureRecord(NEW_DISTRICT, "新区", outline), FeatureRecord(f"{NEW_DISTRICT}001", "街道", None)]
    records.append(FeatureRecord(f"{NEW_DISTRICT}001001", "社区", None))
    records += [FeatureRecord(f"{NEW_DISTRICT}001001{i + 1:03d}", f"网格{i}", cell) for i, cell in enumerate(cells)]

    import_features(records)

    community = Region.objects.get(code=f"{NEW_DISTRICT}001001")
    assert community.area_m2 == pytest.approx(float(areas_m2([outline])[0]), rel=1e-6)


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_malformed_codes_are_named():
    records = tiled_records() + [
        FeatureRecord("21018800100100A", "x", box(0, 0, 1, 1)),
        FeatureRecord("2101880010010011", "y", None),
    ]

    refused = refusal(records)

    named = {problem.codes[0] for problem in problems_of(refused, MALFORMED_CODE)}
    assert named == {"21018800100100A", "2101880010010011"}


@pytest.mark.django_db
def test_duplicate_codes_are_named():
    records = tiled_records()
    duplicate = next(r for r in records if len(r.code) == 15)

    refused = refusal(records + [duplicate])

    [problem] = problems_of(refused, DUPLICATE_CODE)
    assert problem.codes == (duplicate.code,) and "2 times" in problem.message


@pytest.mark.django_db
def test_explicit_parent_must_match_the_code_prefix():
    grid = f"{NEW_DISTRICT}001001001"
    records = replaced(tiled_records(), grid, parent_code=f"{NEW_DISTRICT}001002")

    refused = refusal(records)

    [problem] = problems_of(refused, PARENT_MISMATCH)
    assert problem.codes == (grid, f"{NEW_DISTRICT}001002") and f"{NEW_DISTRICT}001001" in problem.message


@pytest.mark.django_db
def test_parent_missing_from_file_and_database_is_refused(network):
    orphan = "210199003001001"

    refused = refusal([FeatureRecord(orphan, "孤儿网格", box(123.44, SOUTH, 123.45, NORTH))])

    missing = {problem.codes[0]: problem for problem in problems_of(refused, MISSING_PARENT)}
    assert set(missing) == {"210199003", "210199003001"}
    assert orphan in missing["210199003001"].codes


@pytest.mark.django_db
def test_invalid_non_polygon_and_missing_geometries_are_named():
    bowtie = Polygon([(123.50, 41.71), (123.505, 41.72), (123.505, 41.71), (123.50, 41.72), (123.50, 41.71)])
    grids = [r.code for r in tiled_records() if len(r.code) == 15]
    records = replaced(tiled_records(), grids[0], geometry=bowtie)
    records = replaced(records, grids[1], geometry=LineString([(123.505, 41.72), (123.51, 41.71)]))
    records = replaced(records, grids[2], geometry=None)

    refused = refusal(records)

    [invalid] = problems_of(refused, INVALID_POLYGON)
    assert invalid.codes == (grids[0],) and "Self-intersection" in invalid.message
    assert [p.codes for p in problems_of(refused, NOT_POLYGON)] == [(grids[1],)]
    assert [p.codes for p in problems_of(refused, MISSING_GEOMETRY)] == [(grids[2],)]


@pytest.mark.django_db
def test_projected_coordinates_without_a_crs_are_refused():
    grid = f"{NEW_DISTRICT}001001001"
    records = replaced(tiled_records(), grid, geometry=box(500000, 4627000, 500400, 4627500))

    refused = refusal(records)

    assert [p.codes for p in problems_of(refused, NOT_LNG_LAT)] == [(grid,)]


@pytest.mark.django_db
def test_grid_outside_its_stored_community_is_named_with_the_area(network):
    # The west grid pushed 0.001° (about 83 m) north of its community: about 69,000 m² outside.
    records = [FeatureRecord(WEST_GRID, "西一网格", box(123.40, SOUTH, 123.41, NORTH + 0.001))]

    refused = refusal(records)

    [problem] = problems_of(refused, OUTSIDE_PARENT)
    assert problem.codes == (WEST_GRID, "210199001001")
    expected = float(areas_m2([box(123.40, NORTH, 123.41, NORTH + 0.001)])[0])
    assert f"{expected:,.1f} m²" in problem.message


@pytest.mark.django_db
def test_grid_outside_the_community_boundary_given_in_the_file():
    community = f"{NEW_DISTRICT}001001"
    records = replaced(tiled_records(), community, geometry=box(123.50, 41.71, 123.509, 41.72))

    refused = refusal(records)

    named = {problem.codes for problem in problems_of(refused, OUTSIDE_PARENT)}
    assert named == {(f"{community}002", community), (f"{community}004", community)}


@pytest.mark.django_db
def test_overlap_with_a_stored_grid_names_both_grids(network):
    records = [FeatureRecord(WEST_MIDDLE_GRID, "西二网格", box(123.405, SOUTH, 123.42, NORTH))]

    refused = refusal(records)

    [problem] = problems_of(refused, OVERLAP)
    assert set(problem.codes) == {WEST_GRID, WEST_MIDDLE_GRID}
    expected = float(areas_m2([box(123.405, SOUTH, 123.41, NORTH)])[0])
    assert f"{expected:,.1f} m²" in problem.message


@pytest.mark.django_db
def test_hole_inside_the_stored_district_names_bordering_grids(network):
    # Shrinking the east-middle grid leaves a strip inside the district that no grid covers.
    records = [FeatureRecord(EAST_MIDDLE_GRID, "东一网格", box(123.42, SOUTH, 123.428, NORTH))]

    refused = refusal(records)

    [problem] = problems_of(refused, HOLE)
    assert problem.codes == (DISTRICT, EAST_MIDDLE_GRID, EAST_GRID)
    expected = float(areas_m2([box(123.428, SOUTH, 123.43, NORTH)])[0])
    assert f"{expected:,.1f} m²" in problem.message and "lng 123.429" in problem.message


@pytest.mark.django_db
def test_interior_hole_of_a_district_without_a_boundary_is_found():
    records = tiled_records(streets=1, communities=1, columns=3, rows=3)
    centre = f"{NEW_DISTRICT}001001005"

    refused = refusal([r for r in records if r.code != centre])

    [problem] = problems_of(refused, HOLE)
    assert problem.codes[0] == NEW_DISTRICT
    assert set(problem.codes[1:]) == {f"{NEW_DISTRICT}001001{n:03d}" for n in (1, 2, 3, 4, 6, 7, 8, 9)}


@pytest.mark.django_db
def test_every_problem_comes_in_one_report(network):
    records = [
        FeatureRecord("12345", "坏编码", box(0, 0, 1, 1)),
        FeatureRecord(WEST_MIDDLE_GRID, "西二网格", box(123.405, SOUTH, 123.42, NORTH)),
        FeatureRecord(EAST_GRID, "东二网格", box(123.43, SOUTH, 123.44, NORTH + 0.001)),
    ]

    refused = refusal(records)

    assert {p.kind for p in refused.problems} == {MALFORMED_CODE, OVERLAP, OUTSIDE_PARENT}
    report = str(refused)
    assert report.startswith("Import refused with 3 problem(s)")
    for code in ("12345", WEST_GRID, WEST_MIDDLE_GRID, EAST_GRID):
        assert code in report


# --- the command -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_imports_geojson(tmp_path, capsys):
    path = geojson_file(tmp_path / "grids.geojson", tiled_records())

    call_command("import_grids", str(path))

    assert Region.objects.filter(code__startswith=NEW_DISTRICT).count() == 23
    assert Region.objects.get(code=f"{NEW_DISTRICT}002002004").name == "网格1111"


@pytest.mark.django_db
def test_command_imports_zipped_shapefile_in_gauss_kruger(tmp_path):
    to_gk = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4550", always_xy=True)
    records = [r for r in tiled_records() if r.geometry is not None]  # Shapefiles need a geometry per row
    parents = [r for r in tiled_records() if r.geometry is None]
    import_features(parents[:1])  # the district exists; streets and communities come from --create-parents
    archive = zipped_shapefile(
        tmp_path, records, crs="EPSG:4550", transform=lambda xy: np.column_stack(to_gk.transform(xy[:, 0], xy[:, 1]))
    )

    call_command("import_grids", str(archive), "--create-parents")

    grid = Region.objects.get(code=f"{NEW_DISTRICT}001001001")
    assert grid.name == "网格0000"
    expected = box(123.50, 41.715, 123.505, 41.72)
    assert from_geojson(grid.boundary).normalize().equals_exact(expected.normalize(), tolerance=1e-7)


@pytest.mark.django_db
def test_command_imports_geopackage_with_field_mapping(tmp_path):
    path = tmp_path / "grids.gpkg"
    records = [r for r in tiled_records() if r.geometry is not None]
    write_layer(
        path,
        records,
        driver="GPKG",
        crs="EPSG:4490",
        layer="wangge",
        names=("bm", "mc", "sj"),
        extra_fields={"residents": [7] * len(records)},
    )
    import_features([r for r in tiled_records() if r.geometry is None][:1])

    call_command(
        "import_grids",
        str(path),
        "--layer",
        "wangge",
        "--code-field",
        "bm",
        "--name-field",
        "mc",
        "--parent-field",
        "sj",
        "--create-parents",
    )

    assert Region.objects.filter(level=Level.GRID, code__startswith=NEW_DISTRICT, residents=7).count() == 16


@pytest.mark.django_db
def test_command_refusal_is_a_command_error_naming_the_grid(tmp_path, network):
    path = geojson_file(
        tmp_path / "bad.geojson", [FeatureRecord(WEST_MIDDLE_GRID, "西二网格", box(123.405, SOUTH, 123.42, NORTH))]
    )
    before = snapshot()

    with pytest.raises(CommandError) as caught:
        call_command("import_grids", str(path))

    assert WEST_GRID in str(caught.value) and WEST_MIDDLE_GRID in str(caught.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_command_names_unknown_fields_and_lists_those_present(tmp_path):
    path = geojson_file(tmp_path / "grids.geojson", tiled_records())

    with pytest.raises(CommandError, match=r"no code field 'bianma'; fields present: code, name"):
        call_command("import_grids", str(path), "--code-field", "bianma")


@pytest.mark.django_db
def test_command_reports_unreadable_files(tmp_path):
    path = tmp_path / "grids.geojson"
    path.write_text("this is not GeoJSON", encoding="utf-8")

    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_grids", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_grids", str(tmp_path / "absent.gpkg"))


@pytest.mark.django_db
def test_command_dry_run_writes_nothing(tmp_path):
    path = geojson_file(tmp_path / "grids.geojson", tiled_records())
    before = snapshot()

    call_command("import_grids", str(path), "--dry-run")

    assert snapshot() == before
