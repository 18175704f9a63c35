"""The full loop of a case in Chromium: a resident reports on the phone page, the command centre
accepts, files and dispatches it to the grid, the grid worker handles it with an after-photo,
the verifier closes it, and the resident looks it up and rates it."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, State
from tests.case_factories import make_category, make_user, report
from tests.factories import WEST_GRID

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

WEST_COMMUNITY = WEST_GRID[:12]
PHONE = "13800001234"
PHONE_VIEWPORT = {"width": 390, "height": 844}


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def crew(transactional_db, network):
    def user(role, region=None, name=""):
        account = make_user(role, region, username=role)
        account.set_password(PASSWORD)
        account.first_name = name
        account.save()
        return account

    return {
        "intake": user(Role.INTAKE_CLERK, name="受理员"),
        "dispatcher": user(Role.DISPATCHER, name="派遣员"),
        "grid_worker": user(Role.GRID_WORKER, WEST_GRID, name="网格员小王"),
        "verifier": user(Role.VERIFIER, name="核查员"),
    }


@pytest.fixture
def new_page(chromium, live_server, transactional_db):
    contexts = []

    def open_page(viewport=None):
        context = chromium.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, live_server, user, number):
    page.goto(f"{live_server.url}/login/?next=/cases/{number}/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    expect(page.locator("[data-testid=case-number]")).to_have_text(number)


def take(page, action, **fill):
    form = page.locator(f'form.action-form[data-action="{action}"]')
    for selector, value in fill.items():
        form.locator(f"[name={selector}]").fill(value)
    form.locator(f"[data-testid=action-{action}]").click()
    expect(page.locator(".messages")).to_be_visible()


def state_of(page):
    return page.locator("[data-testid=case-state]")


def test_full_loop_from_report_to_rating(new_page, live_server, crew, settings, tmp_path, screenshot):
    settings.MEDIA_ROOT = tmp_path
    category = make_category("0101", handled_in_grid=True)
    earlier = report(category, point=(41.7913, 123.4049), description="同一处垃圾，昨天已报")

    # A resident reports on the phone-sized public page, pin dropped by tapping the map.
    resident = new_page(PHONE_VIEWPORT)
    resident.goto(f"{live_server.url}/report/")
    community = resident.locator(f'#report-map path.grid-poly[data-code="{WEST_COMMUNITY}"]')
    expect(community).to_be_visible()
    box = community.bounding_box()
    community.click(position={"x": box["width"] * 0.25, "y": box["height"] / 2})  # inside the west grid
    expect(resident.locator("#id_lat")).not_to_have_value("")
    resident.select_option("#id_category", str(category.pk))
    expect(resident.locator(f'#similar-list li[data-number="{earlier.number}"]')).to_be_visible()  # may still submit
    resident.fill("#id_description", "路边堆放生活垃圾，已有异味")
    resident.fill("#id_reporter_phone", PHONE)
    screenshot(resident, "case-report")
    resident.click("#report-submit")
    number = resident.locator("[data-testid=case-number]").inner_text().strip()
    assert re.fullmatch(r"\d{14}", number)
    assert Case.objects.get(number=number).grid_code == WEST_GRID
    screenshot(resident, "case-report-done")

    # The intake clerk accepts and files it.
    clerk = new_page()
    sign_in(clerk, live_server, crew["intake"], number)
    take(clerk, "accept")
    take(clerk, "file")
    expect(state_of(clerk)).to_have_attribute("data-state", "filed")

    # The dispatcher sends it to the grid's own staff (solved in the grid).
    dispatcher = new_page()
    sign_in(dispatcher, live_server, crew["dispatcher"], number)
    screenshot(dispatcher, "case-dispatch-form")
    dispatcher.goto(f"{live_server.url}/cases/map/")
    marker = dispatcher.locator(f'path.case-marker[data-number="{number}"]')
    expect(marker).to_be_visible()
    marker.click()
    dispatcher.locator("a.case-link").click()
    expect(dispatcher.locator("[data-testid=case-number]")).to_have_text(number)
    dispatcher.select_option('form[data-action="dispatch"] select[name=assignee]', f"region:{WEST_GRID}")
    take(dispatcher, "dispatch")
    expect(state_of(dispatcher)).to_have_attribute("data-state", "dispatched")

    # The grid worker finds it in their inbox, starts and finishes with an after-photo.
    worker = new_page()
    sign_in(worker, live_server, crew["grid_worker"], number)
    worker.goto(f"{live_server.url}/cases/inbox/")
    screenshot(worker, "case-inbox")
    worker.locator(f'tr[data-number="{number}"] a').click()
    take(worker, "start")
    worker.locator('form[data-action="finish"] input[type=file]').set_input_files(
        {"name": "after.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    take(worker, "finish", note="内部：已通知环卫班组", public_note="已清运完毕")
    expect(worker.locator("[data-testid=after-photo]")).to_have_count(1)
    screenshot(worker, "case-handled")

    # The verifier checks it and closes it.
    verifier = new_page()
    sign_in(verifier, live_server, crew["verifier"], number)
    take(verifier, "verify")
    take(verifier, "pass")
    expect(state_of(verifier)).to_have_attribute("data-state", "closed")

    # The resident looks it up by number and phone and rates it.
    resident.goto(f"{live_server.url}/report/lookup/")
    resident.fill("#id_number", number)
    resident.fill("#id_phone", PHONE)
    resident.click("#lookup-form button[type=submit]")
    expect(resident.locator("[data-testid=case-state]")).to_have_attribute("data-state", "closed")
    resident.check('#rate-form input[value="satisfied"]')
    resident.click("#rate-form button[type=submit]")
    expect(resident.locator("[data-testid=case-rating]")).to_have_attribute("data-rating", "satisfied")
    steps = resident.locator("#timeline .timeline-step")
    expected = ["report", "accept", "file", "dispatch", "start", "finish", "verify", "pass", "rate"]
    expect(steps).to_have_count(len(expected))
    assert [steps.nth(i).get_attribute("data-action") for i in range(len(expected))] == expected
    expect(resident.locator("#timeline")).to_contain_text("已清运完毕")
    expect(resident.locator("#timeline")).not_to_contain_text("环卫班组")  # the internal note stays internal
    assert "网格员小王" not in resident.content() and PHONE not in resident.locator("#public-case").inner_text()
    screenshot(resident, "case-rated")

    case = Case.objects.get(number=number)
    assert (case.state, case.rating, case.solved_level) == (State.RATED, "satisfied", "grid")
    assert case.photos.filter(phase="after").count() == 1
