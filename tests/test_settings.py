"""The production profile: refuses to start half-configured, and passes `check --deploy`."""

import os
import subprocess
import sys

SECRET = "x" * 20 + "-production-secret-key-for-tests-only-0123456789"


def _run(env_extra: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDGOV_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "gridgov", *args], env=env, capture_output=True, text=True, timeout=120)


def test_production_profile_passes_check_deploy(tmp_path):
    result = _run(
        {
            "GRIDGOV_PROFILE": "production",
            "GRIDGOV_SECRET_KEY": SECRET,
            "GRIDGOV_ALLOWED_HOSTS": "grid.example.org",
            "GRIDGOV_DATA_DIR": str(tmp_path),
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_refuses_a_missing_secret_key(tmp_path):
    result = _run({"GRIDGOV_PROFILE": "production", "GRIDGOV_ALLOWED_HOSTS": "x", "GRIDGOV_DATA_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "GRIDGOV_SECRET_KEY" in result.stderr


def test_unknown_profile_is_named(tmp_path):
    result = _run({"GRIDGOV_PROFILE": "staging", "GRIDGOV_DATA_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "'staging'" in result.stderr


def test_production_profile_never_turns_the_bench_endpoints_on(tmp_path):
    env = {
        "GRIDGOV_SECRET_KEY": SECRET,
        "GRIDGOV_ALLOWED_HOSTS": "x",
        "GRIDGOV_DATA_DIR": str(tmp_path),
        "GRIDGOV_BENCH_ENDPOINTS": "1",
    }
    show = "from django.conf import settings; print(settings.GRIDGOV_BENCH_ENDPOINTS)"
    production = _run({**env, "GRIDGOV_PROFILE": "production"}, "shell", "-c", show)
    local = _run({**env, "GRIDGOV_PROFILE": "local"}, "shell", "-c", show)
    last_line = [result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "" for result in (production, local)]
    assert last_line == ["False", "True"], production.stderr + local.stderr


def test_trusted_proxies_and_data_keys_come_from_the_environment(tmp_path):
    code = "from django.conf import settings; print(settings.GRIDGOV_TRUSTED_PROXIES, len(settings.GRIDGOV_DATA_KEYS))"
    result = _run(
        {"GRIDGOV_TRUSTED_PROXIES": "2", "GRIDGOV_DATA_KEY": "a,b", "GRIDGOV_DATA_DIR": str(tmp_path)}, "shell", "-c", code
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["2", "2"]
