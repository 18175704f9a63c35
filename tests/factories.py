"""A small, hand-checkable grid network for tests.

District 210199 spans lng 123.40–123.44, lat 41.78–41.80. Two streets split it west/east at
lng 123.42, each with one community, each community with two grids split at lng 123.41 / 123.43:

    grid 210199001001001  lng 123.40–123.41
    grid 210199001001002  lng 123.41–123.42
    grid 210199002001001  lng 123.42–123.43
    grid 210199002001002  lng 123.43–123.44
"""

from shapely.geometry import box

from gridgov.grids.codes import Level, level_of
from gridgov.grids.models import GridStaff, PartyMember, PartyOrganization, Region, ServiceCentre, StaffRole
from gridgov.grids.services import apply_boundary, bump_network_revision

DISTRICT = "210199"
WEST_GRID, WEST_MIDDLE_GRID, EAST_MIDDLE_GRID, EAST_GRID = (
    "210199001001001",
    "210199001001002",
    "210199002001001",
    "210199002001002",
)
SOUTH, NORTH = 41.78, 41.80

UNITS = {
    DISTRICT: ("样例区", (123.40, 123.44)),
    "210199001": ("西街道", (123.40, 123.42)),
    "210199002": ("东街道", (123.42, 123.44)),
    "210199001001": ("西社区", (123.40, 123.42)),
    "210199002001": ("东社区", (123.42, 123.44)),
    WEST_GRID: ("西一网格", (123.40, 123.41)),
    WEST_MIDDLE_GRID: ("西二网格", (123.41, 123.42)),
    EAST_MIDDLE_GRID: ("东一网格", (123.42, 123.43)),
    EAST_GRID: ("东二网格", (123.43, 123.44)),
}


def build_small_network(with_people: bool = True) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for code, (name, (west, east)) in UNITS.items():
        region = Region(code=code, name=name, level=level_of(code), parent=regions.get(code[: len(code) - 3]))
        apply_boundary(region, box(west, SOUTH, east, NORTH))
        region.save()
        regions[code] = region
    bump_network_revision()
    if with_people:
        _add_people(regions)
    return regions


def _add_people(regions: dict[str, Region]) -> None:
    for code, region in regions.items():
        if region.level != Level.GRID:
            continue
        GridStaff.objects.create(grid=region, role=StaffRole.GRID_CHIEF, name=f"网格长{code[-1]}", phone="13812345678")
        GridStaff.objects.create(grid=region, role=StaffRole.GRID_WORKER, name=f"网格员{code[-1]}", phone="13900001111")
        PartyOrganization.objects.create(grid=region, name=f"{region.name}党支部", kind="branch", secretary=f"书记{code[-1]}")
        PartyMember.objects.create(grid=region, name=f"党员{code[-1]}", joined_year=2001)
    ServiceCentre.objects.create(
        region=regions["210199001001"], name="西社区党群服务中心", demonstration_level="municipal", lng=123.405, lat=41.79
    )
    ServiceCentre.objects.create(
        region=regions["210199001"], name="西街道党群服务中心", demonstration_level="provincial", lng=123.41, lat=41.79
    )
