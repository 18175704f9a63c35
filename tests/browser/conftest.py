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
def page(chromium):
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
