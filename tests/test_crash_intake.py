"""No acknowledged report is ever lost: the real server (``gridgov serve``) is killed with SIGKILL
while clients post reports, and restarted; the clients send again what was not answered.

One client posts Open311 requests (API key, an Idempotency-Key per report), the other the
resident form (CSRF token and the form's one-time key from the page). Each report has its own
description. After the restart every report must be exactly one case: those answered before the
kill (a 201 for Open311 may still be queued: the restarted server takes it in) and those sent
again after it, none twice. On SQLite, or on a throw-away database of DATABASE_URL's server.
"""

import http.client
import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from gridgov.benchmarking.intake import ThrowAwayDatabase

REPORTS_PER_CLIENT = 20
KILL_AFTER = 12  # answered reports (of both clients) before the kill: mid-stream
ROOT = Path(__file__).resolve().parents[1]
SETUP = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from tests.factories import build_small_network
from tests.case_factories import make_category
from gridgov.open311.selectors import service_code
from gridgov.open311.services import create_api_key
build_small_network(with_people=False)
category = make_category()
print(json.dumps({"api_key": create_api_key("crash test")[1], "service_code": service_code(category), "category": category.pk}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``gridgov serve`` in its own process group, so a kill takes its workers with it."""

    def __init__(self, env: dict, port: int):
        self.env, self.port = env, port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "gridgov", "serve", "--port", str(self.port), "--workers", "2", "--threads", "2"]
        command += ["--no-access-log", "--no-collectstatic", "--no-task-worker"]
        self.process = subprocess.Popen(
            command, env=self.env, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not come up within 40 s")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class Client(threading.Thread):
    """Sends its reports one after the other; a report whose answer does not come (connection
    refused or dropped) is sent again, the same, until one comes."""

    def __init__(self, kind: str, base: str, setup: dict, answered: list):
        super().__init__(daemon=True)
        self.kind, self.base, self.setup, self.answered = kind, base, setup, answered
        self.statuses: list[int] = []
        self.retries = 0
        self.tokens: list[str] = []
        self.error: Exception | None = None
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)

    def run(self) -> None:
        try:
            for n in range(REPORTS_PER_CLIENT):
                self._report(f"{self.kind} report {n}: rubbish by the road")
        except Exception as error:  # noqa: BLE001 -- any failure of the thread is surfaced by the test
            self.error = error

    def _until_answered(self, make_request) -> tuple[int, bytes]:
        for _ in range(600):
            try:
                with self.opener.open(make_request(), timeout=30) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as error:
                return error.code, error.read()
            except (OSError, http.client.HTTPException):  # refused, reset, or cut off mid-answer
                self.retries += 1
                time.sleep(0.1)
        raise AssertionError(f"{self.kind}: no answer within a minute")

    def _report(self, description: str) -> None:
        lat, lng = 41.79, 123.405
        if self.kind == "open311":
            body = urllib.parse.urlencode(
                {
                    "api_key": self.setup["api_key"],
                    "service_code": self.setup["service_code"],
                    "lat": lat,
                    "long": lng,
                    "description": description,
                }
            ).encode()
            headers = {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/x-www-form-urlencoded"}
            status, answer = self._until_answered(
                lambda: urllib.request.Request(f"{self.base}/open311/v2/requests.json", body, headers)
            )
            if status == 201:
                self.tokens.append(json.loads(answer)[0]["token"])
        else:
            _, page = self._until_answered(lambda: urllib.request.Request(f"{self.base}/report/"))
            page = page.decode()
            fields = {
                name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)
                for name in ("csrfmiddlewaretoken", "one_time_key")
            }
            fields |= {
                "category": self.setup["category"],
                "lat": lat,
                "lng": lng,
                "description": description,
                "reporter_phone": "13800001234",
            }
            body = urllib.parse.urlencode(fields).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"{self.base}/report/"}
            status, _ = self._until_answered(lambda: urllib.request.Request(f"{self.base}/report/", body, headers))
        self.statuses.append(status)
        self.answered.append(status)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the form's 302 is its answer


@pytest.fixture
def database_url():
    """None for SQLite; else a throw-away database on DATABASE_URL's server."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield None
        return
    database = ThrowAwayDatabase(url, f"gridgov_crash_{os.getpid()}")
    try:
        yield database.url
    finally:
        database.drop()


def _cases_by_description(data_dir: Path, database_url: str | None) -> dict[str, int]:
    query = "SELECT description, count(*) FROM cases_case GROUP BY description"
    if database_url is None:
        with sqlite3.connect(data_dir / "gridgov.sqlite3") as db:
            return dict(db.execute(query).fetchall())
    import psycopg

    with psycopg.connect(database_url) as db:
        return dict(db.execute(query).fetchall())


def test_every_answered_report_becomes_exactly_one_case_across_a_kill(tmp_path, database_url):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "GRIDGOV_PROFILE", "GRIDGOV_DATA_KEY")}
    env |= {"GRIDGOV_DATA_DIR": str(tmp_path), "GRIDGOV_INTAKE_RATE": "", "GRIDGOV_API_KEY_RATE": "", "GRIDGOV_DEBUG": "0"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    if database_url:
        env["DATABASE_URL"] = database_url
    made = subprocess.run(
        [sys.executable, "-c", SETUP], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert made.returncode == 0, made.stderr[-3000:]
    setup = json.loads(made.stdout.strip().splitlines()[-1])

    server = Server(env, _free_port())
    base = f"http://127.0.0.1:{server.port}"
    server.start()
    try:
        answered: list[int] = []
        clients = [Client("open311", base, setup, answered), Client("form", base, setup, answered)]
        for client in clients:
            client.start()
        while len(answered) < KILL_AFTER and any(c.is_alive() for c in clients):
            time.sleep(0.02)
        server.kill()  # SIGKILL to the whole group: the arbiter, its workers, requests in flight
        server.start()
        for client in clients:
            client.join(90)
            assert client.error is None, client.error
        open311, form = clients
        assert open311.retries + form.retries > 0  # the kill fell while they were sending
        assert open311.statuses == [201] * REPORTS_PER_CLIENT
        assert form.statuses == [302] * REPORTS_PER_CLIENT
        for token in open311.tokens:  # a request still queued at the kill is taken in now
            _, answer = open311._until_answered(
                lambda token=token: urllib.request.Request(f"{base}/open311/v2/tokens/{token}.json")
            )
            deadline = time.monotonic() + 20
            while "service_request_id" not in json.loads(answer)[0] and time.monotonic() < deadline:
                time.sleep(0.1)
                _, answer = open311._until_answered(
                    lambda token=token: urllib.request.Request(f"{base}/open311/v2/tokens/{token}.json")
                )
            assert "service_request_id" in json.loads(answer)[0], token
    finally:
        server.stop()
    expected = {f"{kind} report {n}: rubbish by the road": 1 for kind in ("open311", "form") for n in range(REPORTS_PER_CLIENT)}
    assert _cases_by_description(tmp_path, database_url) == expected
