"""GridIndex: point → grid lookup, its tie rule and the raster bulk path against exact answers."""

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from gridgov.grids.spatial import GridIndex

# Four unit squares meeting at (1, 1), keys deliberately not in geometric order:
#   "c" [0,1]×[1,2]   "a" [1,2]×[1,2]
#   "d" [0,1]×[0,1]   "b" [1,2]×[0,1]
QUADRANTS = {"a": box(1, 1, 2, 2), "b": box(1, 0, 2, 1), "c": box(0, 1, 1, 2), "d": box(0, 0, 1, 1)}
RASTER_SIZES = [1, 4, 64, 1024]


def brute_force(keys, geometries, lngs, lats) -> list[str | None]:
    """The rule spelled out: the first key, in sorted order, whose grid holds the point."""
    ordered = sorted(zip(keys, geometries, strict=True), key=lambda pair: pair[0])
    answers = []
    for lng, lat in zip(lngs, lats, strict=True):
        point = shapely.Point(lng, lat)
        answers.append(next((key for key, geometry in ordered if geometry.intersects(point)), None))
    return answers


def bulk_index(keys, geometries, cells_per_grid: int = 1024) -> GridIndex:
    """An index whose raster is built even for the few points of a test."""
    return GridIndex(keys, geometries, cells_per_grid=cells_per_grid).prepare_bulk()


def quadrant_index(cells_per_grid: int = 1024, reverse: bool = False) -> GridIndex:
    items = list(QUADRANTS.items())[:: -1 if reverse else 1]
    return bulk_index([k for k, _ in items], [g for _, g in items], cells_per_grid)


@pytest.mark.parametrize("cells_per_grid", RASTER_SIZES)
def test_points_inside_a_grid_get_its_key(cells_per_grid):
    index = quadrant_index(cells_per_grid)
    assert index.locate_many([1.5, 1.5, 0.5, 0.5], [1.5, 0.5, 1.5, 0.5]) == ["a", "b", "c", "d"]


@pytest.mark.parametrize("cells_per_grid", RASTER_SIZES)
def test_points_outside_every_grid_get_none(cells_per_grid):
    index = quadrant_index(cells_per_grid)
    assert index.locate_many([-0.1, 2.1, 1.0, 5.0, float("nan")], [1.0, 1.0, -1e-9, 5.0, 1.0]) == [None] * 5
    assert index.locate(-1e-12, 0.5) is None


@pytest.mark.parametrize("cells_per_grid", RASTER_SIZES)
@pytest.mark.parametrize("reverse", [False, True])
def test_a_point_on_a_shared_edge_or_vertex_belongs_to_the_first_key(cells_per_grid, reverse):
    index = quadrant_index(cells_per_grid, reverse=reverse)
    # (1, 1.5) is on the a|c edge, (1.5, 1) on a|b, (0.5, 1) on c|d, (1, 0.5) on b|d, (1, 1) on all four.
    lngs, lats = [1.0, 1.5, 0.5, 1.0, 1.0], [1.5, 1.0, 1.0, 0.5, 1.0]
    assert index.locate_many(lngs, lats) == ["a", "a", "c", "b", "a"]


@pytest.mark.parametrize("cells_per_grid", RASTER_SIZES)
def test_points_on_the_outer_boundary_are_inside(cells_per_grid):
    index = quadrant_index(cells_per_grid)
    lngs = [0.0, 2.0, 0.0, 2.0, 2.0, 0.5, 1.5, 0.0]
    lats = [0.0, 2.0, 2.0, 0.0, 1.5, 2.0, 0.0, 0.5]
    assert index.locate_many(lngs, lats) == ["d", "a", "c", "b", "a", "c", "b", "d"]


def test_an_empty_index_finds_nothing():
    index = bulk_index([], [])
    assert len(index) == 0
    assert index.locate(1.0, 1.0) is None
    assert index.locate_indices(np.array([0.0, 1.0]), np.array([0.0, 1.0])).tolist() == [-1, -1]
    assert index.locate_indices(np.array([]), np.array([])).shape == (0,)


def test_no_points_give_no_answers():
    assert quadrant_index().locate_indices(np.array([]), np.array([])).shape == (0,)
    assert quadrant_index().locate_many([], []) == []


@pytest.mark.parametrize("cells_per_grid", RASTER_SIZES)
def test_overlapping_grids_follow_the_key_order(cells_per_grid):
    # "b" covers everything; "a" (first key) is a small square inside it, "c" (last) another one.
    geometries = [box(0, 0, 10, 10), box(2, 2, 3, 3), box(6, 6, 8, 8)]
    index = bulk_index(["b", "a", "c"], geometries, cells_per_grid)
    assert index.locate_many([2.5, 7.0, 5.0, 2.0], [2.5, 7.0, 5.0, 2.0]) == ["a", "b", "b", "a"]


@pytest.mark.parametrize("cells_per_grid", RASTER_SIZES)
def test_holes_and_multipolygons(cells_per_grid):
    ring_with_hole = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (3, 1), (3, 3), (1, 3)]])
    islands = MultiPolygon([box(1.5, 1.5, 2.5, 2.5), box(5, 5, 6, 6)])
    index = bulk_index(["ring", "islands"], [ring_with_hole, islands], cells_per_grid)
    lngs, lats = [0.5, 2.0, 1.2, 5.5, 4.5, 3.0], [0.5, 2.0, 1.2, 5.5, 4.5, 2.0]
    assert index.locate_many(lngs, lats) == ["ring", "islands", None, "islands", None, "ring"]


@pytest.mark.parametrize("cells_per_grid", RASTER_SIZES)
def test_lines_and_empty_geometries(cells_per_grid):
    index = bulk_index(["line", "square", "nothing"], [LineString([(0, 0), (2, 2)]), box(1, 0, 2, 1), Polygon()], cells_per_grid)
    assert index.locate_many([0.5, 1.0, 1.5, 1.5, 0.5], [0.5, 1.0, 0.5, 1.2, 0.2]) == ["line", "line", "square", None, None]
    only_empty = bulk_index(["nothing"], [Polygon()], cells_per_grid)
    assert only_empty.locate_many([0.0, 1.0], [0.0, 1.0]) == [None, None]


def test_load_order_does_not_change_any_answer():
    keys, geometries = voronoi_network(seed=7, count=40)
    lngs, lats = points_around(geometries, 3000, seed=3)
    shuffled = np.random.default_rng(1).permutation(len(keys))
    first = bulk_index(keys, geometries).locate_many(lngs, lats)
    second = bulk_index([keys[i] for i in shuffled], geometries[shuffled]).locate_many(lngs, lats)
    assert first == second


@pytest.mark.parametrize("cells_per_grid", RASTER_SIZES)
def test_bulk_answers_equal_exact_and_per_point_answers(cells_per_grid):
    keys, geometries = voronoi_network(seed=11, count=60)
    lngs, lats = points_around(geometries, 5000, seed=5)
    lngs, lats = np.concatenate([lngs, vertices(geometries)[0]]), np.concatenate([lats, vertices(geometries)[1]])
    index = bulk_index(keys, geometries, cells_per_grid)
    bulk = index.locate_indices(lngs, lats)
    assert bulk.tolist() == index.locate_exact(lngs, lats).tolist()
    assert [index.keys[i] if i >= 0 else None for i in bulk] == brute_force(keys, geometries, lngs, lats)
    assert [index.locate(x, y) for x, y in zip(lngs[:300], lats[:300], strict=True)] == index.locate_many(lngs[:300], lats[:300])


def test_a_large_network_agrees_with_the_exact_path():
    """Enough points that the index builds its raster by itself."""
    keys, geometries = voronoi_network(seed=2, count=1360)
    lngs, lats = points_around(geometries, 200_000, seed=9)
    index = GridIndex(keys, geometries)
    bulk = index.locate_indices(lngs, lats)
    assert np.array_equal(bulk, index.locate_exact(lngs, lats))
    assert 0.8 < np.count_nonzero(bulk >= 0) / len(lngs) < 0.85  # the box is widened by 5 % each side


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(1, 25),
    cells_per_grid=st.sampled_from(RASTER_SIZES),
    snap=st.sampled_from([None, 0.25, 0.1]),
)
def test_property_bulk_equals_brute_force(seed, count, cells_per_grid, snap):
    """Random tilings (optionally with seeds snapped to a lattice, so edges line up with cell
    edges and vertices are shared by many grids), probed at random points, on every vertex and
    on edge midpoints."""
    keys, geometries = voronoi_network(seed=seed, count=count, snap=snap, side=1.0)
    rng = np.random.default_rng(seed)
    random_lngs, random_lats = points_around(geometries, 300, seed=seed)
    vertex_lngs, vertex_lats = vertices(geometries)
    mid_lngs, mid_lats = (vertex_lngs[:-1] + vertex_lngs[1:]) / 2, (vertex_lats[:-1] + vertex_lats[1:]) / 2
    lngs = np.concatenate([random_lngs, vertex_lngs, mid_lngs])
    lats = np.concatenate([random_lats, vertex_lats, mid_lats])
    keys = [f"k{value:04d}" for value in rng.permutation(len(keys))]
    expected = brute_force(keys, geometries, lngs, lats)
    assert bulk_index(keys, geometries, cells_per_grid).locate_many(lngs, lats) == expected
    assert GridIndex(keys, geometries).locate_many(lngs, lats) == expected  # few points: no raster


def voronoi_network(seed: int, count: int, snap: float | None = None, side: float = 0.1):
    """About ``count`` grids tiling a square near the demo district (lng 123.47, lat 41.80).

    Voronoi cells of random seeds; with ``snap``, rectangles between cut lines snapped to a
    lattice instead, so many vertices are shared by four grids and edges line up with each other.
    """
    rng = np.random.default_rng(seed)
    west, south = 123.42, 41.75
    frame = box(west, south, west + side, south + side)
    if snap:
        cuts = [np.unique(np.concatenate([[0, 1], np.round(rng.uniform(0, 1, count) / snap) * snap])) for _ in range(2)]
        cells = np.array(
            [
                box(west + side * x0, south + side * y0, west + side * x1, south + side * y1)
                for x0, x1 in zip(cuts[0][:-1], cuts[0][1:], strict=True)
                for y0, y1 in zip(cuts[1][:-1], cuts[1][1:], strict=True)
            ],
            dtype=object,
        )
    elif count == 1:
        cells = np.array([frame], dtype=object)
    else:
        seeds = shapely.multipoints(
            shapely.points(west + side * rng.uniform(0, 1, count), south + side * rng.uniform(0, 1, count))
        )
        cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame)
    cells = cells[~shapely.is_empty(cells) & (shapely.area(cells) > 0)]
    return [f"g{n:05d}" for n in range(len(cells))], cells


def points_around(geometries, count: int, seed: int):
    """Uniform points over the network's bounding box widened by 5 %, so some fall outside."""
    minx, miny, maxx, maxy = shapely.total_bounds(geometries)
    pad_x, pad_y = 0.05 * (maxx - minx), 0.05 * (maxy - miny)
    rng = np.random.default_rng(seed)
    return rng.uniform(minx - pad_x, maxx + pad_x, count), rng.uniform(miny - pad_y, maxy + pad_y, count)


def vertices(geometries):
    coords = shapely.get_coordinates(geometries)
    return coords[:, 0], coords[:, 1]
