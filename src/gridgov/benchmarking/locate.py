"""``gridgov bench locate``: bulk point → grid lookup over the grids in the database, against a
per-point shapely loop and, with ``--postgis URL``, PostGIS with GiST indexes on the same data.
The figure lines are technical output and stay in English; help and errors are translated."""

import functools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from gridgov.benchmarking import median_seconds, per_point_loop
from gridgov.grids.selectors import build_grid_index
from gridgov.grids.spatial import GridIndex


@dataclass
class Agreement:
    """How one path's answers compare with the bulk path's on the same points."""

    compared: int
    located: int
    mismatches: int
    on_boundary: int
    examples: list = field(default_factory=list)

    @property
    def interior_mismatches(self) -> int:
        return self.mismatches - self.on_boundary

    def as_dict(self) -> dict:
        return {
            "compared": self.compared,
            "located": self.located,
            "mismatches": self.mismatches,
            "mismatches_on_a_boundary": self.on_boundary,
            "interior_mismatches": self.interior_mismatches,
            "examples": self.examples,
        }


def compare(index: GridIndex, lngs, lats, expected: np.ndarray, answers: np.ndarray) -> Agreement:
    """Count disagreements, telling points on a grid boundary (ties, rounding) from the rest."""
    differ = np.flatnonzero(expected != answers)
    points = shapely.points(lngs[differ], lats[differ])
    boundaries = shapely.boundary(index.geometries)
    on_boundary = np.zeros(differ.size, dtype=bool)
    for claimed in (expected[differ], answers[differ]):
        located = claimed >= 0
        # 1e-9 degrees is about 0.1 mm: closer than that to a boundary counts as on it.
        on_boundary[located] |= shapely.distance(boundaries[claimed[located]], points[located]) < 1e-9
    examples = [
        {"lng": float(lngs[n]), "lat": float(lats[n]), "bulk": _key(index, expected[n]), "other": _key(index, answers[n])}
        for n in differ[:5]
    ]
    return Agreement(
        len(answers), int(np.count_nonzero(answers >= 0)), int(differ.size), int(np.count_nonzero(on_boundary)), examples
    )


def _key(index: GridIndex, position: int) -> str | None:
    return str(index.keys[position]) if position >= 0 else None


class LocateBenchmark:
    help = _("Time bulk point → grid lookup over the grids in the database.")

    @staticmethod
    def add_arguments(parser):
        parser.add_argument("--points", type=int, default=1_000_000, help=_("random points (default 1,000,000)"))
        parser.add_argument("--seed", type=int, default=1, help=_("random seed for the points (default 1)"))
        parser.add_argument("--repeat", type=int, default=3, help=_("runs per path; medians are reported (default 3)"))
        parser.add_argument(
            "--loop-sample",
            type=int,
            default=20_000,
            help=_("points for the per-point loop, whose rate is extrapolated (default 20,000)"),
        )
        parser.add_argument(
            "--postgis",
            metavar="URL",
            help=_(
                "also time PostGIS in this PostgreSQL database (postgres://...); it loads the data "
                "into a temporary schema and drops it afterwards"
            ),
        )

    def run(self, options: dict, say: Callable[[str], None]) -> dict:
        count, repeat = options["points"], options["repeat"]
        if count < 1 or repeat < 1 or options["loop_sample"] < 0:
            raise CommandError(_("--points and --repeat must be at least 1, --loop-sample at least 0"))
        started = time.perf_counter()
        index = build_grid_index()
        load_seconds = time.perf_counter() - started
        if len(index) == 0:
            raise CommandError(_("There are no grids in the database: run `gridgov demo --no-serve` first."))
        build_seconds, index = median_seconds(lambda: GridIndex(index.keys, index.geometries).prepare_bulk(), repeat)
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(index.geometries))
        rng = np.random.default_rng(options["seed"])
        lngs, lats = rng.uniform(minx, maxx, count), rng.uniform(miny, maxy, count)

        say(
            f"gridgov bench locate: {len(index):,} grids, {count:,} random points over "
            f"lng {minx:.4f}–{maxx:.4f}, lat {miny:.4f}–{maxy:.4f} (seed {options['seed']}); "
            f"medians of {repeat} run(s), one process"
        )
        say(
            f"  index build (STRtree and raster): {build_seconds:.3f} s (reading and parsing the grids from the database: {load_seconds:.3f} s)"
        )

        bulk_seconds, bulk = median_seconds(lambda: index.locate_indices(lngs, lats), repeat)
        bulk_rate = count / bulk_seconds
        figures: dict[str, Any] = {
            "grids": len(index),
            "points": count,
            "seed": options["seed"],
            "repeat": repeat,
            "index_build_seconds": build_seconds,
            "index_load_seconds": load_seconds,
            "bulk": {"seconds": bulk_seconds, "points_per_second": bulk_rate, "located": int(np.count_nonzero(bulk >= 0))},
        }
        say(
            f"  bulk path (GridIndex.locate_indices): {bulk_rate:>14,.0f} points/s "
            f"({bulk_seconds:.3f} s for {count:,}; {figures['bulk']['located']:,} located)"
        )

        sample = min(options["loop_sample"], count)
        if sample > 0:
            figures["loop"] = self._time_loop(index, lngs[:sample], lats[:sample], bulk[:sample], repeat, say)
            figures["ratio_bulk_to_loop"] = bulk_rate / figures["loop"]["points_per_second"]

        if options["postgis"]:
            figures["postgis"] = PostgisLocate(options["postgis"]).run(index, lngs, lats, bulk, repeat, say)
            figures["ratio_bulk_to_postgis"] = bulk_rate / figures["postgis"]["points_per_second"]

        self._say_ratios(figures, say)
        return figures

    @staticmethod
    def _time_loop(index, lngs, lats, bulk, repeat, say) -> dict:
        seconds, answers = median_seconds(lambda: per_point_loop(index, lngs, lats), repeat)
        rate = len(lngs) / seconds
        agreement = compare(index, lngs, lats, bulk, answers)
        say(
            f"  per-point shapely loop (STRtree.query per point): {rate:>14,.0f} points/s "
            f"(measured on the first {len(lngs):,} points, rate extrapolated)"
        )
        say(f"    agreement with the bulk path: {_describe(agreement)}")
        return {"sample": len(lngs), "seconds": seconds, "points_per_second": rate, "agreement": agreement.as_dict()}

    @staticmethod
    def _say_ratios(figures: dict, say) -> None:
        if "ratio_bulk_to_postgis" in figures:
            ratio = figures["ratio_bulk_to_postgis"]
            verdict = "meets" if ratio >= 10 else "MISSES"
            fastest = figures["postgis"]["fastest"]
            say(f"  bulk / PostGIS (its faster statement, {fastest}): {ratio:,.1f}× ({verdict} the target of ≥ 10×)")
        if "ratio_bulk_to_loop" in figures:
            say(f"  bulk / per-point loop: {figures['ratio_bulk_to_loop']:,.1f}×")


def _describe(agreement: Agreement) -> str:
    if agreement.mismatches == 0:
        return f"all {agreement.compared:,} answers identical ({agreement.located:,} located)"
    return (
        f"{agreement.mismatches:,} of {agreement.compared:,} answers differ: {agreement.on_boundary:,} on a grid "
        f"boundary (ties or rounding at an edge), {agreement.interior_mismatches:,} inside a grid (should be 0); "
        f"e.g. {agreement.examples[0]}"
    )


class PostgisLocate:
    """PostGIS doing the same lookup: grids and points loaded into a throw-away schema.

    Both tables get a GiST index, so the planner may drive the join from either side (from the
    grids it reuses each prepared polygon across the points in its box, which is much faster).
    Each timed statement joins all points to the grids in one query and writes the answers to a
    table server-side, so fetching them is not timed. Parallel workers are switched off to compare
    one PostgreSQL worker with one Python process.
    """

    STATEMENTS = {
        # The bulk path's exact semantics: edges belong to a grid, the first key wins a tie.
        "intersects": (
            "ST_Intersects, lowest key per point",
            "SELECT p.id, min(g.position) AS position FROM {s}.points p "
            "JOIN {s}.grids g ON ST_Intersects(g.geom, p.geom) GROUP BY p.id",
        ),
        # The textbook query: points on an edge find no grid, points on a shared edge both or none.
        "contains": (
            "ST_Contains, no tie rule",
            "SELECT p.id, g.position FROM {s}.points p JOIN {s}.grids g ON ST_Contains(g.geom, p.geom)",
        ),
    }

    def __init__(self, url: str):
        self.url = url
        self.schema = f"gridgov_bench_{uuid.uuid4().hex[:12]}"

    def run(self, index: GridIndex, lngs, lats, bulk: np.ndarray, repeat: int, say) -> dict:
        import psycopg

        try:
            connection = psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as error:
            message = _("Cannot connect to PostgreSQL at --postgis %(url)s: %(error)s")
            raise CommandError(message % {"url": self.url, "error": error}) from error
        with connection:
            self._create_extension(connection)
            try:
                return self._run(connection, index, lngs, lats, bulk, repeat, say)
            finally:
                connection.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")

    @staticmethod
    def _create_extension(connection) -> None:
        import psycopg

        try:
            connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as error:
            message = _(
                "PostGIS is not available on that PostgreSQL server (CREATE EXTENSION postgis failed: "
                "%(error)s). Install it (Debian: apt-get install postgresql-15-postgis-3) or leave out --postgis."
            )
            raise CommandError(message % {"error": str(error).strip()}) from error

    def _run(self, connection, index, lngs, lats, bulk, repeat, say) -> dict:
        started = time.perf_counter()
        self._load(connection, index, lngs, lats)
        load_seconds = time.perf_counter() - started
        version = connection.execute("SELECT postgis_lib_version()").fetchone()[0]
        connection.execute("SET max_parallel_workers_per_gather = 0")
        say(
            f"  PostGIS {version}, GiST indexes on grids and points, 1 worker (loading the data: {load_seconds:.1f} s, not timed):"
        )
        statements: dict[str, dict[str, Any]] = {}
        for name, (label, sql) in self.STATEMENTS.items():
            seconds, _ = median_seconds(functools.partial(self._join, connection, sql), repeat)
            answers = self._answers(connection, len(lngs))
            rate = len(lngs) / seconds
            agreement = compare(index, lngs, lats, bulk, answers)
            say(f"    {label}: {rate:>14,.0f} points/s ({seconds:.3f} s for {len(lngs):,})")
            say(f"      agreement with the bulk path: {_describe(agreement)}")
            statements[name] = {"seconds": seconds, "points_per_second": rate, "agreement": agreement.as_dict()}
        fastest = max(statements, key=lambda name: statements[name]["points_per_second"])
        return {
            "version": version,
            "load_seconds": load_seconds,
            "statements": statements,
            "fastest": fastest,
            "points_per_second": statements[fastest]["points_per_second"],
        }

    def _load(self, connection, index, lngs, lats) -> None:
        s = self.schema
        connection.execute(f"CREATE SCHEMA {s}")
        connection.execute(f"CREATE TABLE {s}.grids (position integer PRIMARY KEY, geom geometry(Geometry, 4326))")
        connection.execute(f"CREATE TABLE {s}.points (id integer PRIMARY KEY, geom geometry(Point, 4326))")
        wkb = shapely.to_wkb(shapely.set_srid(index.geometries, 4326), hex=True, include_srid=True)
        with connection.cursor().copy(f"COPY {s}.grids (position, geom) FROM STDIN") as copy:
            copy.write("".join(f"{n}\t{hexwkb}\n" for n, hexwkb in enumerate(wkb)))
        with connection.cursor().copy(f"COPY {s}.points (id, geom) FROM STDIN") as copy:
            for chunk in range(0, len(lngs), 100_000):
                points = shapely.points(lngs[chunk : chunk + 100_000], lats[chunk : chunk + 100_000])
                rows = shapely.to_wkb(shapely.set_srid(points, 4326), hex=True, include_srid=True)
                copy.write("".join(f"{chunk + n}\t{hexwkb}\n" for n, hexwkb in enumerate(rows)))
        connection.execute(f"CREATE INDEX ON {s}.grids USING GIST (geom)")
        connection.execute(f"CREATE INDEX ON {s}.points USING GIST (geom)")
        connection.execute(f"ANALYZE {s}.grids")
        connection.execute(f"ANALYZE {s}.points")

    def _join(self, connection, sql: str) -> None:
        s = self.schema
        connection.execute(f"DROP TABLE IF EXISTS {s}.answers")
        connection.execute(f"CREATE UNLOGGED TABLE {s}.answers AS " + sql.format(s=s))

    def _answers(self, connection, count: int) -> np.ndarray:
        """Per point the lowest grid position PostGIS gave it, -1 for none."""
        answers = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
        rows = connection.execute(f"SELECT id, position FROM {self.schema}.answers").fetchall()
        if rows:
            ids, positions = np.array(rows, dtype=np.int64).T
            np.minimum.at(answers, ids, positions)
        answers[answers == np.iinfo(np.int64).max] = -1
        return answers
