"""Shapes of the grid network's JSON API."""

from ninja import Schema


class RegionSummary(Schema):
    code: str
    level: str
    name: str
    area_km2: float
    label: tuple[float, float] | None  # (lng, lat)
    bbox: tuple[float, float, float, float] | None  # (min_lng, min_lat, max_lng, max_lat)
    is_sample: bool


class Totals(Schema):
    grids: int
    households: int
    residents: int


class RegionOut(RegionSummary):
    parent_code: str | None
    ancestors: list[RegionSummary]
    children: list[RegionSummary]
    totals: Totals


class StaffOut(Schema):
    role: str
    role_label: str
    name: str
    phone_masked: str


class PartyOrganizationOut(Schema):
    name: str
    kind: str
    kind_label: str
    secretary: str
    member_count: int


class ServiceCentreOut(Schema):
    name: str
    region_code: str
    address: str
    demonstration_level: str
    demonstration_level_label: str
    location: tuple[float, float] | None


class GridOut(RegionOut):
    staff: list[StaffOut]
    party_organization: PartyOrganizationOut | None
    service_centres: list[ServiceCentreOut]


class LocationOut(Schema):
    lat: float
    lng: float
    grid: RegionSummary
    community: RegionSummary
    street: RegionSummary
    district: RegionSummary


class ErrorOut(Schema):
    detail: str
