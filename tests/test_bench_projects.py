"""``gridgov bench projects`` end to end on a few hundred rows: DuckDB agrees, nothing is left."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.economy.models import MonthlyFigure
from gridgov.projects.models import Project


def run_bench(*args) -> str:
    out = StringIO()
    call_command("bench", "projects", *args, stdout=out)
    return out.getvalue()


def test_bench_projects_gives_the_same_answers_as_duckdb_and_leaves_no_rows(db):
    pytest.importorskip("duckdb")
    figures = json.loads(run_bench("--projects", "300", "--years", "2", "--indicators", "3", "--repeat", "1", "--json"))
    assert figures["projects"] == 300 and figures["figures"] == 3 * 9 * 2 * 11
    assert all(timing["equal"] for timing in figures["timings"].values())
    assert Project.objects.count() == 0 and MonthlyFigure.objects.count() == 0


def test_nonsense_sizes_are_refused(db):
    with pytest.raises(CommandError):
        run_bench("--projects", "0")
