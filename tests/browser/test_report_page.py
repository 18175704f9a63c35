"""The public report page in Chromium: outlines fetched from their own endpoint, a pin that works
without them, and sentences filled in whole in the page's language."""

import re

import pytest
from playwright.sync_api import expect

from gridgov.cases.models import Case
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


# --- the form before (and without) the map (issue 11: interactive within 3 s on a slow phone) ---

HERE = {"latitude": 41.79, "longitude": 123.405}  # inside WEST_GRID
LEAFLET = "**/leaflet-1.9.4/leaflet*.js"
LAYOUT_SHIFTS = """
window.__layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__layoutShift += entry.value;
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.fixture
def phone(chromium, live_server, transactional_db):
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        geolocation=HERE,
        permissions=["geolocation"],
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_report_is_made_without_the_map(phone, live_server, category):
    earlier = report(category, point=(41.7901, 123.4051), description="井盖缺失")
    phone.route(LEAFLET, lambda route: route.abort())
    phone.goto(f"{live_server.url}/report/")
    expect(phone.locator("#report-map")).to_have_attribute("data-map", "failed")
    expect(phone.locator("#report-map .map-note")).to_have_text("地图未能加载。请点“使用我的位置”确定位置，或刷新页面重试。")

    phone.click("#locate-me")  # the point from the phone's position
    expect(phone.locator("#id_lat")).to_have_value("41.790000")
    expect(phone.locator("#pin-status")).to_have_text("已标注位置：纬度 41.790000，经度 123.405000")
    phone.select_option("#id_category", str(category.pk))
    expect(phone.locator(f'#similar-list li[data-number="{earlier.number}"]')).to_be_visible()  # nearby reports too
    phone.fill("#id_description", "路灯不亮")
    phone.fill("#id_reporter_phone", "13800001234")
    phone.click("#report-submit")
    expect(phone.locator(".case-number")).to_be_visible()
    case = Case.objects.exclude(pk=earlier.pk).get()
    assert case.description == "路灯不亮" and (round(case.lat, 6), round(case.lng, 6)) == (41.79, 123.405)
    assert case.grid_code == WEST_GRID


def test_the_form_works_before_the_map_arrives_and_nothing_shifts(phone, live_server, category):
    # Leaflet held back until the form has been used: the form does not wait for the map.
    held = []
    phone.route(LEAFLET, lambda route: held.append(route))
    phone.add_init_script(LAYOUT_SHIFTS)
    phone.goto(f"{live_server.url}/report/", wait_until="domcontentloaded")
    expect(phone.locator("#report-map .map-note")).to_have_text("地图加载中……可以先填写下面的内容。")
    map_box = phone.locator("#report-map").bounding_box()
    phone.click("#locate-me")
    expect(phone.locator("#id_lat")).to_have_value("41.790000")
    phone.select_option("#id_category", str(category.pk))
    phone.fill("#id_description", "人行道砖松动")
    assert phone.locator("#report-map").get_attribute("data-map") is None and held

    for route in held:
        route.continue_()
    # The map arrives with the point already chosen as its pin, in the box kept for it.
    expect(phone.locator("#report-map path.report-pin")).to_be_visible()
    expect(phone.locator("#report-map")).to_have_attribute("data-outlines", "drawn")
    expect(phone.locator(f'#report-map path.grid-poly[data-code="{WEST_COMMUNITY}"]')).to_be_visible()
    assert phone.locator("#report-map").bounding_box() == map_box
    assert phone.evaluate("window.__layoutShift") < 0.01
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone.input_value("#id_description") == "人行道砖松动" and phone.input_value("#id_lat") == "41.790000"
