"""The browser tests may be skipped on a developer's machine without Chromium, never in CI."""

from pathlib import Path

import pytest

from .conftest import require_chromium


def test_a_missing_chromium_skips_outside_ci(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium"):
        require_chromium(tmp_path / "chromium")


def test_a_missing_chromium_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        require_chromium(tmp_path / "chromium")


def test_a_present_chromium_passes(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    browser = tmp_path / "chromium"
    browser.touch()
    require_chromium(Path(browser))
