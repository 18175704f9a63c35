"""Shapes of the cases JSON API."""

from datetime import datetime

from ninja import Field, Schema


class ErrorOut(Schema):
    detail: str


class CategoryOut(Schema):
    id: int
    kind: str
    kind_label: str
    code: str
    top_name: str
    name: str
    handled_in_grid: bool


class CaseSummary(Schema):
    number: str
    state: str
    state_label: str
    category: str
    category_id: int
    source: str
    grid_code: str
    lat: float
    lng: float
    created_at: datetime
    deadline: datetime | None
    supervised: bool
    overdue: bool
    due_soon: bool
    version: int
    url: str


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[CaseSummary]


class PhotoOut(Schema):
    id: int
    phase: str
    url: str
    thumbnail_url: str


class StepOut(Schema):
    action: str
    action_label: str
    from_state: str
    to_state: str
    to_state_label: str
    actor: str
    actor_role: str
    at: datetime
    note: str
    deadline: datetime | None
    data: dict
    photos: list[PhotoOut]


class CaseOut(CaseSummary):
    description: str
    address: str
    grid_name: str
    reporter_name: str
    reporter_phone: str
    assigned_department: str | None
    assigned_region: str | None
    co_departments: list[str]
    escalation_level: str
    solved_level: str
    rating: str
    duplicate_of: str | None
    suspended: bool
    timeline: list[StepOut]
    allowed_actions: list[str]


class CaseIn(Schema):
    category: int
    lat: float
    lng: float
    description: str = Field(max_length=4000)
    source: str | None = None
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    external_id: str = ""


class PlaceIn(Schema):
    version: int
    lat: float
    lng: float


class ActionIn(Schema):
    version: int
    note: str = ""
    params: dict = {}


class SimilarOut(Schema):
    number: str
    state_label: str
    created_at: str
    distance_m: int
    description: str
