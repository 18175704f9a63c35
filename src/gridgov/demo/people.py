"""People and places of the demo district: grid staff, party organisations, service centres.

Pure functions of the seed and the generated geometry; nothing here touches the database.
Every name ends with the sample mark and every phone number lies in the reserved-looking range
1380000xxxx / 1390000xxxx, so nothing can be mistaken for a real person.

Demonstration centres (DESIGN.md section 10: 1 provincial, 6 municipal, one district-level per
street) are placed by population, which is what a district would show off:
- provincial: the centre of the most populous community;
- municipal: the centres of the next most populous communities, at most one per street and none
  in the provincial one's street, six in all;
- district: the street-level centre of every street.
Every other street and community centre has no demonstration level.
"""

from dataclasses import dataclass

import numpy as np

from gridgov.grids.models import PartyOrganization, ServiceCentre, StaffRole

from .district import DemoDistrict, DemoUnit, sample_name

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁"
OPTIONAL_ROLES = (  # role, share of grids that have one
    (StaffRole.POLICE_OFFICER, 0.6),
    (StaffRole.SUPERVISOR, 0.4),
    (StaffRole.LEGAL_WORKER, 0.35),
    (StaffRole.FIRE_OFFICER, 0.3),
)
BRANCH_MINIMUM = 3  # full members needed to found a party branch; fewer form a party group
MUNICIPAL_COUNT = 6


@dataclass(frozen=True)
class StaffPlan:
    role: str
    name: str
    phone: str


@dataclass(frozen=True)
class GridPeople:
    code: str
    households: int
    residents: int
    staff: tuple[StaffPlan, ...]
    party_kind: str
    party_name: str
    party_secretary: str
    members: tuple[tuple[str, int], ...]  # name, year joined


@dataclass(frozen=True)
class CentrePlan:
    region_code: str
    name: str
    address: str
    demonstration_level: str
    lng: float
    lat: float


class _PhoneBook:
    """Sample phone numbers: 13800000000, 13800000001, … then 1390000xxxx."""

    def __init__(self) -> None:
        self.issued = 0

    def next(self) -> str:
        block, number = divmod(self.issued, 10_000)
        self.issued += 1
        return f"1{38 + block}0000{number:04d}"


def person_name(rng: np.random.Generator) -> str:
    given_length = 1 if rng.random() < 0.3 else 2
    given = "".join(GIVEN[i] for i in rng.integers(len(GIVEN), size=given_length))
    return sample_name(SURNAMES[rng.integers(len(SURNAMES))] + given)


def generate_people(district: DemoDistrict, seed: int) -> list[GridPeople]:
    rng = np.random.default_rng([seed, 2])  # a stream of its own, independent of the geometry
    phones = _PhoneBook()
    community_names: dict[str | None, str] = {unit.code: unit.name for unit in district.communities}
    return [_grid_people(grid, community_names[grid.parent_code], rng, phones) for grid in district.grids]


def _grid_people(grid: DemoUnit, community_name: str, rng: np.random.Generator, phones: _PhoneBook) -> GridPeople:
    households = int(rng.integers(200, 601))
    residents = int(round(households * rng.uniform(2.2, 2.6)))
    chief = StaffPlan(StaffRole.GRID_CHIEF, person_name(rng), phones.next())
    staff = [chief]
    staff += [StaffPlan(StaffRole.GRID_WORKER, person_name(rng), phones.next()) for _ in range(rng.integers(1, 3))]
    for role, share in OPTIONAL_ROLES:
        if rng.random() < share:
            staff.append(StaffPlan(role, person_name(rng), phones.next()))

    member_count = 2 if rng.random() < 0.07 else int(rng.integers(BRANCH_MINIMUM, 16))
    members = tuple((person_name(rng), int(rng.integers(1975, 2025))) for _ in range(member_count))
    grid_label = grid.name.removesuffix(sample_name(""))
    if member_count >= BRANCH_MINIMUM:
        kind, party_name = PartyOrganization.Kind.BRANCH, sample_name(f"{grid_label}党支部")
        if rng.random() < 0.6:  # otherwise the grid chief also serves as branch secretary
            staff.append(StaffPlan(StaffRole.PARTY_SECRETARY, person_name(rng), phones.next()))
        secretary = staff[-1].name if staff[-1].role == StaffRole.PARTY_SECRETARY else chief.name
    else:
        kind, party_name = PartyOrganization.Kind.GROUP, sample_name(f"{grid_label}党小组")
        secretary = members[0][0]
    return GridPeople(
        code=grid.code,
        households=households,
        residents=residents,
        staff=tuple(staff),
        party_kind=kind,
        party_name=party_name,
        party_secretary=secretary,
        members=members,
    )


def plan_service_centres(district: DemoDistrict, people: list[GridPeople]) -> list[CentrePlan]:
    """One centre for every street and community, with the demonstration levels placed."""
    residents: dict[str, int] = {}
    for grid in people:
        residents[grid.code[:12]] = residents.get(grid.code[:12], 0) + grid.residents
    levels = _demonstration_levels(residents)
    Level = ServiceCentre.DemonstrationLevel
    return [
        _centre(unit, levels.get(unit.code, Level.DISTRICT if len(unit.code) == 9 else Level.NONE))
        for unit in [*district.streets, *district.communities]
    ]


def _demonstration_levels(residents_by_community: dict[str, int]) -> dict[str, str]:
    Level = ServiceCentre.DemonstrationLevel
    ranked = sorted(residents_by_community, key=lambda code: (-residents_by_community[code], code))
    provincial = ranked[0]
    levels: dict[str, str] = {provincial: Level.PROVINCIAL}
    streets_used = {provincial[:9]}
    for code in ranked[1:]:
        if len(levels) > MUNICIPAL_COUNT:
            break
        if code[:9] not in streets_used:
            levels[code] = Level.MUNICIPAL
            streets_used.add(code[:9])
    return levels


def _centre(unit: DemoUnit, level: str) -> CentrePlan:
    point = unit.geometry.representative_point()
    base = unit.name.removesuffix(sample_name(""))
    return CentrePlan(
        region_code=unit.code,
        name=sample_name(f"{base}党群服务中心"),
        address=sample_name(f"{base}综合服务楼"),
        demonstration_level=level,
        lng=round(point.x, 7),
        lat=round(point.y, 7),
    )
