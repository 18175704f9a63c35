"""The leader's dashboard in Chromium: the charts draw the numbers the API gives, a click on a
street drills into its communities, the big screen fills 1920×1080, and nothing overflows at
390 px. Figures come from the hand-built log of tests/test_evaluation_indicators.py (March 2026)."""

import re

import pytest
from playwright.sync_api import expect

from tests.evaluation_log import build_log

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _fresh_figures():
    from gridgov.evaluation import selectors

    selectors.forget_all()
    yield
    selectors.forget_all()


TEST_PASSWORD = "pw-for-tests-only"  # what tests/case_factories.make_user sets
MARCH = "?period=2026-03"


@pytest.fixture
def log(transactional_db, network):
    return build_log()


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.fill("#id_username", user.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit].primary")


def wait_for_charts(page):
    page.wait_for_function(
        "window.gridgovDashboard && window.gridgovDashboard.charts.trend && window.gridgovDashboard.charts.categories"
    )


def test_leader_dashboard_charts_and_drill_down(page, live_server, transactional_db, log, screenshot):
    log_in(page, live_server, log["team"]["leader"])
    expect(page).to_have_url(re.compile(r"/evaluation/dashboard/$"))  # the leader's home page
    page.goto(f"{live_server.url}/evaluation/dashboard/{MARCH}")
    api = page.request.get(f"{live_server.url}/api/v1/evaluation/dashboard{MARCH}").json()
    wait_for_charts(page)
    trend = page.evaluate("window.gridgovDashboard.charts.trend.getOption().series.map(s => s.data)")
    assert trend[0] == api["trend"]["reported"] and trend[1] == api["trend"]["closed"]
    assert trend[2] == api["trend"]["on_time_handling"]
    pie = page.evaluate("window.gridgovDashboard.charts.categories.getOption().series[0].data.map(d => d.value)")
    assert pie == [c["count"] for c in api["categories"]] and sum(pie) == 9
    expect(page.locator("[data-kpi=reported]")).to_have_text(str(api["compare"][0]["reported"]))
    expect(page.locator("[data-testid=best-units]")).to_contain_text("东街道")

    street = page.locator('path.unit-poly[data-code="210199001"]')
    expect(street).to_be_visible()
    screenshot(page, "dashboard-district")
    street.click()
    expect(page.locator("#dash-map")).to_have_attribute("data-unit", "210199001")
    expect(page.locator('path.unit-poly[data-code="210199001001"]')).to_be_visible()
    expect(page.locator('path.unit-poly[data-code="210199002"]')).to_have_count(0)
    expect(page.locator("#map-title")).to_have_text("西街道")
    page.click("#map-back")
    expect(page.locator('path.unit-poly[data-code="210199002"]')).to_be_visible()


def test_big_screen_fills_1920_by_1080(chromium, live_server, transactional_db, log, screenshot):
    context = chromium.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server, log["team"]["leader"])
        page.goto(f"{live_server.url}/evaluation/dashboard/big/{MARCH}")
        wait_for_charts(page)
        assert page.evaluate("document.body.classList.contains('big-screen')")
        expect(page.locator(".topbar")).to_be_hidden()
        expect(page.locator("#chart-trend canvas")).to_have_count(1)
        expect(page.locator('path.unit-poly[data-code="210199002"]')).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1920
        assert page.evaluate("window.gridgovDashboard.charts.trend.getOption().series[0].data")[-1] == 9
        screenshot(page, "big-screen")
    finally:
        context.close()


def test_no_horizontal_overflow_at_390_px(chromium, live_server, transactional_db, log):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server, log["team"]["leader"])
        for path in ("/evaluation/dashboard/", "/evaluation/", "/evaluation/report/"):
            page.goto(f"{live_server.url}{path}{MARCH}")
            if path.endswith("dashboard/"):
                wait_for_charts(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    finally:
        context.close()


def test_a_street_page_shows_the_streets_figures(page, live_server, transactional_db, log):
    log_in(page, live_server, log["team"]["leader"])
    page.goto(f"{live_server.url}/grids/210199002/")
    card = page.locator("[data-testid=unit-figures]")
    expect(card).to_be_visible()  # this month (no cases yet in the log's future): figures still shown
    expect(card.locator("[data-figure=grade]")).to_be_visible()
