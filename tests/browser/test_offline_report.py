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


def test_a_queued_report_whose_answer_is_lost_is_sent_again_and_still_makes_one_case(
    phone, live_server, transactional_db, network
):
    # The phone sends the queued report when the connection returns, the server takes it, and the
    # answer is lost on the way back: the report stays queued, is sent again on the next visit,
    # and its one idempotency key (the form's one_time_key) finds the case made the first time.
    category = make_category("0101")
    phone.goto(f"{live_server.url}/report/")
    phone.context.set_offline(True)
    phone.click("#locate-me")
    expect(phone.locator("#id_lat")).to_have_value("41.790000")
    phone.select_option("#id_category", str(category.pk))
    phone.fill("#id_description", "路灯不亮")
    phone.fill("#id_reporter_phone", "13800001234")
    phone.click("#report-submit")
    expect(phone.locator("#offline-queue li")).to_have_count(1)

    sent = []

    def lose_the_answer(route):
        route.fetch()  # the server takes the report...
        sent.append(route.request.post_data_buffer)
        route.abort("connectionreset")  # ...and the phone never hears back

    phone.route("**/report/", lambda route: lose_the_answer(route) if route.request.method == "POST" else route.continue_())
    with phone.expect_event("requestfailed"):
        phone.context.set_offline(False)
    expect(phone.locator("#offline-queue li")).to_have_count(1)  # still waiting
    assert len(sent) == 1 and b'name="one_time_key"' in sent[0] and b"client_key" not in sent[0]
    assert Case.objects.count() == 1

    phone.unroute("**/report/")
    phone.reload()
    expect(phone.locator("#offline-queue .offline-status")).to_contain_text("已发送")
    expect(phone.locator("#offline-queue li")).to_have_count(0)
    assert Case.objects.get().description == "路灯不亮"
