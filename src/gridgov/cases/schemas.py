"""Shapes of the cases JSON API."""

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema
from pydantic import ConfigDict

from .models import Rating


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
    """A photo of the case. Until ``status`` is ``ready`` (the upload is being cleaned and
    re-encoded in the background) it has no links; ``failed`` comes with ``failure``, the reason."""

    id: int
    phase: str
    status: str
    failure: str
    url: str | None
    thumbnail_url: str | None


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
    public_note: str
    deadline: datetime | None
    data: dict
    photos: list[PhotoOut]


class CaseOut(CaseSummary):
    description: str
    address: str
    grid_name: str
    reporter_name: str = Field(description="Masked (张*).")
    reporter_phone: str = Field(description="Masked (138****5678).")
    reporter_url: str | None = Field(description="For the roles that call back: where to read the details in full (audited).")
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


class ReporterOut(Schema):
    name: str
    phone: str
    email: str


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
    note: str = Field("", description="Internal: only staff read it.")
    public_note: str = Field(
        "", description="The summary the reporter and the public read (reject, void, merge, finish, pass, reopen)."
    )
    params: dict = Field(
        default={},
        description="The action's own parameters: file and accept_file {category, lat, lng} (corrections, all optional); "
        "merge {into}; dispatch {department | region}; rate {rating}; "
        "whistle {lead, co}; request_extension {hours}; other actions take none. Anything else is refused with 422.",
    )
    step_key: str = Field(
        "",
        max_length=64,
        description="A one-time key of the client's for this step: the same step sent again with the same key "
        "(and the same note, public note and params) is answered with the case as that step left it, "
        "not refused with 409 because the version moved on.",
    )


# --- each action's parameters (``ActionIn.params``), checked before the step is taken ------------


class NoParams(Schema):
    """An action that takes no parameters: any given is refused, naming it."""

    model_config = ConfigDict(extra="forbid")


class MergeParams(NoParams):
    into: str = Field(min_length=1, max_length=20, description="The number of the case to merge into.")


class DispatchParams(NoParams):
    department: str | None = Field(default=None, max_length=32, description="A department's code; or give region.")
    region: str | None = Field(default=None, max_length=15, description="The code of the case's grid, community or street.")


class RateParams(NoParams):
    rating: Rating
    comment: str = Field(default="", max_length=500, description="The resident's comment (staff and the reporter read it).")


class WhistleParams(NoParams):
    lead: str = Field(min_length=1, max_length=32, description="The leading department's code.")
    co: list[str] = Field(default=[], max_length=50, description="Codes of co-handling departments.")


class ExtensionParams(NoParams):
    hours: Decimal = Field(gt=0, le=2000, allow_inf_nan=False, description="Working hours to add to the deadline.")


class FileParams(NoParams):
    category: int | None = Field(
        default=None, ge=1, le=2_147_483_647, description="The corrected category's id (filing may correct it)."
    )
    lat: float | None = Field(default=None, ge=-90, le=90, description="The corrected latitude; the grid follows the point.")
    lng: float | None = Field(default=None, ge=-180, le=180, description="The corrected longitude.")


ACTION_PARAMS: dict[str, type[NoParams]] = {
    "file": FileParams,
    "accept_file": FileParams,
    "merge": MergeParams,
    "dispatch": DispatchParams,
    "rate": RateParams,
    "whistle": WhistleParams,
    "request_extension": ExtensionParams,
}


class PublicStepOut(Schema):
    action: str
    action_label: str
    to_state_label: str
    at: datetime
    note: str = Field(description="Public text only: the author's public summary or a standard sentence.")


class ResidentPhotoOut(Schema):
    """A photo the public may see (the report's, and the handler's "after" photos), through signed
    links that expire after an hour, as on the look-up page."""

    phase: str
    url: str
    thumbnail_url: str


class ResidentCaseOut(Schema):
    """A resident's own case: public fields only (no staff names, internal notes or dispatch data).
    ``expected_finish`` says in a sentence when it should be handled; ``expected_finish_at`` is
    that moment while the case is with a handler and its clock runs, else null."""

    number: str
    state: str
    state_label: str
    category: str
    created_at: datetime
    rating: str
    rating_label: str
    version: int
    description: str
    address: str
    lat: float
    lng: float
    timeline: list[PublicStepOut]
    photos: list[ResidentPhotoOut]
    expected_finish: str
    expected_finish_at: datetime | None
    allowed_actions: list[str]


class SimilarOut(Schema):
    number: str
    state_label: str
    created_at: str
    distance_m: int
    description: str
