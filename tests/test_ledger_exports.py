"""The case ledger queued as a background task (immediate backend): the cases page's button
queues it, the status page offers the file to the user who asked and to no one else, bad
parameters are refused before anything is queued, a failure is told in a whole sentence, and
old files are swept."""

import os
import time
from io import BytesIO

import pytest
from openpyxl import load_workbook

from gridgov.evaluation import ledger_exports, selectors
from gridgov.ops import filejobs
from gridgov.ops.tasks import sweep_file_jobs

from .case_factories import make_user
from .evaluation_log import NOW, WEST, build_log

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_folder(settings, tmp_path):
    settings.GRIDGOV_EXPORT_DIR = tmp_path / "exports"
    selectors.forget_all()
    yield
    selectors.forget_all()


@pytest.fixture
def frozen_now(monkeypatch):
    """The log's figures were counted on 15 April 2026."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def log(network):
    return build_log()


def _numbers(content: bytes) -> list[str]:
    rows = list(load_workbook(BytesIO(content)).active.iter_rows(values_only=True))
    header = next(n for n, row in enumerate(rows) if row and row[0] in ("Case number", "案件编号", "案件号"))
    return [row[0] for row in rows[header + 1 :]]


def _prepare(client, query: str):
    client.cookies["django_language"] = "en"
    return client.post("/evaluation/ledger/prepare/", {"query": query})


def test_the_button_queues_the_ledger_and_the_status_page_offers_it_to_its_owner_only(client, log, frozen_now):
    leader = log["team"]["leader"]
    client.force_login(leader)
    page = client.get("/evaluation/cases/", {"measure": "overdue", "period": "2026-03", "level": "street", "unit": WEST})
    assert b'action="/evaluation/ledger/prepare/"' in page.content
    response = _prepare(client, f"measure=overdue&period=2026-03&level=street&unit={WEST}")
    assert response.status_code == 302
    status_url = response["Location"]
    status = client.get(status_url)
    assert status.status_code == 200 and b'data-testid="export-download"' in status.content
    assert b"http-equiv" not in status.content  # finished: no more refreshing
    assert status_url.startswith("/jobs/")
    download = client.get(status_url + "file")
    assert download.status_code == 200
    cases = log["cases"]
    assert sorted(_numbers(b"".join(download.streaming_content))) == sorted(cases[k].number for k in ("C3", "C7", "C10"))
    assert download["Content-Disposition"].startswith('attachment; filename="ledger-')

    client.force_login(make_user("street_staff", WEST, username="west-street"))
    assert client.get(status_url).status_code == 404
    assert client.get(status_url + "file").status_code == 404
    assert client.get("/jobs/../1/").status_code == 404


def test_a_pending_export_refreshes_itself(client, log):
    leader = log["team"]["leader"]
    client.force_login(leader)
    token = filejobs._new_job(leader.pk, ledger_exports.ledger_job, filename="ledger.xlsx", back="")  # queued, not yet run
    client.cookies["django_language"] = "en"
    page = client.get(f"/jobs/{token}/")
    assert page.status_code == 200
    assert b'<meta http-equiv="refresh"' in page.content and b"Your export is being prepared." in page.content


def test_bad_parameters_are_refused_with_a_sentence_and_nothing_is_queued(client, log):
    client.force_login(log["team"]["leader"])
    response = _prepare(client, "date_from=soon")
    assert response.status_code == 400
    assert b"The export was not started:" in response.content
    response = _prepare(client, "measure=nonsense&period=2026-03")
    assert response.status_code == 400 and b"The export was not started:" in response.content
    assert not filejobs.export_root().exists() or not list(filejobs.export_root().rglob("*"))
    client.cookies["django_language"] = "zh-hans"
    chinese = client.post("/evaluation/ledger/prepare/", {"query": "date_from=soon"})
    assert "导出未开始".encode() in chinese.content


def test_a_failed_export_says_so_in_a_whole_sentence(client, log, monkeypatch):
    leader = log["team"]["leader"]
    client.force_login(leader)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ledger_exports, "ledger_workbook", broken)
    response = _prepare(client, "state=closed")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"The export could not be prepared." in page.content and b"disk full" not in page.content
    assert client.get(response["Location"] + "file").status_code == 404

    token = response["Location"].split("/")[2]  # the last retry fails too: its sentence says none follows
    with pytest.raises(OSError):
        filejobs.run("gridgov.evaluation.ledger_exports.ledger_job", leader.pk, token, {"query": "state=closed"}, "en", True)
    last = client.get(response["Location"]).content
    assert b"every retry failed" in last and b"tried again" not in last


def test_old_exports_are_swept(client, log):
    leader = log["team"]["leader"]
    client.force_login(leader)
    old, new = (_prepare(client, "state=closed")["Location"].split("/")[2] for _ in range(2))
    assert filejobs.status(leader.pk, old).state == filejobs.status(leader.pk, new).state == "ready"
    long_ago = time.time() - filejobs.KEEP_SECONDS - 60
    for path in filejobs.export_root().glob(f"{leader.pk}/{old}.*"):
        os.utime(path, (long_ago, long_ago))
    assert sweep_file_jobs.call() == [f"{leader.pk}/{old}"]
    assert filejobs.status(leader.pk, old) is None
    assert filejobs.status(leader.pk, new).state == "ready"


@pytest.mark.django_db(transaction=True)
def test_on_the_database_queue_the_page_waits_for_the_worker_and_a_failure_is_retried(client, network, settings, monkeypatch):
    """The real queue: the status page refreshes while the task waits, offers the file once the
    worker has run it; a failing attempt is shown as failed and queued again with back-off."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(make_user("leader", None, username="queue-leader"))
    status_url = _prepare(client, "state=closed")["Location"]
    assert b'<meta http-equiv="refresh"' in client.get(status_url).content

    def run_worker():
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", "--verbosity", "0")

    run_worker()
    assert b'data-testid="export-download"' in client.get(status_url).content

    monkeypatch.setattr(ledger_exports, "ledger_workbook", lambda *args, **kwargs: 1 / 0)
    failing_url = _prepare(client, "state=closed")["Location"]
    run_worker()
    assert b"The export could not be prepared." in client.get(failing_url).content
    attempts = DBTaskResult.objects.filter(task_path="gridgov.ops.tasks.run_file_job").order_by("enqueued_at")
    assert [a.status for a in attempts] == ["SUCCESSFUL", "FAILED", "READY"]  # the retry waits its back-off
