"""The demo district: geometry, codes, names, people and centres, and the build into the database."""

import re
from collections import Counter

import numpy as np
import pytest
import shapely
from django.test import override_settings
from shapely.geometry import Point

from gridgov.accounts.models import AuditEvent, Role, User
from gridgov.demo import DEMO_DISTRICT_CODE, DEMO_PASSWORD, SAMPLE_MARK
from gridgov.demo.district import generate_district, local_crs, reading_order
from gridgov.demo.people import generate_people, plan_service_centres
from gridgov.grids.codes import Level, parent_code, validate_code
from gridgov.grids.models import GridStaff, PartyMember, PartyOrganization, Region, ServiceCentre, StaffRole
from gridgov.grids.spatial import areas_m2, to_metres

from .auth_helpers import purge_audit_events_after

SEED = 7
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def district():
    return generate_district(SEED)


@pytest.fixture(scope="module")
def people(district):
    return generate_people(district, SEED)


def _geometries(units):
    return np.array([unit.geometry for unit in units], dtype=object)


# --- geometry ------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_boundaries(district):
    again = generate_district(SEED)
    assert [(u.code, u.name, u.geometry.wkb) for u in again.units] == [(u.code, u.name, u.geometry.wkb) for u in district.units]


def test_another_seed_gives_another_district(district):
    other = generate_district(SEED + 1)
    assert other.district.geometry.wkb != district.district.geometry.wkb


def test_counts(district):
    assert len(district.grids) == 1360
    assert len(district.streets) == 12
    assert 100 <= len(district.communities) <= 120
    sizes = Counter(grid.parent_code for grid in district.grids)
    assert set(sizes) == {community.code for community in district.communities}
    assert min(sizes.values()) >= 8 and max(sizes.values()) <= 18


def test_area_is_about_100_square_kilometres(district):
    assert 90e6 <= areas_m2([district.district.geometry])[0] <= 110e6


def test_outline_is_not_a_rectangle(district):
    outline = district.district.geometry
    assert len(outline.exterior.coords) > 50
    assert outline.area < 0.9 * outline.envelope.area


def test_grids_tile_the_district_without_gaps_or_overlaps(district):
    grids = _geometries(district.grids)
    assert shapely.is_valid(grids).all()
    assert (shapely.get_type_id(grids) == 3).all()  # single polygons
    metric = to_metres(np.array([*grids, district.district.geometry], dtype=object))
    grid_metric, outline_metric = metric[:-1], metric[-1]
    assert abs(shapely.area(shapely.union_all(grid_metric)) - outline_metric.area) < 1.0
    assert abs(shapely.area(grid_metric).sum() - outline_metric.area) < 1.0
    left, right = shapely.STRtree(grid_metric).query(grid_metric, predicate="intersects")
    pairs = left < right
    overlaps = shapely.area(shapely.intersection(grid_metric[left[pairs]], grid_metric[right[pairs]]))
    assert overlaps.max() < 1.0
    assert len(district.district.geometry.interiors) == 0


def test_every_unit_is_one_piece_and_covers_its_children(district):
    children = {}
    for unit in district.units:
        children.setdefault(unit.parent_code, []).append(unit.geometry)
    for unit in [district.district, *district.streets, *district.communities]:
        assert unit.geometry.geom_type == "Polygon", unit.code
        union = shapely.union_all(children[unit.code])
        assert abs(union.area - unit.geometry.area) < 1e-12, unit.code
        assert unit.geometry.buffer(1e-7).contains(union), unit.code


# --- codes and names -----------------------------------------------------------------------------


def test_codes_follow_the_prefix_rule_and_run_from_001(district):
    assert district.district.code == DEMO_DISTRICT_CODE
    sequences = {}
    for unit in district.units:
        validate_code(unit.code)
        assert parent_code(unit.code) == unit.parent_code
        sequences.setdefault(unit.parent_code, []).append(int(unit.code[-3:]))
    for parent, numbers in sequences.items():
        if parent is not None:
            assert sorted(numbers) == list(range(1, len(numbers) + 1)), parent


def test_reading_order_runs_north_to_south_then_west_to_east():
    # Rows 100 m high from the northern edge at y=300: row 0 holds y in (200, 300].
    centroids = np.array([[50.0, 150.0], [10.0, 250.0], [90.0, 220.0], [5.0, 120.0], [40.0, 290.0]])
    order = reading_order(centroids, north_edge=300.0, row_height=100.0)
    assert order.tolist() == [1, 4, 2, 3, 0]


def test_siblings_are_numbered_in_reading_order(district):
    metric = dict(zip([u.code for u in district.units], to_metres(_geometries(district.units), local_crs()), strict=True))
    children = {}
    for unit in district.units[1:]:
        children.setdefault(unit.parent_code, []).append(unit.code)
    for parent, codes in children.items():
        shapes = np.array([metric[code] for code in sorted(codes)], dtype=object)
        centroids = shapely.get_coordinates(shapely.centroid(shapes))
        row_height = np.sqrt(shapely.area(shapes).mean())
        order = reading_order(centroids, metric[parent].bounds[3], row_height)
        assert order.tolist() == list(range(len(codes))), parent


def test_every_name_is_marked_as_sample_data(district, people):
    assert "示例" in district.district.name
    assert all(unit.name.endswith(SAMPLE_MARK) for unit in district.units[1:])
    assert all(name.endswith(SAMPLE_MARK) for grid in people for name in [s.name for s in grid.staff])
    assert all(grid.party_name.endswith(SAMPLE_MARK) for grid in people)
    assert all(name.endswith(SAMPLE_MARK) for grid in people for name, _year in grid.members)
    assert all(c.name.endswith(SAMPLE_MARK) for c in plan_service_centres(district, people))
    assert re.fullmatch(r".+街道（示例）", district.streets[0].name)
    assert re.fullmatch(r".+社区（示例）", district.communities[0].name)
    assert re.fullmatch(r".+社区第1网格（示例）", district.grids[0].name)


def test_names_are_unique_within_a_level(district):
    for units in (district.streets, district.communities, district.grids):
        assert len({unit.name for unit in units}) == len(units)


# --- people and centres ------------------------------------------------------------------------


def test_every_grid_has_its_staff_party_organisation_and_population(district, people):
    assert [grid.code for grid in people] == [grid.code for grid in district.grids]
    roles_seen = Counter()
    for grid in people:
        roles = Counter(member.role for member in grid.staff)
        roles_seen.update(roles.keys())
        assert roles[StaffRole.GRID_CHIEF] == 1
        assert roles[StaffRole.GRID_WORKER] >= 1
        assert 2 <= len(grid.members) <= 15
        expected_kind = PartyOrganization.Kind.BRANCH if len(grid.members) >= 3 else PartyOrganization.Kind.GROUP
        assert grid.party_kind == expected_kind
        assert 200 <= grid.households <= 600
        assert 2.2 * grid.households - 1 <= grid.residents <= 2.6 * grid.households + 1
        assert all(re.fullmatch(r"13[89]0000\d{4}", member.phone) for member in grid.staff)
    assert set(roles_seen) == set(StaffRole)  # every role occurs somewhere
    assert Counter(grid.party_kind for grid in people)[PartyOrganization.Kind.BRANCH] > 1000


def test_service_centres_and_demonstration_levels(district, people):
    centres = plan_service_centres(district, people)
    assert sorted(c.region_code for c in centres) == sorted(u.code for u in [*district.streets, *district.communities])
    levels = Counter(c.demonstration_level for c in centres)
    Level_ = ServiceCentre.DemonstrationLevel
    assert (levels[Level_.PROVINCIAL], levels[Level_.MUNICIPAL], levels[Level_.DISTRICT]) == (1, 6, 12)
    assert all(len(c.region_code) == 9 for c in centres if c.demonstration_level == Level_.DISTRICT)
    top = [c for c in centres if c.demonstration_level in (Level_.PROVINCIAL, Level_.MUNICIPAL)]
    assert len({c.region_code[:9] for c in top}) == 7  # one per street
    shapes = {u.code: u.geometry for u in district.units}
    assert all(shapes[c.region_code].contains(Point(c.lng, c.lat)) for c in centres)


# --- the build through the import path -----------------------------------------------------------


@pytest.fixture(scope="module")
def built_demo(django_db_setup, django_db_blocker):
    """The demo district written once for this module, and removed again afterwards."""
    from gridgov.demo.build import build_demo_district, remove_demo_district
    from gridgov.demo.users import create_demo_users

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        summary = build_demo_district(SEED, cases=False)  # the case history has its own tests
        accounts = create_demo_users()
        yield summary, accounts
        remove_demo_district()
        purge_audit_events_after(last_event)


@pytest.mark.django_db
def test_build_writes_the_whole_district(built_demo, district, people):
    summary, _accounts = built_demo
    demo = Region.objects.filter(code__startswith=DEMO_DISTRICT_CODE)
    assert Counter(demo.values_list("level", flat=True)) == {
        Level.DISTRICT: 1,
        Level.STREET: 12,
        Level.COMMUNITY: len(district.communities),
        Level.GRID: 1360,
    }
    assert not demo.filter(is_sample=False).exists()
    assert GridStaff.objects.filter(grid__code__startswith=DEMO_DISTRICT_CODE, is_sample=True).count() == sum(
        len(grid.staff) for grid in people
    )
    assert PartyOrganization.objects.filter(is_sample=True).count() == 1360
    assert PartyMember.objects.filter(is_sample=True).count() == sum(len(grid.members) for grid in people)
    assert ServiceCentre.objects.filter(is_sample=True).count() == 12 + len(district.communities)
    first = Region.objects.get(code=district.grids[0].code)
    assert (first.households, first.residents) == (people[0].households, people[0].residents)
    assert first.parent.code == district.grids[0].parent_code
    assert 90e6 <= Region.objects.get(code=DEMO_DISTRICT_CODE).area_m2 <= 110e6
    assert AuditEvent.objects.filter(action="demo.built").exists()


@pytest.mark.django_db
def test_locate_finds_the_demo_grid_of_a_point(built_demo, district):
    from gridgov.grids.selectors import locate_point

    grid = district.grids[500]
    point = grid.geometry.representative_point()
    location = locate_point(point.y, point.x)
    assert location is not None and location.grid.code == grid.code
    assert location.street.code == grid.code[:9]


@pytest.mark.django_db
def test_one_demo_account_per_role_with_a_fitting_scope(built_demo):
    for role in Role:
        user = User.objects.get(username=f"demo_{role.value}")
        assert user.role == role.value
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            assert user.check_password(DEMO_PASSWORD)
        expected_level = {
            Role.RESIDENT: Level.GRID,
            Role.GRID_WORKER: Level.GRID,
            Role.GRID_CHIEF: Level.GRID,
            Role.COMMUNITY_STAFF: Level.COMMUNITY,
            Role.STREET_STAFF: Level.STREET,
        }.get(role)
        assert (user.region.level if user.region else None) == expected_level, role
        assert user.is_staff == (role in {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
        assert not user.is_superuser  # 三员分立: each administrator has their duty's pages only
        assert user.is_demo and not user.must_change_password
    _summary, accounts = built_demo
    assert [a.username for a in accounts] == [f"demo_{role.value}" for role in Role]


@pytest.mark.django_db
def test_demo_administrators_get_the_printed_second_factor(built_demo):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from gridgov.demo.totp import demo_totp_key, demo_totp_secret, totp_code

    _summary, accounts = built_demo
    admins = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
    for account in accounts:
        if account.role not in admins:
            assert account.totp_secret == ""
            continue
        assert account.totp_secret == demo_totp_secret(account.username)
        device = TOTPDevice.objects.get(user__username=account.username, confirmed=True)
        assert device.verify_token(totp_code(demo_totp_key(account.username)))
