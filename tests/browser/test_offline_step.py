"""A handling step taken without a connection (issue 11 item 2): the grid worker's case page is
kept on the phone and opens offline, marked as possibly out of date; the step, its photo included,
waits on the phone and is sent once the connection returns: exactly one step, with its photo."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from gridgov.cases.models import Case, Photo, State
from gridgov.cases.services import Report, report_case, take_action
from tests.case_factories import WEST_POINT, make_category, report
from tests.factories import WEST_GRID

from .test_case_loop import PHONE_VIEWPORT, crew, new_page, png_bytes, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

KEPT_ON_THE_PHONE = """() => !!navigator.serviceWorker.controller && caches.open("gridgov-case-pages-v1")
  .then((cache) => cache.match(location.pathname, { ignoreVary: true })).then(Boolean)"""


def wait_until_kept_on_the_phone(page) -> None:
    """The service worker controls the page and has kept a copy of it (polled: the copy is made
    by the worker in the background after the page has loaded)."""
    for _ in range(150):
        if page.evaluate(KEPT_ON_THE_PHONE):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the service worker did not keep the case page")


def test_a_step_taken_offline_is_sent_once_with_its_photo(new_page, live_server, crew, settings, tmp_path, screenshot):
    settings.MEDIA_ROOT = tmp_path
    case = report(make_category("0101", handled_in_grid=True), description="人行道井盖松动")
    for action, who, params in [("accept_file", "intake", {}), ("dispatch", "dispatcher", {"region": WEST_GRID})]:
        case = take_action(case.pk, action, crew[who], **params)
    steps_before = case.steps.count()

    phone = new_page(PHONE_VIEWPORT)
    sign_in(phone, live_server, crew["grid_worker"], case.number)
    wait_until_kept_on_the_phone(phone)

    phone.context.set_offline(True)
    phone.reload()  # no connection: the copy kept on the phone, said to be possibly out of date
    expect(phone.locator("[data-testid=case-number]")).to_have_text(case.number)
    expect(phone.locator("[data-testid=offline-copy]")).to_contain_text("可能已过时")

    form = phone.locator('form.action-form[data-action="start_finish"]')
    form.locator("input[type=file]").set_input_files({"name": "after.png", "mimeType": "image/png", "buffer": png_bytes()})
    form.locator("[name=note]").fill("已重新固定井盖")
    form.locator("[data-testid=action-start_finish]").click()
    waiting = phone.locator("#offline-queue li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text(case.number)
    expect(phone.locator("#offline-queue .offline-status")).to_contain_text("保存在本机")
    screenshot(phone, "offline-step-waiting")
    assert Case.objects.get(pk=case.pk).steps.count() == steps_before

    phone.context.set_offline(False)  # sent, and the page shows the case as the step left it
    expect(phone.locator("[data-testid=case-state]")).to_have_attribute("data-state", State.HANDLED)
    expect(phone.locator("#offline-queue .offline-status")).to_contain_text("已发送")
    expect(phone.locator("#offline-queue li")).to_have_count(0)
    expect(phone.locator("[data-testid=offline-copy]")).to_be_hidden()
    expect(phone.locator("[data-testid=after-photo]")).to_have_count(1)
    screenshot(phone, "offline-step-sent")
    case = Case.objects.get(pk=case.pk)
    assert [step.action for step in case.steps.all()][steps_before:] == ["start", "finish"]
    finish = case.steps.get(action="finish")
    assert finish.note == "已重新固定井盖" and finish.photos.count() == 1 and finish.data.get("step_key")


def dispatched_case(crew):
    case = report(make_category("0101", handled_in_grid=True), description="路灯不亮")
    for action, who, params in [("accept_file", "intake", {}), ("dispatch", "dispatcher", {"region": WEST_GRID})]:
        case = take_action(case.pk, action, crew[who], **params)
    return case


def queue_a_step_offline(phone, action, note):
    phone.context.set_offline(True)
    form = phone.locator(f'form.action-form[data-action="{action}"]')
    form.locator("[name=note]").fill(note)
    form.locator(f"[data-testid=action-{action}]").click()
    expect(phone.locator("#offline-queue li")).to_have_count(1)


def test_a_queued_step_whose_answer_is_lost_is_sent_again_and_still_is_one_step(new_page, live_server, crew):
    case = dispatched_case(crew)
    phone = new_page(PHONE_VIEWPORT)
    sign_in(phone, live_server, crew["grid_worker"], case.number)
    queue_a_step_offline(phone, "start", "已到现场")

    sent = []

    def lose_the_answer(route):
        route.fetch()  # the server takes the step...
        sent.append(route.request.post_data_buffer)
        route.abort("connectionreset")  # ...and the phone never hears back

    acting = f"**/cases/{case.number}/act/start/"
    phone.route(acting, lose_the_answer)
    # Only the step's own request: another one failing first (the worker's fetches) is not it.
    with phone.expect_event("requestfailed", predicate=lambda request: f"/cases/{case.number}/act/start/" in request.url):
        phone.context.set_offline(False)
    expect(phone.locator("#offline-queue li")).to_have_count(1)  # still waiting
    assert len(sent) == 1 and b'name="step_key"' in sent[0]
    assert Case.objects.get(pk=case.pk).state == State.HANDLING

    phone.unroute(acting)
    phone.reload()  # sent again: the step's key finds the step taken the first time
    expect(phone.locator("#offline-queue .offline-status")).to_contain_text("已发送")
    expect(phone.locator("#offline-queue li")).to_have_count(0)
    case = Case.objects.get(pk=case.pk)
    assert case.steps.filter(action="start").count() == 1 and case.steps.get(action="start").note == "已到现场"


def test_a_queued_step_refused_when_sent_says_why_and_keeps_the_note(new_page, live_server, crew):
    case = dispatched_case(crew)
    phone = new_page(PHONE_VIEWPORT)
    sign_in(phone, live_server, crew["grid_worker"], case.number)
    queue_a_step_offline(phone, "start", "已到现场")
    take_action(case.pk, "start", crew["grid_worker"])  # meanwhile taken from another phone

    phone.context.set_offline(False)
    expect(phone.locator("#offline-queue li")).to_have_count(0)
    status = phone.locator("#offline-queue .offline-status")
    expect(status).to_contain_text("被拒绝")
    expect(status).to_contain_text(case.number)
    expect(status).to_contain_text("已被他人更改")  # the server's reason, read from the page it answered with
    expect(phone.locator("#offline-queue .offline-details")).to_contain_text("已到现场")
    assert Case.objects.get(pk=case.pk).steps.filter(action="start").count() == 1


PHOTO_CACHES = """() => caches.keys().then((names) => names.filter((name) => name.startsWith("gridgov-case-photos-v1 ")))"""
THUMBNAIL_KEPT = """(path) => caches.match(path, { ignoreVary: true }).then(Boolean)"""
THUMBNAIL_WIDTHS = (
    """() => Array.from(document.querySelectorAll(".photo-rows img.thumb"), (img) => img.complete ? img.naturalWidth : -1)"""
)


def test_a_kept_case_page_shows_its_photos_offline_and_forgets_them_on_sign_out(new_page, live_server, crew, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lat, lng = WEST_POINT
    photo = SimpleUploadedFile("before.png", png_bytes(), content_type="image/png")
    case = report_case(
        Report(category=make_category("0101", handled_in_grid=True), lat=lat, lng=lng, description="井盖破损",
               source="resident", reporter_phone="13800001234"),
        photos=[photo],
    )  # fmt: skip
    for action, who, params in [("accept_file", "intake", {}), ("dispatch", "dispatcher", {"region": WEST_GRID})]:
        case = take_action(case.pk, action, crew[who], **params)
    kept_photo = Photo.objects.get(case=case)
    assert kept_photo.status == Photo.Status.READY
    thumbnail = f"/cases/photos/{kept_photo.pk}/thumb/"

    phone = new_page(PHONE_VIEWPORT)
    sign_in(phone, live_server, crew["grid_worker"], case.number)
    wait_until_kept_on_the_phone(phone)
    for _ in range(150):  # kept by the worker in the background, after the page
        if phone.evaluate(THUMBNAIL_KEPT, thumbnail):
            break
        phone.wait_for_timeout(100)
    assert phone.evaluate(PHOTO_CACHES) == [f"gridgov-case-photos-v1 /cases/{case.number}/"]

    phone.context.set_offline(True)
    phone.reload()  # the kept copy, with its photo: the 64 × 48 picture itself, not a broken image
    expect(phone.locator("[data-testid=offline-copy]")).to_contain_text("可能已过时")
    phone.wait_for_function("() => Array.from(document.querySelectorAll('.photo-rows img.thumb')).every((img) => img.complete)")
    assert phone.evaluate(THUMBNAIL_WIDTHS) == [64]

    phone.evaluate(
        "() => caches.keys().then((names) => Promise.all(names.filter((n) => n.startsWith('gridgov-case-photos-v1 ')).map((n) => caches.delete(n))))"
    )
    phone.reload()  # a thumbnail the phone does not hold: the drawn placeholder (160 × 120), not a broken image
    phone.wait_for_function("() => Array.from(document.querySelectorAll('.photo-rows img.thumb')).every((img) => img.complete)")
    assert phone.evaluate(THUMBNAIL_WIDTHS) == [160]

    phone.context.set_offline(False)
    phone.reload()  # online again: the page and its photo are kept afresh
    for _ in range(150):
        if phone.evaluate(THUMBNAIL_KEPT, thumbnail):
            break
        phone.wait_for_timeout(100)
    assert phone.evaluate(THUMBNAIL_KEPT, thumbnail)
    with phone.expect_navigation():
        phone.evaluate("() => document.querySelector('form[action=\"/logout/\"]').submit()")
    assert phone.evaluate(PHOTO_CACHES) == []  # signing out forgets the pages and their photos
    assert not phone.evaluate(THUMBNAIL_KEPT, thumbnail)
