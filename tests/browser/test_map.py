"""Log in, drill down the map street → community → grid and read the grid's code on its page."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import WEST_GRID, WEST_MIDDLE_GRID

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

WEST_STREET, WEST_COMMUNITY = WEST_MIDDLE_GRID[:9], WEST_MIDDLE_GRID[:12]


def polygon(page, code):
    return page.locator(f'path.grid-poly[data-code="{code}"]')


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/grids/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page).to_have_url(re.compile(r"/grids/"))


def test_drill_down_to_a_grid_and_read_its_code(page, live_server, transactional_db, network, browser_user, screenshot):
    log_in(page, live_server, browser_user)
    expect(page.locator("[data-testid=current-user]")).to_contain_text("王网格")
    expect(page.locator("#breadcrumb")).to_contain_text("样例区")

    # the district's streets
    expect(polygon(page, "210199002")).to_be_visible()
    screenshot(page, "map-district")
    polygon(page, WEST_STREET).click()

    # the street's communities
    expect(page.locator("#breadcrumb")).to_contain_text("西街道")
    polygon(page, WEST_COMMUNITY).click()

    # the community's grids, in the map and in the side list
    expect(page.locator("#breadcrumb")).to_contain_text("西社区")
    expect(page.locator("#panel-summary")).to_contain_text(re.compile(r"\d+ 个网格"))
    expect(page.locator(f'#child-list a[data-code="{WEST_MIDDLE_GRID}"]')).to_contain_text("西二网格")
    expect(polygon(page, "210199002001001")).to_have_count(0)  # the other street's grid is not drawn
    polygon(page, WEST_MIDDLE_GRID).click()
    popup_link = page.locator(f'a.grid-detail-link[data-code="{WEST_MIDDLE_GRID}"]')
    expect(popup_link).to_be_visible()
    expect(page.locator(".grid-popup")).to_contain_text(re.compile(r"面积：[\d.]+ 平方千米"))
    screenshot(page, "map-community")
    popup_link.click()

    expect(page).to_have_url(re.compile(rf"/grids/{WEST_MIDDLE_GRID}/$"))
    expect(page.locator("[data-testid=unit-code]")).to_have_text(WEST_MIDDLE_GRID)
    expect(page.locator("#staff-table")).to_contain_text("网格长2")
    expect(page.locator("#staff-table")).to_contain_text("138****5678")
    expect(page.locator("#unit-map path.unit-outline")).to_have_count(1)
    screenshot(page, "grid-detail")


def test_search_jumps_to_a_grid(page, live_server, transactional_db, network, browser_user):
    log_in(page, live_server, browser_user)
    expect(polygon(page, WEST_STREET)).to_be_visible()

    page.fill("#region-search", "东一")
    hit = page.locator('.search-hit[data-code="210199002001001"]')
    expect(hit).to_be_visible()
    hit.click()

    expect(page.locator("#breadcrumb")).to_contain_text("东社区")
    expect(page.locator('a.grid-detail-link[data-code="210199002001001"]')).to_be_visible()
    assert page.evaluate("location.hash") == "#210199002001001"


def test_the_map_page_switches_to_english(page, live_server, transactional_db, network, browser_user):
    log_in(page, live_server, browser_user)
    expect(page.locator("#region-search")).to_have_attribute("placeholder", "按编码或名称搜索")

    page.click('.lang-switch button[value="en"]')

    expect(page.locator("#region-search")).to_have_attribute("placeholder", "Search by code or name")
    expect(page.locator("#breadcrumb")).to_contain_text("Whole network")
    expect(page.locator("#panel-summary")).to_contain_text(re.compile(r"\b\d+ grids?\b"))


def test_the_open_case_map_draws_the_grids_and_colours_them_by_open_cases(
    page, live_server, transactional_db, network, browser_user, screenshot
):
    from tests.case_factories import report

    case = report()
    _give_unit(browser_user, WEST_GRID[:12])  # scope is closed by default: a user sees their own unit
    log_in(page, live_server, browser_user)
    page.goto(f"{live_server.url}/cases/map/")
    expect(page.locator(f'path.case-marker[data-number="{case.number}"]')).to_be_visible()
    grid = page.locator(f'path.grid-outline[data-code="{case.grid_code}"]')
    expect(grid).to_have_attribute("data-open", "1")
    expect(page.locator(f'path.grid-outline[data-code="{WEST_MIDDLE_GRID}"]')).to_have_attribute("data-open", "0")
    expect(page.locator("#grid-legend")).to_be_hidden()

    page.select_option("#grid-colour", "open")
    legend = page.locator("#grid-legend .swatch")
    expect(legend).to_have_count(5)
    expect(legend.first).to_have_text("0")
    expect(grid).to_have_attribute("fill", "#ffe8cc")  # 1 open case: the second band
    screenshot(page, "open-case-map-by-grid")


def _give_unit(user, code: str) -> None:
    from gridgov.grids.models import Region

    user.region = Region.objects.get(code=code)
    user.save(update_fields=["region"])
