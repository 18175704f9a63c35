"""Back-office editing of the grid network through Django admin."""

import json

import pytest
from django.urls import reverse
from shapely.geometry import box, mapping

from gridgov.accounts.models import AuditEvent
from gridgov.grids import selectors
from gridgov.grids.models import GridStaff, NetworkRevision, PartyMember, PartyOrganization, Region, ServiceCentre

from .auth_helpers import login_verified
from .factories import NORTH, SOUTH, WEST_GRID, WEST_MIDDLE_GRID

MODELS = [Region, GridStaff, PartyOrganization, PartyMember, ServiceCentre, NetworkRevision]


@pytest.fixture
def admin_user_client(client, admin_user):
    return login_verified(client, admin_user)


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def region_form_data(page, **changes) -> dict:
    """What the browser would post back from a region's change page, with some fields changed."""
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {name: ("" if value is None else value) for name, value in data.items()}
    data["is_sample"] = "on" if form.initial.get("is_sample") else ""
    data["parent"] = form.initial.get("parent") or ""
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": 0,
                f"{prefix}-INITIAL_FORMS": 0,
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
    data.update(changes)
    return {name: value for name, value in data.items() if value != "" or name in ("boundary", "parent")}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelists_load_in_chinese(admin_user_client, network, model):
    response = admin_user_client.get(reverse(f"admin:grids_{model._meta.model_name}_changelist"))
    assert response.status_code == 200
    assert "gridgov 一张网 管理" in response.content.decode()


def test_region_search_finds_by_code_and_name(admin_user_client, network):
    url = reverse("admin:grids_region_changelist")
    by_code = admin_user_client.get(url, {"q": WEST_GRID}).context["cl"].result_list
    by_name = admin_user_client.get(url, {"q": "东社区"}).context["cl"].result_list
    assert [r.code for r in by_code] == [WEST_GRID]
    assert [r.code for r in by_name] == ["210199002001"]


@pytest.mark.parametrize("code", [WEST_GRID, "210199001001", "210199001"])
def test_region_change_page_loads_with_its_inlines(admin_user_client, network, code):
    response = admin_user_client.get(change_url(network[code]))
    assert response.status_code == 200
    prefixes = {inline.formset.prefix for inline in response.context["inline_admin_formsets"]}
    if len(code) == 15:
        assert prefixes == {"staff", "party_organization", "party_members"}
    else:
        assert prefixes == {"service_centres"}


@pytest.mark.parametrize("model", [GridStaff, PartyOrganization, PartyMember, ServiceCentre])
def test_other_change_pages_load(admin_user_client, network, model):
    assert admin_user_client.get(change_url(model.objects.first())).status_code == 200


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ("{not json", "不是有效的 JSON"),
        (json.dumps({"type": "Point", "coordinates": [123.4, 41.79]}), "Point"),
        # a bow tie: the ring crosses itself
        (
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [[[123.40, 41.78], [123.41, 41.80], [123.41, 41.78], [123.40, 41.80], [123.40, 41.78]]],
                }
            ),
            "Self-intersection",
        ),
        # Gauss–Krüger metres instead of degrees
        (json.dumps(mapping(box(41_500_000, 4_620_000, 41_501_000, 4_621_000))), "不是经纬度"),
    ],
    ids=["not-json", "point", "bow-tie", "projected"],
)
def test_an_invalid_boundary_is_refused_with_a_message(admin_user_client, network, boundary, message):
    grid = network[WEST_GRID]
    revision = selectors.current_revision()
    boundary_before = grid.boundary
    page = admin_user_client.get(change_url(grid))

    response = admin_user_client.post(change_url(grid), region_form_data(page, boundary=boundary))

    assert response.status_code == 200  # the form again, not a redirect
    errors = response.context["adminform"].form.errors
    assert "boundary" in errors and message in " ".join(errors["boundary"])
    grid.refresh_from_db()
    assert grid.boundary == boundary_before
    assert selectors.current_revision() == revision


def test_a_valid_boundary_moves_the_revision_and_locate_answers(admin_user_client, network, admin_user):
    grid = network[WEST_GRID]
    point_in_east_half = (41.79, 123.408)  # lat, lng
    assert selectors.locate_point(*point_in_east_half).grid.code == WEST_GRID
    revision = selectors.current_revision()
    area_before = grid.area_m2
    page = admin_user_client.get(change_url(grid))

    shrunk = json.dumps(mapping(box(123.40, SOUTH, 123.405, NORTH)))
    response = admin_user_client.post(change_url(grid), region_form_data(page, boundary=shrunk))

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    grid.refresh_from_db()
    assert selectors.current_revision() == revision + 1
    assert grid.max_lng == pytest.approx(123.405)
    assert grid.area_m2 == pytest.approx(area_before / 2, rel=1e-3)
    assert selectors.locate_point(*point_in_east_half) is None
    assert selectors.locate_point(41.79, 123.402).grid.code == WEST_GRID
    event = AuditEvent.objects.get(action="grids.boundary_changed")
    assert event.actor == admin_user and event.detail["code"] == WEST_GRID


def test_renaming_keeps_the_revision(admin_user_client, network):
    grid = network[WEST_MIDDLE_GRID]
    revision = selectors.current_revision()
    page = admin_user_client.get(change_url(grid))

    response = admin_user_client.post(change_url(grid), region_form_data(page, name="西二网格（新）"))

    assert response.status_code == 302
    grid.refresh_from_db()
    assert grid.name == "西二网格（新）"
    assert selectors.current_revision() == revision


def test_adding_a_grid_derives_its_level_and_area(admin_user_client, network):
    community = network["210199001001"]
    boundary = json.dumps(mapping(box(123.40, 41.80, 123.41, 41.81)))
    page = admin_user_client.get(reverse("admin:grids_region_add"))
    data = {
        "code": "210199001001003",
        "name": "西三网格",
        "parent": community.pk,
        "boundary": boundary,
        "households": 0,
        "residents": 0,
    }
    assert page.status_code == 200

    response = admin_user_client.post(reverse("admin:grids_region_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    grid = Region.objects.get(code="210199001001003")
    assert grid.level == "grid"
    assert 0.9e6 < grid.area_m2 < 0.95e6  # 0.01° × 0.01° at 41.8° N: about 0.83 km × 1.11 km
    assert selectors.locate_point(41.805, 123.405).grid.code == "210199001001003"


def test_a_code_that_does_not_match_its_parent_is_refused(admin_user_client, network):
    page = admin_user_client.get(change_url(network[WEST_GRID]))
    response = admin_user_client.post(change_url(network[WEST_GRID]), region_form_data(page, code="210199002001009"))
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
