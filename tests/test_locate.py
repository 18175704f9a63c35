"""The per-process point → grid index over the database, and its refresh on boundary changes."""

import pytest
from shapely.geometry import box

from gridgov.grids import selectors
from gridgov.grids.models import Region
from gridgov.grids.services import set_region_boundary

from .factories import EAST_GRID, EAST_MIDDLE_GRID, WEST_GRID

pytestmark = pytest.mark.django_db


def test_locate_point_returns_the_chain_of_units(network):
    location = selectors.locate_point(41.79, 123.405)
    assert (location.grid.code, location.community.code, location.street.code, location.district.code) == (
        WEST_GRID,
        "210199001001",
        "210199001",
        "210199",
    )


def test_locate_points_in_bulk(network):
    codes = selectors.locate_points([41.79, 41.79, 41.79, 50.0], [123.405, 123.425, 123.44, 123.4])
    # 123.44 lies on the district's eastern edge: still inside the last grid.
    assert codes == [WEST_GRID, EAST_MIDDLE_GRID, EAST_GRID, None]


def test_index_follows_boundary_changes(network):
    assert selectors.locate_point(41.79, 123.445) is None
    grid = Region.objects.get(code=EAST_GRID)
    set_region_boundary(grid, box(123.43, 41.78, 123.45, 41.80))
    assert selectors.locate_point(41.79, 123.445).grid.code == EAST_GRID


def test_boundary_change_is_audited(network, staff_user):
    grid = Region.objects.get(code=EAST_GRID)
    set_region_boundary(grid, box(123.43, 41.78, 123.45, 41.80), actor=staff_user)
    event = staff_user.audit_events.get()
    assert (event.action, event.target_id) == ("grids.boundary_changed", str(grid.pk))
