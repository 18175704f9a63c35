"""The public report page in Chromium: outlines fetched from their own endpoint, a pin that works
without them, and sentences filled in whole in the page's language."""

import re

import pytest
from playwright.sync_api import expect

from tests.case_factories import make_category, report
from tests.factories import WEST_GRID

pytestmark = pytest.mark.browser

WEST_COMMUNITY = WEST_GRID[:12]
OUTLINES = "**/api/v1/outlines.geojson"


@pytest.fixture
def category(transactional_db, network):
    return make_category("0101")


def drop_pin(page):
    """Tap the map a quarter of the way across: inside the west community of the small network."""
    box = page.locator("#report-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2)


def test_the_outlines_come_from_their_endpoint(page, live_server, category):
    fetched = []
    page.on("response", lambda response: "outlines.geojson" in response.url and fetched.append(response.status))
    page.goto(f"{live_server.url}/report/")
    expect(page.locator(f'#report-map path.grid-poly[data-code="{WEST_COMMUNITY}"]')).to_be_visible()
    expect(page.locator("#report-map path.grid-poly")).to_have_count(2)
    assert fetched == [200]


def test_the_pin_works_when_the_outlines_cannot_be_fetched(page, live_server, category):
    earlier = report(category, point=(41.7905, 123.4100), description="井盖缺失")
    page.route(OUTLINES, lambda route: route.abort())
    page.goto(f"{live_server.url}/report/")
    drop_pin(page)
    expect(page.locator("#id_lat")).not_to_have_value("")
    lat, lng = page.input_value("#id_lat"), page.input_value("#id_lng")
    assert 41.78 < float(lat) < 41.80 and 123.40 < float(lng) < 123.42  # the map showed the district
    expect(page.locator("#report-map path.grid-poly")).to_have_count(0)
    expect(page.locator("#report-map path.report-pin")).to_be_visible()
    expect(page.locator("#pin-status")).to_have_text(f"已标注位置：纬度 {lat}，经度 {lng}")

    page.select_option("#id_category", str(category.pk))
    item = page.locator(f'#similar-list li[data-number="{earlier.number}"] > span')
    expect(item).to_have_text(re.compile(rf"^{earlier.number} · .+ · 相距 \d+ 米 — 井盖缺失$"))


def test_english_sentences_are_filled_in_too(page, live_server, category):
    report(category, point=(41.7905, 123.4100), description="manhole cover missing")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/report/")
    expect(page.locator(f'#report-map path.grid-poly[data-code="{WEST_COMMUNITY}"]')).to_be_visible()
    drop_pin(page)
    expect(page.locator("#pin-status")).to_have_text(re.compile(r"^Pin set at 41\.\d{6}, 123\.\d{6}$"))
    page.select_option("#id_category", str(category.pk))
    expect(page.locator("#similar-list li > span")).to_have_text(re.compile(r" · \d+ m away — manhole cover missing$"))
