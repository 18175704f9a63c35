"""The command centre and the grid on a phone (390×844): combined actions, batch dispatch from the
queue, and a refused action that answers in Chinese and keeps what was typed."""

import pytest
from playwright.sync_api import expect

from gridgov.cases.models import Case, State
from gridgov.cases.services import take_action
from tests.case_factories import make_category, report
from tests.factories import WEST_GRID

from .test_case_loop import PHONE_VIEWPORT, crew, new_page, png_bytes, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def take(page, action, photo=False, **fill):
    form = page.locator(f'form.action-form[data-action="{action}"]')
    if photo:
        form.locator("input[type=file]").set_input_files({"name": "photo.png", "mimeType": "image/png", "buffer": png_bytes()})
    for name, value in fill.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator(f"[data-testid=action-{action}]").click()
    expect(page.locator(".messages")).to_be_visible()


def test_combined_actions_on_a_phone(new_page, live_server, crew, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    category = make_category("0101", handled_in_grid=True)
    number = report(category).number

    clerk = new_page(PHONE_VIEWPORT)
    sign_in(clerk, live_server, crew["intake"], number)
    take(clerk, "accept_file", note="来电核实")
    expect(clerk.locator("[data-testid=case-state]")).to_have_attribute("data-state", "filed")
    take_action(Case.objects.get(number=number).pk, "dispatch", crew["dispatcher"], region=WEST_GRID)

    worker = new_page(PHONE_VIEWPORT)
    sign_in(worker, live_server, crew["grid_worker"], number)
    take(worker, "start_finish", photo=True, note="已清理")
    expect(worker.locator("[data-testid=case-state]")).to_have_attribute("data-state", "handled")

    verifier = new_page(PHONE_VIEWPORT)
    sign_in(verifier, live_server, crew["verifier"], number)
    take(verifier, "verify_pass", photo=True)
    expect(verifier.locator("[data-testid=case-state]")).to_have_attribute("data-state", "closed")
    steps = verifier.locator("#timeline .timeline-step")
    actions = [steps.nth(i).get_attribute("data-action") for i in range(steps.count())]
    assert actions == ["report", "accept", "file", "dispatch", "start", "finish", "verify", "pass"]
    case = Case.objects.get(number=number)
    assert case.steps.get(action="verify").photos.count() == 1 and case.steps.get(action="finish").photos.count() == 1


def test_batch_dispatch_from_the_queue_on_a_phone(new_page, live_server, crew):
    category = make_category("0101", handled_in_grid=True)
    numbers = []
    for description in ("路口堆放垃圾", "绿地内有垃圾"):
        case = report(category, description=description)
        numbers.append(take_action(case.pk, "accept_file", crew["intake"]).number)

    page = new_page(PHONE_VIEWPORT)
    sign_in(page, live_server, crew["dispatcher"], numbers[0])
    page.goto(f"{live_server.url}/cases/inbox/")
    expect(page.locator("#case-table")).to_contain_text("西一网格")
    for number in numbers:
        page.check(f'tr[data-number="{number}"] input[type=checkbox]')
    page.click("[data-testid=dispatch-selected]")
    messages = page.locator(".messages")
    for number in numbers:
        expect(messages).to_contain_text(f"案件 {number} 已派遣给")
    assert set(Case.objects.filter(number__in=numbers).values_list("state", flat=True)) == {State.DISPATCHED}


def test_a_refused_action_answers_in_chinese_and_keeps_the_note(new_page, live_server, crew):
    number = report(make_category("0101")).number
    page = new_page(PHONE_VIEWPORT)
    sign_in(page, live_server, crew["intake"], number)
    form = page.locator('form.action-form[data-action="merge"]')
    form.locator("[name=into]").fill("99999999999999")
    form.locator("[name=note]").fill("来电人说与昨天那件相同")
    form.locator("[data-testid=action-merge]").click()
    expect(page.locator("[data-testid=action-error]")).to_have_text(
        "请填写要合并到的案件编号：没有编号为“99999999999999”的其他案件。"
    )
    expect(page.locator('form.action-form[data-action="merge"] [name=note]')).to_have_value("来电人说与昨天那件相同")
    assert Case.objects.get(number=number).state == State.REPORTED
