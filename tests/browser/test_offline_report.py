"""A report taken without a connection (issue 11 item 2): kept on the phone and shown as waiting,
sent once the connection returns, exactly one case, photo included."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from gridgov.cases.models import Case
from tests.case_factories import make_category

pytestmark = pytest.mark.browser

HERE = {"latitude": 41.79, "longitude": 123.405}


@pytest.fixture
def phone(chromium, live_server, transactional_db):
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", geolocation=HERE, permissions=["geolocation"]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_a_report_made_offline_is_sent_once_when_the_connection_returns(phone, live_server, transactional_db, network):
    category = make_category("0101")
    phone.goto(f"{live_server.url}/report/")
    phone.context.set_offline(True)
    phone.click("#locate-me")
    expect(phone.locator("#id_lat")).to_have_value("41.790000")
    phone.select_option("#id_category", str(category.pk))
    phone.fill("#id_description", "地下通道积水")
    phone.fill("#id_reporter_phone", "13800001234")
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (20, 20, 200)).save(out, "JPEG")
    phone.set_input_files("#id_photos", {"name": "water.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()})
    phone.click("#report-submit")

    expect(phone.locator("#offline-queue li")).to_have_count(1)
    expect(phone.locator("#offline-queue li")).to_contain_text("地下通道积水")
    assert Case.objects.count() == 0

    phone.context.set_offline(False)
    expect(phone.locator("#offline-queue li")).to_have_count(0)
    expect(phone.locator("#offline-queue .offline-status")).to_contain_text("已发送")
    case = Case.objects.get()
    assert case.description == "地下通道积水" and case.photos.count() == 1
