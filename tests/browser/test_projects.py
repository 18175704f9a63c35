"""A project's blocking problem in Chromium: the project office opens the list on a phone,
opens the project, raises the problem; the command centre files and dispatches the case to the
department through the ordinary workflow; the department finds it in its inbox and starts it;
the project page shows the case's new state."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from gridgov.accounts.models import Department, Role, User
from gridgov.cases import services as case_services
from gridgov.cases.models import Case
from gridgov.projects import services
from gridgov.projects.models import ProjectProblem, Stage

from .conftest import PASSWORD

pytestmark = pytest.mark.browser
PHONE_VIEWPORT = {"width": 390, "height": 844}


def account(username, role, department=None):
    user = User.objects.create_user(username, password=PASSWORD, role=role, department=department, first_name=username)
    return user


@pytest.fixture
def people(transactional_db, network):
    # A transactional test flushes what the data migrations seeded; put the catalogue back.
    from gridgov.cases.catalogue import seed_catalogue
    from gridgov.cases.models import Category
    from gridgov.projects.catalogue import seed_industries, seed_problem_categories

    seed_catalogue()
    seed_problem_categories(Category, Department)
    seed_industries()
    department = Department.objects.get(code="zjj")  # the permit category's default department
    return {
        "office": account("office", Role.LEADER),
        "shift": account("shift", Role.SHIFT_LEAD),
        "handler": account("handler", Role.DEPARTMENT_HANDLER, department),
        "department": department,
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


def test_problem_from_project_page_to_department_inbox_and_back(new_page, live_server, people, screenshot):
    project = services.create_project(
        name="样例线束项目（示例）", total_investment=30000, lat=41.79, lng=123.435, park="汽车城产业园"
    )
    services.record_stage(project, stage=Stage.SIGNED, on=date(2026, 3, 2))

    office = new_page(PHONE_VIEWPORT)
    sign_in(office, live_server, people["office"], "/projects/?year=2026&first=1&last=8")
    expect(office.locator("[data-testid=count-signed]")).to_have_text("1")
    assert office.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    office.locator("[data-testid=project-table] a", has_text="样例线束项目").click()
    expect(office.locator("h1")).to_contain_text("样例线束项目")
    assert office.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling on a phone
    office.select_option("#id_kind", "permit")
    office.fill("#id_description", "施工许可证迟迟未批，影响开工")
    screenshot(office, "project-raise-problem")
    office.click("#raise-problem button[type=submit]")
    expect(office.locator(".messages")).to_be_visible()
    number = ProjectProblem.objects.get(project=project).case_number
    expect(office.locator("[data-testid=project-problems]")).to_contain_text(number)
    expect(office.locator("[data-testid=problem-state]")).to_have_text("已上报")

    # The command centre takes it through the ordinary workflow to the department.
    case_id = Case.objects.get(number=number).pk
    for action, params in (("accept", {}), ("file", {}), ("dispatch", {"department": people["department"].code})):
        case_services.take_action(case_id, action, people["shift"], **params)

    handler = new_page()
    sign_in(handler, live_server, people["handler"], "/cases/inbox/")
    row = handler.locator(f'tr[data-number="{number}"]')
    expect(row).to_be_visible()
    row.locator("a").first.click()
    handler.locator("[data-testid=action-start]").click()
    expect(handler.locator(".messages")).to_be_visible()

    office.reload()
    expect(office.locator("[data-testid=problem-state]")).to_have_text("处置中")
    office.goto(f"{live_server.url}/projects/problems/")
    expect(office.locator("[data-testid=open-problems]")).to_contain_text(number)
    screenshot(office, "project-open-problems")


def test_the_other_pages_fit_a_phone(new_page, live_server, people, screenshot):
    from gridgov.demo.economy import build_projects_and_economy

    build_projects_and_economy(20240901, year=2026)
    office = new_page(PHONE_VIEWPORT)
    complaints = []  # the charts draw under the CSP: no inline script or style
    office.on("console", lambda message: complaints.append(message.text) if "Content Security Policy" in message.text else None)
    office.on("pageerror", lambda error: complaints.append(str(error)))
    sign_in(office, live_server, people["office"], "/economy/?month=2026-08")
    expect(office.locator("[data-testid=economy-table]")).to_contain_text("1251.3")
    for path, name, chart in (
        ("/economy/?month=2026-08", "economy", "trend-chart"),
        ("/economy/briefing/?month=2026-08", "briefing", None),
        ("/projects/?year=2026&first=1&last=8", "project-list", "counts-chart"),
        ("/projects/chains/automobile/", "chain", "chain-chart"),
        ("/projects/renewal/?year=2026", "renewal", None),
        ("/projects/problems/", "problems", None),
    ):
        office.goto(f"{live_server.url}{path}")
        if chart:
            expect(office.locator(f"[data-testid={chart}] canvas")).to_be_visible()
        screenshot(office, f"phone-{name}")
        assert office.evaluate("document.documentElement.scrollWidth") <= 390 + 1, path
    # With the graph drawn, the chain's list folds away but stays one click from its projects.
    office.goto(f"{live_server.url}/projects/chains/automobile/")
    expect(office.locator("[data-testid=chain-chart] canvas")).to_be_visible()
    expect(office.locator("[data-testid=chain-diagram]")).to_be_hidden()
    office.locator("#chain-list summary").click()
    expect(office.locator("[data-testid=chain-diagram]")).to_be_visible()
    assert complaints == []


def test_the_economy_export_and_import_run_as_jobs_with_a_status_page_on_a_phone(new_page, live_server, people, tmp_path):
    """The export button leads to the job's page, which offers the file; a refused import shows
    its rows there; both pages fit a phone."""
    from io import BytesIO

    from django.contrib.auth.models import Permission
    from openpyxl import Workbook, load_workbook

    office = people["office"]
    office.user_permissions.add(Permission.objects.get(codename="add_monthlyfigure"))
    page = new_page(PHONE_VIEWPORT)
    sign_in(page, live_server, office, "/economy/?month=2026-08")
    page.click("[data-testid=economy-export]")
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f]{32}/$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    with page.expect_download() as download:
        page.click("[data-testid=export-download]")
    assert download.value.suggested_filename == "economy-2026.xlsx"
    assert next(load_workbook(BytesIO(download.value.path().read_bytes())).active.iter_rows(values_only=True))[0] == "指标代码"

    book = Workbook()
    book.active.append(["指标代码", "地区代码", "年份", "月份", "当月值"])
    book.active.append(["no-such-indicator", "210199", 2026, 3, 1])
    upload = tmp_path / "march.xlsx"
    buffer = BytesIO()
    book.save(buffer)
    upload.write_bytes(buffer.getvalue())
    page.goto(f"{live_server.url}/economy/?month=2026-08")
    page.set_input_files("#economy-file", str(upload))
    page.locator("form[action='/economy/import/'] button[type=submit]").click()
    expect(page.locator("[data-testid=refusals]")).to_contain_text("第 2 行")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
