"""``gridgov bench services``: the services statistics page's figures for a year of applications
(by default 1,000,000) over every department and service point, through the selectors the page
uses on the configured database, beside DuckDB computing the same figures from the same rows with
its own SQL, and the figures checked equal.

The rows are written inside a transaction that is rolled back at the end, so the benchmark leaves
the database as it found it: 40 departments, a catalogue of 600 items and 4 "one thing" bundles,
a district of 10 streets and 100 communities as service points, and the year's applications with
their parts (one per item of a bundle), ratings and the rectification tasks of the bad ones. The
year (``--year``, default 2015) must hold no other application, since the page's department and
service-point tables count every application of the year. With ``--keep`` the rows are committed
instead (a million take 8–25 minutes to write) and later ``--keep`` runs of the same year reuse
them; ``--drop`` removes them.

The applications are drawn, not walked through the workflow (a million passes through the
services and the calendar would take hours): times used, deadlines and outcomes follow simple
distributions, and applicants carry no personal data (the statistics read none, and an empty
encrypted field is stored empty). What is measured is the reading. The figure lines are technical
output and stay in English; help and errors are translated.
"""

import csv
import math
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.core.management.base import CommandError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

BENCH_DISTRICT = "999998"  # a district code no real one has: the benchmark's service points
DEPARTMENTS, ITEMS, STREETS, COMMUNITIES_PER_STREET = 40, 600, 10, 10
BUNDLE_SHARE = 0.1
CHUNK = 50_000  # rows per insert_rows call: bounds the memory of a million-row load


class _RolledBack(Exception):
    pass


# --- the rows ----------------------------------------------------------------------------------


def _catalogue(rng: random.Random):
    from gridgov.accounts.models import Department
    from gridgov.grids.models import Region
    from gridgov.services.models import Bundle, ItemLevel, ItemType, ServiceItem

    departments = Department.objects.bulk_create(
        [Department(code=f"BENCH-{n:02d}", name=f"bench department {n:02d}", is_sample=True) for n in range(DEPARTMENTS)]
    )
    levels = [ItemLevel.DISTRICT] * 6 + [ItemLevel.STREET] * 2 + [ItemLevel.COMMUNITY] * 2
    items = ServiceItem.objects.bulk_create(
        [
            ServiceItem(
                code=f"BENCH-{n:04d}",
                name=f"bench item {n}",
                item_type=rng.choice(ItemType.values),
                department=departments[n % DEPARTMENTS],
                level=levels[n % len(levels)],
                legal_days=(legal := rng.choice((5, 10, 15, 20))),
                promised_days=max(1, legal // rng.choice((2, 3, 4))),
                is_sample=True,
            )
            for n in range(ITEMS)
        ]
    )
    bundles = []
    for n in range(4):
        bundle = Bundle.objects.create(code=f"BENCH-B{n}", name=f"bench bundle {n}", promised_days=1 + n, is_sample=True)
        bundle.items.set([items[n * 4 + k] for k in range(4)])  # four departments each
        bundles.append((bundle, [items[n * 4 + k] for k in range(4)]))
    district = Region.objects.create(code=BENCH_DISTRICT, level="district", name="bench district", is_sample=True)
    streets = Region.objects.bulk_create(
        [
            Region(code=f"{BENCH_DISTRICT}{s:03d}", level="street", name=f"bench street {s}", parent=district, is_sample=True)
            for s in range(1, STREETS + 1)
        ]
    )
    communities = Region.objects.bulk_create(
        [
            Region(code=f"{street.code}{c:03d}", level="community", name=f"{street.name}-{c}", parent=street, is_sample=True)
            for street in streets
            for c in range(1, COMMUNITIES_PER_STREET + 1)
        ]
    )
    return items, bundles, [district, *streets, *communities]


def generate(count: int, year: int, seed: int) -> dict:
    """Write the benchmark's rows (inside the caller's transaction)."""
    from gridgov.bulk import insert_rows
    from gridgov.services import clock
    from gridgov.services.models import Application, Part, Rectification, State

    rng = random.Random(seed)
    items, bundles, points = _catalogue(rng)
    day_seconds = clock.day_seconds()
    zone = timezone.get_current_timezone()
    first = datetime(year, 1, 1, 8, 30, tzinfo=zone)
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    now = timezone.now()
    columns = [
        "number", "item_id", "bundle_id", "state", "applicant_kind", "applicant_name", "id_number", "id_number_index", "phone",
        "phone_index", "enterprise_name", "credit_code", "channel", "service_point_id", "service_point_code", "form_data",
        "promised_days", "legal_days", "received_at", "accepted_at", "deadline", "paused_seconds", "correction_note",
        "decided_at", "granted", "used_working_seconds", "on_time", "delivery", "grade", "rating_reasons", "rated_at",
        "is_sample",
    ]  # fmt: skip
    # Applications arrive in time order, so ids follow receipt, as in a live table (drawn in random
    # order, a year's index range would read its rows in random order: 10× slower on SQLite).
    arrivals = sorted(rng.randrange(days) * 86_400 + rng.randrange(8 * 3600) for _ in range(count))
    # (number, items, received, decided_at, grade, rated_at)
    plans: list[tuple[str, list, datetime, datetime | None, int | None, datetime | None]] = []
    for start in range(0, count, CHUNK):
        rows: list[tuple] = []
        for n in range(start, min(count, start + CHUNK)):
            received = first + timedelta(seconds=arrivals[n])
            bundle, subject = bundles[n % len(bundles)] if rng.random() < BUNDLE_SHARE else (None, [rng.choice(items)])
            promised = bundle.promised_days if bundle else subject[0].promised_days
            legal = max(i.legal_days for i in subject)
            point = points[n % len(points)]
            decided = rng.random() < 0.97
            used = rng.uniform(0.05, 1.3) * promised * day_seconds if decided else None
            decided_at = received + timedelta(seconds=used * 2.2) if used is not None else None  # i.e. if decided
            grade = rng.choices((5, 4, 3, 2, 1), (60, 25, 10, 3, 2))[0] if decided and rng.random() < 0.8 else None
            rated_at = (
                decided_at + timedelta(hours=3) if grade and decided_at is not None else None
            )  # only decided ones are rated
            rows.append(
                (f"BENCH{n:09d}", None if bundle else subject[0].pk, bundle.pk if bundle else None,
                 State.RATED if grade else State.DECIDED if decided else State.ACCEPTED, "person", "", "", "", "", "", "", "",
                 "window", point.pk, point.code, {}, promised, legal, received, received,
                 received + timedelta(days=promised * 1.4), 0.0, "", decided_at, True if decided else None, used,
                 (used <= promised * day_seconds) if decided else None, "", grade, "", rated_at, True)
            )  # fmt: skip
            plans.append((f"BENCH{n:09d}", subject, received, decided_at, grade, rated_at))
        insert_rows(Application, columns, rows)
    ids = dict(Application.objects.filter(number__startswith="BENCH").values_list("number", "id").iterator(chunk_size=CHUNK))
    parts, rectifications = [], []
    for number, subject, received, decided_at, grade, rated_at in plans:
        pk = ids[number]
        state = State.GRANTED if decided_at else State.REVIEW
        # Each part carries its application's receipt moment and rating, and the first part of
        # each department is marked, as the services write them (``Part.received_at`` …).
        parts += [
            (pk, i.pk, i.department_id, state, None, 0.0, "", decided_at, "", "", received, grade,
             all(j.department_id != i.department_id for j in subject[:k]))
            for k, i in enumerate(subject)
        ]  # fmt: skip
        if grade is not None and grade <= 2:
            assert rated_at is not None  # a bad grade is a rating, so the application has its rated_at
            due = rated_at + timedelta(days=21)
            for department_id in sorted({i.department_id for i in subject}):
                closed = rated_at + timedelta(days=rng.uniform(1, 28)) if rng.random() < 0.7 else None
                closed = closed if closed is None or closed < now else None
                rectifications.append((pk, department_id, rated_at, due, "", closed, "", closed, closed, received))
    part_columns = ["application_id", "item_id", "department_id", "state", "deadline", "paused_seconds", "special_kind",
                    "decided_at", "result_document", "refusal_reasons", "received_at", "grade", "first_of_department"]  # fmt: skip
    for start in range(0, len(parts), CHUNK):
        insert_rows(Part, part_columns, parts[start : start + CHUNK])
    insert_rows(
        Rectification,
        [
            "application_id",
            "department_id",
            "opened_at",
            "due_at",
            "reply",
            "replied_at",
            "return_visit",
            "visited_at",
            "closed_at",
            "received_at",
        ],
        rectifications,
    )
    return {"applications": count, "parts": len(parts), "rectifications": len(rectifications)}


# --- kept rows (``--keep``, ``--drop``) ------------------------------------------------------------


def _big_tables() -> list[str]:
    from gridgov.services.models import Application, Part, Rectification

    return [model._meta.db_table for model in (Application, Part, Rectification)]


def received_between_year(year: int):
    from gridgov.services.selectors import received_between

    return received_between(date(year, 1, 1), date(year + 1, 1, 1))


def kept_year() -> int | None:
    """The year of the rows an earlier ``--keep`` run kept in this database, or None. Only one
    year is kept at a time: the catalogue's codes (``BENCH-…``) are unique."""
    from gridgov.services.models import Application

    if not leftovers():
        return None
    first = Application.objects.filter(number__startswith="BENCH").order_by("id").values_list("received_at", flat=True).first()
    return timezone.localtime(first).year if first else None


def leftovers() -> bool:
    """Whether the benchmark's catalogue is in the database (its codes are unique, so a new run
    could not write its own)."""
    from gridgov.accounts.models import Department

    return Department.objects.filter(code__startswith="BENCH-").exists()


def kept_counts(year: int) -> dict:
    from gridgov.services.models import Application, Part, Rectification

    return {
        "applications": Application.objects.filter(number__startswith="BENCH").count(),
        "parts": Part.objects.filter(department__code__startswith="BENCH-").count(),
        "rectifications": Rectification.objects.filter(department__code__startswith="BENCH-").count(),
    }


def settle() -> None:
    """After a ``--keep`` write, what a live server's maintenance would have done by the time the
    page is read: on PostgreSQL ``VACUUM ANALYZE`` (autovacuum; the visibility map lets the
    covering indexes answer alone), on SQLite a WAL checkpoint. Inside a transaction (tests)
    PostgreSQL can only analyse."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            cursor.execute(f"{command} {', '.join(_big_tables())}")
        elif connection.vendor == "sqlite" and not connection.in_atomic_block:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def drop_rows() -> int:
    """Remove every row the benchmark wrote (a kept year, or one an interrupted run left): the
    applications and what hangs on them by SQL (a million ORM deletions would collect every row
    in memory), then the catalogue and the service points through the ORM, and the statistics'
    kept months (the deletions write no step they would see)."""
    from django.db import connection

    from gridgov.accounts.models import Department
    from gridgov.evaluation.services import forget_counted_months
    from gridgov.grids.models import Region
    from gridgov.services.models import Application, Bundle, ServiceItem

    quote = connection.ops.quote_name
    table = quote(Application._meta.db_table)
    bench = f"SELECT id FROM {table} WHERE number LIKE %s"
    with transaction.atomic(), connection.cursor() as cursor:
        for relation in Application._meta.related_objects:
            if relation.one_to_many and relation.on_delete is models.CASCADE:
                column = quote(relation.field.attname)  # the column: no db_column on these keys
                cursor.execute(
                    f"DELETE FROM {quote(relation.related_model._meta.db_table)} WHERE {column} IN ({bench})", ["BENCH%"]
                )
        cursor.execute(f"DELETE FROM {table} WHERE number LIKE %s", ["BENCH%"])
        removed = cursor.rowcount
        Bundle.objects.filter(code__startswith="BENCH-B").delete()
        ServiceItem.objects.filter(code__startswith="BENCH-").delete()
        Department.objects.filter(code__startswith="BENCH-").delete()
        for level in ("community", "street", "district"):
            Region.objects.filter(code__startswith=BENCH_DISTRICT, level=level).delete()
        forget_counted_months("applications")
    return max(removed, 0)


# --- gridgov's figures, as the page reads them --------------------------------------------------


def gridgov_figures(year: int, now: datetime, kept_prefix: str | None = None) -> dict:
    """The page's tables of the whole district's ``year`` counted cold (as ``period_figures``
    reads a scope the kept months cannot answer, a department handler's)."""
    from gridgov.services import selectors

    figures = selectors.period_figures(date(year, 1, 1), date(year + 1, 1, 1), now=now, kept_prefix=kept_prefix)
    return {"applications": figures["figures"], "departments": figures["departments"], "points": figures["points"]}


def kept_figures(year: int, now: datetime) -> dict:
    """The page's figures as ``year_statistics`` reads them for a district-wide viewer: the
    finished months summed from their kept counts (``selectors.kept_period_figures``)."""
    return gridgov_figures(year, now, kept_prefix="")


def count_kept_months(year: int) -> float:
    """Drop the year's kept months and count them again (what the hourly task does once per
    month, or the first read); the seconds it took."""
    from gridgov.evaluation import services
    from gridgov.evaluation.periods import month

    services.forget_counted_months("applications")
    started = time.perf_counter()
    for number in range(1, 13):
        services.count_month(month(year, number), "applications")
    return time.perf_counter() - started


def comparable(figures: dict) -> dict:
    """The page's figures in plain values, to compare with DuckDB's."""
    totals = figures["applications"]
    keys = ("received", "decided", "on_time", "rated", "good", "bad", "bundles", "bundles_one_day")
    return {
        "totals": {key: int(totals[key]) for key in keys},
        "averages": {key: totals[key] for key in ("avg_used", "avg_promised", "avg_legal")},
        "by_month": [(f"{row['month']:%Y-%m}", int(row["count"])) for row in totals["by_month"]],
        "departments": sorted(
            (r["department__name"], r["rated"], r["good"], r["bad"], r["opened"], r["closed"], r["late"])
            for r in figures["departments"]
        ),
        "points": sorted(
            (r["service_point_code"], r["service_point__name"] or "", r["rated"], r["good"], r["bad"]) for r in figures["points"]
        ),
    }


# --- DuckDB -------------------------------------------------------------------------------------


def export_rows(directory: Path, year: int) -> None:
    """The columns the figures read, as CSV (times in UTC)."""
    from gridgov.accounts.models import Department
    from gridgov.grids.models import Region
    from gridgov.services.models import Application, Part, Rectification

    def write(name, header, rows):
        with open(directory / name, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)

    def utc(moment):
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if moment else None

    around = Application.objects.filter(
        received_at__gte=datetime(year - 1, 12, 30, tzinfo=UTC), received_at__lt=datetime(year + 1, 1, 2, tzinfo=UTC)
    )
    columns = ["id", "bundle_id", "received_at", "decided_at", "on_time", "used_working_seconds", "promised_days",
               "legal_days", "grade", "service_point_id", "service_point_code"]  # fmt: skip
    write(
        "applications.csv",
        columns,
        ((a, b, utc(r), utc(d), o, u, p, lg, g, sp, c) for a, b, r, d, o, u, p, lg, g, sp, c in
         around.values_list(*columns).iterator(chunk_size=CHUNK)),
    )  # fmt: skip
    write(
        "parts.csv",
        ["application_id", "department_id"],
        Part.objects.filter(application__in=around).values_list("application_id", "department_id").iterator(chunk_size=CHUNK),
    )
    write(
        "rectifications.csv",
        ["application_id", "department_id", "due_at", "closed_at"],
        ((a, d, utc(due), utc(c)) for a, d, due, c in
         Rectification.objects.filter(application__in=around).values_list("application_id", "department_id", "due_at", "closed_at")),
    )  # fmt: skip
    write("departments.csv", ["id", "name"], Department.objects.values_list("id", "name"))
    write("regions.csv", ["id", "name"], Region.objects.values_list("id", "name"))


def duckdb_connection(directory: Path):
    import duckdb

    connection = duckdb.connect()
    types = {
        "applications": "{'received_at': 'TIMESTAMP', 'decided_at': 'TIMESTAMP', 'on_time': 'BOOLEAN', 'service_point_code': 'VARCHAR'}",
        "parts": "{}",
        "rectifications": "{'due_at': 'TIMESTAMP', 'closed_at': 'TIMESTAMP'}",
        "departments": "{'name': 'VARCHAR'}",
        "regions": "{'name': 'VARCHAR'}",
    }
    for table, columns in types.items():
        connection.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv('{directory / (table + '.csv')}', header=true, types={columns})"
        )
    return connection


def duckdb_figures(connection, year: int, now: datetime, offset_hours: float, day_seconds: float) -> dict:
    """The same figures in DuckDB's SQL, written from the definitions in ``services/selectors.py``.
    Local dates are UTC + the zone's fixed offset (Asia/Shanghai keeps no daylight saving)."""
    local = f"(received_at + INTERVAL {int(offset_hours * 60)} MINUTE)"
    in_year = f"{local} >= DATE '{year}-01-01' AND {local} < DATE '{year + 1}-01-01'"
    now_utc = now.astimezone(UTC).replace(tzinfo=None)
    totals = connection.execute(
        f"""SELECT count(*), count(decided_at), count(*) FILTER (WHERE on_time), avg(used_working_seconds),
        avg(promised_days) FILTER (WHERE decided_at IS NOT NULL), avg(legal_days) FILTER (WHERE decided_at IS NOT NULL),
        count(grade), count(*) FILTER (WHERE grade IN (4, 5)), count(*) FILTER (WHERE grade IN (1, 2)),
        count(*) FILTER (WHERE bundle_id IS NOT NULL AND decided_at IS NOT NULL),
        count(*) FILTER (WHERE bundle_id IS NOT NULL AND used_working_seconds <= {day_seconds})
        FROM applications WHERE {in_year}"""
    ).fetchone()
    months = connection.execute(
        f"SELECT strftime(date_trunc('month', {local}), '%Y-%m') AS m, count(*) FROM applications WHERE {in_year} GROUP BY m ORDER BY m"
    ).fetchall()
    departments = connection.execute(
        f"""WITH rated AS (
            SELECT DISTINCT p.department_id, a.id, a.grade FROM parts p JOIN applications a ON a.id = p.application_id
            WHERE {in_year.replace("received_at", "a.received_at")} AND a.grade IS NOT NULL),
        r AS (SELECT department_id, count(*) AS rated, count(*) FILTER (WHERE grade IN (4, 5)) AS good,
              count(*) FILTER (WHERE grade IN (1, 2)) AS bad FROM rated GROUP BY department_id),
        t AS (SELECT x.department_id, count(*) AS opened, count(x.closed_at) AS closed,
              count(*) FILTER (WHERE x.closed_at IS NULL AND x.due_at < ?) AS late
              FROM rectifications x JOIN applications a ON a.id = x.application_id
              WHERE {in_year.replace("received_at", "a.received_at")} GROUP BY x.department_id)
        SELECT d.name, r.rated, r.good, r.bad, coalesce(t.opened, 0), coalesce(t.closed, 0), coalesce(t.late, 0)
        FROM r JOIN departments d ON d.id = r.department_id LEFT JOIN t ON t.department_id = r.department_id""",
        [now_utc],
    ).fetchall()
    points = connection.execute(
        f"""SELECT a.service_point_code, coalesce(g.name, ''), count(*), count(*) FILTER (WHERE grade IN (4, 5)),
        count(*) FILTER (WHERE grade IN (1, 2)) FROM applications a LEFT JOIN regions g ON g.id = a.service_point_id
        WHERE {in_year} AND grade IS NOT NULL GROUP BY a.service_point_code, g.name"""
    ).fetchall()
    keys = ("received", "decided", "on_time", "rated", "good", "bad", "bundles", "bundles_one_day")
    values = (totals[0], totals[1], totals[2], totals[6], totals[7], totals[8], totals[9], totals[10])
    return {
        "totals": dict(zip(keys, (int(v) for v in values), strict=True)),
        "averages": {"avg_used": totals[3], "avg_promised": totals[4], "avg_legal": totals[5]},
        "by_month": [(m, int(c)) for m, c in months],
        "departments": sorted(tuple(row) for row in departments),
        "points": sorted((c or "", n, int(r), int(g), int(b)) for c, n, r, g, b in points),
    }


def differences(ours: dict, theirs: dict) -> list[str]:
    found = [
        f"{key}: {ours[key]} != {theirs[key]}"
        for key in ("totals", "by_month", "departments", "points")
        if ours[key] != theirs[key]
    ]
    for key, value in ours["averages"].items():
        other = theirs["averages"][key]
        if (value is None) != (other is None) or (value is not None and not math.isclose(value, other, rel_tol=1e-9)):
            found.append(f"{key}: {value} != {other}")
    return found


# --- the command --------------------------------------------------------------------------------


def median_times(action, repeat: int):
    """Medians of the wall time and of this process's CPU time over ``repeat`` runs, and the last
    result. On a shared machine the wall time of each side depends on what else runs (DuckDB
    spreads over the cores, SQLite waits for one); the CPU time is the work itself, with SQLite and
    DuckDB both in this process (PostgreSQL's work is in its server: ``serial_server_cpu``)."""
    walls, cpus, result = [], [], None
    for _run in range(max(1, repeat)):
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def serial_server_cpu(action, repeat: int) -> float | None:
    """On PostgreSQL running on this machine, the median CPU time the server's backend spends on
    ``action`` with parallel workers turned off for the session (a worker is a process of its
    own, whose time the backend's does not include), read from ``/proc/<pid>/stat``; None on
    SQLite or when the server's process cannot be read (another machine, another user). The
    work done, comparable with SQLite's and DuckDB's CPU in this process."""
    import os

    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def backend_seconds() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    try:
        backend_seconds()
    except (OSError, ValueError, IndexError):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    try:
        action()  # one run first: the first of the runs above read the pages into the caches
        seconds = []
        for _run in range(max(1, repeat)):
            before = backend_seconds()
            action()
            seconds.append(backend_seconds() - before)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET max_parallel_workers_per_gather")
    return statistics.median(seconds)


class ServicesBenchmark:
    help = _("Time the services statistics for a year of applications beside DuckDB on the same rows.")

    @staticmethod
    def add_arguments(parser):
        parser.add_argument("--applications", type=int, default=1_000_000, help=_("applications in the year (default 1,000,000)"))
        parser.add_argument(
            "--year", type=int, default=2015, help=_("the year they fall in; it must hold no other (default 2015)")
        )
        parser.add_argument("--repeat", type=int, default=3, help=_("runs per path; medians are reported (default 3)"))
        parser.add_argument("--seed", type=int, default=1, help=_("random seed (default 1)"))
        keeping = parser.add_mutually_exclusive_group()
        keeping.add_argument(
            "--keep",
            action="store_true",
            help=_(
                "commit the rows and keep them, or reuse the rows an earlier --keep run of the same --year kept "
                "(on PostgreSQL the tables are vacuumed and analysed once written)"
            ),
        )
        keeping.add_argument("--drop", action="store_true", help=_("remove the rows a --keep run kept, and stop"))

    def run(self, options: dict, say) -> dict:
        from gridgov.services.models import Application

        for name in ("applications", "repeat"):
            if not 1 <= options[name] <= 10_000_000:
                raise CommandError(_("--%(name)s must be a positive number.") % {"name": name})
        year = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError(_("The year must be from 2000 to 2100."))
        kept = kept_year()
        if options["drop"]:
            removed = drop_rows()
            say(f"removed {removed:,} kept benchmark applications" + (f" of {kept}" if kept else ""))
            return {"removed": removed, "year": kept}
        try:
            import duckdb  # noqa: F401
        except ImportError as error:
            raise CommandError(_("DuckDB is not installed: pip install duckdb (it is in the test extra).")) from error
        if kept is None and leftovers():
            raise CommandError(_("This database holds a benchmark catalogue without its applications: run with --drop first."))
        if kept is not None and (not options["keep"] or kept != year):
            raise CommandError(
                _(
                    "This database keeps the benchmark's rows of %(year)d: run with --keep --year %(year)d to reuse "
                    "them, or with --drop to remove them."
                )
                % {"year": kept}
            )
        if kept is not None:
            written = kept_counts(year)
            if written["applications"] != options["applications"]:
                raise CommandError(
                    _(
                        "The kept rows of %(year)d hold %(count)d applications, not %(asked)d: run with "
                        "--applications %(count)d, or with --drop to remove them first."
                    )
                    % {"year": year, "count": written["applications"], "asked": options["applications"]}
                )
            if Application.objects.filter(received_between_year(year)).count() != written["applications"]:
                raise CommandError(_("%(year)d already holds applications: choose another --year.") % {"year": year})
            say(f"reusing the kept {written['applications']:,} applications of {year}")
            return self._measure(options, written, say)
        if Application.objects.filter(received_at__year=year).exists():
            raise CommandError(_("%(year)d already holds applications: choose another --year.") % {"year": year})
        if options["keep"]:
            written = self._write(options, say)
            settle()
            say(f"kept the rows of {year}: later runs with --keep --year {year} reuse them, --drop removes them")
            return self._measure(options, written, say)
        figures: dict = {}
        try:
            with transaction.atomic():
                figures = self._measure(options, self._write(options, say, analyse=True), say)
                raise _RolledBack
        except _RolledBack:
            pass
        return figures

    @staticmethod
    def _write(options: dict, say, analyse: bool = False) -> dict:
        from django.db import connection

        started = time.perf_counter()
        with transaction.atomic():  # all or nothing: an interrupted --keep run leaves no half year
            written = generate(options["applications"], options["year"], options["seed"])
        say(
            f"wrote {written['applications']:,} applications, {written['parts']:,} parts and {written['rectifications']:,} rectification tasks in {time.perf_counter() - started:.1f} s"
        )
        if analyse and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(_big_tables())}")
        return written

    @staticmethod
    def _measure(options: dict, written: dict, say) -> dict:
        from django.db import connection

        from gridgov.services import clock

        year, repeat = options["year"], options["repeat"]
        now = timezone.now()
        ours_seconds, ours_cpu, ours = median_times(lambda: gridgov_figures(year, now), repeat)
        say(
            f"gridgov (SQL on {connection.vendor}): {ours_seconds * 1000:.0f} ms for the page's figures "
            f"(CPU in this process {ours_cpu * 1000:.0f} ms), median of {repeat}"
        )
        server_cpu = serial_server_cpu(lambda: gridgov_figures(year, now), repeat)
        if server_cpu is not None:
            ours_cpu += server_cpu
            say(
                f"PostgreSQL server CPU for the same, without parallel workers: {server_cpu * 1000:.0f} ms, median of {repeat} "
                f"(CPU of server and this process together {ours_cpu * 1000:.0f} ms)"
            )
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            export_rows(Path(directory), year)
            duck = duckdb_connection(Path(directory))
            load_seconds = time.perf_counter() - started
            utc_offset = timezone.get_current_timezone().utcoffset(datetime(year, 7, 1))
            assert utc_offset is not None  # a zoneinfo zone (settings.TIME_ZONE) always has an offset
            offset = utc_offset.total_seconds() / 3600
            duck_seconds, duck_cpu, theirs = median_times(
                lambda: duckdb_figures(duck, year, now, offset, clock.day_seconds()), repeat
            )
            duck.close()
        ratio = ours_seconds / duck_seconds if duck_seconds else float("inf")
        found = differences(comparable(ours), theirs)
        count_seconds = count_kept_months(year)
        say(f"counting the year's twelve finished months once into kept rows: {count_seconds:.1f} s (not counted below)")
        kept_seconds, kept_cpu, kept = median_times(lambda: kept_figures(year, now), repeat)
        kept_server_cpu = serial_server_cpu(lambda: kept_figures(year, now), repeat)
        if kept_server_cpu is not None:
            kept_cpu += kept_server_cpu
        kept_found = differences(comparable(kept), theirs)
        say(
            f"DuckDB: {duck_seconds * 1000:.0f} ms for the same (CPU {duck_cpu * 1000:.0f} ms; export and load "
            f"{load_seconds:.1f} s once, not counted)"
        )
        say(f"ratio gridgov / DuckDB: {ratio:.2f}x")
        if connection.vendor == "sqlite" or server_cpu is not None:
            say(f"CPU ratio gridgov / DuckDB: {ours_cpu / duck_cpu if duck_cpu else float('inf'):.2f}x")
        say("figures: all equal" if not found else f"figures: {len(found)} differ, e.g. {found[:3]}")
        kept_ratio = kept_seconds / duck_seconds if duck_seconds else float("inf")
        say(
            f"gridgov with the finished months kept (the page as it reads them): {kept_seconds * 1000:.0f} ms "
            f"(CPU {kept_cpu * 1000:.0f} ms"
            + ("" if kept_server_cpu is None else f", of which the PostgreSQL server {kept_server_cpu * 1000:.0f} ms")
            + f"), median of {repeat}; ratio to DuckDB {kept_ratio:.2f}x, CPU ratio "
            f"{kept_cpu / duck_cpu if duck_cpu else float('inf'):.2f}x"
        )
        say("kept figures: all equal" if not kept_found else f"kept figures: {len(kept_found)} differ, e.g. {kept_found[:3]}")
        return {
            **written,
            "year": year,
            "gridgov_seconds": round(ours_seconds, 4),
            "duckdb_seconds": round(duck_seconds, 4),
            "ratio": round(ratio, 2),
            "gridgov_cpu_seconds": round(ours_cpu, 4),
            "server_cpu_seconds": None if server_cpu is None else round(server_cpu, 4),
            "duckdb_cpu_seconds": round(duck_cpu, 4),
            "equal": not found,
            "differences": found[:10],
            "count_kept_seconds": round(count_seconds, 4),
            "kept_seconds": round(kept_seconds, 4),
            "kept_cpu_seconds": round(kept_cpu, 4),
            "kept_ratio": round(kept_ratio, 2),
            "kept_equal": not kept_found,
            "kept_differences": kept_found[:10],
            "vendor": connection.vendor,
        }
