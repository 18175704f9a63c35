"""JSON API of projects (mounted at /api/v1/projects/): the list and its drill-down, one
project with its stages and problems, the period counts, chains and renewal progress. Reads
are limited to the caller's scope, as on the pages."""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from gridgov.accounts.requests import AuthenticatedRequest

from . import selectors

router = Router(tags=["projects"])
MAX_PAGE_SIZE = 500


class ErrorOut(Schema):
    detail: str


class PeriodQuery(Schema):
    year: int | None = None
    first: int = 1
    last: int | None = None


class ProjectListQuery(PeriodQuery):
    measure: str = ""
    stage: str = ""
    industry: str = ""
    park: str = ""
    major: bool = False
    q: str = ""
    limit: int = 100
    offset: int = 0


class ProjectOut(Schema):
    id: int
    name: str
    investor: str
    stage: str
    total_investment: Decimal
    is_major: bool
    industry: str | None
    park: str
    grid_code: str
    leader: str
    unit: str
    is_sample: bool


class ProjectPage(Schema):
    count: int
    results: list[ProjectOut]


class StageOut(Schema):
    stage: str
    date: date
    note: str


class ProblemOut(Schema):
    case_number: str
    kind: str
    state: str
    deadline: str | None


class ProjectDetailOut(ProjectOut):
    stages: list[StageOut]
    problems: list[ProblemOut]


class CountOut(Schema):
    measure: str
    current: int
    previous: int
    change: int
    growth: Decimal | None


class CountsOut(Schema):
    start: date
    end: date
    counts: list[CountOut]
    signed: int
    landed_by_end: int
    started_by_end: int
    investment_planned: Decimal
    investment_completed: Decimal
    overdue_milestones: int


class RenewalOut(Schema):
    year: int
    in_renewal: int
    completed: int
    households: int
    completed_households: int
    target_compounds: int | None
    target_households: int | None


class NodeOut(Schema):
    name: str
    tier: int
    enterprises: list[str]
    projects: list[int]
    is_gap: bool


def _period(query: PeriodQuery) -> selectors.Period:
    today = timezone.localdate()
    year, last = query.year or today.year, query.last or today.month
    if not (2000 <= year <= 2100 and 1 <= query.first <= last <= 12):
        raise HttpError(400, _("The period must be months 1 to 12 of a year from 2000 to 2100, the first not after the last."))
    return selectors.Period.months(year, query.first, last)


def _project(p) -> dict:
    return {
        "id": p.pk, "name": p.name, "investor": p.investor, "stage": p.stage, "total_investment": p.total_investment,
        "is_major": p.is_major, "industry": p.industry.name if p.industry else None, "park": p.park, "grid_code": p.grid_code,
        "leader": p.leader, "unit": p.unit, "is_sample": p.is_sample,
    }  # fmt: skip


@router.get(
    "/",
    response={200: ProjectPage, 400: ErrorOut},
    summary="Projects in your scope; with measure, the projects behind a period count",
)
def list_projects(request: AuthenticatedRequest, query: Query[ProjectListQuery]):
    scope = selectors.visible_projects(request.user)
    if query.measure:
        if query.measure not in selectors.MEASURES:
            raise HttpError(400, _("measure must be one of: %(measures)s.") % {"measures": ", ".join(selectors.MEASURES)})
        projects = selectors.drill_down(query.measure, _period(query), scope)
    else:
        projects = selectors.filtered_projects(
            scope, stage=query.stage, industry=query.industry, park=query.park, major_only=query.major, query=query.q
        )
    limit, offset = max(1, min(query.limit, MAX_PAGE_SIZE)), max(0, query.offset)
    return {"count": projects.count(), "results": [_project(p) for p in projects[offset : offset + limit]]}


@router.get(
    "/counts", response={200: CountsOut, 400: ErrorOut}, summary="Period counts of ≥ 100 M yuan projects with the year before"
)
def period_counts(request: AuthenticatedRequest, query: Query[PeriodQuery]):
    period = _period(query)
    scope = selectors.visible_projects(request.user)
    counts = selectors.period_counts(period, scope)
    conversion = selectors.conversion(period, scope)
    investment = selectors.investment_progress(period.end.year, period.end.month, scope)
    return {
        "start": period.start, "end": period.end,
        "counts": [{"measure": c.measure, "current": c.current, "previous": c.previous, "change": c.change, "growth": c.growth} for c in counts.values()],
        "signed": conversion.signed, "landed_by_end": conversion.landed, "started_by_end": conversion.started,
        "investment_planned": investment.planned, "investment_completed": investment.completed,
        "overdue_milestones": selectors.overdue_milestones(timezone.localdate(), scope).count(),
    }  # fmt: skip


@router.get("/renewal", response=RenewalOut, summary="Old-community renewal against the year's target")
def renewal(request: AuthenticatedRequest, year: int | None = None):
    year = year if year and 2000 <= year <= 2100 else timezone.localdate().year
    progress = selectors.renewal_progress(year, selectors.visible_compounds(request.user))
    return progress.__dict__


@router.get("/chains/{code}", response={200: list[NodeOut], 404: ErrorOut}, summary="An industry chain's nodes, upstream first")
def chain(request: AuthenticatedRequest, code: str):
    found = selectors.chains().filter(code=code).first()
    if found is None:
        raise HttpError(404, _("No such industry chain."))
    return [
        {
            "name": v.node.name,
            "tier": v.node.tier,
            "enterprises": [e.name for e in v.enterprises],
            "projects": [p.pk for p in v.projects],
            "is_gap": v.is_gap,
        }
        for tier in selectors.chain_tiers(found)
        for v in tier
    ]


@router.get(
    "/{project_id}", response={200: ProjectDetailOut, 404: ErrorOut}, summary="One project with its stages and blocking problems"
)
def project_detail(request: AuthenticatedRequest, project_id: str):
    # Any text reaches this operation (a JSON 404, as documented), not only digits.
    project = (
        selectors.project_detail(request.user, int(project_id))
        if project_id.isascii() and project_id.isdigit() and len(project_id) < 19
        else None
    )
    if project is None:
        raise HttpError(404, _("No such project in your scope."))
    problems = selectors.problems_with_cases(request.user, project.problems.all())
    return {
        **_project(project),
        "stages": [{"stage": e.stage, "date": e.date, "note": e.note} for e in selectors.stage_history(project)],
        "problems": [
            {
                "case_number": v.problem.case_number,
                "kind": v.problem.kind,
                "state": v.state,
                "deadline": v.deadline.isoformat() if v.deadline else None,
            }
            for v in problems
        ],
    }
