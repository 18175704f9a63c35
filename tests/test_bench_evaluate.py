"""``gridgov bench evaluate`` on the small test network: it loads cases through the demo's planner,
and its figures equal DuckDB's on the same rows."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

pytest.importorskip("duckdb")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_figures():
    from gridgov.evaluation import selectors

    selectors.forget_all()
    yield
    selectors.forget_all()


def test_bench_evaluate_agrees_with_duckdb(network):
    out = StringIO()
    call_command(
        "bench",
        "evaluate",
        "--cases",
        "600",
        "--until",
        "2026-04-15T12:00",
        "--month",
        "2026-03",
        "--repeat",
        "1",
        "--json",
        stdout=out,
    )
    figures = json.loads(out.getvalue())
    assert figures["month"] == "2026-03" and figures["cases"] > 400
    assert figures["equal"] is True, figures["differences"]
    assert figures["kept_equal"] is True
    assert figures["gridgov_seconds"] > 0 and figures["duckdb_seconds"] > 0
