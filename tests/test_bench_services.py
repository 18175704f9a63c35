"""``gridgov bench services`` end to end on a few thousand rows: DuckDB computes the same figures
as the statistics page's selectors, and nothing is left behind."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.accounts.models import Department
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
    assert not Application.objects.exists() and not Part.objects.exists() and not Rectification.objects.exists()
    assert not ServiceItem.objects.exists() and not Department.objects.filter(code__startswith="BENCH").exists()
    assert not Region.objects.filter(code__startswith="999998").exists()


def test_nonsense_sizes_and_a_busy_year_are_refused(db):
    with pytest.raises(CommandError):
        run_bench("--applications", "0")
    with pytest.raises(CommandError):
        run_bench("--year", "1999")
