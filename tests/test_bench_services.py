"""``gridgov bench services`` end to end on a few thousand rows: DuckDB computes the same figures
as the statistics page's selectors, and nothing is left behind."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.accounts.models import Department
from gridgov.evaluation.models import CountedMonth
from gridgov.grids.models import Region
from gridgov.services.models import Application, Part, Rectification, ServiceItem


def run_bench(*args) -> str:
    out = StringIO()
    call_command("bench", "services", *args, stdout=out)
    return out.getvalue()


def test_bench_services_agrees_with_duckdb_and_leaves_no_rows(db):
    pytest.importorskip("duckdb")
    figures = json.loads(run_bench("--applications", "3000", "--year", "2016", "--repeat", "1", "--json"))
    assert figures["applications"] == 3000 and figures["parts"] > 3000 and figures["rectifications"] > 0
    assert figures["equal"], figures["differences"]
    assert figures["kept_equal"], figures["kept_differences"]  # the page with the finished months kept
    assert figures["kept_seconds"] > 0 and figures["count_kept_seconds"] > 0
    if figures["vendor"] == "sqlite":  # PostgreSQL's server CPU is read when the server runs here
        assert figures["server_cpu_seconds"] is None
    assert not Application.objects.exists() and not Part.objects.exists() and not Rectification.objects.exists()
    assert not ServiceItem.objects.exists() and not Department.objects.filter(code__startswith="BENCH").exists()
    assert not Region.objects.filter(code__startswith="999998").exists()


def test_nonsense_sizes_and_a_busy_year_are_refused(db):
    with pytest.raises(CommandError):
        run_bench("--applications", "0")
    with pytest.raises(CommandError):
        run_bench("--year", "1999")


def test_kept_rows_are_reused_by_the_same_year_and_dropped_on_request(db):
    pytest.importorskip("duckdb")
    first = json.loads(run_bench("--applications", "1500", "--year", "2016", "--repeat", "1", "--keep", "--json"))
    assert first["equal"], first["differences"]
    kept = Application.objects.count()
    assert (
        kept == 1500 and Part.objects.count() == first["parts"] and Department.objects.filter(code__startswith="BENCH").exists()
    )

    again = json.loads(run_bench("--applications", "1500", "--year", "2016", "--repeat", "1", "--keep", "--json"))
    assert again["equal"], again["differences"]
    assert again["kept_equal"], again["kept_differences"]
    assert (again["applications"], again["parts"], again["rectifications"]) == (
        first["applications"],
        first["parts"],
        first["rectifications"],
    )
    assert Application.objects.count() == kept  # reused, not written a second time

    for refused in (
        ("--applications", "1500", "--year", "2016"),  # without --keep a run would write over them
        ("--applications", "1500", "--year", "2017", "--keep"),  # one kept year at a time
        ("--applications", "2000", "--year", "2016", "--keep"),  # another size than the kept one
    ):
        with pytest.raises(CommandError, match="--drop"):
            run_bench(*refused, "--repeat", "1")

    assert CountedMonth.objects.filter(subject="applications").count() == 12  # the kept path's months
    removed = json.loads(run_bench("--drop", "--json"))
    assert removed == {"removed": 1500, "year": 2016}
    assert not CountedMonth.objects.filter(subject="applications").exists()  # deleted without steps: forgotten
    assert not Application.objects.exists() and not Part.objects.exists() and not Rectification.objects.exists()
    assert not ServiceItem.objects.exists() and not Department.objects.filter(code__startswith="BENCH").exists()
    assert not Region.objects.filter(code__startswith="999998").exists()
    assert json.loads(run_bench("--drop", "--json")) == {"removed": 0, "year": None}


def test_a_catalogue_left_without_applications_asks_for_drop(db):
    pytest.importorskip("duckdb")
    Department.objects.create(code="BENCH-00", name="bench department 00", is_sample=True)
    with pytest.raises(CommandError, match="--drop"):
        run_bench("--applications", "100", "--year", "2016", "--repeat", "1")
    assert json.loads(run_bench("--drop", "--json")) == {"removed": 0, "year": None}
    assert not Department.objects.filter(code__startswith="BENCH").exists()
