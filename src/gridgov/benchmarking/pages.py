"""``gridgov bench pages``: page weight and time to interactive of the pages people wait on.

Two pages, each loaded ``--runs`` times with a cold cache in Chromium (Playwright, driving the
browser the browser tests use) from the production server (``gridgov serve``: gunicorn, static
files compressed by WhiteNoise) on a database of its own:

- the resident's report page (``/report/``) on a phone (390 × 844) over a simulated slow 3G
  connection with the CPU slowed 4× (Chrome DevTools Protocol:
  ``Network.emulateNetworkConditions`` and ``Emulation.setCPUThrottlingRate``); target: interactive
  within 3 s;
- the staff inbox (``/cases/inbox/``) of a district-wide shift lead with ``--open-cases`` open
  cases (default 1,000) waiting, on a desktop (1280 × 800, no throttling); target: within 2 s.

"Slow 3G" is WebPageTest's "3G Slow" profile: 400 ms round trip, 400 kbit/s each way (Chrome
DevTools' own "Slow 3G" preset adds 2 s to every request, so that no page with a stylesheet of
its own could be interactive within 3 s; ``--network devtools-slow-3g`` measures it anyway).

Figures, the median of the runs:
- weight: the bytes transferred for the page and everything it loads (``encodedDataLength`` of
  every response: compressed bodies and headers, as the network carries them), in KB;
- time to interactive, after Lighthouse's definition, simplified: from the start of navigation to
  the later of DOMContentLoaded's end and the end of the last long task (> 50 ms on the main
  thread), once the network has been quiet (no request in flight) for ``QUIET_SECONDS``;
- beside it, for the report page, DOMContentLoaded (its form works from then: the map is loaded
  after it) and when the map and its outlines are drawn (report.js's ``gridgov:map-drawn`` mark).
  Time to interactive still counts the map's long tasks.

The figure lines stay in English, like the other benchmarks'.
"""

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .intake import BenchError, _child_env, _free_port, _remove_tree, _start_server, _wait_until_up

CHILD = "from gridgov.benchmarking.pages import child_main; child_main()"
PASSWORD = "bench-pages-only-password"
CHROMIUM = Path("/usr/bin/chromium")
# Network profiles (bytes per second, milliseconds); "slow-3g" is WebPageTest's "3G Slow".
NETWORKS = {
    "slow-3g": {"download": 400_000 / 8, "upload": 400_000 / 8, "latency": 400},
    "devtools-slow-3g": {"download": 500_000 / 8 * 0.8, "upload": 500_000 / 8 * 0.8, "latency": 2000},
}
CPU_SLOWDOWN = 4
# How long the network and main thread must stay quiet before the page counts as settled: long
# enough to see a script that runs after the last response (Leaflet drawing the map), short
# enough to keep a run of five loads under a minute on slow 3G.
QUIET_SECONDS = 1.0
TARGETS = {"report": 3.0, "inbox": 2.0}

# Recorded in the page before any of its scripts: the long tasks the main thread runs.
LONG_TASKS = """
window.__longTaskEnds = [];
try {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__longTaskEnds.push(entry.startTime + entry.duration);
  }).observe({ type: "longtask", buffered: true });
} catch (error) { /* no long-task timing: DOMContentLoaded alone */ }
"""
READ_TIMES = """
() => {
  const [navigation] = performance.getEntriesByType("navigation");
  const ends = window.__longTaskEnds || [];
  return {
    dcl: navigation.domContentLoadedEventEnd,
    load: navigation.loadEventEnd,
    lastLongTask: ends.length ? Math.max(...ends) : 0,
    mapDrawn: (performance.getEntriesByName("gridgov:map-drawn")[0] || {}).startTime || null,
  };
}
"""


class PagesBenchmark:
    help = "Page weight and time to interactive: the report page on slow 3G with 4x CPU slowdown, the inbox on a desktop."

    @staticmethod
    def add_arguments(parser):
        parser.add_argument(
            "--runs", type=int, default=5, help="cold-cache loads of each page; the median is reported (default 5)"
        )
        parser.add_argument("--open-cases", type=int, default=1000, help="open cases waiting in the inbox (default 1000)")
        parser.add_argument("--network", choices=sorted(NETWORKS), default="slow-3g", help="the phone's network profile")
        parser.add_argument(
            "--tiny", action="store_true", help="one grid instead of the demo district's 1,360 (a quick check that it runs)"
        )
        parser.add_argument("--keep", action="store_true", help="keep the temporary data directory (and database)")

    def run(self, options: dict, say: Callable[[str], None]) -> dict:
        if not CHROMIUM.exists():
            raise BenchError(f"{CHROMIUM} is missing: install Debian's chromium package to run this benchmark")
        data_dir = Path(tempfile.mkdtemp(prefix="gridgov-bench-pages-"))
        env = _child_env(data_dir, None)
        runs = max(1, options["runs"])
        say(f"gridgov bench pages: data in {data_dir} (SQLite), {runs} cold-cache loads of each page")
        server = None
        try:  # the data directory goes, whatever fails
            started = time.perf_counter()
            setup = _child(env, "setup", str(options["open_cases"]), "tiny" if options["tiny"] else "demo")
            seconds = time.perf_counter() - started
            say(f"  set-up ({setup['grids']} grids, {setup['open_cases']} open cases in the inbox): {seconds:.1f} s")
            port = _free_port()
            server = _start_server(env, port, workers=2, threads=4)
            base = f"127.0.0.1:{port}"
            _wait_until_up(base)
            figures = _measure(f"http://{base}", setup, runs, NETWORKS[options["network"]], say)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            if not options["keep"]:
                _remove_tree(data_dir)
        figures.update(network=options["network"], cpu_slowdown=CPU_SLOWDOWN, runs=runs, open_cases=setup["open_cases"])
        return figures


def _measure(url: str, setup: dict, runs: int, network: dict, say) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox", "--disable-gpu"]
        )
        try:
            report = [_load(browser, f"{url}/report/", phone=True, network=network, ready="#report-submit") for _ in range(runs)]
            inbox = [
                _load(browser, f"{url}/cases/inbox/", phone=False, login=(url, setup["username"]), ready="#case-table")
                for _ in range(runs)
            ]
        finally:
            browser.close()
    figures = {"report": _summary(report), "inbox": _summary(inbox)}
    for name, label in (("report", "report page, phone on slow 3G, CPU 4x slower"), ("inbox", "staff inbox, desktop")):
        figure = figures[name]
        verdict = "meets" if figure["tti_s"] <= TARGETS[name] else "misses"
        say(
            f"  {label}: {figure['kb']:.1f} KB in {figure['requests']} requests, interactive in {figure['tti_s']:.2f} s "
            f"(median of {runs}; runs {', '.join(f'{s:.2f}' for s in figure['tti_runs_s'])} s) — {verdict} the {TARGETS[name]:g} s target"
        )
        if figure["map_drawn_s"] is not None:  # the report page's form works before its map is drawn
            say(
                f"    of which: DOMContentLoaded (the form works) {figure['dcl_s']:.2f} s, map and outlines drawn {figure['map_drawn_s']:.2f} s"
            )
    return figures


def _load(browser, url: str, *, phone: bool, ready: str, network: dict | None = None, login: tuple | None = None) -> dict:
    """One cold-cache load: a fresh context (no cache, no service worker yet), the throttling on
    for the page load only (signing in is not measured)."""
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        if login is not None:
            _sign_in(page, *login)
            page.goto("about:blank")  # what the landing page still loads is not the inbox's
        page.add_init_script(LONG_TASKS)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        if network is not None:
            cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": network["latency"],
                     "downloadThroughput": network["download"], "uploadThroughput": network["upload"]})  # fmt: skip
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        transferred: dict[str, float] = {}
        in_flight: set[str] = set()
        urls: dict[str, str] = {}

        def sent(event: dict) -> None:
            in_flight.add(event["requestId"])
            urls[event["requestId"]] = event["request"]["url"].split("?")[0].rsplit("/", 1)[-1] or "(page)"

        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.loadingFinished", lambda event: _finished(event, transferred, in_flight))
        cdp.on("Network.loadingFailed", lambda event: in_flight.discard(event["requestId"]))
        page.goto(url, wait_until="load")
        page.wait_for_selector(ready, state="attached")
        _wait_until_quiet(page, in_flight)
        times = page.evaluate(READ_TIMES)
        tti_ms = max(times["dcl"], times["lastLongTask"])
        resources = {urls.get(key, key): round(size / 1000, 1) for key, size in transferred.items()}
        map_drawn = times["mapDrawn"] / 1000 if times["mapDrawn"] else None
        return {"bytes": sum(transferred.values()), "requests": len(transferred), "tti_s": tti_ms / 1000,
                "dcl_s": times["dcl"] / 1000, "map_drawn_s": map_drawn, "resources_kb": resources}  # fmt: skip
    finally:
        context.close()


def _finished(event: dict, transferred: dict, in_flight: set) -> None:
    transferred[event["requestId"]] = event["encodedDataLength"]
    in_flight.discard(event["requestId"])


def _wait_until_quiet(page, in_flight: set, timeout: float = 60) -> None:
    """Until no request has been in flight and no long task has ended for ``QUIET_SECONDS``."""
    deadline = time.monotonic() + timeout
    quiet_since, long_tasks = None, -1
    while time.monotonic() < deadline:
        count = page.evaluate("() => (window.__longTaskEnds || []).length")
        if in_flight or count != long_tasks:
            quiet_since, long_tasks = None, count
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_SECONDS:
            return
        page.wait_for_timeout(100)


def _sign_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    if "/login/" in page.url:
        raise BenchError(f"signing in as {username} failed: {page.inner_text('main')[:300]}")


def _summary(loads: list[dict]) -> dict:
    return {
        "kb": statistics.median(load["bytes"] for load in loads) / 1000,
        "requests": round(statistics.median(load["requests"] for load in loads)),
        "tti_s": statistics.median(load["tti_s"] for load in loads),
        "tti_runs_s": [load["tti_s"] for load in loads],
        "dcl_s": statistics.median(load["dcl_s"] for load in loads),
        "map_drawn_s": statistics.median(drawn)
        if (drawn := [load["map_drawn_s"] for load in loads if load["map_drawn_s"]])
        else None,
        "resources_kb": loads[0]["resources_kb"],  # what the first load fetched, KB each
    }


# --- the child process that prepares the database ------------------------------------------------


def _child(env: dict, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"benchmark set-up step {args[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def child_main() -> None:
    """Runs inside the benchmark's own data directory (see ``intake._child``); prints one JSON line."""
    import django

    django.setup()
    step, *args = sys.argv[1:]
    if step == "setup":
        print(json.dumps(_setup_database(int(args[0]), tiny=args[1] == "tiny")))


def _setup_database(open_cases: int, *, tiny: bool) -> dict:
    from django.core.management import call_command

    from gridgov.accounts.models import Role, User
    from gridgov.grids.models import Region

    call_command("migrate", verbosity=0)
    if tiny:
        _one_grid()
    else:
        from gridgov.demo.build import build_demo_district

        build_demo_district(cases=False)
    lead = User.objects.create_user("bench-shift-lead", password=PASSWORD, role=Role.SHIFT_LEAD)
    waiting = _open_cases(open_cases)
    return {"username": lead.username, "grids": Region.objects.filter(level="grid").count(), "open_cases": waiting}


def _one_grid() -> None:
    from shapely.geometry import box

    from gridgov.grids.codes import level_of
    from gridgov.grids.models import Region
    from gridgov.grids.services import apply_boundary, bump_network_revision

    parent = None
    for code, name in (
        ("210199", "基准区"),
        ("210199001", "基准街道"),
        ("210199001001", "基准社区"),
        ("210199001001001", "基准网格"),
    ):
        region = Region(code=code, name=name, level=level_of(code), parent=parent)
        apply_boundary(region, box(123.40, 41.78, 123.41, 41.80))
        region.save()
        parent = region
    bump_network_revision()


def _open_cases(count: int) -> int:
    """``count`` open cases waiting on the shift lead, half to accept and half to dispatch, spread
    over the grids and the categories, through the services' intake (one insert per table)."""
    import random
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.accounts.models import User
    from gridgov.cases.models import Case, Category, Source, State
    from gridgov.cases.selectors import inbox
    from gridgov.cases.services import Report, report_cases
    from gridgov.grids.models import Region

    rng = random.Random(11)
    points = [
        (lat, lng)
        for lat, lng in Region.objects.filter(level="grid").values_list("label_lat", "label_lng")
        if lat is not None and lng is not None
    ]
    categories = list(Category.objects.filter(is_active=True))
    now = timezone.now()
    reports, moments = [], []
    for n in range(count):
        lat, lng = rng.choice(points)
        description = f"基准测试案件 {n}：路边堆放生活垃圾，影响通行，请尽快处理。"
        reports.append(
            Report(category=rng.choice(categories), lat=lat, lng=lng, description=description, source=Source.SUPERVISOR)
        )
        moments.append(now - timedelta(minutes=rng.randrange(3 * 24 * 60)))
    for start in range(0, count, 500):
        report_cases(reports[start : start + 500], at=moments[start : start + 500])
    Case.objects.filter(pk__in=list(Case.objects.order_by("pk").values_list("pk", flat=True)[::2])).update(state=State.FILED)
    return inbox(User.objects.get(username="bench-shift-lead")).count()
