"""Playwright against Debian's Chromium and pytest-django's live server.

CI must not skip these tests: without Chromium they fail when the CI variable is set and are
skipped with a reason otherwise.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-for-browser-tests"


def require_chromium(path: Path = CHROMIUM) -> None:
    """Skip when Chromium is missing, except in CI, where a missing browser is a failure."""
    if path.exists():
        return
    reason = f"{path} is missing: install Debian's chromium package to run the browser tests"
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    require_chromium()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the test
    # fixtures make are still synchronous and safe here. Module scope keeps the loop (and this
    # variable, which `check --deploy` warns about) away from the other tests.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium, live_server, transactional_db):
    # Depending on the live server and the database makes this page close before the test's
    # flush: a page still polling or syncing would otherwise hold SQLite's tables while they are
    # flushed ("database table is locked"). Every page fixture here does the same.
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def browser_user(transactional_db, django_user_model):
    return django_user_model.objects.create_user("gridchief", password=PASSWORD, role="grid_chief", first_name="王网格")


@pytest.fixture
def screenshot():
    """Saves a screenshot when GRIDGOV_SCREENSHOT_DIR is set (for looking at the UI by eye)."""
    directory = os.environ.get("GRIDGOV_SCREENSHOT_DIR")

    def take(page, name: str) -> None:
        if directory:
            page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)

    return take


@pytest.fixture(autouse=True)
def _one_connection_with_the_live_server(request):
    """The live server's threads share one connection to the in-memory test database; make the
    test's own ORM calls use that same connection. The test thread otherwise ends up with a second
    connection to the shared-cache database, and SQLite's table locks between the two fail a
    write at random ("database table is locked") while the server is still answering a request."""
    if "live_server" in request.fixturenames:
        from django.db import connections

        shared = request.getfixturevalue("live_server").thread.connections_override.get("default")
        if shared is not None and connections["default"] is not shared:
            connections["default"] = shared
    yield
