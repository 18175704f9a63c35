"""``gridgov bench BENCHMARK``: performance measurements, one subcommand per benchmark.

- ``locate``: bulk point → grid lookup against a per-point loop and PostGIS
  (``gridgov.benchmarking.locate``);
- ``intake``: Open311 intake against the stack's ceiling, and latency as the case table grows
  (``gridgov.benchmarking.intake``);
- ``upload``: CPU and peak memory of the most expensive photo the upload limits accept
  (``gridgov.benchmarking.upload``).
- ``evaluate``: a month's indicators for every unit of every level against DuckDB on the same
  rows (``gridgov.benchmarking.evaluate``).
- ``projects``: period counts with the year before and the peer ranking beside DuckDB
  (``gridgov.benchmarking.projects``).
- ``pages``: page weight and time to interactive of the report page on a throttled phone and of
  the staff inbox on a desktop (``gridgov.benchmarking.pages``).
- ``services``: the services statistics for a year of applications beside DuckDB
  (``gridgov.benchmarking.services``).

A benchmark is a class with ``help``, ``add_arguments(parser)`` and ``run(options, say) -> dict``,
where ``say`` prints one human-readable line and the returned figures are what ``--json`` prints.
Every benchmark reads or writes the configured database unless it is listed in
``OWN_DATA_BENCHMARKS``; for every other one the dispatcher first checks that the database is
migrated, so a fresh data directory gets one clear sentence instead of a traceback from the first
query.
"""

import json
from collections.abc import Callable
from typing import Protocol

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from gridgov.benchmarking.evaluate import EvaluateBenchmark
from gridgov.benchmarking.intake import IntakeBenchmark
from gridgov.benchmarking.locate import LocateBenchmark
from gridgov.benchmarking.pages import PagesBenchmark
from gridgov.benchmarking.projects import ProjectsBenchmark
from gridgov.benchmarking.services import ServicesBenchmark
from gridgov.benchmarking.upload import UploadBenchmark


class Benchmark(Protocol):
    """What every ``gridgov bench`` part offers: its options and a run that returns its figures."""

    help: str

    @staticmethod
    def add_arguments(parser) -> None: ...

    def run(self, options: dict, say: Callable[[str], None]) -> dict: ...


BENCHMARKS: dict[str, type[Benchmark]] = {
    "locate": LocateBenchmark,
    "intake": IntakeBenchmark,
    "upload": UploadBenchmark,
    "evaluate": EvaluateBenchmark,
    "projects": ProjectsBenchmark,
    "pages": PagesBenchmark,
    "services": ServicesBenchmark,
}

# These build a throw-away data directory of their own (intake, pages) or touch no database
# (upload); every other benchmark works on the configured one.
OWN_DATA_BENCHMARKS = frozenset({"intake", "pages", "upload"})


def check_migrated(database: str = DEFAULT_DB_ALIAS) -> None:
    """Refuse, in one translated sentence, a database with migrations still to apply."""
    executor = MigrationExecutor(connections[database])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError(
            _(
                "The database is not migrated: run `gridgov migrate` first "
                "(or `gridgov demo --no-serve --no-cases` for the demo district)."
            )
        )


class Command(BaseCommand):
    help = _("Run a performance benchmark and print its figures (e.g. `gridgov bench locate`).")

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
        for name, benchmark in BENCHMARKS.items():
            subparser = subcommands.add_parser(name, help=benchmark.help, description=benchmark.help)
            subparser.add_argument("--json", action="store_true", help=_("print the figures as JSON only"))
            benchmark.add_arguments(subparser)

    def handle(self, *args, **options):
        if options["benchmark"] not in OWN_DATA_BENCHMARKS:
            check_migrated()
        benchmark = BENCHMARKS[options["benchmark"]]()
        say = (lambda line: None) if options["json"] else self.stdout.write
        figures = benchmark.run(options, say)
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2))
