"""Every staff page fits a 390 px phone: no page may scroll sideways.

Each staff role signs in in turn (a session cookie made by the test client, so no login page is
loaded) and walks every page the URL resolver lists without arguments, plus a case, a grid,
a community, a project and a chain page, and the leader's status page of a queued import. A page that one role has already passed is not loaded
again for the next role, except the inbox, the case list and the start page, which differ by
role — so each URL costs about one page load. The system administrator, who needs a second
factor, covers the admin index with a verified session.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from playwright.sync_api import Error as PlaywrightError

from gridgov.accounts.models import Role
from tests.auth_helpers import login_verified
from tests.case_factories import make_category, make_department, make_user, report
from tests.factories import WEST_GRID

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# Not pages a person reads: machine interfaces, downloads, forms that only take a POST, and
# public pages outside the staff frame.
SKIPPED_PREFIXES = (
    "/api/",
    "/open311/",
    "/admin/",
    "/i18n/",
    "/static/",
    "/media/",
    "/bench/",
    "/healthz",
    "/logout/",
    "/login/",
    "/report/",
)
SKIPPED_SUFFIXES = (".xlsx", ".json", ".csv")
PER_ROLE = ("/", "/cases/inbox/", "/cases/")
STAFF_ROLES = (
    Role.GRID_WORKER,
    Role.GRID_CHIEF,
    Role.COMMUNITY_STAFF,
    Role.STREET_STAFF,
    Role.INTAKE_CLERK,
    Role.DISPATCHER,
    Role.SHIFT_LEAD,
    Role.DEPARTMENT_HANDLER,
    Role.VERIFIER,
    Role.LEADER,
)
REGION_OF = {
    Role.GRID_WORKER: WEST_GRID,
    Role.GRID_CHIEF: WEST_GRID,
    Role.COMMUNITY_STAFF: WEST_GRID[:12],
    Role.STREET_STAFF: WEST_GRID[:9],
}


def argument_free_paths() -> list[str]:
    """Every named URL that reverses without arguments, as a path."""
    found: list[str] = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                try:
                    found.append(reverse(f"{namespace}:{pattern.name}" if namespace else pattern.name))
                except Exception:  # needs arguments
                    continue

    walk(get_resolver().url_patterns, "")
    return sorted({p for p in found if not p.startswith(SKIPPED_PREFIXES) and not p.endswith(SKIPPED_SUFFIXES)})


def overflow(page) -> int:
    """Pixels the page is wider than the screen. Not innerWidth: a mobile-emulated Chromium zooms
    out to fit a wide page, which grows innerWidth with it and hides the overflow."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def session_cookie(user, live_server_url: str, *, verified: bool = False) -> dict:
    client = Client()
    if verified:
        login_verified(client, user)
    else:
        client.force_login(user)
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server_url}


@pytest.fixture
def pages_to_walk(transactional_db, network):
    from gridgov.accounts.models import Department
    from gridgov.cases.catalogue import seed_catalogue
    from gridgov.cases.models import Category
    from gridgov.demo.economy import build_projects_and_economy
    from gridgov.projects.catalogue import seed_industries, seed_problem_categories
    from gridgov.projects.models import IndustryChain, Project

    # An earlier transactional test flushes the rows the migrations seeded; put them back.
    seed_catalogue()
    seed_problem_categories(Category, Department)
    seed_industries()
    build_projects_and_economy(20240901, year=2026)
    department = make_department()
    category = make_category()
    for n in range(3):
        report(category, description="路边堆放生活垃圾，占用人行道约三米，影响行人通行" * (n + 1))
    case = report(category)
    extra = [f"/cases/{case.number}/", f"/grids/{WEST_GRID}/", f"/grids/{WEST_GRID[:12]}/", f"/grids/{WEST_GRID[:9]}/"]
    project = Project.objects.order_by("pk").first()
    if project is not None:
        extra.append(reverse("projects:detail", args=[project.pk]))
    chain = IndustryChain.objects.order_by("pk").first()
    if chain is not None:
        extra.append(reverse("projects:chain", args=[chain.code]))
    users = [
        make_user(
            role,
            REGION_OF.get(role),
            department=department if role == Role.DEPARTMENT_HANDLER else None,
            username=f"phone-{role}",
        )
        for role in STAFF_ROLES
    ]
    leader = users[STAFF_ROLES.index(Role.LEADER)]
    return users, [*argument_free_paths(), *extra], (leader, _refused_import_status(leader))


def _refused_import_status(user) -> str:
    """The status page of a real queued job: an economy import refused row by row, whose long
    sentences must wrap on a phone."""
    from io import BytesIO

    from django.contrib.auth.models import Permission
    from openpyxl import Workbook

    from gridgov.economy.jobs import import_figures
    from gridgov.ops import filejobs

    user.user_permissions.add(Permission.objects.get(codename="add_monthlyfigure"))
    user = type(user).objects.get(pk=user.pk)
    book = Workbook()
    book.active.append(["指标代码", "地区代码", "年份", "月份", "当月值"])
    book.active.append(["an-indicator-code-nobody-has-" * 2, "210199", 2026, 13, "many"])
    content = BytesIO()
    book.save(content)
    token = filejobs.start_import(
        user, import_figures, content.getvalue(), {"name": "monthly-figures-of-march.xlsx"}, back="/economy/"
    )
    return reverse("jobs:status", args=[token])


def test_every_staff_page_fits_a_phone(chromium, live_server, pages_to_walk, django_user_model):
    users, paths, (job_owner, job_status) = pages_to_walk
    assert "/cases/inbox/" in paths and "/evaluation/dashboard/" in paths and "/projects/" in paths

    passed: set[str] = set()
    wide: list[str] = []
    reached: set[str] = set()
    for user in users:
        context = chromium.new_context(viewport=PHONE, locale="zh-CN")
        context.add_cookies([session_cookie(user, live_server.url)])
        page = context.new_page()
        page.set_default_timeout(60_000)  # a cold dashboard counts a year of figures; CI machines are shared
        for path in paths:
            if path in passed and path not in PER_ROLE:
                continue
            try:
                response = page.goto(f"{live_server.url}{path}")
            except PlaywrightError:  # an empty error answer (405 to a GET on a POST-only form)
                continue
            if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
                continue
            reached.add(path)
            extra = overflow(page)
            if extra > 0:
                wide.append(f"{path} as {user.role}: {extra}px too wide")
            else:
                passed.add(path)
        context.close()

    # The status page of a real queued job, which only its owner may open.
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.add_cookies([session_cookie(job_owner, live_server.url)])
    page = context.new_page()
    page.set_default_timeout(60_000)
    assert page.goto(f"{live_server.url}{job_status}").status == 200
    assert page.locator("[data-testid=refusals] li").count() > 0
    if overflow(page) > 0:
        wide.append(f"{job_status} as {job_owner.role}: {overflow(page)}px too wide")
    context.close()

    admin = django_user_model.objects.create_user("phone-sysadmin", password="x", role=Role.SYSTEM_ADMIN, is_staff=True)
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.add_cookies([session_cookie(admin, live_server.url, verified=True)])
    page = context.new_page()
    assert page.goto(f"{live_server.url}/admin/").status == 200
    if overflow(page) > 0:
        wide.append(f"/admin/ as system_admin: {overflow(page)}px too wide")
    context.close()

    assert wide == [], "\n".join(wide)
    assert {"/cases/inbox/", "/cases/", "/evaluation/dashboard/", "/projects/", "/economy/"} <= reached


def test_the_phone_menu_folds_and_opens(chromium, live_server, transactional_db, network):
    report(make_category())
    users = [make_user(Role.DISPATCHER, username="phone-dispatcher")]
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.add_cookies([session_cookie(users[0], live_server.url)])
    page = context.new_page()
    page.goto(f"{live_server.url}/cases/")
    inbox_link = page.locator(".topbar-right a[href='/cases/inbox/']")
    assert not inbox_link.is_visible()
    page.click(".nav-toggle")
    assert inbox_link.is_visible()
    # The list is cards: the category cell carries its column name and is not squeezed.
    cell = page.locator("#case-table td.category").first
    assert cell.get_attribute("data-label") == "类别"
    assert cell.bounding_box()["width"] > 200
    context.close()

    desktop = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    desktop.add_cookies([session_cookie(users[0], live_server.url)])
    page = desktop.new_page()
    page.goto(f"{live_server.url}/cases/")
    assert page.locator(".topbar-right a[href='/cases/inbox/']").is_visible()
    assert not page.locator(".nav-toggle").is_visible()
    desktop.close()


def test_map_labels_on_a_phone_do_not_overlap(chromium, live_server, transactional_db, network):
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    context.add_cookies([session_cookie(make_user(Role.LEADER, username="phone-leader"), live_server.url)])
    page = context.new_page()
    page.goto(f"{live_server.url}/grids/#{WEST_GRID[:12]}")
    page.wait_for_selector(".region-label")
    page.wait_for_load_state("networkidle")
    boxes = page.evaluate(
        """[...document.querySelectorAll('.region-label')]
             .filter((n) => getComputedStyle(n).visibility !== 'hidden' && n.offsetParent !== null)
             .map((n) => { const r = n.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""
    )
    context.close()
    assert boxes, "no label shown at all"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
