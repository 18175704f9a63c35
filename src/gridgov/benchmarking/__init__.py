"""Timing helpers and baselines shared by ``gridgov bench`` and the scripts in ``benchmarks/``.

Pure Python (no Django), so the scripts can import it without configuring settings.
"""

import statistics
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import shapely

from gridgov.grids.spatial import GridIndex

T = TypeVar("T")


def median_seconds(action: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The median wall time of ``repeat`` runs of ``action`` (at least one), and the last run's result."""
    times: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def per_point_loop(index: GridIndex, lngs, lats) -> np.ndarray:
    """The plain way: one STRtree query per point, in a Python loop."""
    answers = np.full(len(lngs), -1, dtype=np.int64)
    tree = index.tree
    for n, (lng, lat) in enumerate(zip(lngs.tolist(), lats.tolist(), strict=True)):
        hits = tree.query(shapely.Point(lng, lat), predicate="intersects")
        if hits.size:
            answers[n] = hits.min()
    return answers
