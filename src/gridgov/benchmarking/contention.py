"""Writers at once, the old way against the new in the same run (issue 9's faults 1 and 2), for
``gridgov bench intake --parts locking,photos`` (meant for PostgreSQL: ``--postgres URL``; on
SQLite every write transaction waits for the one before it whatever the code does).

- **locking**: ``--writers`` processes each suspend and resume cases of their own, all of one
  category, for ``--seconds``. "old" adds, in the step's transaction and before the step, the
  lock the workflow took until issue 9: ``select_for_update().select_related("category")``,
  which PostgreSQL runs as ``… INNER JOIN cases_category … FOR UPDATE`` and so locks the
  category's row as well; "fixed" is ``services.take_action`` as it is (``of=("self",)``: the
  case's row only).
- **photos**: ``--photo-writers`` processes each report cases with three 12-megapixel JPEGs
  for ``--photo-seconds``. "inside" does the photo work where it was until issue 9's first round:
  in the intake's transaction, after the day's case counter was updated (so every other report
  waits for the decoding); "request" decodes and re-encodes them in the request, before the
  transaction opens (until photo processing became a task); "task" is ``services.report_case``
  as it is: the request only checks the headers and keeps the uploads, and the ``process_photo``
  task decodes them on the database queue, whose worker (one process, as ``gridgov serve``
  starts) runs during the window on the same machine, so its CPU is paid for in the figures.
  The writers' figures are the reporter's wait; the worker's backlog is printed beside them.

Each writer is a process of its own with its own database connection (``child_main``), started
together and counting only what it finished inside the window.
"""

import io
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

CHILD = "from gridgov.benchmarking.contention import child_main; child_main()"
CASES_PER_WRITER = 40
PHOTO_SIZE = (4000, 3000)  # 12 megapixels, a phone camera's default
PHOTOS_PER_REPORT = 3


def run_locking(env: dict, writers: int, seconds: float, say: Callable[[str], None]) -> dict:
    prepared = _child(env, "prepare-locking", str(writers))
    result: dict[str, Any] = {}
    for mode in ("old", "fixed"):
        result[mode] = _writers(env, "act", mode, writers, seconds, prepared)
    say(f"  {writers} writers acting on cases of one category at once for {seconds:g} s each (suspend / resume):")
    for mode, label in (("old", "old lock (case JOIN category FOR UPDATE)"), ("fixed", "fixed lock (FOR UPDATE OF the case)")):
        figures = result[mode]
        say(
            f"    {label:<42} {figures['per_second']:7.1f} actions/s   p50 {figures['p50_ms']:6.1f} ms   p99 {figures['p99_ms']:7.1f} ms"
        )
    result["ratio"] = result["fixed"]["per_second"] / result["old"]["per_second"] if result["old"]["per_second"] else 0.0
    say(f"    fixed / old: {result['ratio']:.2f}×")
    return result


PHOTO_MODES = {
    "inside": "re-encoding inside the transaction",
    "request": "re-encoding in the request, before it",
    "task": "re-encoding in the process_photo task",
}


def run_photos(env: dict, writers: int, seconds: float, say: Callable[[str], None]) -> dict:
    prepared = _child(env, "prepare-photos")
    result: dict[str, Any] = {}
    for mode in PHOTO_MODES:
        if mode != "task":
            result[mode] = _writers(env, "report", mode, writers, seconds, prepared)
            continue
        before = _child(env, "photo-counts")
        from gridgov.background import worker_command

        worker = subprocess.Popen(worker_command(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            result[mode] = _writers(env, "report", mode, writers, seconds, prepared)
        finally:
            worker.terminate()  # it finishes the photo it is on
            worker.wait(timeout=120)
        after = _child(env, "photo-counts")
        result[mode]["photos_processed"] = after.get("ready", 0) - before.get("ready", 0)
        result[mode]["photos_pending"] = after.get("pending", 0)
        result[mode]["photos_failed"] = after.get("failed", 0)
    say(f"  {writers} writers reporting cases with three 12 MP photos for {seconds:g} s each:")
    for mode, label in PHOTO_MODES.items():
        figures = result[mode]
        say(
            f"    {label:<40} {figures['per_second']:7.2f} reports/s   p50 {figures['p50_ms']:7.0f} ms   p99 {figures['p99_ms']:7.0f} ms"
        )
    task = result["task"]
    say(
        f"    the task's worker meanwhile: {task['photos_processed']} photos made ready, {task['photos_pending']} still "
        f"pending, {task['photos_failed']} failed"
    )

    def ratio(mode: str, base: str) -> float:
        return result[mode]["per_second"] / result[base]["per_second"] if result[base]["per_second"] else 0.0

    result["ratio"] = ratio("request", "inside")
    result["task_ratio"] = ratio("task", "request")
    result["task_p99_ratio"] = task["p99_ms"] / result["request"]["p99_ms"] if result["request"]["p99_ms"] else 0.0
    say(f"    request / inside: {result['ratio']:.2f}× the reports per second")
    say(f"    task / request: {result['task_ratio']:.2f}× the reports per second, {result['task_p99_ratio']:.2f}× the p99")
    return result


def _writers(env: dict, kind: str, mode: str, writers: int, seconds: float, prepared: dict) -> dict:
    """Start the writers, let each set up Django, then run them all in the same window."""
    start_at = time.time() + 8.0  # time enough for every process to import Django and connect
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, kind, mode, str(writer), str(start_at), str(seconds), json.dumps(prepared)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for writer in range(writers)
    ]  # fmt: skip
    times: list[float] = []
    for process in processes:
        out, err = process.communicate(timeout=seconds + 300)
        if process.returncode != 0:
            raise RuntimeError(f"a {kind} writer failed:\n{err[-3000:]}")
        times += json.loads(out.strip().splitlines()[-1])["times_ms"]
    times.sort()
    return {
        "done": len(times),
        "per_second": len(times) / seconds,
        "p50_ms": statistics.median(times) if times else 0.0,
        "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))] if times else 0.0,
    }


def _child(env: dict, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"benchmark step {args[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- inside the writers (Django set up) ----------------------------------------------------------


def child_main() -> None:
    import django

    django.setup()
    step, *args = sys.argv[1:]
    if step == "prepare-locking":
        print(json.dumps(_prepare_locking(int(args[0]))))
        return
    if step == "prepare-photos":
        print(json.dumps(_prepare_photos()))
        return
    if step == "photo-counts":
        from django.db.models import Count

        from gridgov.cases.models import Photo

        print(json.dumps(dict(Photo.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))))
        return
    mode, writer, start_at, seconds, prepared = args[0], int(args[1]), float(args[2]), float(args[3]), json.loads(args[4])
    work = _acting(mode, writer, prepared) if step == "act" else _reporting(mode, writer, prepared)
    time.sleep(max(0.0, start_at - time.time()))
    times, deadline = [], time.perf_counter() + seconds
    while True:
        started = time.perf_counter()
        work()
        finished = time.perf_counter()
        if finished > deadline:
            break
        times.append((finished - started) * 1000)
    print(json.dumps({"times_ms": times}))


def _a_grid_point() -> tuple[float, float]:
    from gridgov.grids.models import Region

    point = (
        Region.objects.filter(level="grid", label_lat__isnull=False)
        .order_by("code")
        .values_list("label_lat", "label_lng")
        .first()
    )
    if point is None or point[0] is None or point[1] is None:
        raise SystemExit("gridgov bench: the benchmark's district has no grid with a label point")
    return point[0], point[1]


def _prepare_locking(writers: int) -> dict:
    """Filed cases of one category, ``CASES_PER_WRITER`` for each writer."""
    from gridgov.cases.models import Case, Category, Source
    from gridgov.cases.services import Report, report_cases, take_action

    category = Category.objects.filter(is_active=True).order_by("kind", "code").first()
    if category is None:
        raise SystemExit("gridgov bench: the benchmark's database has no active category")
    lat, lng = _a_grid_point()
    reports = [
        Report(category=category, lat=lat, lng=lng, description=f"contention case {n}", source=Source.PATROL)
        for n in range(writers * CASES_PER_WRITER)
    ]
    from django.utils import timezone

    cases = report_cases(reports, at=[timezone.now()] * len(reports))
    ids = []
    for case in cases:
        assert isinstance(case, Case), case  # the bench's own reports are well formed
        take_action(case.pk, "accept_file", None, system=True)
        ids.append(case.pk)
    return {"case_ids": ids, "category_id": category.pk}


def _acting(mode: str, writer: int, prepared: dict) -> Callable[[], None]:
    """Suspend and resume this writer's cases in turn: each call is one workflow step."""
    from django.db import transaction

    from gridgov.cases.models import Case
    from gridgov.cases.services import take_action

    ids = prepared["case_ids"][writer * CASES_PER_WRITER : (writer + 1) * CASES_PER_WRITER]
    # Whether each case's clock is stopped now (an earlier run may have left some suspended).
    suspended = {pk: at is not None for pk, at in Case.objects.filter(pk__in=ids).values_list("pk", "suspended_at")}
    state = {"n": 0}

    def act() -> None:
        case_id = ids[state["n"] % len(ids)]
        state["n"] += 1
        action = "resume" if suspended[case_id] else "suspend"
        note = "benchmark: waiting for the owner" if action == "suspend" else ""
        if mode == "old":
            with transaction.atomic():
                # The lock before issue 9: on PostgreSQL ``… INNER JOIN cases_category … FOR UPDATE``.
                Case.objects.select_for_update().select_related("category").get(pk=case_id)
                take_action(case_id, action, None, system=True, note=note)
        else:
            take_action(case_id, action, None, system=True, note=note)
        suspended[case_id] = action == "suspend"

    return act


def _prepare_photos() -> dict:
    from gridgov.cases.models import Category

    category = Category.objects.filter(is_active=True).order_by("kind", "code").first()
    if category is None:
        raise SystemExit("gridgov bench: the benchmark's database has no active category")
    lat, lng = _a_grid_point()
    return {"category_id": category.pk, "lat": lat, "lng": lng}


def _photo_bytes(seed: int) -> bytes:
    """A 12 MP JPEG with a phone photo's detail (noise compresses as badly as a street does)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    width, height = PHOTO_SIZE
    base = np.linspace(0, 255, width, dtype=np.float32)[None, :, None].repeat(height, 0).repeat(3, 2)
    pixels = np.clip(base + rng.normal(0, 24, (height, width, 3)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def _reporting(mode: str, writer: int, prepared: dict) -> Callable[[], None]:
    """Report one case with three photos: decoded in the transaction, before it, or in the task."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from gridgov.cases.models import Case, Category, Source
    from gridgov.cases.photos import store_processed_photo, validate_photos
    from gridgov.cases.services import Report, report_case, report_cases

    category = Category.objects.get(pk=prepared["category_id"])
    photos = [_photo_bytes(writer * 10 + n) for n in range(PHOTOS_PER_REPORT)]

    def report() -> None:
        uploads = [SimpleUploadedFile(f"photo{n}.jpg", data, "image/jpeg") for n, data in enumerate(photos)]
        new = Report(
            category=category, lat=prepared["lat"], lng=prepared["lng"], description="contention report with photos",
            source=Source.RESIDENT, reporter_phone="13800001234",
        )  # fmt: skip
        if mode == "task":
            report_case(new, photos=uploads)
            return
        from django.utils import timezone

        validated = validate_photos(uploads) if mode == "request" else []
        with transaction.atomic():
            [case] = report_cases([new], at=[timezone.now()])  # the day's case counter is updated here
            assert isinstance(case, Case), case
            step = case.steps.get(action="report")
            for photo in validated or validate_photos(uploads):
                store_processed_photo(case, step, photo, phase="before")

    return report
