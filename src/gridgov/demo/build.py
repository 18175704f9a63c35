"""Writing the demo district to the database, and taking it out again.

Boundaries go through the one import path every user's data takes
(:func:`gridgov.grids.importing.import_features`), so the demo is validated exactly like a real
district's grids; staff, party organisations and centres follow with ``bulk_create``.
"""

import time
from dataclasses import dataclass

from django.db import transaction

from gridgov.accounts.models import Role, User
from gridgov.accounts.services import record_audit
from gridgov.grids.codes import Level
from gridgov.grids.importing import FeatureRecord, import_features
from gridgov.grids.models import (
    GridStaff,
    PartyMember,
    PartyOrganization,
    Region,
    ServiceCentre,
)
from gridgov.grids.services import bump_network_revision

from . import DEFAULT_SEED, DEMO_DISTRICT_CODE
from .cases import build_case_history, remove_case_history
from .district import DemoDistrict, generate_district
from .economy import build_projects_and_economy, remove_projects_and_economy
from .people import CentrePlan, GridPeople, generate_people, plan_service_centres
from .services import build_services, remove_services
from .users import demo_username


class DemoError(Exception):
    """The demo district cannot be built or removed; the message says why."""


@dataclass(frozen=True)
class BuildSummary:
    seed: int
    streets: int
    communities: int
    grids: int
    staff: int
    party_members: int
    service_centres: int
    cases: int
    seconds: float


def demo_district_exists() -> bool:
    return Region.objects.filter(code=DEMO_DISTRICT_CODE).exists()


def feature_records(district: DemoDistrict, people: list[GridPeople]) -> list[FeatureRecord]:
    """The district as import records, parents first; grids carry households and residents."""
    population = {grid.code: grid for grid in people}
    records = []
    for unit in district.units:
        extra: dict = {"is_sample": True}
        if unit.code in population:
            extra |= {"households": population[unit.code].households, "residents": population[unit.code].residents}
        records.append(FeatureRecord(unit.code, unit.name, unit.geometry, parent_code=unit.parent_code, extra=extra))
    return records


@transaction.atomic
def build_demo_district(
    seed: int = DEFAULT_SEED, *, actor: User | None = None, progress: bool = False, cases: bool = True
) -> BuildSummary:
    """Generate the district from ``seed`` and write it, with its people, centres and (unless
    ``cases`` is false) a year of case history."""
    started = time.perf_counter()
    if demo_district_exists():
        raise DemoError(f"district {DEMO_DISTRICT_CODE} already exists; remove it first")
    district = generate_district(seed)
    people = generate_people(district, seed)
    centres = plan_service_centres(district, people)
    import_features(feature_records(district, people), actor=actor, progress=progress)
    ids = dict(Region.objects.filter(code__startswith=DEMO_DISTRICT_CODE).values_list("code", "id"))
    staff, members = _write_grid_people(people, ids)
    _write_centres(centres, ids)
    case_count = build_case_history(seed) if cases else 0
    case_count += build_projects_and_economy(seed)["problems"]  # projects' blocking problems are cases too
    build_services(seed)
    summary = BuildSummary(
        seed=seed,
        streets=len(district.streets),
        communities=len(district.communities),
        grids=len(district.grids),
        staff=staff,
        party_members=members,
        service_centres=len(centres),
        cases=case_count,
        seconds=time.perf_counter() - started,
    )
    record_audit(actor, "demo.built", Region.objects.get(code=DEMO_DISTRICT_CODE), seed=seed, grids=summary.grids)
    return summary


def _write_grid_people(people: list[GridPeople], ids: dict[str, int]) -> tuple[int, int]:
    staff = [
        GridStaff(grid_id=ids[grid.code], role=s.role, name=s.name, phone=s.phone, is_sample=True)
        for grid in people
        for s in grid.staff
    ]
    organizations = [
        PartyOrganization(
            grid_id=ids[grid.code],
            name=grid.party_name,
            kind=grid.party_kind,
            secretary=grid.party_secretary,
            is_sample=True,
        )
        for grid in people
    ]
    members = [
        PartyMember(grid_id=ids[grid.code], name=name, joined_year=year, is_sample=True)
        for grid in people
        for name, year in grid.members
    ]
    GridStaff.objects.bulk_create(staff, batch_size=2000)
    PartyOrganization.objects.bulk_create(organizations, batch_size=2000)
    PartyMember.objects.bulk_create(members, batch_size=2000)
    return len(staff), len(members)


def _write_centres(centres: list[CentrePlan], ids: dict[str, int]) -> None:
    ServiceCentre.objects.bulk_create(
        [
            ServiceCentre(
                region_id=ids[c.region_code],
                name=c.name,
                address=c.address,
                demonstration_level=c.demonstration_level,
                lng=c.lng,
                lat=c.lat,
                is_sample=True,
            )
            for c in centres
        ],
        batch_size=2000,
    )


@transaction.atomic
def remove_demo_district(*, actor: User | None = None) -> int:
    """Delete the demo district and everything attached to it; deactivate the demo accounts.

    The demo accounts are kept (inactive, without a scope) because the append-only audit log
    names them; ``create_demo_users`` brings them back. Refuses when the district was not built
    as sample data, or when accounts other than the demo accounts are scoped to it (deleting
    them is not the demo's call to make).
    """
    district = Region.objects.filter(code=DEMO_DISTRICT_CODE).first()
    if district is None:
        return 0
    if not district.is_sample:
        raise DemoError(f"district {DEMO_DISTRICT_CODE} is not sample data; it will not be removed")
    demo_accounts = User.objects.filter(username__in=[demo_username(role.value) for role in Role])
    demo_accounts.update(region=None, department=None, is_active=False)
    others = User.objects.filter(region__code__startswith=DEMO_DISTRICT_CODE)
    if others.exists():
        names = ", ".join(others.values_list("username", flat=True)[:10])
        raise DemoError(f"accounts scoped to the demo district must be moved or removed first: {names}")
    remove_case_history(DEMO_DISTRICT_CODE)
    remove_projects_and_economy(DEMO_DISTRICT_CODE)
    remove_services()
    removed = 0
    for level in (Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT):
        removed += Region.objects.filter(level=level, code__startswith=DEMO_DISTRICT_CODE).delete()[1].get("grids.Region", 0)
    bump_network_revision()
    record_audit(actor, "demo.removed", None, district=DEMO_DISTRICT_CODE, regions=removed)
    return removed
