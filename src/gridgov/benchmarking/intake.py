"""``gridgov bench intake``: cases per second through the Open311 POST path, and how request
latency grows with the size of the case table.

The benchmark builds its own database in a temporary data directory (the demo district's grids,
the seeded category catalogue, an API key), starts the production server (``gridgov serve``)
on a free port, and drives it from client processes over keep-alive HTTP connections:

1. throughput, with ``--clients`` processes for ``--seconds`` each, of ``GET /healthz`` (no
   database: the ceiling of the whole stack), of ``POST /bench/write`` (the same form body,
   one committed row and nothing else: the floor of any durable intake, on only in the
   benchmark's server) and of ``POST /open311/v2/requests.json``;
2. reads (issue 9), with the same clients: ``GET requests/{id}.json`` (500 different requests)
   and the default listing ``GET requests.json`` (1,000 requests), each as a share of the trivial
   ``GET discovery.json``'s rate in the same run;
3. latency (p50 / p99, one client, ``--samples`` requests each) of intake and of the GET
   requests a client makes (one request, and a page of one service's requests), once with the
   case table filled to each of ``--sizes`` (default 10,000 and 1,000,000).

``--parts`` picks among these (and ``locking``, ``photos``: writers at once, see contention.py).
Targets from the issues: intake ≥ 50 % of the trivial endpoint's throughput, latency at the
largest size within 1.3× of that at the smallest, one request ≥ 50 % and the default listing
≥ 5 % of discovery's rate. The filler writes cases straight into the
table (they carry no steps), which is what GET requests read; intake writes through the services.
"""

import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from http.client import HTTPConnection
from pathlib import Path

from django.core.management.base import CommandError

CHILD = "from gridgov.benchmarking.intake import child_main; child_main()"


class BenchError(CommandError):
    """A run that cannot go on; the command prints the message, not a traceback."""


# intake: POST throughput against /healthz and one committed row; reads: the Open311 GETs against
# discovery.json; latency: one client at each --sizes.
# locking, photos: writers at once, the code before issue 9 against today's (contention.py).
PARTS = ("intake", "reads", "latency", "locking", "photos")
DEFAULT_PARTS = ("intake", "reads", "latency")
# Issue 9's targets, as shares of discovery.json's rate in the same run.
READ_TARGETS = {"get_one": 0.50, "list_default": 0.05}


# --- the parent: orchestration ----------------------------------------------------------------


class IntakeBenchmark:
    help = "Time Open311 intake against the stack's ceiling, and latency as the case table grows."

    @staticmethod
    def add_arguments(parser):
        parser.add_argument("--clients", type=int, default=4, help="client processes for the throughput runs (default 4)")
        parser.add_argument("--seconds", type=float, default=8.0, help="length of each throughput run (default 8)")
        parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per server worker (default 4)")
        parser.add_argument("--samples", type=int, default=300, help="requests per latency figure (default 300)")
        parser.add_argument("--sizes", default="10000,1000000", help="case-table sizes for the latency runs, comma-separated")
        parser.add_argument(
            "--postgres",
            metavar="URL",
            help="run on PostgreSQL instead of SQLite: the server of this URL (postgres://...) gets a throw-away database",
        )
        parser.add_argument("--keep", action="store_true", help="keep the temporary data directory (and database)")
        parser.add_argument("--writers", type=int, default=8, help="processes acting at once in the locking part (default 8)")
        parser.add_argument(
            "--photo-writers", type=int, default=4, help="processes reporting with photos at once in the photos part (default 4)"
        )
        parser.add_argument(
            "--photo-seconds",
            type=float,
            default=30.0,
            help="length of each run of the photos part (default 30: a report takes seconds)",
        )
        parser.add_argument(
            "--parts",
            default=",".join(DEFAULT_PARTS),
            help=f"what to run, comma-separated, of {', '.join(PARTS)} (default {','.join(DEFAULT_PARTS)})",
        )

    def run(self, options: dict, say: Callable[[str], None]) -> dict:
        sizes = sorted(int(size) for size in options["sizes"].split(","))
        parts = {part.strip() for part in options.get("parts", ",".join(DEFAULT_PARTS)).split(",") if part.strip()}
        if unknown := parts - set(PARTS):
            raise BenchError(f"--parts: {', '.join(sorted(unknown))} is not one of {', '.join(PARTS)}")
        data_dir = Path(tempfile.mkdtemp(prefix="gridgov-bench-intake-"))
        database = ThrowAwayDatabase(options["postgres"], data_dir.name) if options.get("postgres") else None
        env = _child_env(data_dir, database.url if database else None)
        figures: dict = {"sizes": sizes, "database": "postgresql" if database else "sqlite"}
        where = f"database {database.name} on {database.server}" if database else "SQLite"
        say(f"gridgov bench intake: data in {data_dir} ({where}), {options['workers']} workers × {options['threads']} threads")
        started = time.perf_counter()
        setup = _child(env, "setup")
        say(f"  set-up (migrate, demo grids, catalogue, API key): {time.perf_counter() - started:.1f} s")
        port = _free_port()
        server = _start_server(env, port, options["workers"], options["threads"])
        try:
            base = f"127.0.0.1:{port}"
            _wait_until_up(base)
            filled = _child(env, "fill", str(sizes[0]))
            setup["sample_ids"] = filled["sample_ids"]
            say(f"  filled the case table to {sizes[0]:,} in {filled['seconds']:.1f} s")
            if "intake" in parts:
                figures["throughput"] = _throughput(base, setup, options, say, server.pid)
                figures["throughput"]["submissions"] = _child(env, "submissions")
                _check_every_request_became_a_case(figures["throughput"])
            if "reads" in parts:
                figures["reads"] = _reads(base, setup, options, say, server.pid)
            figures["latency"] = {}
            for size in sizes if "latency" in parts else []:
                if size != sizes[0]:
                    filled = _child(env, "fill", str(size))
                    setup["sample_ids"] = filled["sample_ids"]
                    say(f"  filled the case table to {size:,} in {filled['seconds']:.1f} s")
                figures["latency"][size] = _latencies(base, setup, options["samples"], say, size)
            _say_latency_ratios(figures["latency"], sizes, say)
            _contention(parts, env, options, figures, say, on_postgres=database is not None)
        finally:
            server.terminate()
            server.wait(timeout=30)
            if not options["keep"]:
                _remove_tree(data_dir)
                if database:
                    database.drop()
        return figures


def _throughput(base: str, setup: dict, options: dict, say, server_pid: int) -> dict:
    clients, seconds = options["clients"], options["seconds"]
    trivial = _measured_run(base, "healthz", setup, clients, seconds, server_pid)
    write = _measured_run(base, "write", setup, clients, seconds, server_pid)
    intake = _measured_run(base, "intake", setup, clients, seconds, server_pid)
    ratio = _ratio(intake, trivial)
    say(f"  throughput with {clients} clients for {seconds:g} s each (server CPU per request in brackets):")
    say(
        f"    GET /healthz (no database):          {trivial['per_second']:8.1f} req/s   [{_ms(trivial['server_cpu_ms'])}] ({trivial['errors']} errors)"
    )
    say(
        f"    POST /bench/write (one committed row): {write['per_second']:6.1f} req/s   [{_ms(write['server_cpu_ms'])}] ({write['errors']} errors)"
    )
    say(
        f"    POST /open311/v2/requests.json:       {intake['per_second']:8.1f} cases/s [{_ms(intake['server_cpu_ms'])}] "
        f"({intake['errors']} errors; {intake['requests']:,} cases, the last created {intake['tail_s'] * 1000:.0f} ms after the run)"
    )
    verdict = "meets" if ratio >= 0.5 else "misses"
    say(f"    intake / trivial: {ratio:.1%} ({verdict} the target of ≥ 50 %)")
    say(f"    one committed row / trivial: {_ratio(write, trivial):.1%} (the most any durable intake could reach here)")
    say(f"    intake / one committed row: {_ratio(intake, write):.1%}")
    return {
        "trivial_per_s": trivial["per_second"], "write_per_s": write["per_second"], "intake_per_s": intake["per_second"],
        "ratio": ratio, "write_ratio": _ratio(write, trivial), "intake_to_write_ratio": _ratio(intake, write),
        "intake_tail_s": intake["tail_s"], "cases": intake["requests"] - intake["errors"],
        "trivial_server_cpu_ms": trivial["server_cpu_ms"], "write_server_cpu_ms": write["server_cpu_ms"],
        "intake_server_cpu_ms": intake["server_cpu_ms"],
    }  # fmt: skip


def _contention(parts: set[str], env: dict, options: dict, figures: dict, say, *, on_postgres: bool) -> None:
    from . import contention

    if parts & {"locking", "photos"} and not on_postgres:
        say("  (locking and photos are meant for PostgreSQL, --postgres URL: SQLite runs one write transaction at a time)")
    try:
        if "locking" in parts:
            figures["locking"] = contention.run_locking(env, options["writers"], options["seconds"], say)
        if "photos" in parts:
            figures["photos"] = contention.run_photos(env, options["photo_writers"], options["photo_seconds"], say)
    except RuntimeError as error:
        raise BenchError(str(error)) from error


def _reads(base: str, setup: dict, options: dict, say, server_pid: int) -> dict:
    """Issue 9: the Open311 GETs a client makes, as shares of the trivial discovery.json's rate."""
    clients, seconds = options["clients"], options["seconds"]
    names = {
        "discovery": "GET discovery.json (trivial)",
        "get_one": "GET requests/{id}.json",
        "list_default": "GET requests.json (default: 1,000)",
    }
    host, port = base.split(":")
    status, body = _exchange(HTTPConnection(host, int(port), timeout=30), "list_default", setup, 0)
    listed = len(json.loads(body)) if status == 200 else 0
    if listed != 1000:
        raise BenchError(f"the default listing answered {status} with {listed} requests, not 1,000 (fill more cases)")
    runs = {kind: _measured_run(base, kind, setup, clients, seconds, server_pid) for kind in names}
    say(f"  Open311 reads with {clients} clients for {seconds:g} s each (server CPU per request in brackets):")
    result = {}
    for kind, name in names.items():
        run = runs[kind]
        ratio = _ratio(run, runs["discovery"])
        line = f"    {name:<36} {run['per_second']:8.1f} req/s [{_ms(run['server_cpu_ms'])}] ({run['errors']} errors)"
        if kind in READ_TARGETS:
            verdict = "meets" if ratio >= READ_TARGETS[kind] else "misses"
            line += f"  {ratio:6.1%} of discovery ({verdict} ≥ {READ_TARGETS[kind]:.0%})"
        say(line)
        result[kind] = {"per_second": run["per_second"], "server_cpu_ms": run["server_cpu_ms"], "ratio": ratio}
    return result


def _ratio(run: dict, base: dict) -> float:
    return run["per_second"] / base["per_second"] if base["per_second"] else 0.0


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} ms"


def _measured_run(base: str, kind: str, setup: dict, clients: int, seconds: float, server_pid: int) -> dict:
    """A throughput run, with the CPU time the server's processes spent per request in it (the
    cost of a request whatever the client count; the throughput ratio also depends on latency)."""
    cpu_before = server_cpu_seconds(server_pid)
    result = _run_clients(base, kind, setup, clients, seconds)
    cpu_after = server_cpu_seconds(server_pid)
    served = result["requests"] - result["errors"]
    if cpu_before is not None and cpu_after is not None and served:
        result["server_cpu_ms"] = (cpu_after - cpu_before) * 1000 / served
    else:
        result["server_cpu_ms"] = None
    return result


def server_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process and its children (gunicorn's workers), from /proc; None
    where there is no /proc."""
    try:
        total = 0.0
        for process in [pid, *_children(pid)]:
            fields = Path(f"/proc/{process}/stat").read_text().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        return total
    except (OSError, ValueError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def _check_every_request_became_a_case(throughput: dict) -> None:
    states = throughput["submissions"]
    if states.get("queued") or states.get("refused") or states.get("created", 0) < throughput["cases"]:
        raise BenchError(f"not every accepted request became a case: {states} for {throughput['cases']} accepted")


def _latencies(base: str, setup: dict, samples: int, say, size: int) -> dict:
    result = _client_latency(base, setup, samples)
    say(f"  latency with {size:,} cases (one client, {samples} requests each), p50 / p99 in ms:")
    for name, values in result.items():
        say(f"    {name:<38} {values['p50_ms']:7.1f} / {values['p99_ms']:7.1f}")
    return result


def _say_latency_ratios(latency: dict, sizes: list[int], say) -> None:
    if len(sizes) < 2:
        return
    small, large = latency[sizes[0]], latency[sizes[-1]]
    say(f"  latency at {sizes[-1]:,} / at {sizes[0]:,} (p50; target ≤ 1.3×):")
    for name in small:
        ratio = large[name]["p50_ms"] / small[name]["p50_ms"] if small[name]["p50_ms"] else 0.0
        verdict = "meets" if ratio <= 1.3 else "misses"
        say(f"    {name:<38} {ratio:5.2f}× ({verdict})")
        large[name]["ratio_to_smallest"] = ratio


# --- client processes ---------------------------------------------------------------------------


def _intake_body(setup: dict, n: int) -> str:
    rng = random.Random(n)
    lat, lng = rng.choice(setup["points"])
    return urllib.parse.urlencode(
        {
            "api_key": setup["api_key"],
            "service_code": rng.choice(setup["service_codes"]),
            "lat": f"{lat:.6f}",
            "long": f"{lng:.6f}",
            "description": f"benchmark report {n}: rubbish by the road",
        }
    )


def _request(connection: HTTPConnection, kind: str, setup: dict, n: int) -> int:
    status, _ = _exchange(connection, kind, setup, n)
    return status


def _exchange(connection: HTTPConnection, kind: str, setup: dict, n: int) -> tuple[int, bytes]:
    if kind == "healthz":
        connection.request("GET", "/healthz")
    elif kind == "intake":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/open311/v2/requests.json", body=_intake_body(setup, n), headers=headers)
    elif kind == "write":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/bench/write", body=_intake_body(setup, n), headers=headers)
    elif kind == "intake_to_case":
        status, body = _exchange(connection, "intake", setup, n)
        if status != 201:
            return status, body
        connection.request("GET", f"/open311/v2/tokens/{json.loads(body)[0]['token']}.json")
    elif kind == "get_one":
        connection.request("GET", f"/open311/v2/requests/{setup['sample_ids'][n % len(setup['sample_ids'])]}.json")
    elif kind == "discovery":
        connection.request("GET", "/open311/v2/discovery.json")
    elif kind == "list_default":
        connection.request("GET", "/open311/v2/requests.json")
    elif kind == "get_page":
        code = setup["service_codes"][n % len(setup["service_codes"])]
        connection.request("GET", f"/open311/v2/requests.json?service_code={code}&page_size=50")
    response = connection.getresponse()
    return response.status, response.read()


def _client_loop(args) -> tuple[int, int, str]:
    """One client: requests back to back for ``seconds``; returns how many, how many failed and,
    for intake, the token of its last request."""
    base, kind, setup, seconds, client = args
    host, port = base.split(":")
    connection = HTTPConnection(host, int(port), timeout=30)
    done = errors = 0
    last_token = ""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        status, body = _exchange(connection, kind, setup, client * 10_000_000 + done)
        done += 1
        errors += status >= 400
        if kind == "intake" and status == 201:
            last_token = json.loads(body)[0]["token"]
    connection.close()
    return done, errors, last_token


def _run_clients(base: str, kind: str, setup: dict, clients: int, seconds: float) -> dict:
    """Requests per second over the run; for intake, over the run and the time until the case of
    each client's last request exists (the queue's tail), so that a queue left to grow does not
    count as throughput."""
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        started = time.perf_counter()
        results = pool.map(_client_loop, [(base, kind, setup, seconds, c) for c in range(clients)])
        run_seconds = max(time.perf_counter() - started, seconds)
        tail_started = time.perf_counter()
        for _, _, token in results:
            if token:
                _wait_for_case(base, token)
        tail = time.perf_counter() - tail_started if kind == "intake" else 0.0
    done = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    return {"requests": done, "errors": errors, "per_second": (done - errors) / (run_seconds + tail), "tail_s": tail}


def _wait_for_case(base: str, token: str) -> None:
    """GET tokens/{token} answers once the request is a case (taking it in itself if need be)."""
    host, port = base.split(":")
    connection = HTTPConnection(host, int(port), timeout=60)
    for _ in range(600):
        connection.request("GET", f"/open311/v2/tokens/{token}.json")
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise BenchError(f"tokens/{token} answered {response.status}: {body[:300]!r}")
        if "service_request_id" in json.loads(body)[0]:
            connection.close()
            return
        time.sleep(0.05)
    raise BenchError(f"the request of token {token} did not become a case within 30 s")


def _client_latency(base: str, setup: dict, samples: int) -> dict:
    host, port = base.split(":")
    connection = HTTPConnection(host, int(port), timeout=30)
    names = {
        "intake": "POST requests.json (intake)",
        "intake_to_case": "POST, then GET tokens/{token}",
        "get_one": "GET requests/{id}.json",
        "get_page": "GET requests.json?service_code=…",
    }
    result = {}
    for kind, name in names.items():
        times = []
        for n in range(samples):
            started = time.perf_counter()
            status = _request(connection, kind, setup, 900_000_000 + n)
            times.append((time.perf_counter() - started) * 1000)
            if status >= 400:
                raise BenchError(f"{name} answered {status} (request {n})")
        times.sort()
        result[name] = {"p50_ms": statistics.median(times), "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))]}
    connection.close()
    return result


# --- the server and the child process that prepares the database --------------------------------


def _child_env(data_dir: Path, database_url: str | None) -> dict:
    """The benchmark's own settings: never the caller's DATABASE_URL (it would fill a real database)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GRIDGOV_PROFILE")}
    env.update(
        {
            "GRIDGOV_DATA_DIR": str(data_dir),
            "DJANGO_SETTINGS_MODULE": "gridgov.settings",
            "GRIDGOV_INTAKE_RATE": "1000000000/h",
            "GRIDGOV_API_KEY_RATE": "",
            "GRIDGOV_BENCH_ENDPOINTS": "1",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


class ThrowAwayDatabase:
    """A database created for one run on the PostgreSQL server of ``server_url``, dropped after."""

    def __init__(self, server_url: str, suffix: str):
        import psycopg

        parts = urllib.parse.urlsplit(server_url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise BenchError(f"--postgres {server_url!r}: expected a postgres://user@host:port/ URL")
        self.server = parts.netloc.rpartition("@")[2] or "localhost"
        self.name = suffix.replace("-", "_").lower()
        self._admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))
        try:
            with psycopg.connect(self._admin_url, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{self.name}"')
        except psycopg.Error as error:
            raise BenchError(f"cannot create a database on {self.server}: {error}") from error

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self._admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _child(env: dict, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"benchmark set-up step {args[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _start_server(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "gridgov", "serve", "--host", "127.0.0.1", "--port", str(port)]
    # No task worker: its polling would be measured with the intake, and no task is due.
    command += ["--workers", str(workers), "--threads", str(threads), "--no-access-log", "--no-task-worker"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_until_up(base: str, timeout: float = 60) -> None:
    host, port = base.split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = HTTPConnection(host, int(port), timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise BenchError(f"the server on {base} did not come up within {timeout:.0f} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def child_main() -> None:
    """Runs inside the benchmark's own data directory (see ``_child``); prints one JSON line."""
    import django

    django.setup()
    step, *args = sys.argv[1:]
    if step == "setup":
        print(json.dumps(_setup_database()))
    elif step == "submissions":
        from django.db.models import Count

        from gridgov.open311.models import Submission

        print(json.dumps(dict(Submission.objects.values_list("state").annotate(n=Count("id")).order_by())))
    elif step == "fill":
        started = time.perf_counter()
        fillers = fill_cases(int(args[0]))
        seconds = time.perf_counter() - started
        print(json.dumps({"seconds": seconds, "sample_ids": sample_numbers(fillers)}))


def _setup_database() -> dict:
    from django.core.management import call_command

    from gridgov.cases.models import Category
    from gridgov.demo.build import build_demo_district
    from gridgov.grids.models import Region
    from gridgov.open311.selectors import service_code
    from gridgov.open311.services import create_api_key

    call_command("migrate", verbosity=0)
    build_demo_district(cases=False)
    _, key = create_api_key("bench")
    grids = Region.objects.filter(level="grid").order_by("code").values_list("label_lat", "label_lng")
    categories = list(Category.objects.filter(is_active=True))
    return {
        "api_key": key,
        "points": list(grids[::7]),  # label points lie inside their grid
        "service_codes": [service_code(c) for c in categories[:20]],
    }


def sample_numbers(size: int, count: int = 500, seed: int = 7) -> list[str]:
    """Request ids spread over the whole filled table, for the GET-one latency."""
    rng = random.Random(seed)
    return [filler_number(rng.randrange(size)) for _ in range(count)]


def filler_number(n: int) -> str:
    """Fourteen digits like real numbers, but starting 19: never a day the services number."""
    return f"19{n:012d}"


def fill_cases(target: int, seed: int = 1, batch: int = 20_000) -> int:
    """Top the case table up to ``target`` rows with plausible cases spread over a year.

    Returns how many filler cases there are; they are numbered ``filler_number(0 … n-1)``."""
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from gridgov.bulk import column_name
    from gridgov.cases.models import Case, Category, State
    from gridgov.grids.models import Region

    have = Case.objects.count()
    fillers = Case.objects.filter(number__startswith="19").count()
    grids = list(Region.objects.filter(level="grid").values_list("id", "code", "label_lat", "label_lng"))
    categories = list(Category.objects.values_list("id", flat=True))
    states = [State.CLOSED] * 6 + [State.RATED] * 6 + [State.DISPATCHED, State.HANDLING, State.FILED, State.REPORTED]
    rng = random.Random(seed + fillers)
    now = timezone.now()
    # Every column, so a field added to cases later gets its default instead of a NOT NULL error.
    fields = [field for field in Case._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Case._meta.db_table)} ({', '.join(quote(column_name(f)) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    wanted = fillers + max(0, target - have)
    for start in range(fillers, wanted, batch):
        rows = []
        for n in range(start, min(wanted, start + batch)):
            grid_id, grid_code, lat, lng = rng.choice(grids)
            created = now - dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
            values = {
                "number": filler_number(n), "category": rng.choice(categories), "source": "patrol", "state": rng.choice(states),
                "version": 1, "description": "benchmark filler case", "address": "", "lat": lat, "lng": lng,
                "grid": grid_id, "grid_code": grid_code, "reporter_name": "", "reporter_phone": "", "reporter_email": "",
                "reporter_phone_index": "", "external_id": "", "escalation_level": "grid", "solved_level": "", "supervised": False,
                "rework_count": 0, "return_count": 0, "reopen_count": 0, "rating": "",
                "created_at": created, "updated_at": created, "deadline": created + dt.timedelta(days=1),
            }  # fmt: skip
            rows.append([f.get_db_prep_save(values[f.name] if f.name in values else f.get_default(), connection) for f in fields])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    return wanted
