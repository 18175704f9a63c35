"""``gridgov bench projects``: the period counts with the year before for every street and every
industry, and the peer ranking of every indicator and month, through the ORM on the configured
database, beside DuckDB on the same rows (answers compared).

The rows (by default 100,000 projects with their stage histories and 10 years × 20 indicators ×
9 districts of monthly figures) are written inside a transaction that is rolled back at the end,
so the benchmark leaves the database as it found it. The figure lines are technical output and
stay in English; help and errors are translated.
"""

import csv
import random
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import Rank
from django.utils.translation import gettext as _

from gridgov.benchmarking import median_seconds
from gridgov.economy.models import District, Indicator, MonthlyFigure
from gridgov.projects import selectors
from gridgov.projects.catalogue import seed_industries
from gridgov.projects.models import (
    MAJOR_THRESHOLD,
    Industry,
    Project,
    Stage,
    StageEvent,
)

BENCH_DISTRICT = "999999"  # a code no real district has: the benchmark's projects, and only them
STREETS = 12


class _RolledBack(Exception):
    pass


def generate(projects: int, years: int, indicators: int, districts: int, seed: int) -> dict:
    """Write the benchmark's rows (inside the caller's transaction); returns what DuckDB needs."""
    rng = random.Random(seed)
    seed_industries()
    industries = list(Industry.objects.values_list("id", "code"))
    last_year = date.today().year
    first_day = date(last_year - years + 1, 1, 1)
    span = (date(last_year, 8, 31) - first_day).days
    rows = [
        Project(
            name=f"bench {n}",
            total_investment=Decimal(rng.choice((2_000, 5_000, 10_000, 20_000, 50_000, 100_000))),
            industry_id=industries[n % len(industries)][0],
            grid_code=f"{BENCH_DISTRICT}{n % STREETS + 1:03d}001001",
            stage=Stage.SIGNED,
        )
        for n in range(projects)
    ]
    created = Project.objects.bulk_create(rows, batch_size=5000)
    events = []
    for project in created:
        day = first_day + timedelta(days=rng.randint(0, span))
        chain = [(Stage.SIGNED, day)]
        for stage, share, gap in ((Stage.LANDED, 0.7, 90), (Stage.STARTED, 0.8, 120)):
            if rng.random() > share:
                break
            day += timedelta(days=rng.randint(0, gap))
            chain.append((stage, day))
        if chain[-1][0] == Stage.STARTED and rng.random() < 0.3:
            day += timedelta(days=rng.randint(150, 300))
            chain.append((Stage.PAUSED, day))
            day += timedelta(days=rng.randint(60, 150))
            chain.append((Stage.RESTARTED, day))
        if chain[-1][0] in (Stage.STARTED, Stage.RESTARTED) and rng.random() < 0.3:
            chain.append((Stage.COMPLETED, day + timedelta(days=rng.randint(100, 400))))
        events += [StageEvent(project_id=project.pk, stage=stage, date=on) for stage, on in chain]
    StageEvent.objects.bulk_create(events, batch_size=5000)
    indicator_rows = Indicator.objects.bulk_create(
        [Indicator(code=f"bench-{i:02d}", name_zh=f"bench {i}", unit="亿元") for i in range(indicators)]
    )
    district_rows = District.objects.bulk_create([District(code=f"B{d:02d}", name=f"bench {d}") for d in range(districts)])
    figures = [
        MonthlyFigure(
            indicator=indicator,
            district=district,
            year=year,
            month=month,
            month_value=Decimal(rng.randint(100, 9999)) / 10,
            cumulative_value=Decimal(rng.randint(1000, 99999)) / 10,
            cumulative_growth=Decimal(rng.randint(-100, 150)) / 10,
        )
        for indicator in indicator_rows
        for district in district_rows
        for year in range(last_year - years + 1, last_year + 1)
        for month in range(2, 13)
    ]
    MonthlyFigure.objects.bulk_create(figures, batch_size=5000)
    return {
        "project_ids": [p.pk for p in created],
        "events": len(events),
        "figures": len(figures),
        "indicator_ids": [i.pk for i in indicator_rows],
        "year": last_year,
    }


def orm_counts(by: str, period) -> dict:
    projects = Project.objects.filter(grid_code__startswith=BENCH_DISTRICT)
    counts = selectors.period_counts_by(by, period, projects)
    return {group: {m: (c.current, c.previous) for m, c in measures.items()} for group, measures in counts.items()}


def orm_rankings(indicator_ids: list[int]) -> list[tuple]:
    ranked = (
        MonthlyFigure.objects.filter(indicator_id__in=indicator_ids, cumulative_growth__isnull=False)
        .annotate(
            rank=Window(Rank(), partition_by=[F("indicator_id"), F("year"), F("month")], order_by=F("cumulative_growth").desc())
        )
        .values_list("indicator_id", "year", "month", "district_id", "rank")
    )
    return sorted(ranked)


def _export(directory: Path, data: dict) -> None:
    with open(directory / "projects.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "grid_code", "industry", "total_investment"])
        rows = Project.objects.filter(pk__in=data["project_ids"]).values_list(
            "id", "grid_code", "industry__code", "total_investment"
        )
        writer.writerows(rows.iterator(chunk_size=10000))
    with open(directory / "events.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["project_id", "stage", "date"])
        writer.writerows(
            StageEvent.objects.filter(project__grid_code__startswith=BENCH_DISTRICT)
            .values_list("project_id", "stage", "date")
            .iterator(chunk_size=10000)
        )
    with open(directory / "figures.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["indicator_id", "district_id", "year", "month", "cumulative_growth"])
        writer.writerows(
            MonthlyFigure.objects.filter(indicator_id__in=data["indicator_ids"])
            .values_list("indicator_id", "district_id", "year", "month", "cumulative_growth")
            .iterator(chunk_size=10000)
        )


def duckdb_connection(directory: Path):
    import duckdb

    connection = duckdb.connect()
    connection.execute(
        f"CREATE TABLE projects AS SELECT * FROM read_csv('{directory / 'projects.csv'}', header=true, types={{'grid_code': 'VARCHAR', 'industry': 'VARCHAR', 'total_investment': 'DECIMAL(14,2)'}})"
    )
    connection.execute(
        f"CREATE TABLE events AS SELECT * FROM read_csv('{directory / 'events.csv'}', header=true, types={{'date': 'DATE'}})"
    )
    connection.execute(
        f"CREATE TABLE figures AS SELECT * FROM read_csv('{directory / 'figures.csv'}', header=true, types={{'cumulative_growth': 'DECIMAL(8,2)'}})"
    )
    return connection


def duckdb_counts(connection, by: str, period) -> dict:
    before = period.year_before()
    group = "substr(p.grid_code, 1, 9)" if by == "street" else "p.industry"
    columns, params = [], []
    for stages in selectors.MEASURES.values():
        listed = ", ".join(f"'{s}'" for s in stages)
        for p in (period, before):
            columns.append(f"count(DISTINCT e.project_id) FILTER (WHERE e.stage IN ({listed}) AND e.date BETWEEN ? AND ?)")
            params += [p.start, p.end]
    sql = (
        f"SELECT {group} AS grp, {', '.join(columns)} FROM events e JOIN projects p ON p.id = e.project_id "
        f"WHERE p.total_investment >= {MAJOR_THRESHOLD} AND (e.date BETWEEN ? AND ? OR e.date BETWEEN ? AND ?) GROUP BY grp"
    )
    rows = connection.execute(sql, [*params, before.start, before.end, period.start, period.end]).fetchall()
    answer = {}
    for row in rows:
        values = row[1:]
        answer[row[0] or ""] = {m: (values[2 * k], values[2 * k + 1]) for k, m in enumerate(selectors.MEASURES)}
    return answer


def duckdb_rankings(connection) -> list[tuple]:
    sql = (
        "SELECT indicator_id, year, month, district_id, rank() OVER (PARTITION BY indicator_id, year, month ORDER BY cumulative_growth DESC) "
        "FROM figures WHERE cumulative_growth IS NOT NULL"
    )
    return sorted(tuple(int(v) for v in row) for row in connection.execute(sql).fetchall())


class ProjectsBenchmark:
    help = _("Time the projects' period counts and the economy's peer ranking beside DuckDB on the same rows.")

    @staticmethod
    def add_arguments(parser):
        parser.add_argument(
            "--projects", type=int, default=100_000, help=_("projects with their stage histories (default 100,000)")
        )
        parser.add_argument("--years", type=int, default=10, help=_("years of stages and monthly figures (default 10)"))
        parser.add_argument("--indicators", type=int, default=20, help=_("indicators (default 20)"))
        parser.add_argument("--districts", type=int, default=9, help=_("districts ranked (default 9)"))
        parser.add_argument("--repeat", type=int, default=3, help=_("runs per path; medians are reported (default 3)"))
        parser.add_argument("--seed", type=int, default=1, help=_("random seed (default 1)"))

    def run(self, options: dict, say) -> dict:
        for name in ("projects", "years", "indicators", "districts", "repeat"):
            if not 1 <= options[name] <= 10_000_000:
                raise CommandError(_("--%(name)s must be a positive number.") % {"name": name})
        try:
            import duckdb  # noqa: F401
        except ImportError as error:
            raise CommandError(_("DuckDB is not installed: pip install duckdb (it is in the test extra).")) from error
        figures: dict = {}
        try:
            with transaction.atomic():
                figures = self._run(options, say)
                raise _RolledBack
        except _RolledBack:
            pass
        return figures

    def _run(self, options: dict, say) -> dict:
        started = time.perf_counter()
        data = generate(options["projects"], options["years"], options["indicators"], options["districts"], options["seed"])
        say(
            f"wrote {len(data['project_ids']):,} projects, {data['events']:,} stage events and {data['figures']:,} monthly figures in {time.perf_counter() - started:.1f} s"
        )
        period = selectors.Period.months(data["year"], 1, 8)
        repeat = options["repeat"]
        with tempfile.TemporaryDirectory() as directory:
            _export(Path(directory), data)
            connection = duckdb_connection(Path(directory))
            result = {}
            for name, orm, duck in (
                ("counts by street", lambda: orm_counts("street", period), lambda: duckdb_counts(connection, "street", period)),
                (
                    "counts by industry",
                    lambda: orm_counts("industry", period),
                    lambda: duckdb_counts(connection, "industry", period),
                ),
                (
                    "peer ranking, every indicator and month",
                    lambda: orm_rankings(data["indicator_ids"]),
                    lambda: duckdb_rankings(connection),
                ),
            ):
                orm_seconds, orm_answer = median_seconds(orm, repeat)
                duck_seconds, duck_answer = median_seconds(duck, repeat)
                equal = orm_answer == duck_answer
                ratio = orm_seconds / duck_seconds if duck_seconds else float("inf")
                say(
                    f"{name}: ORM {orm_seconds * 1000:.1f} ms, DuckDB {duck_seconds * 1000:.1f} ms, ratio {ratio:.2f}× ({'same answers' if equal else 'ANSWERS DIFFER'})"
                )
                result[name] = {"orm_seconds": orm_seconds, "duckdb_seconds": duck_seconds, "ratio": ratio, "equal": equal}
            connection.close()
        return {"projects": len(data["project_ids"]), "events": data["events"], "figures": data["figures"], "timings": result}
