"""Background work on a real queue: Django's tasks API (the ``django-tasks`` backport) with the
database backend of ``django-tasks-db``, whose worker ``gridgov serve`` and ``gridgov demo`` start
beside the web server, so nothing depends on cron.

Two habits every task of the project follows, both written here once:

- ``periodic(seconds)``: a task that runs on a schedule enqueues its own next run, ``seconds``
  after it started, whether it succeeded or failed; ``ensure_scheduled`` (called when a worker
  is started) queues the first run of every periodic task that has none waiting, so a fresh
  database or a lost run starts the chain again. A run never queues a second one while one
  is already waiting.
- ``retried(attempts, first_delay)``: a task that fails is queued again after ``first_delay``
  seconds, doubling each time; the failed attempt stays in the queue's table as failed with its
  traceback (the admin's "Task results"), and after the last attempt the task is parked there:
  failed, visible, and holding up nothing else.

- ``enqueue_with_transaction(task, ...)``: queue a task for rows the current transaction writes.
  On the database queue the task's row is written in that transaction, so both commit or neither
  (nothing is lost when the process dies just after the commit); a queue outside the database
  (RQ) gets it once the transaction commits, so its worker never looks for rows not yet
  committed; the immediate backend runs it where it stands.

With a backend that cannot run a task later (the immediate backend of the tests), a failure is
not retried: the backend records the result as failed, with its traceback, and the caller goes on. A distributed backend (RQ on Redis, see the README) runs
the same tasks with settings alone.
"""

import functools
import inspect
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules, import_string

logger = logging.getLogger(__name__)

DB_BACKEND = "django_tasks_db.DatabaseBackend"
PERIODIC_TASKS: dict[str, float] = {}  # the module path of each periodic task → its interval in seconds
WORKER_STOP_SECONDS = 15  # the worker finishes the task it is running; the web server allows 10 s


def _task_of(function: Callable):
    """The Task object a function was registered as (``@task()`` replaces the module's name)."""
    return import_string(f"{function.__module__}.{function.__name__}")


def _can_defer(task) -> bool:
    return bool(getattr(task.get_backend(), "supports_defer", False))


def _waiting(task_path: str) -> bool:
    """Whether a run of the task is queued and not yet started (database backend only)."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=task_path, status="READY").exists()


def _uses_database_queue(task) -> bool:
    return (
        f"{type(task.get_backend()).__module__}.{type(task.get_backend()).__name__}" == "django_tasks_db.backend.DatabaseBackend"
    )


def periodic(seconds: float) -> Callable:
    """Make a task function run every ``seconds``: put it under ``@task()``."""

    def decorate(function: Callable) -> Callable:
        PERIODIC_TASKS[f"{function.__module__}.{function.__name__}"] = seconds

        @functools.wraps(function)
        def run(*args, **kwargs):
            started = timezone.now()
            try:
                return function(*args, **kwargs)
            finally:
                _schedule_next(_task_of(function), started + timedelta(seconds=seconds))

        return run

    return decorate


def _schedule_next(task, at) -> None:
    if not _can_defer(task):
        return  # the immediate backend: the caller runs it again when it wants
    if _uses_database_queue(task) and _waiting(task.module_path):
        return
    task.using(run_after=at).enqueue()


def ensure_scheduled() -> list[str]:
    """Queue every periodic task that has no run waiting; return the ones queued."""
    autodiscover_modules("tasks")  # each app's tasks.py registers its periodic tasks on import
    queued = []
    for path in PERIODIC_TASKS:
        task = import_string(path)
        if not _can_defer(task) or (_uses_database_queue(task) and _waiting(path)):
            continue
        task.enqueue()
        queued.append(path)
    return queued


def retried(attempts: int = 5, first_delay: float = 30.0) -> Callable:
    """Retry a failing task with back-off: put it under ``@task()``. The task gains a keyword
    argument ``attempt`` (1 for the first run) that the retries carry. A function with a
    ``last_attempt`` parameter is told whether no retry follows this run (so what it records of
    a failure can say whether it is tried again)."""

    def decorate(function: Callable) -> Callable:
        wants_last = "last_attempt" in inspect.signature(function).parameters

        @functools.wraps(function)
        def run(*args, attempt: int = 1, **kwargs):
            if wants_last:
                kwargs["last_attempt"] = attempt >= attempts
            try:
                return function(*args, **kwargs)
            except Exception:
                task = _task_of(function)
                if attempt < attempts and _can_defer(task):
                    delay = timedelta(seconds=first_delay * 2 ** (attempt - 1))
                    kwargs.pop("last_attempt", None)
                    task.using(run_after=timezone.now() + delay).enqueue(*args, attempt=attempt + 1, **kwargs)
                    logger.warning(
                        "Task %s failed (attempt %d of %d); retrying in %s", task.module_path, attempt, attempts, delay
                    )
                else:
                    logger.error("Task %s failed (attempt %d of %d); parked with its error", task.module_path, attempt, attempts)
                raise  # this attempt is recorded as failed, with its traceback

        return run

    return decorate


def enqueue_with_transaction(task, *args, **kwargs) -> None:
    """Queue ``task`` for what the current transaction writes (see the module docstring)."""
    from django.db import transaction

    if _uses_database_queue(task) or not _can_defer(task):
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


# --- the worker process beside the web server ----------------------------------------------------


def database_queue_configured() -> bool:
    from django.conf import settings

    return settings.TASKS.get("default", {}).get("BACKEND") == DB_BACKEND


def worker_command() -> list[str]:
    return [sys.executable, "-m", "gridgov", "db_worker", "--queue-name", "*", "--no-reload", "--interval", "1"]


def start_worker() -> subprocess.Popen | None:
    """Start the database queue's worker as a child process (None when another backend is
    configured: its own workers run elsewhere), after queueing the periodic tasks."""
    if not database_queue_configured():
        return None
    scheduled = ensure_scheduled()
    if scheduled:
        logger.info("Queued periodic tasks: %s", ", ".join(scheduled))
    return subprocess.Popen(
        worker_command(),
        env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "gridgov.settings")},
    )


def stop_worker(worker: subprocess.Popen | None) -> None:
    """Ask the worker to stop after its current task (SIGTERM); kill it if it does not."""
    if worker is None or worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
