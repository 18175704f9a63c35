"""``gridgov bench evaluate``: one month's full indicator set for every unit of every level
(street, community, grid, department, staff role), timed, beside DuckDB computing the same
figures from the same rows, and the figures checked equal.

Loading (``--cases N``): N cases are generated through the demo's own planner
(``demo.cases.plan_case_history``: every step through the workflow table and every deadline from
the SLA clock) over the grids in the database, a year of history ending at ``--until`` (default:
now), slice of grids by slice, and written by the demo's bulk writer (``write_case_history``:
plain INSERTs in batches of 2,000 through ``gridgov.bulk``). Without ``--cases`` the benchmark
measures what is there. ``replicate_cases`` (documented bulk loader, used for the million-case
runs) copies planned cases by ``INSERT … SELECT`` and spreads the copies over the grids.

DuckDB gets the cases and steps exported once (CSV, timed apart) and computes each measure from
its own SQL written from the definitions in ``evaluation/indicators.py`` — with the deadlines
derived from the steps by ordered aggregates (an independent second implementation, so equal
figures check the registry as well as the speed) and, the stricter comparison, read from the
case rows with the same window filter.

Also timed: reading the month back from the kept months, and the dashboard's data
(``evaluation.dashboard.dashboard_payload``) for the district leader — cold (nothing kept),
with the finished months kept, and warm — p95 of ``--repeat`` runs. The figure lines are
technical output and stay in English.
"""

import csv
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

LEVELS = ("street", "community", "grid", "department", "role")
PREFIX = {"street": 9, "community": 12, "grid": 15}


class EvaluateBenchmark:
    help = "Time one month's indicators for every unit of every level against DuckDB on the same rows."

    @staticmethod
    def add_arguments(parser):
        parser.add_argument("--cases", type=int, default=0, help="generate this many cases first (default: use what is there)")
        parser.add_argument("--seed", type=int, default=11, help="seed of the generated cases (default 11)")
        parser.add_argument("--until", default="", help="end of the generated year, ISO date (default: now)")
        parser.add_argument("--month", default="", help="the month to evaluate, e.g. 2026-03 (default: the last full month)")
        parser.add_argument("--repeat", type=int, default=3, help="runs of each timing; the median is printed (default 3)")

    def run(self, options, say) -> dict:
        from gridgov.evaluation.periods import current_month, parse_period

        if options["cases"]:
            load_cases(options["cases"], options["seed"], options["until"], say)
        period = parse_period(options["month"]) if options["month"] else current_month().previous()
        now = timezone.now()
        figures: dict = {"month": period.key}
        django_counts, django_seconds = time_django(period, now, options["repeat"])
        total = sum(django_counts["role"].get("all", {}).get("reported", 0) for _ in [0])
        say(f"month {period.key}: {count_cases():,} cases in the database, {total:,} reported in the month")
        say(
            f"gridgov (SQL on {connection_vendor()}): {django_seconds:.3f} s for every level ({', '.join(LEVELS)}), median of {options['repeat']}"
        )
        figures.update(cases=count_cases(), gridgov_seconds=round(django_seconds, 4))
        try:
            import duckdb  # noqa: F401
        except ImportError as error:
            raise CommandError("duckdb is not installed: pip install duckdb (a test/bench-only dependency)") from error
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            cases_csv, steps_csv = export_rows(Path(directory))
            export_seconds = time.perf_counter() - started
            duck_counts, duck_seconds, load_seconds, row_counts, row_seconds = time_duckdb(
                cases_csv, steps_csv, period, now, options["repeat"]
            )
        say(
            f"DuckDB, deadlines from the steps: {duck_seconds:.3f} s for the same (export {export_seconds:.1f} s and load {load_seconds:.1f} s once, not counted)"
        )
        say(f"DuckDB, deadlines from the case rows and the same window filter: {row_seconds:.3f} s")
        ratio = django_seconds / duck_seconds if duck_seconds else float("inf")
        row_ratio = django_seconds / row_seconds if row_seconds else float("inf")
        say(f"ratio gridgov / DuckDB: {ratio:.2f}x (deadlines from the steps), {row_ratio:.2f}x (from the case rows)")
        differences = compare(django_counts, duck_counts) + compare(django_counts, row_counts)
        say("figures: all equal" if not differences else f"figures: {len(differences)} differ, e.g. {differences[:3]}")
        figures.update(duckdb_rows_seconds=round(row_seconds, 4), ratio_rows=round(row_ratio, 2))
        kept_counts, kept_seconds, fill_seconds = time_kept(period, options["repeat"])
        kept_differences = compare(kept_counts, duck_counts)
        say(
            f"kept month (evaluation.services.month_counts): {kept_seconds * 1000:.0f} ms to read every level back, "
            f"{fill_seconds:.3f} s to count it in once; "
            + (
                "figures: all equal"
                if not kept_differences
                else f"figures: {len(kept_differences)} differ, e.g. {kept_differences[:3]}"
            )
        )
        figures.update(
            kept_read_seconds=round(kept_seconds, 4), kept_fill_seconds=round(fill_seconds, 3), kept_equal=not kept_differences
        )
        cold, kept_cold, warm = time_dashboard(options["repeat"])
        say(
            f"dashboard data for the district leader: p95 {cold * 1000:.0f} ms cold (no month kept), "
            f"{kept_cold * 1000:.0f} ms with the finished months kept (per-process caches dropped), "
            f"{warm * 1000:.0f} ms warm (per-process caches)"
        )
        figures.update(duckdb_seconds=round(duck_seconds, 4), ratio=round(ratio, 2), export_seconds=round(export_seconds, 2),
                       equal=not differences, differences=differences[:20], dashboard_p95_cold_ms=round(cold * 1000), dashboard_p95_kept_ms=round(kept_cold * 1000),
                       dashboard_p95_warm_ms=round(warm * 1000))  # fmt: skip
        return figures


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


def count_cases() -> int:
    from gridgov.cases.selectors import evaluation_cases

    return evaluation_cases(None).count()


LOAD_CHUNK_CASES = 50_000  # planned and written per slice of the grids, so memory stays bounded at any N


def load_cases(count: int, seed: int, until: str, say) -> None:
    """``count`` cases over the grids, planned and written slice of grids by slice (about
    ``LOAD_CHUNK_CASES`` each, seed + slice number): a million planned cases at once would hold
    several GB of Python objects. Each slice is its own transaction; case numbers continue the
    day counters the slices before wrote."""
    from gridgov import workcalendar
    from gridgov.accounts.models import Department
    from gridgov.cases.catalogue import seed_catalogue
    from gridgov.demo.cases import (
        DAYS_PER_MONTH,
        HISTORY_DAYS,
        demo_grids,
        history_categories,
        plan_case_history,
        write_case_history,
    )

    grids = demo_grids(prefix="")
    if not grids:
        raise CommandError("no grids in the database: build the demo district first (gridgov demo --no-serve --no-cases)")
    seed_catalogue()
    end = datetime.fromisoformat(until).replace(tzinfo=timezone.get_current_timezone()) if until else timezone.now()
    per_grid_month = count / len(grids) / (HISTORY_DAYS / DAYS_PER_MONTH)
    calendar = workcalendar.working_calendar()
    departments = dict(Department.objects.values_list("id", "code"))
    categories = list(history_categories())
    grids_per_slice = max(1, round(len(grids) * LOAD_CHUNK_CASES / count))
    started = time.perf_counter()
    written = steps = 0
    for number, first in enumerate(range(0, len(grids), grids_per_slice)):
        planned = plan_case_history(
            grids[first : first + grids_per_slice], categories, departments, seed=seed + number, until=end,
            calendar=calendar, per_grid_month=per_grid_month,
        )  # fmt: skip
        written += write_case_history(planned, calendar)
        steps += sum(len(c.steps) for c in planned)
        say(f"  loaded {written:,} cases ({steps:,} steps) in {time.perf_counter() - started:.0f} s")
    say(f"loaded {written:,} cases ({steps:,} steps) in {time.perf_counter() - started:.1f} s")


def replicate_cases(target: int, say) -> None:
    """Copy the cases in the database (with their steps) until there are at least ``target``:
    each copy is one ``INSERT … SELECT`` per table, ids shifted, case numbers and external
    references suffixed ``c<copy>``, every other column (dates, deadlines, states, grid,
    department) as it is, so each copy adds exactly the figures of the original to every count.
    Extension requests and co-handling departments are not copied (no measure reads them). A
    documented bulk loader for the 1,000,000-case run, where the planner alone would take hours on
    a shared machine; the planned cases underneath keep every path of the workflow."""
    from django.db import connection, transaction
    from django.db.models import Max

    from gridgov.cases.models import Case, Step

    base, top_case, top_step = (
        Case.objects.count(),
        Case.objects.aggregate(top=Max("pk"))["top"],
        Step.objects.aggregate(top=Max("pk"))["top"],
    )
    if not base or base >= target:
        return
    copies = -(-(target - base) // base)
    quote = connection.ops.quote_name
    suffixed = {"number", "external_id", "intake_key"}
    started = time.perf_counter()
    for copy in range(1, copies + 1):
        case_offset, step_offset = copy * top_case, copy * top_step
        case_columns = [f.column for f in Case._meta.concrete_fields if f.column]
        case_values = [
            f"{quote(c)} + {case_offset}" if c == "id"
            else f"CASE WHEN {quote(c)} = '' THEN '' ELSE {quote(c)} || 'c{copy}' END" if c in suffixed
            else quote(c)
            for c in case_columns
        ]  # fmt: skip
        step_columns = [f.column for f in Step._meta.concrete_fields if f.column]
        step_values = [
            f"{quote(c)} + {step_offset}" if c == "id" else f"{quote(c)} + {case_offset}" if c == "case_id" else quote(c)
            for c in step_columns
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(Case._meta.db_table)} ({', '.join(map(quote, case_columns))}) "
                f"SELECT {', '.join(case_values)} FROM {quote(Case._meta.db_table)} WHERE id <= %s",
                [top_case],
            )
            cursor.execute(
                f"INSERT INTO {quote(Step._meta.db_table)} ({', '.join(map(quote, step_columns))}) "
                f"SELECT {', '.join(step_values)} FROM {quote(Step._meta.db_table)} WHERE case_id <= %s",
                [top_case],
            )
        say(f"  copy {copy} of {copies}: {base * (copy + 1):,} cases in {time.perf_counter() - started:.0f} s")
    spread_over_grids(top_case, say)
    if connection.vendor == "postgresql":
        # VACUUM as well as ANALYZE, as autovacuum would on a live server: until the visibility
        # map is set, PostgreSQL reads the heap for every entry of an index-only scan (the month's
        # step pass at a million cases: 1.9 s before, 0.6 s after).
        with connection.cursor() as cursor:
            for model in (Case, Step):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {quote(table)}))")
                cursor.execute(f"VACUUM ANALYZE {quote(table)}")


def spread_over_grids(top_case: int, say) -> None:
    """Move each copy made by ``replicate_cases`` to other grids: the planner writes its cases
    slice of grids by slice, so the cases under the copies may cover a few grids only. Copy ``k``
    (ids ``k × top_case + 1 …``) takes the grids ``k × n`` places further along the network's
    grids in code order, where ``n`` is the number of grids the originals use, so the copies
    together cover the whole network. One ``UPDATE … FROM`` over a small mapping table."""
    from django.db import connection, transaction

    from gridgov.cases.models import Case
    from gridgov.grids.codes import Level
    from gridgov.grids.models import Region

    grids = list(Region.objects.filter(level=Level.GRID).order_by("code").values_list("pk", "code"))
    used = sorted(set(Case.objects.filter(pk__lte=top_case).values_list("grid_id", flat=True)) - {None})
    newest = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    copies = (newest - 1) // top_case
    if not grids or not used or not copies or len(used) >= len(grids):
        return
    position = {pk: n for n, (pk, _code) in enumerate(grids)}
    used = [pk for pk in used if pk in position]
    rows = [(copy, pk, *grids[(position[pk] + copy * len(used)) % len(grids)]) for copy in range(1, copies + 1) for pk in used]
    table, quote = Case._meta.db_table, connection.ops.quote_name
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_grid_map (copy integer, old_id integer, new_id integer, new_code varchar(15))"
        )
        cursor.executemany("INSERT INTO bench_grid_map VALUES (%s, %s, %s, %s)", rows)
        cursor.execute(
            f"UPDATE {quote(table)} SET grid_id = m.new_id, grid_code = m.new_code FROM bench_grid_map m "
            f"WHERE {quote(table)}.id > %s AND m.copy = ({quote(table)}.id - 1) / %s AND m.old_id = {quote(table)}.grid_id",
            [top_case, top_case],
        )
        cursor.execute("DROP TABLE bench_grid_map")
    say(f"  spread {copies} copies over the grids ({len(used)} grids each) in {time.perf_counter() - started:.0f} s")


def time_django(period, now, repeat: int) -> tuple[dict, float]:
    """The product's counting path with its caches dropped — what the ``count_finished_months``
    task does for a month, and what a period the kept months do not answer costs: one pass over
    the month's cases and one over its steps, grouped by grid and department
    (``selectors.count_bases``), summed up to communities, streets and the whole scope."""
    from gridgov.evaluation import selectors
    from gridgov.evaluation.indicators import Window

    times: list[float] = []
    counts: dict[str, dict] = {}
    for _ in range(repeat):
        selectors.forget_all()
        started = time.perf_counter()
        bases = selectors.count_bases(None, Window(period.start, period.end, min(period.end, now)))
        counts = {level: bases[level] if level in bases else selectors.rolled_up(bases["grid"], level) for level in LEVELS}
        times.append(time.perf_counter() - started)
    return counts, statistics.median(times)


def time_kept(period, repeat: int) -> tuple[dict, float, float]:
    """The same month read back from the kept months (``services.month_counts``), after counting
    it into them once (timed apart): every level of every unit."""
    from gridgov.evaluation import selectors, services

    started = time.perf_counter()
    services.count_month(period)
    fill = time.perf_counter() - started
    times: list[float] = []
    counts: dict[str, dict] = {}
    for _ in range(repeat):
        selectors.forget_all()
        started = time.perf_counter()
        grid, department = services.month_counts(period, "grid"), services.month_counts(period, "department")
        counts = {level: selectors.rolled_up(grid, level) for level in ("street", "community", "role")}
        counts.update(grid=grid, department=department)
        times.append(time.perf_counter() - started)
    return counts, statistics.median(times), fill


def _utc(value) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


CASE_COLUMNS = ("id", "grid_code", "assigned_department__code", "state", "created_at", "filed_at", "handled_at", "closed_at",
                "suspended_at", "rework_count", "solved_level", "source", "rating", "intake_deadline", "handle_deadline",
                "verify_deadline")  # fmt: skip
TIME_COLUMNS = {
    "created_at",
    "filed_at",
    "handled_at",
    "closed_at",
    "suspended_at",
    "intake_deadline",
    "handle_deadline",
    "verify_deadline",
}
STEP_COLUMNS = ("id", "case_id", "action", "to_state", "at", "deadline")


def export_rows(directory: Path) -> tuple[Path, Path]:
    """The cases and steps as CSV (times in UTC), read once by DuckDB: written by the database
    itself (PostgreSQL ``COPY … TO STDOUT``; SQLite's stored UTC text read by a plain cursor), as
    converting ten million step times in Python took longer than the rest of the benchmark."""
    from django.db import connection

    from gridgov.accounts.models import Department
    from gridgov.cases.models import Case, Step

    quote = connection.ops.quote_name
    cases, steps, departments = (quote(m._meta.db_table) for m in (Case, Step, Department))

    def when(column: str) -> str:
        if connection.vendor == "postgresql":
            return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        return column  # Django keeps SQLite times as UTC text

    case_columns = [f"c.{c}" if c != "assigned_department__code" else "d.code" for c in CASE_COLUMNS]
    case_columns = [when(c) if c.split(".")[1] in TIME_COLUMNS else c for c in case_columns]
    case_sql = f"SELECT {', '.join(case_columns)} FROM {cases} c LEFT JOIN {departments} d ON d.id = c.assigned_department_id"
    step_sql = f"SELECT id, case_id, action, to_state, {when('at')}, {when('deadline')} FROM {steps}"
    cases_csv, steps_csv = directory / "cases.csv", directory / "steps.csv"
    header = {
        cases_csv: [c.replace("assigned_department__code", "department") for c in CASE_COLUMNS],
        steps_csv: list(STEP_COLUMNS),
    }
    with connection.cursor() as cursor:
        for path, sql in ((cases_csv, case_sql), (steps_csv, step_sql)):
            with path.open("w", newline="") as out:
                if connection.vendor == "postgresql":
                    out.write(",".join(header[path]) + "\n")
                    with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
                        for block in copy:
                            out.write(bytes(block).decode())
                    continue
                writer = csv.writer(out)
                writer.writerow(header[path])
                cursor.execute(sql)
                while rows := cursor.fetchmany(50000):
                    writer.writerows(rows)
    return cases_csv, steps_csv


def _measures_sql(start: str, end: str, due_end: str) -> str:
    """Each measure of evaluation/indicators.py, written again in DuckDB's SQL."""
    reported = f"created_at >= '{start}' AND created_at < '{end}'"
    filed = f"filed_at >= '{start}' AND filed_at < '{end}'"
    due = (f"state IN ('dispatched','handling','handled','verifying','closed','rated') AND handle_deadline >= '{start}' "
           f"AND handle_deadline < '{due_end}' AND NOT (suspended_at IS NOT NULL AND state IN ('dispatched','handling'))")  # fmt: skip
    finished = "state IN ('handled','verifying','closed','rated')"
    closed_states = "state IN ('closed','rated')"
    on_time = f"({due}) AND {finished} AND handled_at <= handle_deadline"
    closed = f"closed_at >= '{start}' AND closed_at < '{end}' AND {closed_states}"
    measures = {
        "reported": reported,
        "valid": f"{reported} AND filed_at IS NOT NULL AND state <> 'merged'",
        "filed": filed,
        "filed_on_time": f"{filed} AND filed_at <= intake_deadline",
        "due": due,
        "handled": f"({due}) AND {finished}",
        "handled_on_time": on_time,
        "due_closed": f"({due}) AND {closed_states}",
        "closed_on_time": f"({on_time}) AND {closed_states} AND closed_at <= verify_deadline",
        "reworked": f"({due}) AND rework_count > 0",
        "overdue": f"({due}) AND (NOT {finished} OR handled_at > handle_deadline)",
        "closed": closed,
        "closed_in_grid": f"{closed} AND solved_level = 'grid'",
        "hotline_reported": f"{reported} AND source = 'hotline'",
        "hotline_responded": f"{reported} AND source = 'hotline' AND filed_at <= intake_deadline",
        "hotline_due": f"({due}) AND source = 'hotline'",
        "hotline_resolved": f"({due}) AND {closed_states} AND source = 'hotline'",
        "hotline_rated": f"{closed} AND source = 'hotline' AND rating <> ''",
        "hotline_satisfied": f"{closed} AND source = 'hotline' AND rating = 'satisfied'",
        "hotline_basically": f"{closed} AND source = 'hotline' AND rating = 'basically'",
    }
    return ", ".join(f"SUM(CASE WHEN ({condition}) THEN 1 ELSE 0 END)::BIGINT AS {key}" for key, condition in measures.items())


def _unit(level: str) -> str:
    if level in PREFIX:
        return f"substr(grid_code, 1, {PREFIX[level]})"
    return "department" if level == "department" else "'all'"


def time_duckdb(cases_csv: Path, steps_csv: Path, period, now, repeat: int) -> tuple[dict, float, float, dict, float]:
    """DuckDB two ways: the deadlines derived from the steps (ordered aggregates: the figures
    checked from the raw history), and the deadlines read from the case rows as gridgov reads
    them, with the same window pre-filter (the same work, the stricter time to compare with)."""
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(f"CREATE TABLE cases AS SELECT * FROM read_csv('{cases_csv}', header=true, all_varchar=true)")
    con.execute(f"CREATE TABLE steps AS SELECT * FROM read_csv('{steps_csv}', header=true, all_varchar=true)")
    con.execute("""CREATE TABLE c AS SELECT id::BIGINT id, grid_code, NULLIF(department, '') department, state,
        NULLIF(created_at,'')::TIMESTAMP created_at, NULLIF(filed_at,'')::TIMESTAMP filed_at, NULLIF(handled_at,'')::TIMESTAMP handled_at,
        NULLIF(closed_at,'')::TIMESTAMP closed_at, NULLIF(suspended_at,'')::TIMESTAMP suspended_at, rework_count::INT rework_count,
        coalesce(solved_level,'') solved_level, source, coalesce(rating,'') rating,
        NULLIF(intake_deadline,'')::TIMESTAMP row_intake_deadline, NULLIF(handle_deadline,'')::TIMESTAMP row_handle_deadline,
        NULLIF(verify_deadline,'')::TIMESTAMP row_verify_deadline FROM cases""")
    con.execute("""CREATE TABLE s AS SELECT id::BIGINT id, case_id::BIGINT case_id, action, to_state, "at"::TIMESTAMP "at",
        NULLIF(deadline,'')::TIMESTAMP deadline FROM steps""")
    load_seconds = time.perf_counter() - started
    start, end = _utc(period.start), _utc(period.end)
    due_end = _utc(min(period.end, now))
    rows_only = "EXCLUDE (row_intake_deadline, row_handle_deadline, row_verify_deadline)"
    from_steps = f"""SELECT c.* {rows_only}, d.intake_deadline, d.handle_deadline, d.verify_deadline
            FROM c LEFT JOIN (SELECT case_id,
                first(deadline ORDER BY "at", id) FILTER (WHERE action = 'report') intake_deadline,
                last(deadline ORDER BY "at", id) FILTER (WHERE to_state IN ('dispatched', 'handling')) handle_deadline,
                last(deadline ORDER BY "at", id) FILTER (WHERE action = 'finish') verify_deadline
              FROM s GROUP BY case_id) d ON d.case_id = c.id WHERE c.created_at < '{end}'"""
    from_rows = f"""SELECT c.* {rows_only}, row_intake_deadline intake_deadline, row_handle_deadline handle_deadline,
            row_verify_deadline verify_deadline FROM c WHERE created_at < '{end}' AND (
              (created_at >= '{start}') OR (filed_at >= '{start}' AND filed_at < '{end}')
              OR (row_handle_deadline >= '{start}' AND row_handle_deadline < '{due_end}') OR (closed_at >= '{start}' AND closed_at < '{end}'))"""
    counts, seconds = _duck_runs(con, from_steps, start, end, due_end, repeat)
    row_counts, row_seconds = _duck_runs(con, from_rows, start, end, due_end, repeat)
    con.close()
    return counts, seconds, load_seconds, row_counts, row_seconds


def _duck_runs(con, facts_sql: str, start: str, end: str, due_end: str, repeat: int) -> tuple[dict, float]:
    step_measures = {"dispatched": "dispatch", "returned": "return"}
    times: list[float] = []
    counts: dict[str, dict] = {}
    for _ in range(repeat):
        began = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE facts AS {facts_sql}")
        counts = {}
        for level in LEVELS:
            result = con.execute(f"SELECT {_unit(level)} AS unit, {_measures_sql(start, end, due_end)} FROM facts GROUP BY 1")
            names = [column[0] for column in result.description]
            units = {row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in result.fetchall() if row[0] is not None}
            steps = con.execute(f"""SELECT {_unit(level)} AS unit, {", ".join(f"SUM(CASE WHEN s.action = '{a}' THEN 1 ELSE 0 END)::BIGINT" for a in step_measures.values())}
                FROM s JOIN c ON c.id = s.case_id WHERE s."at" >= '{start}' AND s."at" < '{end}' AND s.action IN ('dispatch', 'return') GROUP BY 1""").fetchall()
            for row in steps:
                if row[0] is None:
                    continue
                unit = units.setdefault(row[0], {key: 0 for key in names[1:]})
                unit.update(dict(zip(step_measures, row[1:], strict=True)))
            for unit in units.values():
                for key in step_measures:
                    unit.setdefault(key, 0)
            counts[level] = units
        times.append(time.perf_counter() - began)
    return counts, statistics.median(times)


def compare(ours: dict, theirs: dict) -> list[str]:
    differences = []
    for level in LEVELS:
        for unit in sorted(set(ours[level]) | set(theirs[level])):
            a, b = ours[level].get(unit, {}), theirs[level].get(unit, {})
            for key in sorted(set(a) | set(b)):
                if (a.get(key) or 0) != (b.get(key) or 0):
                    differences.append(f"{level} {unit} {key}: gridgov {a.get(key)} DuckDB {b.get(key)}")
    return differences


def time_dashboard(repeat: int) -> tuple[float, float, float]:
    """p95 of the leader's dashboard data: cold (no month kept, per-process caches dropped), with
    the finished months kept in the database (filled by the first run, as the task would), and
    warm (everything in this process)."""
    from gridgov.accounts.models import Role, User
    from gridgov.evaluation import dashboard, selectors, services
    from gridgov.evaluation.periods import current_month

    leader = User.objects.filter(role=Role.LEADER).order_by("region_id", "pk").first() or User(role=Role.LEADER)
    period = current_month()

    def once(forget_kept: bool, forget_process: bool) -> float:
        if forget_kept:
            services.forget_counted_months()
        if forget_process:
            selectors.forget_all()
        started = time.perf_counter()
        dashboard.dashboard_payload(leader, period, timezone.now())
        return time.perf_counter() - started

    cold = [once(True, True) for _ in range(repeat)]
    services.count_finished_months()
    kept = [once(False, True) for _ in range(max(repeat, 5))]
    warm = [once(False, False) for _ in range(max(repeat, 5))]
    return _p95(cold), _p95(kept), _p95(warm)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
