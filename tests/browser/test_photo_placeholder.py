"""A photo still being processed, or one that could not be, takes its place on the case page as a
placeholder with a sentence, on a phone and on a desktop; no broken image and no link."""

import pytest

from gridgov.accounts.models import Role
from gridgov.cases.models import Photo
from tests.browser.test_phone_layout import PHONE, overflow, session_cookie
from tests.case_factories import make_category, make_user, report

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_pending_and_failed_photos_show_as_placeholders(chromium, live_server, transactional_db, network, viewport):
    case = report(make_category())
    step = case.steps.get(action="report")
    Photo.objects.create(case=case, step=step, phase="before", status="pending", original="x.jpg", content_type="image/jpeg")
    Photo.objects.create(
        case=case, step=step, phase="before", status="failed", failure="图片数据损坏或不完整", content_type="image/jpeg"
    )
    user = make_user(Role.DISPATCHER, username=f"placeholder-{viewport['width']}")
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    context.add_cookies([session_cookie(user, live_server.url)])
    page = context.new_page()
    assert page.goto(f"{live_server.url}/cases/{case.number}/").status == 200

    pending = page.locator(".photo-rows [data-testid=photo-pending]")
    failed = page.locator(".photo-rows [data-testid=photo-failed]")
    assert pending.is_visible() and "照片处理中" in pending.inner_text()
    assert failed.is_visible() and "这张照片无法处理。" in failed.inner_text()
    assert failed.get_attribute("title") == "图片数据损坏或不完整"
    assert page.locator(".photo-rows img, .photo-rows a").count() == 0  # nothing to load, nothing to open
    assert page.locator(".timeline [data-testid=photo-pending]").count() == 1  # the report step's small one
    box = pending.bounding_box()
    assert box is not None and box["width"] == 120 and box["height"] == 90  # a thumbnail's place
    assert overflow(page) == 0
    context.close()
