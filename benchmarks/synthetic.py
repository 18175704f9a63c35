"""A synthetic stand-in for the demo district: Voronoi cells of random seeds clipped to a box.

Used by ``benchmarks/locate.py`` and the tests when no database is involved.
"""

import numpy as np
import shapely

CENTRE_LNG, CENTRE_LAT = 123.47, 41.80


def voronoi_grids(count: int = 1360, side_km: float = 10.0, seed: int = 1) -> tuple[list[str], np.ndarray]:
    """``count`` polygons tiling a ``side_km`` square around the demo centre, with sortable keys."""
    rng = np.random.default_rng(seed)
    half_lat = side_km / 2 / 111.32
    half_lng = half_lat / np.cos(np.radians(CENTRE_LAT))
    frame = shapely.box(CENTRE_LNG - half_lng, CENTRE_LAT - half_lat, CENTRE_LNG + half_lng, CENTRE_LAT + half_lat)
    seeds = shapely.points(
        rng.uniform(CENTRE_LNG - half_lng, CENTRE_LNG + half_lng, count),
        rng.uniform(CENTRE_LAT - half_lat, CENTRE_LAT + half_lat, count),
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    cells = cells[~shapely.is_empty(cells)]
    keys = [f"210100{i:09d}" for i in range(len(cells))]
    return keys, cells


def random_points(bounds, count: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bounds
    return rng.uniform(minx, maxx, count), rng.uniform(miny, maxy, count)
