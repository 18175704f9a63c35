"""``gridgov bench locate`` end to end on the small test network."""

import json
import os
import subprocess
import sys
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

SMALL_RUN = ["--points", "3000", "--repeat", "2", "--loop-sample", "400"]


def run_bench(*args) -> str:
    out = StringIO()
    call_command("bench", "locate", *args, stdout=out)
    return out.getvalue()


def test_prints_the_rate_of_each_path_and_their_ratio(network):
    output = run_bench(*SMALL_RUN)
    assert "4 grids, 3,000 random points" in output
    assert "medians of 2 run(s)" in output
    bulk_line = next(line for line in output.splitlines() if "bulk path" in line)
    assert "points/s" in bulk_line and "3,000 located" in bulk_line
    loop_line = next(line for line in output.splitlines() if "per-point shapely loop" in line)
    assert "first 400 points, rate extrapolated" in loop_line
    assert "all 400 answers identical" in output
    assert "bulk / per-point loop:" in output
    assert "PostGIS" not in output


def test_json_figures_are_consistent(network):
    figures = json.loads(run_bench(*SMALL_RUN, "--json", "--seed", "4"))
    assert figures["grids"] == 4 and figures["points"] == 3000 and figures["seed"] == 4
    # The random points cover the network's bounding box, which the four grids tile exactly.
    assert figures["bulk"]["located"] == 3000
    assert figures["bulk"]["points_per_second"] == pytest.approx(3000 / figures["bulk"]["seconds"])
    assert figures["loop"]["sample"] == 400
    assert figures["loop"]["agreement"]["mismatches"] == 0
    assert figures["ratio_bulk_to_loop"] == pytest.approx(
        figures["bulk"]["points_per_second"] / figures["loop"]["points_per_second"]
    )
    assert "postgis" not in figures


def test_the_loop_sample_never_exceeds_the_points(network):
    figures = json.loads(run_bench("--points", "50", "--repeat", "1", "--loop-sample", "400", "--json"))
    assert figures["loop"]["sample"] == 50


def test_without_grids_it_says_to_build_the_demo_first(db):
    with pytest.raises(CommandError, match="gridgov demo --no-serve"):
        run_bench(*SMALL_RUN)


def test_a_benchmark_must_be_named():
    with pytest.raises(CommandError):
        call_command("bench")


@pytest.mark.parametrize("benchmark", ["services", "locate", "evaluate", "projects"])
def test_a_fresh_data_directory_is_told_to_migrate_instead_of_a_traceback(tmp_path, benchmark):
    """On the console, in the default (Chinese) language, before any benchmark queries a table."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDGOV_") and k != "DATABASE_URL"}
    env["GRIDGOV_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "gridgov", "bench", benchmark], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "数据库尚未迁移：请先运行 `gridgov migrate`" in result.stderr
    assert "gridgov demo --no-serve --no-cases" in result.stderr


def test_only_the_benchmarks_with_their_own_data_skip_the_migration_check():
    from gridgov.ops.management.commands.bench import BENCHMARKS, OWN_DATA_BENCHMARKS

    assert OWN_DATA_BENCHMARKS == {"intake", "pages", "upload"} and OWN_DATA_BENCHMARKS <= set(BENCHMARKS)


def test_an_unreachable_postgis_server_is_reported(network):
    with pytest.raises(CommandError, match="Cannot connect to PostgreSQL"):
        run_bench(*SMALL_RUN, "--postgis", "postgresql://postgres@127.0.0.1:1/nowhere?connect_timeout=2")


def postgis_url() -> str | None:
    """A PostgreSQL database with PostGIS available: GRIDGOV_TEST_POSTGIS_URL, else the test database."""
    url = os.environ.get("GRIDGOV_TEST_POSTGIS_URL")
    if url is None and connection.vendor == "postgresql":
        settings = connection.settings_dict
        url = f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
        if settings["PASSWORD"]:
            url = url.replace(f"{settings['USER']}@", f"{settings['USER']}:{settings['PASSWORD']}@")
    if url is None:
        return None
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as probe:
            row = probe.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
    except psycopg.Error:
        return None
    return url if row else None


def test_postgis_path_agrees_with_the_bulk_path(network):
    url = postgis_url()
    if url is None:
        pytest.skip("PostGIS not available: run on PostgreSQL with PostGIS installed, or set GRIDGOV_TEST_POSTGIS_URL")
    out = StringIO()
    call_command("bench", "locate", *SMALL_RUN, "--postgis", url, stdout=out)
    figures = json.loads(run_bench(*SMALL_RUN, "--postgis", url, "--json"))
    statements = figures["postgis"]["statements"]
    assert set(statements) == {"intersects", "contains"}
    assert statements["intersects"]["agreement"]["mismatches"] == 0
    assert statements["intersects"]["agreement"]["located"] == 3000
    assert statements["contains"]["agreement"]["interior_mismatches"] == 0
    assert figures["ratio_bulk_to_postgis"] == pytest.approx(
        figures["bulk"]["points_per_second"] / figures["postgis"]["points_per_second"]
    )
    assert "bulk / PostGIS" in out.getvalue() and "ST_Intersects" in out.getvalue()
    import psycopg

    with psycopg.connect(url) as check:
        leftovers = check.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'gridgov_bench_%'").fetchone()[0]
    assert leftovers == 0


def test_disagreements_are_told_apart_by_whether_the_point_is_on_a_boundary():
    from shapely.geometry import box

    from gridgov.benchmarking.locate import compare
    from gridgov.grids.spatial import GridIndex

    index = GridIndex(["a", "b"], [box(0, 0, 1, 1), box(1, 0, 2, 1)])
    lngs, lats = np.array([0.5, 1.0, 1.5, 3.0]), np.array([0.5, 0.5, 0.5, 3.0])
    bulk = index.locate_indices(lngs, lats)  # a, a (shared edge), b, outside
    other = np.array([1, 1, 1, -1])  # wrong inside "a", the other side of the tie, right, right
    agreement = compare(index, lngs, lats, bulk, other)
    assert (agreement.mismatches, agreement.on_boundary, agreement.interior_mismatches) == (2, 1, 1)
    assert agreement.located == 3
    assert agreement.examples[0] == {"lng": 0.5, "lat": 0.5, "bulk": "a", "other": "b"}


def test_a_server_without_postgis_gets_a_clear_error():
    import psycopg

    from gridgov.benchmarking.locate import PostgisLocate

    class ServerWithoutPostgis:
        def execute(self, sql):
            raise psycopg.errors.FeatureNotSupported('extension "postgis" is not available')

    with pytest.raises(CommandError, match="PostGIS is not available on that PostgreSQL server"):
        PostgisLocate("postgresql://unused")._create_extension(ServerWithoutPostgis())


@pytest.mark.parametrize("option", [["--points", "0"], ["--repeat", "0"]])
def test_nonsense_sizes_are_refused(network, option):
    with pytest.raises(CommandError, match="at least 1"):
        run_bench(*SMALL_RUN, *option)


def test_bench_intake_runs_end_to_end_on_its_own_database(tmp_path):
    """A tiny run: its own data directory, a real server, real Open311 POSTs and GETs."""
    out = StringIO()
    call_command(
        "bench", "intake", "--json", "--sizes", "4500,4600", "--seconds", "0.5", "--samples", "3",
        "--clients", "1", "--workers", "1", "--threads", "2", stdout=out,
    )  # fmt: skip
    figures = json.loads(out.getvalue())
    assert figures["throughput"]["trivial_per_s"] > 0
    assert figures["throughput"]["intake_per_s"] > 0
    assert figures["throughput"]["cases"] > 0  # every queued request became a case before the clock stopped
    throughput = figures["throughput"]
    assert throughput["ratio"] == pytest.approx(throughput["intake_per_s"] / throughput["trivial_per_s"])
    assert throughput["write_per_s"] > 0  # the bench's server answers POST /bench/write
    assert throughput["intake_to_write_ratio"] == pytest.approx(throughput["intake_per_s"] / throughput["write_per_s"])
    latency = figures["latency"]
    assert set(latency) == {"4500", "4600"}  # JSON object keys (the reads part lists 1,000 of the last 90 days)
    reads = figures["reads"]
    assert reads["get_one"]["per_second"] > 0 and reads["list_default"]["per_second"] > 0
    assert reads["get_one"]["ratio"] == pytest.approx(reads["get_one"]["per_second"] / reads["discovery"]["per_second"])
    for size in latency.values():
        assert set(size) == {
            "POST requests.json (intake)", "POST, then GET tokens/{token}", "GET requests/{id}.json",
            "GET requests.json?service_code=…",
        }  # fmt: skip
        assert all(0 < figure["p50_ms"] <= figure["p99_ms"] for figure in size.values())


def test_bench_upload_measures_the_worst_accepted_files_and_the_refusals(settings):
    """Small limits, so the files are small: the same code paths as the full-size run."""
    settings.GRIDGOV_PHOTO_MAX_BYTES = 200_000
    settings.GRIDGOV_PHOTO_MAX_PIXELS = 120_000
    settings.GRIDGOV_PHOTO_MAX_DECODED_PIXELS = 40_000
    out = StringIO()
    call_command("bench", "upload", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["limits"] == {"max_bytes": 200_000, "max_pixels": 120_000, "max_decoded_pixels": 40_000}
    by_name = {f["file"]: f for f in figures["files"]}
    accepted = [f for f in figures["files"] if f["accepted"]]
    assert len(accepted) == 4 and all(f["bytes"] <= 200_000 for f in accepted)
    for name, figure in by_name.items():
        if name.startswith("jpeg-"):  # decoded at a reduced scale, within the decoding budget
            width, height = (int(side) for side in figure["kept"].split()[0].split("x"))
            assert width * height <= 40_000
    assert {f["file"] for f in figures["files"] if not f["accepted"]} == {
        "refused-png-8000x5000-flat.png",
        "refused-png-header-100000x100000.png",
    }
    assert figures["worst_accepted"]["cpu_s"] > 0 and figures["worst_accepted"]["peak_mb"] >= 0
