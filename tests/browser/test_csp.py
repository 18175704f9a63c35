"""The pages really work under the Content-Security-Policy: no violation on the map, the report
page, the inbox, the case map and the account security pages (and the admin for an administrator)."""

import re

import pytest
from playwright.sync_api import expect

from gridgov.grids.models import Region
from tests.case_factories import make_category, report
from tests.factories import WEST_GRID

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

CSP_MARKERS = ("Content Security Policy", "Content-Security-Policy")


@pytest.fixture
def violations(page):
    """Every CSP complaint Chromium prints, and every securitypolicyviolation event a page fires."""
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text) if any(m in message.text for m in CSP_MARKERS) else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return found


def test_pages_load_without_csp_violations(page, live_server, transactional_db, network, browser_user, violations):
    case = report(make_category())
    browser_user.region = Region.objects.get(code=WEST_GRID[:12])  # scope is closed by default: their own unit
    browser_user.save(update_fields=["region"])
    response = page.goto(f"{live_server.url}/report/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "geolocation=(self)" in response.headers["permissions-policy"]
    expect(page.locator("#report-map.leaflet-container")).to_be_visible()

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", browser_user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page).to_have_url(re.compile(r"/grids/"))
    expect(page.locator("path.grid-poly").first).to_be_visible()

    pages = (
        "/cases/inbox/",
        "/cases/",
        "/cases/map/",
        f"/cases/{case.number}/",
        f"/grids/{WEST_GRID}/",
        f"/grids/{WEST_GRID[:12]}/",
    )
    for path in (*pages, "/account/security/", "/account/otp/enrol/", "/account/password/"):
        assert page.goto(f"{live_server.url}{path}").ok, path
        page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_be_visible()
    assert violations == []


def test_an_administrator_logs_in_with_a_code_and_the_admin_works(
    page, live_server, transactional_db, django_user_model, violations
):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = django_user_model.objects.create_user("sysadmin", password=PASSWORD, role="system_admin", is_staff=True)
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "sysadmin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    expect(page).to_have_url(re.compile(r"/account/otp/"))
    page.fill("#id_token", f"{totp(device.bin_key):06d}")
    page.click("button[type=submit].primary")
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.goto(f"{live_server.url}/admin/cases/category/add/")
    expect(page.locator("#category_form")).to_be_visible()
    assert violations == []
