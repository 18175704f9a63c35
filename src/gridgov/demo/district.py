"""Geometry and names of the demo district: an outline, 12 streets, ~110 communities, 1,360 grids.

Pure functions of a seed (``numpy.random.default_rng(seed)``); the same seed gives byte-identical
boundaries. The work happens in a local metric plane (a Lambert azimuthal equal-area projection
centred on :data:`CENTRE`) and the result is projected to WGS84 longitude-latitude at the end.

1. Outline: a star-shaped polygon whose radius is a sum of a few random harmonics (so it looks
   like a plausible administrative border, not a rectangle), scaled to :data:`AREA_M2`.
2. Grids: :data:`GRID_COUNT` points drawn uniformly inside the outline and relaxed by a few Lloyd
   iterations (each point moves to the centroid of its Voronoi cell), which evens out grid sizes
   ("balanced load"). The grids are the Voronoi cells clipped to the outline. Neighbouring cells
   are built from the very same edge coordinates, so the tiling is seamless by construction.
3. Streets, then communities within each street: k-means on the grid centres for compact units,
   a repair pass that moves any cut-off piece of a unit into the neighbour it shares the longest
   border with (so every unit is one contiguous piece), then border grids move from units above
   their target size to neighbours below it while keeping both in one piece. Target sizes vary
   by up to ±20 % (streets) and ±25 % (communities) around the mean. Communities are clustered
   within their street, so every community lies in one street.
4. Codes: siblings are numbered in reading order. Their centroids are put in rows of height
   ``sqrt(mean sibling area)`` counted down from the parent's northern edge; rows run north to
   south and, within a row, units run west to east. This is DESIGN.md's "west to east, north to
   south within the parent" made exact.
"""

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely
from shapely.geometry import Polygon

from . import DEMO_DISTRICT_CODE, DEMO_DISTRICT_NAME, SAMPLE_MARK

CENTRE = (123.47, 41.80)  # lng, lat of a sample location
AREA_M2 = 100e6
GRID_COUNT = 1360
STREET_COUNT = 12
COMMUNITY_COUNT = 110
LLOYD_ITERATIONS = 6
OUTLINE_VERTICES = 240
COORDINATE_DECIMALS = 7  # 1e-7 degrees is about 1 cm

STREET_NAMES = (
    "长青", "和平", "新华", "文化", "建设", "东风", "友谊", "光明",
    "联合", "胜利", "团结", "永安", "兴华", "滨河", "南湖", "北陵",
)  # fmt: skip
COMMUNITY_FIRST = "春和兴安福康文锦华新光明宁泰瑞祥丰嘉静盛长永惠德"
COMMUNITY_SECOND = "园苑城里湾林河山庭景阳泉桥门江海"


@dataclass(frozen=True)
class DemoUnit:
    """One region of the demo district, boundary in longitude-latitude."""

    code: str
    name: str
    geometry: Polygon
    parent_code: str | None


@dataclass(frozen=True)
class DemoDistrict:
    seed: int
    units: tuple[DemoUnit, ...]  # parents before children, codes ascending within a level

    def at_level(self, digits: int) -> list[DemoUnit]:
        return [unit for unit in self.units if len(unit.code) == digits]

    @property
    def district(self) -> DemoUnit:
        return self.units[0]

    @property
    def streets(self) -> list[DemoUnit]:
        return self.at_level(9)

    @property
    def communities(self) -> list[DemoUnit]:
        return self.at_level(12)

    @property
    def grids(self) -> list[DemoUnit]:
        return self.at_level(15)


def sample_name(name: str) -> str:
    return f"{name}{SAMPLE_MARK}"


def generate_district(seed: int) -> DemoDistrict:
    rng = np.random.default_rng(seed)
    outline = district_outline(rng)
    cells = grid_cells(outline, rng)
    adjacency = border_lengths(cells)
    centres = shapely.get_coordinates(shapely.centroid(cells))

    street_of = balanced_clusters(centres, _split(GRID_COUNT, STREET_COUNT, rng, spread=0.2), adjacency, rng)
    community_of = _communities_within_streets(centres, street_of, adjacency, rng)

    units = _number_units(cells, street_of, community_of)
    return DemoDistrict(seed=seed, units=tuple(_to_lnglat_units(units, cells, rng)))


# --- outline and grid cells ------------------------------------------------------------------


def district_outline(rng: np.random.Generator) -> Polygon:
    """A star-shaped, irregular polygon of exactly AREA_M2 square metres around the origin."""
    theta = np.linspace(0, 2 * math.pi, OUTLINE_VERTICES, endpoint=False)
    radius = np.ones_like(theta)
    for harmonic in range(2, 7):  # the broad shape
        radius += rng.uniform(0.02, 0.07) * np.cos(harmonic * theta + rng.uniform(0, 2 * math.pi))
    for harmonic in (11, 17, 29):  # the wiggles of a border drawn along roads and rivers
        radius += rng.uniform(0.004, 0.012) * np.cos(harmonic * theta + rng.uniform(0, 2 * math.pi))
    # Amplitudes sum to less than 0.4, so the radius stays positive and the ring simple.
    aspect = rng.uniform(1.05, 1.3)
    turn = rng.uniform(0, math.pi)
    x, y = radius * np.cos(theta) * aspect, radius * np.sin(theta) / aspect
    x, y = x * math.cos(turn) - y * math.sin(turn), x * math.sin(turn) + y * math.cos(turn)
    outline = Polygon(np.column_stack([x, y]))
    scale = math.sqrt(AREA_M2 / outline.area)
    return Polygon(np.column_stack([x * scale, y * scale]))


def grid_cells(outline: Polygon, rng: np.random.Generator, count: int = GRID_COUNT) -> np.ndarray:
    """``count`` Voronoi cells of Lloyd-relaxed points, clipped to the outline."""
    points = _uniform_points_inside(outline, count, rng)
    for _ in range(LLOYD_ITERATIONS):
        cells = _clipped_voronoi(points, outline)
        points = shapely.get_coordinates(shapely.centroid(cells))
    return _merge_stray_parts(_clipped_voronoi(points, outline))


def _uniform_points_inside(polygon: Polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found = np.empty((0, 2))
    while len(found) < count:
        candidates = rng.uniform((minx, miny), (maxx, maxy), size=(2 * count, 2))
        found = np.vstack([found, candidates[shapely.contains_xy(polygon, candidates[:, 0], candidates[:, 1])]])
    return found[:count]


def _clipped_voronoi(points: np.ndarray, outline: Polygon) -> np.ndarray:
    envelope = shapely.box(*outline.buffer(1000).bounds)
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=envelope, ordered=True)
    return shapely.intersection(shapely.get_parts(diagram), outline)


def _merge_stray_parts(cells: np.ndarray) -> np.ndarray:
    """Give every piece a clipped cell lost to a bay of the outline to the neighbour around it."""
    cells = cells.copy()
    for index in np.flatnonzero(shapely.get_type_id(cells) != 0):
        parts = sorted(shapely.get_parts(cells[index]), key=lambda part: part.area, reverse=True)
        cells[index] = parts[0]
        for stray in parts[1:]:
            shared = shapely.length(shapely.intersection(stray.boundary, shapely.boundary(cells)))
            shared[index] = 0
            host = int(np.argmax(shared))
            cells[host] = shapely.union(cells[host], stray)
    return cells


def border_lengths(cells: np.ndarray) -> list[dict[int, float]]:
    """For every cell, its edge-sharing neighbours and the length of the shared border."""
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(cells[left]), shapely.boundary(cells[right])))
    neighbours: list[dict[int, float]] = [{} for _ in range(len(cells))]
    for a, b, length in zip(left.tolist(), right.tolist(), shared.tolist(), strict=True):
        if length > 0.01:  # touching at a corner is not adjacency
            neighbours[a][b] = length
            neighbours[b][a] = length
    return neighbours


# --- grouping grids into communities and streets ----------------------------------------------


def _split(total: int, parts: int, rng: np.random.Generator, spread: float) -> np.ndarray:
    """``parts`` positive integers summing to ``total``, each within about ±spread of the mean."""
    return _proportional(total, rng.uniform(1 - spread, 1 + spread, parts))


def balanced_clusters(
    xy: np.ndarray, targets: np.ndarray, adjacency: list[dict[int, float]], rng: np.random.Generator
) -> np.ndarray:
    """Contiguous cluster labels 0..k-1 for adjacent cells, with sizes close to ``targets``.

    k-means on the cell centres gives compact clusters; cut-off pieces are then merged into a
    neighbour and the sizes evened out by moving border cells (see :func:`rebalance`).
    """
    labels = _kmeans(xy, len(targets), rng)
    labels = make_contiguous(labels, adjacency)
    return rebalance(labels, targets, xy, adjacency)


def _kmeans(xy: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 25) -> np.ndarray:
    centres = _kmeans_plus_plus(xy, k, rng)
    labels = np.zeros(len(xy), dtype=int)
    for _ in range(iterations):
        labels = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        for cluster in np.unique(labels):
            centres[cluster] = xy[labels == cluster].mean(axis=0)
    return labels


def _kmeans_plus_plus(xy: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = [xy[rng.integers(len(xy))]]
    for _ in range(1, k):
        nearest = ((xy[:, None, :] - np.array(centres)[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        centres.append(xy[rng.choice(len(xy), p=nearest / nearest.sum())])
    return np.array(centres, dtype=float)


def rebalance(
    labels: np.ndarray, targets: np.ndarray, xy: np.ndarray, adjacency: list[dict[int, float]], sweeps: int = 200
) -> np.ndarray:
    """Move border cells from clusters above their target size to neighbours below it.

    A cell moves from A to a neighbouring B only when A exceeds its target by at least two more
    than B does (so every move lowers the total imbalance) and A stays in one piece. Among the
    allowed moves the ones that stretch B least go first, which keeps the clusters compact.
    """
    labels = labels.copy()
    k = len(targets)
    for _ in range(sweeps):
        excess = np.bincount(labels, minlength=k) - targets
        centres = np.array([xy[labels == c].mean(axis=0) if (labels == c).any() else (np.inf, np.inf) for c in range(k)])
        candidates = []
        for cell in range(len(xy)):
            a = labels[cell]
            for b in {int(labels[n]) for n in adjacency[cell]} - {a}:
                if excess[a] - excess[b] >= 2:
                    cost = ((xy[cell] - centres[b]) ** 2).sum() - ((xy[cell] - centres[a]) ** 2).sum()
                    candidates.append((cost, cell, b))
        moved = False
        for _cost, cell, b in sorted(candidates):
            a = labels[cell]
            if excess[a] - excess[b] < 2 or b not in {int(labels[n]) for n in adjacency[cell]}:
                continue
            rest = np.flatnonzero(labels == a)
            rest = rest[rest != cell]
            if len(_connected_pieces(rest, adjacency)) != 1:
                continue
            labels[cell] = b
            excess[a] -= 1
            excess[b] += 1
            moved = True
        if not moved:
            break
    return labels


def make_contiguous(labels: np.ndarray, adjacency: list[dict[int, float]]) -> np.ndarray:
    """Move every cut-off piece of a cluster into the neighbouring cluster it borders most."""
    labels = labels.copy()
    for _ in range(20):
        moved = False
        for label in np.unique(labels):
            pieces = _connected_pieces(np.flatnonzero(labels == label), adjacency)
            for piece in sorted(pieces, key=lambda p: (-len(p), min(p)))[1:]:
                borders: defaultdict[int, float] = defaultdict(float)  # border length to each other label
                for cell in piece:
                    for neighbour, length in adjacency[cell].items():
                        if labels[neighbour] != label:
                            borders[int(labels[neighbour])] += length
                if borders:
                    labels[piece] = max(borders, key=lambda other: (borders[other], -other))
                    moved = True
        if not moved:
            return labels
    return labels


def _connected_pieces(members: np.ndarray, adjacency: list[dict[int, float]]) -> list[list[int]]:
    remaining = set(members.tolist())
    pieces = []
    while remaining:
        start = min(remaining)
        remaining.discard(start)
        piece, frontier = [start], [start]
        while frontier:
            cell = frontier.pop()
            for neighbour in adjacency[cell]:
                if neighbour in remaining:
                    remaining.discard(neighbour)
                    piece.append(neighbour)
                    frontier.append(neighbour)
        pieces.append(sorted(piece))
    return pieces


def _communities_within_streets(
    centres: np.ndarray, street_of: np.ndarray, adjacency: list[dict[int, float]], rng: np.random.Generator
) -> np.ndarray:
    """Community labels, unique across the district, each community inside one street."""
    street_sizes = np.bincount(street_of, minlength=STREET_COUNT)
    communities_per_street = _proportional(COMMUNITY_COUNT, street_sizes)
    community_of = np.zeros(len(centres), dtype=int)
    next_label = 0
    for street in range(STREET_COUNT):
        members = np.flatnonzero(street_of == street)
        count = communities_per_street[street]
        targets = _split(len(members), count, rng, spread=0.25)
        inside = {cell: position for position, cell in enumerate(members.tolist())}
        local_adjacency = [
            {inside[n]: length for n, length in adjacency[cell].items() if n in inside} for cell in members.tolist()
        ]
        local = balanced_clusters(centres[members], targets, local_adjacency, rng)
        _, local = np.unique(local, return_inverse=True)
        community_of[members] = local + next_label
        next_label += local.max() + 1
    return community_of


def _proportional(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers summing to ``total`` in proportion to ``weights`` (largest remainder)."""
    exact = total * weights / weights.sum()
    result = np.floor(exact).astype(int)
    for index in np.argsort(result - exact, kind="stable")[: total - result.sum()]:
        result[index] += 1
    return result


# --- codes, names and coordinates ---------------------------------------------------------------


@dataclass
class _Numbered:
    code: str
    parent_code: str | None
    members: np.ndarray  # cell indices


def reading_order(centroids: np.ndarray, north_edge: float, row_height: float) -> np.ndarray:
    """Positions of the centroids in reading order: rows north to south, west to east in a row."""
    rows = np.floor((north_edge - centroids[:, 1]) / row_height)
    return np.lexsort((centroids[:, 0], rows))


def _order_children(child_members: list[np.ndarray], cells: np.ndarray, parent_north: float) -> list[np.ndarray]:
    shapes = [shapely.union_all(cells[m]) for m in child_members]
    centroids = shapely.get_coordinates(shapely.centroid(np.array(shapes, dtype=object)))
    row_height = math.sqrt(np.mean([shape.area for shape in shapes]))
    return [child_members[i] for i in reading_order(centroids, parent_north, row_height)]


def _number_units(cells: np.ndarray, street_of: np.ndarray, community_of: np.ndarray) -> list[_Numbered]:
    district_north = shapely.total_bounds(cells)[3]
    units = [_Numbered(DEMO_DISTRICT_CODE, None, np.arange(len(cells)))]
    streets = _order_children([np.flatnonzero(street_of == s) for s in np.unique(street_of)], cells, district_north)
    for street_seq, street_members in enumerate(streets, start=1):
        street_code = f"{DEMO_DISTRICT_CODE}{street_seq:03d}"
        units.append(_Numbered(street_code, DEMO_DISTRICT_CODE, street_members))
        street_north = shapely.total_bounds(cells[street_members])[3]
        labels = community_of[street_members]
        communities = _order_children([street_members[labels == c] for c in np.unique(labels)], cells, street_north)
        for community_seq, community_members in enumerate(communities, start=1):
            community_code = f"{street_code}{community_seq:03d}"
            units.append(_Numbered(community_code, street_code, community_members))
            community_north = shapely.total_bounds(cells[community_members])[3]
            grids = _order_children([np.array([cell]) for cell in community_members], cells, community_north)
            for grid_seq, grid_members in enumerate(grids, start=1):
                units.append(_Numbered(f"{community_code}{grid_seq:03d}", community_code, grid_members))
    units.sort(key=lambda unit: (len(unit.code), unit.code))
    return units


def _names(units: list[_Numbered], rng: np.random.Generator) -> dict[str, str]:
    streets = [u for u in units if len(u.code) == 9]
    communities = [u for u in units if len(u.code) == 12]
    street_bases = [STREET_NAMES[i] for i in rng.permutation(len(STREET_NAMES))[: len(streets)]]
    pairs = [a + b for a in COMMUNITY_FIRST for b in COMMUNITY_SECOND]
    community_bases = [pairs[i] for i in rng.choice(len(pairs), size=len(communities), replace=False)]
    names = {DEMO_DISTRICT_CODE: DEMO_DISTRICT_NAME}
    base_of = {}
    for unit, base in zip(streets, street_bases, strict=True):
        names[unit.code] = sample_name(f"{base}街道")
    for unit, base in zip(communities, community_bases, strict=True):
        base_of[unit.code] = base
        names[unit.code] = sample_name(f"{base}社区")
    for unit in units:
        if len(unit.code) == 15:
            assert unit.parent_code is not None, "a grid lies in a community"
            names[unit.code] = sample_name(f"{base_of[unit.parent_code]}社区第{int(unit.code[-3:])}网格")
    return names


def _to_lnglat_units(units: list[_Numbered], cells: np.ndarray, rng: np.random.Generator) -> list[DemoUnit]:
    grid_cells_lnglat = to_lnglat(cells)
    names = _names(units, rng)
    result = []
    for unit in units:
        if len(unit.code) == 15:
            geometry = grid_cells_lnglat[unit.members[0]]
        else:
            geometry = shapely.coverage_union_all(grid_cells_lnglat[unit.members])
        result.append(DemoUnit(unit.code, names[unit.code], geometry, unit.parent_code))
    return result


def local_crs() -> pyproj.CRS:
    """The metric plane the district is drawn in: equal-area, centred on CENTRE."""
    return pyproj.CRS.from_proj4(f"+proj=laea +lat_0={CENTRE[1]} +lon_0={CENTRE[0]} +ellps=GRS80 +units=m +no_defs")


def to_lnglat(geometries: np.ndarray) -> np.ndarray:
    """Project from the local metric plane to longitude-latitude, rounded to about 1 cm.

    Rounding happens per coordinate, so an edge shared by two grids stays the same edge.
    """
    transformer = pyproj.Transformer.from_crs(local_crs(), pyproj.CRS.from_epsg(4326), always_xy=True)

    def project(xy: np.ndarray) -> np.ndarray:
        lng, lat = transformer.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lng, lat]), COORDINATE_DECIMALS)

    return shapely.remove_repeated_points(shapely.transform(geometries, project))
