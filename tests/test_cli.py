"""The console commands: locate, demo and serve."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from io import StringIO

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.utils import translation

from gridgov.accounts.models import Role, User
from gridgov.demo import DEMO_DISTRICT_CODE, DEMO_PASSWORD
from gridgov.demo.totp import demo_totp_secret
from gridgov.grids.codes import Level
from gridgov.grids.models import Region

from .factories import EAST_GRID, WEST_GRID


def run_command(*args) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out)
    return out.getvalue()


# --- locate --------------------------------------------------------------------------------------


def test_locate_prints_grid_community_and_street(network):
    output = run_command("locate", "41.79", "123.405")
    assert f"grid code: {WEST_GRID}" in output
    assert "西一网格" in output
    assert "210199001001 西社区" in output
    assert "210199001 西街道" in output


def test_locate_another_point_finds_another_grid(network):
    output = run_command("locate", "41.785", "123.435")
    assert f"grid code: {EAST_GRID}" in output
    assert "东街道" in output and "西" not in output


def test_locate_outside_the_district_fails_with_a_clear_message(network):
    with pytest.raises(CommandError, match="outside the district"):
        run_command("locate", "41.79", "123.50")


def test_locate_from_the_console_exits_non_zero_outside(network, capsys):
    # On the command line the CommandError becomes a message on stderr and exit status 1.
    with translation.override("en"), pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["gridgov", "locate", "0", "0"]).execute()
    assert exit_info.value.code == 1
    assert "outside the district" in capsys.readouterr().err


# --- demo ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_no_serve_builds_once_and_prints_the_accounts(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path / "static"
    first = run_command("demo", "--no-serve", "--no-cases", "--seed", "3")
    assert "http://127.0.0.1:8000/" in first
    assert DEMO_PASSWORD in first
    for role in Role:
        assert f"demo_{role.value}" in first
    assert demo_totp_secret("demo_system_admin") in first and "python -m gridgov.demo.totp" in first
    assert Region.objects.filter(code__startswith=DEMO_DISTRICT_CODE, level=Level.GRID).count() == 1360
    assert (tmp_path / "static" / "admin" / "css" / "base.css").exists()
    grid_ids = set(Region.objects.filter(level=Level.GRID).values_list("id", flat=True))

    second = run_command("demo", "--no-serve", "--seed", "3", "--port", "8123")
    assert "already built" in second
    assert "http://127.0.0.1:8123/" in second
    assert set(Region.objects.filter(level=Level.GRID).values_list("id", flat=True)) == grid_ids
    assert User.objects.filter(username__startswith="demo_").count() == len(Role)


@pytest.mark.django_db
def test_demo_rebuild_replaces_the_district(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path / "static"
    run_command("demo", "--no-serve", "--no-cases", "--seed", "3")
    before = Region.objects.get(code=DEMO_DISTRICT_CODE).boundary
    run_command("demo", "--no-serve", "--no-cases", "--seed", "4", "--rebuild")
    assert Region.objects.get(code=DEMO_DISTRICT_CODE).boundary != before
    assert Region.objects.filter(level=Level.GRID).count() == 1360
    assert User.objects.get(username="demo_grid_worker").region.level == Level.GRID


# --- serve ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_serve_runs_gunicorn_with_static_files(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env |= {"GRIDGOV_DATA_DIR": str(tmp_path), "GRIDGOV_PROFILE": "local", "GRIDGOV_DEBUG": "0"}
    subprocess.run([sys.executable, "-m", "gridgov", "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=180)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gridgov", "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = _get(f"{base}/login/")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, f"login page: {status}"
        assert b"csrfmiddlewaretoken" in body
        status, css = _get(f"{base}/static/admin/css/base.css")
        assert status == 200 and b"{" in css
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate(timeout=10)
    assert b"gunicorn" in output.lower()  # gunicorn's own start-up log, not Django's runserver
