"""Compare point → grid lookup strategies on the synthetic district (no database needed).

    .venv/bin/python benchmarks/locate.py [--points 1000000] [--repeat 3] [--loop-sample 20000] [--from-database]

``--from-database`` uses the grids in gridgov's database (e.g. the demo district; set
``GRIDGOV_DATA_DIR`` or ``DATABASE_URL`` as for ``gridgov``) instead of the synthetic set.

Every variant must give the same answers as the exact path (the tie rule included); the script
checks that and prints a Markdown table of median times. ``gridgov bench locate`` measures the
chosen variant (``GridIndex.locate_indices``) against PostGIS on the grids in the database.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).parent))

from synthetic import random_points, voronoi_grids  # noqa: E402

from gridgov.benchmarking import median_seconds, per_point_loop  # noqa: E402
from gridgov.grids.spatial import GridIndex  # noqa: E402


def strtree_predicate_lexsort(index: GridIndex, xs, ys) -> np.ndarray:
    """The first implementation: STRtree.query(predicate="intersects"), ties broken by lexsort."""
    result = np.full(xs.shape[0], -1, dtype=np.int64)
    point_idx, grid_idx = index.tree.query(shapely.points(xs, ys), predicate="intersects")
    by_point = np.lexsort((grid_idx, point_idx))
    point_idx, grid_idx = point_idx[by_point], grid_idx[by_point]
    first = np.ones(point_idx.size, dtype=bool)
    first[1:] = point_idx[1:] != point_idx[:-1]
    result[point_idx[first]] = grid_idx[first]
    return result


def strtree_bbox_then_intersects_xy(index: GridIndex, xs, ys) -> np.ndarray:
    """STRtree.query on bounding boxes only, then one vectorised intersects_xy over all pairs."""
    result = np.full(xs.shape[0], -1, dtype=np.int64)
    point_idx, grid_idx = index.tree.query(shapely.points(xs, ys))
    hit = shapely.intersects_xy(index.geometries[grid_idx], xs[point_idx], ys[point_idx])
    point_idx, grid_idx = point_idx[hit], grid_idx[hit]
    first = np.full(xs.shape[0], len(index), dtype=np.int64)
    np.minimum.at(first, point_idx, grid_idx)
    located = first < len(index)
    result[located] = first[located]
    return result


def per_polygon_intersects_xy(index: GridIndex, xs, ys) -> np.ndarray:
    """For each grid in key order, intersects_xy over the points in its bounding box (x-sorted)."""
    result = np.full(xs.shape[0], -1, dtype=np.int64)
    order = np.argsort(xs)
    sorted_xs, sorted_ys = xs[order], ys[order]
    for position, (minx, miny, maxx, maxy) in enumerate(shapely.bounds(index.geometries)):
        lo, hi = np.searchsorted(sorted_xs, minx, side="left"), np.searchsorted(sorted_xs, maxx, side="right")
        candidates = lo + np.flatnonzero((sorted_ys[lo:hi] >= miny) & (sorted_ys[lo:hi] <= maxy))
        candidates = candidates[result[order[candidates]] == -1]
        inside = shapely.intersects_xy(index.geometries[position], sorted_xs[candidates], sorted_ys[candidates])
        result[order[candidates[inside]]] = position
    return result


def grids_from_database():
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    django.setup()
    from gridgov.grids.selectors import build_grid_index

    index = build_grid_index()
    if len(index) == 0:
        sys.exit("No grids in the database: run `gridgov demo --no-serve` first.")
    return list(index.keys), index.geometries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop-sample", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--from-database", action="store_true", help="use the grids in gridgov's database")
    args = parser.parse_args()

    keys, geometries = grids_from_database() if args.from_database else voronoi_grids(seed=args.seed)
    xs, ys = random_points(shapely.total_bounds(geometries), args.points, seed=args.seed)
    exact_index = GridIndex(keys, geometries)
    expected = exact_index.locate_exact(xs, ys)
    n = args.points
    source = "database" if args.from_database else "synthetic"
    print(f"{len(keys)} {source} grids, {n:,} points, median of {args.repeat} runs\n")
    print("| variant | build (s) | locate (s) | points/s | agrees |")
    print("|---|---:|---:|---:|---|")

    def row(name, build, seconds, count, answers, reference):
        agrees = "yes" if np.array_equal(answers, reference) else f"NO ({np.count_nonzero(answers != reference)} differ)"
        print(f"| {name} | {build} | {seconds:.3f} | {count / seconds:,.0f} | {agrees} |", flush=True)

    loop_n = min(args.loop_sample, n)
    seconds, answers = median_seconds(lambda: per_point_loop(exact_index, xs[:loop_n], ys[:loop_n]), args.repeat)
    row(f"per-point loop, STRtree.query per point ({loop_n:,} points)", "–", seconds, loop_n, answers, expected[:loop_n])
    for name, variant in [
        ("STRtree.query(predicate='intersects') + lexsort (first version)", strtree_predicate_lexsort),
        ("STRtree.query(predicate='intersects') + minimum.at (`locate_exact`)", lambda i, x, y: i.locate_exact(x, y)),
        ("STRtree.query (bbox) + intersects_xy on pairs", strtree_bbox_then_intersects_xy),
        ("per grid: intersects_xy on x-sorted points in its bbox", per_polygon_intersects_xy),
    ]:
        seconds, answers = median_seconds(lambda variant=variant: variant(exact_index, xs, ys), args.repeat)
        row(name, "–", seconds, n, answers, expected)
    for cells_per_grid in (64, 256, 1024, 4096):
        build, index = median_seconds(lambda c=cells_per_grid: GridIndex(keys, geometries, cells_per_grid=c).prepare_bulk(), args.repeat)
        raster = index._raster
        seconds, answers = median_seconds(lambda index=index: index.locate_indices(xs, ys), args.repeat)
        memory = (raster.state.nbytes + raster.starts.nbytes + raster.candidates.nbytes) / 2**20
        name = (
            f"raster, {cells_per_grid} cells per grid ({raster.frame.nx}×{raster.frame.ny} cells, "
            f"{raster.boundary_share:.1%} on a boundary, {memory:.0f} MiB)"
        )
        row(name, f"{build:.3f}", seconds, n, answers, expected)


if __name__ == "__main__":
    main()
