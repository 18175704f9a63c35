"""Business opening in one working day, in Chromium: an enterprise applies online on a phone
with its materials, the window accepts, the four departments (market regulation, police, tax,
bank) each grant their part, the window delivers, and the enterprise sees it decided the same
working day and rates it."""

import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from gridgov.accounts.models import Role, User
from gridgov.services import services
from gridgov.services.models import Application, Bundle, State

from ..services_factories import build_catalogue, pdf, png
from .conftest import PASSWORD

pytestmark = pytest.mark.browser
PHONE_VIEWPORT = {"width": 390, "height": 844}


@pytest.fixture
def people(transactional_db, network, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    catalogue = build_catalogue()

    def make(name, role, **kw):
        return User.objects.create_user(name, password=PASSWORD, role=role, **kw)

    return {
        "boss": make("boss", Role.RESIDENT),
        "clerk": make("clerk", Role.INTAKE_CLERK),
        **{code: make(f"h_{code}", Role.DEPARTMENT_HANDLER, department=d) for code, d in catalogue["departments"].items()},
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


def sign_in(page, live_server, user, next_url):
    page.goto(f"{live_server.url}/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_business_opening_online_to_rating(new_page, live_server, people):
    boss = new_page(PHONE_VIEWPORT)
    sign_in(boss, live_server, people["boss"], "/services/")
    boss.click("[data-testid=apply-YJS-KB]")
    boss.select_option("#applicant_kind", "enterprise")
    boss.fill("#applicant_name", "张三")
    boss.fill("#enterprise_name", "样例科技有限公司")
    boss.fill("#phone", "13812345678")
    boss.fill("#field_company_name", "样例科技")
    boss.set_input_files("#material_id-card", files=[{"name": "id.png", "mimeType": "image/png", "buffer": _png()}])
    boss.set_input_files(
        "#material_lease",
        files=[{"name": "lease.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"}],
    )
    boss.check("input[name=certificate_licence]")
    assert boss.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    boss.click("[data-testid=submit]")
    expect(boss.locator("[data-testid=state]")).to_be_visible()
    number = Application.objects.get().number

    clerk = new_page()
    sign_in(clerk, live_server, people["clerk"], f"/services/a/{number}/")
    clerk.click("[data-testid=action-accept]")
    expect(clerk.locator("[data-testid=part-MR]")).to_be_visible()

    for code in ["MR", "PS", "TX", "BK"]:
        handler = new_page()
        sign_in(handler, live_server, people[code], "/services/inbox/")
        handler.click(f"text={number}")
        handler.click(f"[data-testid=grant-{code}]")
        expect(handler.locator(f"[data-testid=part-{code}] [data-testid=part-state]")).to_have_text("准予")

    clerk.reload()
    clerk.click("[data-testid=action-deliver]")

    boss.goto(f"{live_server.url}/services/a/{number}/")
    expect(boss.locator("[data-testid=state]")).to_have_text("已送达")
    application = Application.objects.get()
    assert application.state == State.DELIVERED and application.on_time
    assert timezone.localtime(application.decided_at).date() == timezone.localtime(application.received_at).date()
    boss.check("[data-testid=grade-5]")
    boss.click("[data-testid=rate]")
    expect(boss.locator("[data-testid=rated]")).to_contain_text("非常满意")
    assert boss.evaluate("document.documentElement.scrollWidth") <= 390 + 1


def test_rectification_reply_and_return_visit_on_a_phone(new_page, live_server, people, network):
    application = services.submit_application(
        actor=people["boss"],
        bundle=Bundle.objects.get(code="YJS-KB"),
        applicant_kind="enterprise",
        applicant_name="张三",
        enterprise_name="样例科技",
        phone="13812345678",
        channel="online",
        files={"id-card": png(), "lease": pdf()},
        certificates=["licence"],
    )
    services.take_action(actor=people["clerk"], application=application, action="accept")
    for part in application.parts.all():
        services.act_on_part(actor=people[part.department.code], part=part, action="grant")
    services.take_action(actor=people["clerk"], application=application, action="deliver", delivery="electronic")
    services.rate_application(actor=people["boss"], application=application, grade=1, reasons="排队太久")

    handler = new_page(PHONE_VIEWPORT)
    sign_in(handler, live_server, people["TX"], "/services/rectifications/")
    handler.click(f"text={application.number}")
    assert handler.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    handler.fill("#reply", "已增设发票窗口，高峰期分流")
    handler.click("[data-testid=send-reply]")
    expect(handler.locator("[data-testid=reply]")).to_contain_text("已增设发票窗口")
    handler.fill("#note", "申请人表示认可")
    handler.click("[data-testid=record-visit]")
    expect(handler.locator("[data-testid=return-visit]")).to_contain_text("申请人表示认可")
    assert handler.evaluate("document.documentElement.scrollWidth") <= 390 + 1

    boss = new_page(PHONE_VIEWPORT)
    sign_in(boss, live_server, people["boss"], f"/services/a/{application.number}/")
    expect(boss.locator("[data-testid=rectification-reply]")).to_contain_text("已增设发票窗口")
    assert boss.evaluate("document.documentElement.scrollWidth") <= 390 + 1
