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


def simplify_outlines(geometries: Sequence[BaseGeometry], tolerance: float, precision: int) -> list[BaseGeometry]:
    """Lighter copies of ``geometries`` for drawing at a district's zoom: vertices that move an
    edge by less than ``tolerance`` (in the geometries' units) dropped, coordinates rounded to
    ``precision`` decimals.

    Neighbouring units are simplified together (GEOS's coverage simplification), so a border
    they share stays one line and no gap or overlap opens between them. Units that do not form
    a valid coverage (overlaps, gaps narrower than the tolerance) are simplified one by one,
    keeping each valid. A unit that would collapse keeps its own (rounded) outline."""
    if not geometries:
        return []
    originals = np.asarray(geometries, dtype=object)
    try:
        coverage = bool(shapely.coverage_is_valid(originals))
    except shapely.errors.GEOSException:  # e.g. an invalid polygon among them
        coverage = False
    if coverage:
        simplified = shapely.coverage_simplify(originals, tolerance)
    else:
        simplified = shapely.simplify(originals, tolerance, preserve_topology=True)
    grid_size = 10**-precision
    result = []
    for original, light in zip(originals, simplified, strict=True):
        rounded = shapely.set_precision(light, grid_size, mode="pointwise")
        if rounded is None or rounded.is_empty or shapely.area(rounded) == 0:
            rounded = shapely.set_precision(original, grid_size, mode="pointwise")
        result.append(rounded)
    return result


def local_equal_area_crs(geometries: Sequence[BaseGeometry] | np.ndarray) -> pyproj.CRS:
    """A Lambert azimuthal equal-area projection centred on the geometries (metres)."""
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geometries, dtype=object))
    lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
    return pyproj.CRS.from_proj4(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +ellps=GRS80 +units=m +no_defs")


def to_metres(geometries: Sequence[BaseGeometry] | np.ndarray, crs: pyproj.CRS | None = None) -> np.ndarray:
    """The geometries projected from longitude-latitude into a local metric CRS."""
    geometries = np.asarray(geometries, dtype=object)
    crs = crs or local_equal_area_crs(geometries)
    transformer = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    return shapely.transform(geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def areas_m2(geometries: Sequence[BaseGeometry] | np.ndarray) -> np.ndarray:
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


def _box(values) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = (float(v) for v in values)
    return minx, miny, maxx, maxy


def footprint(geometry: BaseGeometry, area_m2: float | None = None) -> Footprint:
    label = geometry.representative_point()
    area = float(areas_m2([geometry])[0]) if area_m2 is None else area_m2
    return Footprint(area, label.x, label.y, _box(geometry.bounds))


def footprints(geometries: Sequence[BaseGeometry] | np.ndarray) -> list[Footprint]:
    """``footprint`` for many geometries at once (one projection, vectorised shapely)."""
    geometries = np.asarray(geometries, dtype=object)
    if len(geometries) == 0:
        return []
    areas = areas_m2(geometries)
    labels = shapely.point_on_surface(geometries)
    bounds = shapely.bounds(geometries)
    return [
        Footprint(float(area), float(label.x), float(label.y), _box(box))
        for area, label, box in zip(areas, labels, bounds, strict=True)
    ]


def polygonal_parts(geometry: BaseGeometry) -> BaseGeometry:
    """Only the polygons of a geometry (``make_valid`` may add lines or points to them)."""
    parts = [part for part in shapely.get_parts(geometry) if part.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


class GridIndex:
    """Point → grid lookup over a fixed set of polygons, with a bulk path for arrays of points.

    ``keys`` are returned for hits (grid codes, in practice). A point on an edge shared by two
    grids, or on a vertex shared by several, belongs to the one whose key sorts first, so the
    answer never depends on the order the grids were loaded in. Points on the outer boundary of
    the network are inside it.

    The bulk path answers most points without any geometry test: a uniform raster over the
    network's bounding box records, for every cell that no grid boundary touches, the grid the
    whole cell lies in. Only points in cells a boundary touches are tested exactly, against the
    few grids that can hold them (see ``_CellRaster``).
    """

    def __init__(
        self, keys: Sequence[str] | np.ndarray, geometries: Sequence[BaseGeometry] | np.ndarray, cells_per_grid: int = 1024
    ):
        order = np.argsort(np.asarray(keys, dtype=object), kind="stable")
        self.keys = np.asarray(keys, dtype=object)[order]
        self.geometries = np.asarray(geometries, dtype=object)[order]
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        self.cells_per_grid = cells_per_grid
        self._raster: _CellRaster | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def prepare_bulk(self) -> "GridIndex":
        """Build the raster now (else the first call with many points builds it)."""
        if self._raster is None and len(self.keys):
            # A race between two threads only builds it twice; the assignment is atomic.
            self._raster = _CellRaster.build(self, self.cells_per_grid)
        return self

    def locate_indices(self, lngs: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """For each point the position of its grid in ``self.keys``, or -1 outside every grid."""
        lngs = np.asarray(lngs, dtype=float).ravel()
        lats = np.asarray(lats, dtype=float).ravel()
        if self._raster is None and lngs.shape[0] >= _RASTER_WORTH_IT:
            self.prepare_bulk()
        if self._raster is None:
            return self.locate_exact(lngs, lats)
        result = np.empty(lngs.shape[0], dtype=np.int64)
        for start in range(0, lngs.shape[0], _CHUNK):
            chunk = slice(start, start + _CHUNK)
            result[chunk] = self._raster.locate(lngs[chunk], lats[chunk])
        return result

    def locate_exact(self, lngs: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """The same answers as ``locate_indices``, testing every point against the STRtree."""
        lngs = np.asarray(lngs, dtype=float).ravel()
        lats = np.asarray(lats, dtype=float).ravel()
        if lngs.shape[0] == 0 or len(self.keys) == 0:
            return np.full(lngs.shape[0], _NO_GRID, dtype=np.int64)
        # "intersects" rather than "within" so points on an edge belong to a grid.
        point_idx, grid_idx = self.tree.query(shapely.points(lngs, lats), predicate="intersects")
        # Several grids may claim one point; the smallest position (the first key) wins.
        first = np.full(lngs.shape[0], len(self.keys), dtype=np.int64)
        np.minimum.at(first, point_idx, grid_idx)
        first[first == len(self.keys)] = _NO_GRID
        return first

    def locate_many(self, lngs: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        indices = self.locate_indices(np.asarray(lngs), np.asarray(lats))
        return [self.keys[i] if i >= 0 else None for i in indices]

    def locate(self, lng: float, lat: float) -> str | None:
        """One point: a direct STRtree query (the array path costs ~10× more for a single point)."""
        hits = self.tree.query(shapely.Point(lng, lat), predicate="intersects")
        return self.keys[int(hits.min())] if hits.size else None


# Building the raster costs about as much as locating this many points exactly (1,360 grids:
# ~0.3 s), so a process that only ever looks up a few points never pays for it.
_RASTER_WORTH_IT = 100_000
# Points are located in chunks so temporary arrays stay small for very large inputs.
_CHUNK = 1 << 20
_MAX_CELLS = 1 << 22
_NO_GRID = -1
# Cell states at or below this value point into the candidate lists of boundary cells.
_BOUNDARY = -2
_POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon


@dataclass(frozen=True)
class _RasterFrame:
    """Where the cells are: ``nx`` × ``ny`` equal cells over ``bounds``, numbered row by row.

    A coordinate's cell is ``floor((x - minx) / dx)``, monotonic in x whatever the rounding, so
    a boundary point and a query point given the same cell index lie in the same interval.
    """

    bounds: tuple[float, float, float, float]
    nx: int
    ny: int
    dx: float
    dy: float

    @classmethod
    def around(cls, bounds: tuple[float, float, float, float], target_cells: int) -> "_RasterFrame":
        minx, miny, maxx, maxy = bounds
        width, height = maxx - minx, maxy - miny
        if width > 0 and height > 0:
            side = np.sqrt(width * height / target_cells)
            nx, ny = max(1, int(np.ceil(width / side))), max(1, int(np.ceil(height / side)))
        else:  # grids along a line, or a single point: one row or column of cells
            nx = min(target_cells, 1 << 16) if width > 0 else 1
            ny = min(target_cells, 1 << 16) if height > 0 else 1
        return cls(bounds, nx, ny, width / nx if width > 0 else 1.0, height / ny if height > 0 else 1.0)

    @property
    def size(self) -> int:
        return self.nx * self.ny

    def columns_rows(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i = np.clip(np.floor((xs - self.bounds[0]) / self.dx), 0, self.nx - 1).astype(np.int64)
        j = np.clip(np.floor((ys - self.bounds[1]) / self.dy), 0, self.ny - 1).astype(np.int64)
        return i, j

    def covers(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        minx, miny, maxx, maxy = self.bounds
        return (xs >= minx) & (xs <= maxx) & (ys >= miny) & (ys <= maxy)

    def cells_of_covered(self, xs: np.ndarray, ys: np.ndarray, covered: np.ndarray) -> np.ndarray:
        """``columns_rows`` as cell numbers, faster, for points the frame covers (others: cell 0).

        Same arithmetic as ``columns_rows``: for covered points the quotient is ≥ 0, so
        truncation is the floor, and only the top clip remains.
        """
        outside = ~covered
        fx = (xs - self.bounds[0]) / self.dx
        fy = (ys - self.bounds[1]) / self.dy
        fx[outside] = 0
        fy[outside] = 0
        i = fx.astype(np.int64)
        np.minimum(i, self.nx - 1, out=i)
        cells = fy.astype(np.int64)
        np.minimum(cells, self.ny - 1, out=cells)
        cells *= self.nx
        cells += i
        return cells

    def centres(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        j, i = np.divmod(cells, self.nx)
        return self.bounds[0] + (i + 0.5) * self.dx, self.bounds[1] + (j + 0.5) * self.dy

    def cells_in_boxes(self, minxs, minys, maxxs, maxys, spans: int) -> tuple[np.ndarray, np.ndarray]:
        """(cell, box number) for every cell meeting each box, boxes at most ``spans`` cells wide."""
        i_lo, j_lo = self.columns_rows(minxs, minys)
        i_hi, j_hi = self.columns_rows(maxxs, maxys)
        cells, boxes = [], []
        for di in range(spans):
            for dj in range(spans):
                keep = np.flatnonzero((i_lo + di <= i_hi) & (j_lo + dj <= j_hi))
                cells.append((j_lo[keep] + dj) * self.nx + i_lo[keep] + di)
                boxes.append(keep)
        return np.concatenate(cells), np.concatenate(boxes)


@dataclass(frozen=True)
class _CellRaster:
    """Per cell of a ``_RasterFrame``, the answer or the grids to test.

    ``state[cell]`` is the grid position for a cell no grid boundary touches (every point of
    such a cell lies in the same grids, so the first key among them is the answer), -1 for an
    untouched cell outside every grid, and ``_BOUNDARY - slot`` for a cell a boundary touches;
    ``candidates[starts[slot]:starts[slot + 1]]`` then lists, in key order, every grid that can
    hold a point of that cell.
    """

    geometries: np.ndarray
    frame: _RasterFrame
    state: np.ndarray
    starts: np.ndarray
    candidates: np.ndarray

    @classmethod
    def build(cls, index: GridIndex, cells_per_grid: int) -> "_CellRaster":
        bounds = _box(shapely.total_bounds(index.geometries))
        if not np.all(np.isfinite(bounds)):  # only empty geometries: nothing is inside
            bounds = (0.0, 0.0, -1.0, -1.0)
        frame = _RasterFrame.around(bounds, min(cells_per_grid * len(index.keys), _MAX_CELLS))
        touched_cells, touching_grids = _boundary_pairs(index.geometries, frame)
        boundary = np.zeros(frame.size, dtype=bool)
        boundary[touched_cells] = True
        state = _untouched_cell_answers(index, frame, boundary)
        starts, candidates = _boundary_candidates(index, frame, boundary, touched_cells, touching_grids, state)
        # int32 halves the raster's memory; grid positions and slots stay far below 2**31.
        return cls(index.geometries, frame, state.astype(np.int32), starts, candidates)

    @property
    def boundary_share(self) -> float:
        return float(np.mean(self.state <= _BOUNDARY))

    def locate(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        inside = self.frame.covers(xs, ys)
        states = self.state[self.frame.cells_of_covered(xs, ys, inside)].astype(np.int64)
        states[~inside] = _NO_GRID
        near_boundary = np.flatnonzero(states <= _BOUNDARY)
        states[near_boundary] = self._test_candidates(xs[near_boundary], ys[near_boundary], _BOUNDARY - states[near_boundary])
        return states

    def _test_candidates(self, xs: np.ndarray, ys: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """Test each point against its cell's candidates in key order; the first hit wins.

        One vectorised test per rank: every point against its first candidate, the points still
        unanswered against their second, and so on (boundary cells rarely hold more than 3).
        """
        result = np.full(xs.shape[0], _NO_GRID, dtype=np.int64)
        first = self.starts[slots]
        counts = self.starts[slots + 1] - first
        pending = np.arange(xs.shape[0])
        rank = 0
        while pending.size:
            pending = pending[counts[pending] > rank]
            grids = self.candidates[first[pending] + rank]
            hit = shapely.intersects_xy(self.geometries[grids], xs[pending], ys[pending])
            result[pending[hit]] = grids[hit]
            pending = pending[~hit]
            rank += 1
        return result


def _boundary_pairs(geometries: np.ndarray, frame: _RasterFrame) -> tuple[np.ndarray, np.ndarray]:
    """(cell, grid) for every cell the boundary of a grid may touch (a superset), unique.

    Boundaries are densified to segments shorter than a cell, so each segment's bounding box,
    widened by a small margin for rounding, covers at most 3 × 3 cells and every cell it crosses.
    Non-polygonal geometries have no inside to raster: every cell of their bounding box is marked.
    """
    polygonal = np.isin(shapely.get_type_id(geometries), _POLYGONAL)
    # numpy's stubs take no None scalar in where(); at run time it broadcasts as an object.
    rings, owners = shapely.get_parts(shapely.boundary(np.where(polygonal, geometries, None)), return_index=True)  # type: ignore[call-overload]
    dense = shapely.segmentize(rings, 0.5 * min(frame.dx, frame.dy))
    coords, ring_of = shapely.get_coordinates(dense, return_index=True)
    same_ring = np.flatnonzero(ring_of[1:] == ring_of[:-1])
    start, end = coords[same_ring], coords[same_ring + 1]
    margin = 1e-6 * max(frame.dx, frame.dy)
    cells, segments = frame.cells_in_boxes(
        np.minimum(start[:, 0], end[:, 0]) - margin,
        np.minimum(start[:, 1], end[:, 1]) - margin,
        np.maximum(start[:, 0], end[:, 0]) + margin,
        np.maximum(start[:, 1], end[:, 1]) + margin,
        spans=3,
    )
    grids = owners[ring_of[same_ring]][segments]
    other = np.flatnonzero(~polygonal & ~shapely.is_empty(geometries) & ~shapely.is_missing(geometries))
    if other.size:
        box_cells, box_of = _cells_of_bounding_boxes(shapely.bounds(geometries[other]), frame)
        cells, grids = np.concatenate([cells, box_cells]), np.concatenate([grids, other[box_of]])
    return _unique_pairs(cells, grids, len(geometries))


def _cells_of_bounding_boxes(bounds: np.ndarray, frame: _RasterFrame) -> tuple[np.ndarray, np.ndarray]:
    i_lo, j_lo = frame.columns_rows(bounds[:, 0], bounds[:, 1])
    i_hi, j_hi = frame.columns_rows(bounds[:, 2], bounds[:, 3])
    cells, boxes = [], []
    for number in range(bounds.shape[0]):
        columns, rows = np.meshgrid(np.arange(i_lo[number], i_hi[number] + 1), np.arange(j_lo[number], j_hi[number] + 1))
        cells.append((rows * frame.nx + columns).ravel())
        boxes.append(np.full(columns.size, number, dtype=np.int64))
    return np.concatenate(cells), np.concatenate(boxes)


def _untouched_cell_answers(index: GridIndex, frame: _RasterFrame, boundary: np.ndarray) -> np.ndarray:
    """The answer of every untouched cell, from one exact lookup per run of them along a row.

    Neighbouring untouched cells in a row lie in the same grids (no boundary separates them),
    so the first cell of each run stands for the whole run.
    """
    untouched = ~boundary
    column = np.arange(frame.size) % frame.nx
    after_boundary = np.concatenate([[True], boundary[:-1]])
    run_start = untouched & ((column == 0) | after_boundary)
    run_of_cell = np.cumsum(run_start) - 1
    answers = index.locate_exact(*frame.centres(np.flatnonzero(run_start)))
    state = np.full(frame.size, _NO_GRID, dtype=np.int64)
    state[untouched] = answers[run_of_cell[untouched]]
    return state


def _boundary_candidates(index, frame, boundary, touched_cells, touching_grids, state):
    """Per boundary cell, the grids whose boundary touches it plus any grid holding it whole.

    A grid holds a whole boundary cell only where grids overlap; it then contains the centre.
    Marks the boundary cells in ``state`` and returns the candidate lists.
    """
    boundary_cells = np.flatnonzero(boundary)
    centre_points, centre_grids = index.tree.query(shapely.points(*frame.centres(boundary_cells)), predicate="intersects")
    cells = np.concatenate([touched_cells, boundary_cells[centre_points]])
    grids = np.concatenate([touching_grids, centre_grids])
    cells, grids = _unique_pairs(cells, grids, len(index.keys))
    counts = np.bincount(np.searchsorted(boundary_cells, cells), minlength=boundary_cells.size)
    state[boundary_cells] = _BOUNDARY - np.arange(boundary_cells.size)
    return np.concatenate([[0], np.cumsum(counts)]), grids


def _unique_pairs(cells: np.ndarray, grids: np.ndarray, grid_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (cell, grid) pairs ordered by cell, then grid."""
    return np.divmod(np.unique(cells.astype(np.int64) * grid_count + grids), grid_count)
