"""On a phone (390×844) in Chromium: the grid worker's patrol page handles a problem on the spot
from the phone's position, and a resident says "me too" to a nearby report instead of filing one."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, Source, State, Subscriber
from tests.case_factories import make_category, make_user, report
from tests.factories import WEST_GRID

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

HERE = {"latitude": 41.79, "longitude": 123.405}  # inside WEST_GRID
PHONE_VIEWPORT = {"width": 390, "height": 844}


def jpeg(colour) -> dict:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), colour).save(out, "JPEG")
    return {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


@pytest.fixture
def phone(chromium, live_server, transactional_db):
    context = chromium.new_context(
        viewport=PHONE_VIEWPORT, locale="zh-CN", geolocation=HERE, permissions=["geolocation"], is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def category(transactional_db, network):
    return make_category("0101")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_grid_worker_handles_a_problem_on_the_spot(phone, live_server, category):
    worker = make_user(Role.GRID_WORKER, WEST_GRID, username="patrol-worker")
    worker.set_password(PASSWORD)
    worker.save()
    phone.goto(f"{live_server.url}/login/?next=/cases/patrol/")
    phone.fill("#id_username", worker.username)
    phone.fill("#id_password", PASSWORD)
    phone.click("button[type=submit].primary")

    expect(phone.locator("#id_photos")).to_have_attribute("capture", "environment")
    phone.set_input_files("#id_photos", jpeg((200, 30, 30)))
    phone.click("#locate-me")
    expect(phone.locator("#id_lat")).to_have_value("41.790000")
    expect(phone.locator("#report-map path.report-pin")).to_be_visible()
    phone.select_option("#id_category", str(category.pk))
    phone.fill("#id_description", "人行道上有碎玻璃")
    phone.set_input_files("#id_after_photos", jpeg((30, 200, 30)))
    phone.fill("#id_public_note", "碎玻璃已清扫干净。")
    assert no_horizontal_scroll(phone)
    phone.click("#patrol-self-handle")

    expect(phone.locator(".messages li")).to_contain_text("就地处置")
    case = Case.objects.get(source=Source.PATROL)
    assert (case.state, case.solved_level, case.assigned_region.code) == (State.HANDLED, "grid", WEST_GRID)
    assert sorted(case.photos.values_list("phase", flat=True)) == ["after", "before"]


def test_a_resident_says_me_too_instead_of_filing_a_duplicate(phone, live_server, category):
    earlier = report(category, point=(41.7901, 123.4051), description="垃圾桶满溢")
    phone.goto(f"{live_server.url}/report/")
    phone.click("#locate-me")
    expect(phone.locator("#id_lat")).to_have_value("41.790000")
    phone.select_option("#id_category", str(category.pk))
    item = phone.locator(f'#similar-list li[data-number="{earlier.number}"]')
    expect(item).to_be_visible()
    assert no_horizontal_scroll(phone)

    item.locator("[data-testid=me-too]").click()  # no phone yet: asked for it, nothing sent
    expect(item.locator(".me-too-status")).to_contain_text("手机号")
    phone.fill("#id_reporter_phone", "13911112222")
    item.locator("[data-testid=me-too]").click()
    expect(item).to_have_attribute("data-followed", "true")
    expect(item.locator(".me-too-status")).to_contain_text(earlier.number)
    item.locator("[data-testid=me-too]").click()  # twice: still one subscription
    expect(item.locator(".me-too-status")).to_contain_text("已经关注")

    assert Case.objects.count() == 1
    assert Subscriber.objects.filter(case=earlier).count() == 1
