import pytest

from gridgov.accounts.models import Department
from gridgov.cases.dispatching import propose_assignee
from gridgov.cases.services import take_action

from .case_factories import make_category, make_department, make_team, report
from .factories import WEST_GRID

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(network):
    return make_team()


def _filed(team, category):
    case = report(category)
    for action in ("accept", "file"):
        case = take_action(case.pk, action, team["intake"])
    return case


def test_a_category_the_grid_can_handle_is_proposed_to_the_grid(team):
    case = _filed(team, make_category(handled_in_grid=True))
    proposal = propose_assignee(case)
    assert proposal.region.code == WEST_GRID and proposal.department is None
    assert proposal.assignee.params == {"region": WEST_GRID}
    assert proposal.reason
    codes = [a.code for a in proposal.alternatives]
    assert codes[:3] == ["210199001001", "210199001", "cgj"]  # community, street, default department
    assert WEST_GRID not in codes


def test_other_categories_go_to_their_default_department(team):
    make_department("sw", "水务局")
    case = _filed(team, make_category(handled_in_grid=False))
    proposal = propose_assignee(case)
    assert proposal.department.code == "cgj" and proposal.region is None
    codes = [a.code for a in proposal.alternatives]
    assert codes[:3] == [WEST_GRID, "210199001001", "210199001"]
    assert set(Department.objects.values_list("code", flat=True)) - {"cgj"} <= set(codes)


def test_without_a_default_department_the_street_coordinates(team):
    category = make_category(handled_in_grid=False)
    category.default_department = None
    category.save()
    proposal = propose_assignee(_filed(team, category))
    assert proposal.region.code == "210199001"


def test_a_unit_that_sent_the_case_back_is_not_proposed_again(team):
    case = _filed(team, make_category(handled_in_grid=True))
    case = take_action(case.pk, "dispatch", team["dispatcher"], **propose_assignee(case).assignee.params)
    case = take_action(case.pk, "return", team["grid_worker"], note="不属于网格处置范围")
    proposal = propose_assignee(case)
    assert proposal.region.code == "210199001001"
    assert WEST_GRID in [a.code for a in proposal.alternatives]


def test_the_proposal_is_a_pure_read(team, django_assert_max_num_queries):
    case = _filed(team, make_category())
    version = case.version
    with django_assert_max_num_queries(4):
        propose_assignee(case)
    case.refresh_from_db()
    assert case.version == version
