"""Data scope is closed by default (issue 9, fault 5): a user sees the district's data only through
a unit, a department, their own reports, or a role that is district-wide by definition
(``accounts.selectors.DISTRICT_WIDE_ROLES``). Cases, their API, the evaluation and the projects
all read the one rule (``accounts.selectors.data_scope``)."""

import pytest

from gridgov.accounts.models import Role
from gridgov.accounts.selectors import DISTRICT_WIDE_ROLES, data_scope
from gridgov.cases import selectors as case_selectors
from gridgov.evaluation import selectors as evaluation_selectors
from gridgov.evaluation.periods import month
from gridgov.projects import selectors as project_selectors
from gridgov.projects import services as project_services

from .case_factories import make_category, make_department, make_user, report
from .factories import EAST_GRID, WEST_GRID

pytestmark = pytest.mark.django_db
EAST_POINT = (41.79, 123.435)


@pytest.fixture
def cases(network):
    category = make_category()
    return {"west": report(category), "east": report(category, point=EAST_POINT)}


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.GRID_CHIEF, Role.COMMUNITY_STAFF, Role.STREET_STAFF])
def test_a_unit_role_without_a_unit_sees_no_case(cases, client, role):
    user = make_user(role)
    assert data_scope(user).kind == "none"
    assert not case_selectors.visible_cases(user).exists()
    assert not case_selectors.inbox(user).exists()
    client.force_login(user)
    assert client.get("/api/v1/cases/").json()["count"] == 0
    assert client.get(f"/api/v1/cases/{cases['west'].number}").status_code == 404


@pytest.mark.parametrize("role", sorted(DISTRICT_WIDE_ROLES))
def test_a_district_wide_role_without_a_unit_sees_the_whole_district(cases, role):
    user = make_user(role)
    assert set(case_selectors.visible_cases(user).values_list("number", flat=True)) == {c.number for c in cases.values()}


def test_a_district_wide_role_with_a_unit_sees_only_that_unit(cases):
    user = make_user(Role.DISPATCHER, "210199001")
    assert list(case_selectors.visible_cases(user).values_list("number", flat=True)) == [cases["west"].number]


def test_a_grid_worker_sees_only_their_grid(cases):
    assert list(case_selectors.visible_cases(make_user(Role.GRID_WORKER, WEST_GRID)).values_list("number", flat=True)) == [
        cases["west"].number
    ]
    assert list(case_selectors.visible_cases(make_user(Role.GRID_WORKER, EAST_GRID)).values_list("number", flat=True)) == [
        cases["east"].number
    ]


def test_department_handlers_see_their_departments_cases_and_nothing_without_one(cases):
    from gridgov.cases.models import Case

    Case.objects.filter(pk=cases["east"].pk).update(assigned_department=make_department())
    with_department = make_user(Role.DEPARTMENT_HANDLER, department=make_department())
    assert list(case_selectors.visible_cases(with_department).values_list("number", flat=True)) == [cases["east"].number]
    other = make_user(Role.DEPARTMENT_HANDLER, department=make_department("jtj", "交通局"))
    assert not case_selectors.visible_cases(other).exists()
    # A unit does not open a handler's scope: the department does.
    without = make_user(Role.DEPARTMENT_HANDLER, "210199002")
    assert data_scope(without).kind == "none" and not case_selectors.visible_cases(without).exists()


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_the_three_administrators_see_no_case_and_no_project(cases, role):
    user = make_user(role)
    assert not case_selectors.visible_cases(user).exists()
    assert project_selectors.region_code(user) is None


def test_evaluation_figures_of_a_user_without_scope_are_empty_even_after_the_districts_are_cached(cases):
    """The figures cache was keyed ("region", "") for every user without a unit, so a grid worker
    without a grid read the district's cached figures."""
    evaluation_selectors.forget_all()
    period = month(cases["west"].created_at.year, cases["west"].created_at.month)
    leader = make_user(Role.LEADER)
    assert evaluation_selectors.scope_totals(leader, period).counts["reported"] == 2
    nobody = make_user(Role.GRID_WORKER, username="grid-worker-without-grid")
    assert evaluation_selectors.scope_totals(nobody, period).counts["reported"] == 0
    assert not evaluation_selectors.cases_behind(nobody, "reported", period).exists()
    evaluation_selectors.forget_all()


def test_projects_follow_the_same_scope(network):
    project = project_services.create_project(name="范围项目", total_investment=15000, lat=41.79, lng=123.405)
    assert list(project_selectors.visible_projects(make_user(Role.LEADER))) == [project]
    assert list(project_selectors.visible_projects(make_user(Role.STREET_STAFF, "210199001"))) == [project]
    assert not project_selectors.visible_projects(make_user(Role.STREET_STAFF, "210199002")).exists()
    assert not project_selectors.visible_projects(make_user(Role.STREET_STAFF)).exists()
    assert not project_selectors.visible_projects(make_user(Role.GRID_WORKER)).exists()
