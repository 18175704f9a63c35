"""Coordinate conversion on the way in: Gauss–Krüger (pyproj) and GCJ-02 (consumer map apps)."""

import numpy as np
import pyproj
import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import Point, box

from gridgov.grids.gcj02 import gcj02_to_wgs84, in_china, wgs84_to_gcj02
from gridgov.grids.importing import SourceError, read_features
from gridgov.grids.models import Region
from gridgov.grids.spatial import from_geojson

from .test_import import NEW_DISTRICT, geojson_file, tiled_records, write_layer, zipped_shapefile

# CGCS2000 3-degree Gauss–Krüger zone with central meridian 123°E, written out independently of
# the EPSG registry entry: transverse Mercator on the GRS 1980 ellipsoid, scale 1, false easting
# 500 km, no zone prefix.
GK_CM123 = "+proj=tmerc +lat_0=0 +lon_0=123 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"

# Published test vectors of the eviltransform project (wgs lat, wgs lng, gcj lat, gcj lng):
# Shanghai, Shenzhen, Beijing.
EVILTRANSFORM_VECTORS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]
# The wandergis/coordtransform vector (Tiananmen), as also used by hutool and coordtransform-rs.
COORDTRANSFORM_VECTOR = ((116.404, 39.915), (116.41024449916938, 39.91640428150164))


# --- Gauss–Krüger ------------------------------------------------------------------------------


def test_epsg_4550_is_500_km_east_on_its_central_meridian():
    to_gk = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4550", always_xy=True)

    easting, northing = to_gk.transform(123.0, 41.8)

    assert easting == pytest.approx(500000.0, abs=1e-6)
    # On the central meridian northing is the meridian arc length of GRS80 to 41.8°N.
    independent = pyproj.Transformer.from_crs("EPSG:4490", GK_CM123, always_xy=True)
    assert northing == pytest.approx(independent.transform(123.0, 41.8)[1], abs=1e-6)
    assert 4_626_000 < northing < 4_630_000  # 41.8° of arc is roughly 4,628 km


def test_epsg_4550_off_meridian_matches_an_independent_definition():
    to_gk = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4550", always_xy=True)
    independent = pyproj.Transformer.from_crs("EPSG:4490", GK_CM123, always_xy=True)

    for lng, lat in [(123.4, 41.8), (121.6, 40.5), (124.4, 42.9)]:
        easting, northing = to_gk.transform(lng, lat)
        expected = independent.transform(lng, lat)
        assert (easting, northing) == pytest.approx(expected, abs=1e-4)
        assert (easting > 500000) == (lng > 123)


def test_gauss_kruger_shapefile_reads_back_to_longitude_latitude(tmp_path):
    to_gk = pyproj.Transformer.from_crs("EPSG:4490", GK_CM123, always_xy=True)
    records = [r for r in tiled_records() if r.geometry is not None]
    archive = zipped_shapefile(
        tmp_path, records, crs="EPSG:4550", transform=lambda xy: np.column_stack(to_gk.transform(xy[:, 0], xy[:, 1]))
    )

    read = {r.code: r.geometry for r in read_features(archive)}

    for record in records:
        assert shapely.hausdorff_distance(read[record.code], record.geometry) < 1e-8


def test_crs_option_overrides_a_file_without_one(tmp_path):
    to_gk = pyproj.Transformer.from_crs("EPSG:4490", GK_CM123, always_xy=True)
    projected = [
        r.__class__(
            r.code, r.name, shapely.transform(r.geometry, lambda xy: np.column_stack(to_gk.transform(xy[:, 0], xy[:, 1])))
        )
        for r in tiled_records()
        if r.geometry is not None
    ]
    path = geojson_file(tmp_path / "projected.geojson", projected)  # GeoJSON claims WGS84

    read = read_features(path, crs="EPSG:4550")

    assert read[0].geometry.bounds == pytest.approx((123.50, 41.715, 123.505, 41.72), abs=1e-8)


def test_unknown_crs_is_a_clear_error(tmp_path):
    path = geojson_file(tmp_path / "grids.geojson", tiled_records())

    with pytest.raises(SourceError, match="unknown CRS 'EPSG:999999'"):
        read_features(path, crs="EPSG:999999")
    with pytest.raises(CommandError, match="unknown CRS"):
        call_command("import_grids", str(path), "--crs", "EPSG:999999")


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_projected_file_without_crs_asks_for_one(tmp_path):
    records = [r for r in tiled_records() if r.geometry is not None]
    path = write_layer(tmp_path / "bare.gpkg", records, driver="GPKG", crs=None, transform=lambda xy: xy * 1000)

    with pytest.raises(SourceError, match="pass --crs"):
        read_features(path)


# --- GCJ-02 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), EVILTRANSFORM_VECTORS)
def test_gcj02_forward_matches_published_vectors(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lng, lat = wgs84_to_gcj02(wgs_lng, wgs_lat)

    assert (float(lng), float(lat)) == pytest.approx((gcj_lng, gcj_lat), abs=1e-9)


def test_gcj02_forward_matches_coordtransform():
    (wgs_lng, wgs_lat), expected = COORDTRANSFORM_VECTOR

    lng, lat = wgs84_to_gcj02(wgs_lng, wgs_lat)

    assert (float(lng), float(lat)) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("wgs_lat", "wgs_lng", "gcj_lat", "gcj_lng"), EVILTRANSFORM_VECTORS)
def test_gcj02_inverse_recovers_published_wgs84(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    lng, lat = gcj02_to_wgs84(gcj_lng, gcj_lat)

    assert (float(lng), float(lat)) == pytest.approx((wgs_lng, wgs_lat), abs=1e-7)


def test_gcj02_round_trip_over_china_is_below_a_micro_degree():
    rng = np.random.default_rng(20240801)
    lngs, lats = rng.uniform(73.7, 134.7, 5000), rng.uniform(18.2, 53.5, 5000)

    back_lngs, back_lats = gcj02_to_wgs84(*wgs84_to_gcj02(lngs, lats))

    assert np.max(np.abs(back_lngs - lngs)) < 1e-6 and np.max(np.abs(back_lats - lats)) < 1e-6
    shift_lngs, _ = wgs84_to_gcj02(lngs, lats)
    assert np.min(np.abs(shift_lngs - lngs)) > 0  # every point inside China is moved


def test_points_outside_china_are_not_shifted():
    lngs, lats = np.array([-0.1278, 139.6917, 151.2093, 100.5018]), np.array([51.5074, 35.6895, -33.8688, 0.5])

    assert not in_china(lngs, lats).any()
    for convert in (wgs84_to_gcj02, gcj02_to_wgs84):
        out_lngs, out_lats = convert(lngs, lats)
        assert np.array_equal(out_lngs, lngs) and np.array_equal(out_lats, lats)


@pytest.mark.django_db
def test_gcj02_option_converts_a_consumer_map_file(tmp_path):
    def to_gcj(xy):
        return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

    records = tiled_records()
    shifted = [
        r.__class__(r.code, r.name, None if r.geometry is None else shapely.transform(r.geometry, to_gcj)) for r in records
    ]
    path = geojson_file(tmp_path / "amap.geojson", shifted)

    call_command("import_grids", str(path), "--gcj02")

    grid = Region.objects.get(code=f"{NEW_DISTRICT}001001001")
    stored = from_geojson(grid.boundary)
    assert shapely.hausdorff_distance(stored, box(123.50, 41.715, 123.505, 41.72)) < 2e-7  # storage rounds to 1e-7
    # Without the option the same file lands hundreds of metres away.
    raw = read_features(path)
    assert Point(raw[3].geometry.centroid).distance(stored.centroid) > 0.003
