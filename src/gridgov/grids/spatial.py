"""In-process spatial work with shapely 2: geometry helpers and the point → grid index.

Nothing here touches the database, so it can be tested and benchmarked on its own.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

WGS84 = pyproj.CRS.from_epsg(4326)


def from_geojson(text: str) -> BaseGeometry:
    return shapely.from_geojson(text)


def to_geojson(geometry: BaseGeometry, precision: int = 7) -> str:
    """GeoJSON text rounded to ``precision`` decimals (1e-7 degrees is about 1 cm)."""
    return shapely.to_geojson(shapely.set_precision(geometry, 10**-precision, mode="pointwise"))


def local_equal_area_crs(geometries: Sequence[BaseGeometry]) -> pyproj.CRS:
    """A Lambert azimuthal equal-area projection centred on the geometries (metres)."""
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geometries, dtype=object))
    lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
    return pyproj.CRS.from_proj4(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +ellps=GRS80 +units=m +no_defs")


def to_metres(geometries: Sequence[BaseGeometry], crs: pyproj.CRS | None = None) -> np.ndarray:
    """The geometries projected from longitude-latitude into a local metric CRS."""
    geometries = np.asarray(geometries, dtype=object)
    crs = crs or local_equal_area_crs(geometries)
    transformer = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    return shapely.transform(geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def areas_m2(geometries: Sequence[BaseGeometry]) -> np.ndarray:
    """Areas in square metres of longitude-latitude geometries."""
    if len(geometries) == 0:
        return np.zeros(0)
    return shapely.area(to_metres(geometries))


@dataclass(frozen=True)
class Footprint:
    """What is stored beside a boundary so lists and maps never parse geometry."""

    area_m2: float
    label_lng: float
    label_lat: float
    bbox: tuple[float, float, float, float]


def footprint(geometry: BaseGeometry, area_m2: float | None = None) -> Footprint:
    label = geometry.representative_point()
    area = float(areas_m2([geometry])[0]) if area_m2 is None else area_m2
    return Footprint(area, label.x, label.y, tuple(float(v) for v in geometry.bounds))


class GridIndex:
    """Point → grid lookup over a fixed set of polygons, with a bulk path for arrays of points.

    ``keys`` are returned for hits (grid codes, in practice). A point on an edge shared by two
    grids, or on a vertex shared by several, belongs to the one whose key sorts first, so the
    answer never depends on the order the grids were loaded in.
    """

    def __init__(self, keys: Sequence[str], geometries: Sequence[BaseGeometry]):
        order = np.argsort(np.asarray(keys, dtype=object), kind="stable")
        self.keys = np.asarray(keys, dtype=object)[order]
        self.geometries = np.asarray(geometries, dtype=object)[order]
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.keys)

    def locate_indices(self, lngs: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """For each point the position of its grid in ``self.keys``, or -1 outside every grid."""
        lngs = np.asarray(lngs, dtype=float)
        lats = np.asarray(lats, dtype=float)
        result = np.full(lngs.shape[0], -1, dtype=np.int64)
        if lngs.shape[0] == 0 or len(self.keys) == 0:
            return result
        points = shapely.points(lngs, lats)
        # "intersects" rather than "within" so points on an edge belong to a grid.
        point_idx, grid_idx = self.tree.query(points, predicate="intersects")
        if point_idx.size == 0:
            return result
        # Several grids may claim one point (shared edges); keep the smallest grid position,
        # i.e. the first key. lexsort orders by point, then grid; the first row per point wins.
        by_point = np.lexsort((grid_idx, point_idx))
        point_idx, grid_idx = point_idx[by_point], grid_idx[by_point]
        first = np.ones(point_idx.size, dtype=bool)
        first[1:] = point_idx[1:] != point_idx[:-1]
        result[point_idx[first]] = grid_idx[first]
        return result

    def locate_many(self, lngs: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        indices = self.locate_indices(np.asarray(lngs), np.asarray(lats))
        return [self.keys[i] if i >= 0 else None for i in indices]

    def locate(self, lng: float, lat: float) -> str | None:
        return self.locate_many([lng], [lat])[0]
