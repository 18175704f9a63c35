"""The task queue (gridgov/background.py) on django-tasks-db's database backend, its worker run
in batch mode inside the test: periodic tasks queue their next run, failing tasks are retried
with back-off and then parked with their error, and the server stops its worker."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from gridgov import background
from gridgov.cases.tasks import send_reminders, sweep_photos

from . import background_tasks

# Transactional: the worker checks its connection between tasks and drops one left inside a
# transaction (as a test's would be), so it must see committed rows like in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    """What the worker beside the server does, until nothing is ready to run."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", "--verbosity", "0")


def results(task) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task.module_path).order_by("enqueued_at"))


def test_a_periodic_task_queues_its_next_run_once(network):
    started = timezone.now()
    send_reminders.enqueue()
    run_worker()
    done, waiting = results(send_reminders)
    assert done.status == "SUCCESSFUL" and waiting.status == "READY"
    assert started + timedelta(seconds=300) <= waiting.run_after <= timezone.now() + timedelta(seconds=300)
    assert sorted(background.ensure_scheduled()) == [  # reminders already wait
        "gridgov.cases.tasks.sweep_photos",
        "gridgov.evaluation.tasks.count_finished_months",
        "gridgov.ops.tasks.sweep_file_jobs",
    ]
    assert background.ensure_scheduled() == []
    assert len(results(send_reminders)) == 2 and len(results(sweep_photos)) == 1


def test_a_failing_task_is_retried_with_back_off_then_parked_with_its_error():
    failing = background_tasks.always_fails
    failing.enqueue("photo 7")
    background_tasks.works.enqueue(21)
    delays = []
    for _attempt in range(3):
        run_worker()
        waiting = DBTaskResult.objects.filter(task_path=failing.module_path, status="READY").first()
        if waiting is None:
            break
        delays.append(round((waiting.run_after - timezone.now()).total_seconds()))
        DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())  # time passes
    assert delays == [10, 20]  # doubling from the first delay
    attempts = results(failing)
    assert [result.status for result in attempts] == ["FAILED"] * 3  # the last one is parked
    assert [result.args_kwargs["kwargs"].get("attempt", 1) for result in attempts] == [1, 2, 3]
    assert all("RuntimeError: broken photo 7" in result.traceback for result in attempts)
    [other] = results(background_tasks.works)
    assert other.status == "SUCCESSFUL" and other.return_value == 42  # the failures held nothing up


def test_the_admin_lists_parked_tasks_with_their_error(admin_client):
    background_tasks.always_fails.enqueue("x")
    run_worker()
    failed = DBTaskResult.objects.get(status="FAILED")
    listing = admin_client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"), {"status__exact": "FAILED"})
    assert listing.status_code == 200 and str(failed.id).encode() in listing.content
    detail = admin_client.get(reverse("admin:django_tasks_database_dbtaskresult_change", args=[failed.pk]))
    assert b"RuntimeError: broken x" in detail.content


def test_without_a_queue_a_failure_reaches_the_caller(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = background_tasks.always_fails.enqueue("now")
    assert result.status == "FAILED" and not DBTaskResult.objects.exists()
    assert background.start_worker() is None  # no database queue: no worker to start


def test_the_server_stops_its_worker_when_it_stops(monkeypatch):
    from gridgov.ops.management.commands import serve

    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.setattr(background, "start_worker", lambda: worker)

    def server_stopped(self):
        raise SystemExit(0)  # what gunicorn's arbiter does on SIGTERM

    monkeypatch.setattr(serve.GridgovServer, "run", server_stopped)
    with pytest.raises(SystemExit):
        serve.serve_forever("127.0.0.1", 0, 1, 1)
    assert worker.poll() is not None


def test_the_worker_command_runs_every_queue():
    command = background.worker_command()
    assert command[:4] == [sys.executable, "-m", "gridgov", "db_worker"] and "*" in command
