"""Every change to projects, chains and renewal, in a transaction with its audit event.

Stage changes are events with dates; a date entered wrongly is corrected on its event
(``correct_stage_date``), audited with the old and new dates, and every period count follows.
A blocking problem becomes a case through the one intake service, ``cases.services.report_case``.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.accounts.services import record_audit
from gridgov.cases import selectors as case_selectors
from gridgov.cases import services as case_services
from gridgov.grids import selectors as grid_selectors

from .catalogue import PROBLEM_CATEGORIES, PROBLEM_KIND
from .models import (
    ChainNode,
    Enterprise,
    Industry,
    InvestmentPlan,
    Milestone,
    MonthlyInvestment,
    ProblemKind,
    Project,
    ProjectProblem,
    RenewalCompound,
    RenewalStage,
    RenewalTarget,
    Stage,
    StageEvent,
    SupportingRate,
)

# Which stage may follow which. Signing and landing may fall on the same day; a started project
# may pause (e.g. the winter stop) and restart (复工) any number of times.
NEXT_STAGES: dict[str, set[Stage]] = {
    Stage.NEGOTIATING: {Stage.SIGNED},
    Stage.SIGNED: {Stage.LANDED},
    Stage.LANDED: {Stage.STARTED},
    Stage.STARTED: {Stage.PAUSED, Stage.PRODUCING, Stage.COMPLETED},
    Stage.PAUSED: {Stage.RESTARTED},
    Stage.RESTARTED: {Stage.PAUSED, Stage.PRODUCING, Stage.COMPLETED},
    Stage.PRODUCING: {Stage.COMPLETED},
    Stage.COMPLETED: set(),
}


class ProjectError(ValueError):
    """A change the projects app refuses; the message is a whole sentence for the user."""


def _decimal(value, label: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ProjectError(_("%(field)s must be a number.") % {"field": label}) from None
    if not number.is_finite() or number < 0 or number >= Decimal("1e12"):
        raise ProjectError(_("%(field)s must be zero or more and below a trillion.") % {"field": label})
    return number


def _grid_of(lat: float | None, lng: float | None):
    if lat is None or lng is None:
        return None
    grid = grid_selectors.locate_grid(lat, lng)
    if grid is None:
        raise ProjectError(_("The point %(lat)s, %(lng)s is outside the district; no grid covers it.") % {"lat": lat, "lng": lng})
    return grid


@transaction.atomic
def create_project(
    *, name: str, total_investment, actor: User | None = None, investor: str = "", industry: Industry | None = None,
    chain_node: ChainNode | None = None, park: str = "", lat: float | None = None, lng: float | None = None,
    leader: str = "", unit: str = "", is_sample: bool = False,
) -> Project:  # fmt: skip
    """A new project at the negotiating stage, placed in the grid its map pin falls in."""
    name = (name or "").strip()
    if not name:
        raise ProjectError(_("A project needs a name."))
    grid = _grid_of(lat, lng)
    project = Project.objects.create(
        name=name[:200], investor=investor.strip()[:200], total_investment=_decimal(total_investment, _("Total investment")),
        industry=industry, chain_node=chain_node, park=park.strip()[:100], lat=lat, lng=lng,
        grid_id=grid.id if grid else None, grid_code=grid.code if grid else "", leader=leader.strip()[:50],
        unit=unit.strip()[:100], is_sample=is_sample,
    )  # fmt: skip
    record_audit(actor, "projects.created", project, total_investment=str(project.total_investment))
    return project


@transaction.atomic
def move_pin(project: Project, *, lat: float, lng: float, actor: User | None = None) -> Project:
    grid = _grid_of(lat, lng)
    project.lat, project.lng, project.grid_id, project.grid_code = lat, lng, grid.id, grid.code
    project.save(update_fields=["lat", "lng", "grid", "grid_code"])
    record_audit(actor, "projects.pin_moved", project, grid=grid.code)
    return project


def _refresh_stage(project: Project) -> None:
    latest = project.stage_events.order_by("-date", "-id").values_list("stage", flat=True).first()
    project.stage = latest or Stage.NEGOTIATING
    project.save(update_fields=["stage"])


@transaction.atomic
def record_stage(project: Project, *, stage: str, on: date, actor: User | None = None, note: str = "") -> StageEvent:
    """Move the project to its next stage on a date (not before its last stage's date)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if stage not in NEXT_STAGES.get(project.stage, set()):
        allowed = "、".join(str(Stage(s).label) for s in sorted(NEXT_STAGES.get(project.stage, set())))
        raise ProjectError(
            _("A project at stage “%(current)s” cannot move to “%(stage)s”; next can be: %(allowed)s.")
            % {
                "current": Stage(project.stage).label,
                "stage": Stage(stage).label if stage in Stage.values else stage,
                "allowed": allowed or "—",
            }
        )
    last = project.stage_events.order_by("-date", "-id").first()
    if last is not None and on < last.date:
        raise ProjectError(
            _("The date %(date)s is before the previous stage's date %(previous)s.") % {"date": on, "previous": last.date}
        )
    event = StageEvent.objects.create(
        project=project, stage=stage, date=on, note=note.strip()[:200], recorded_by=actor if actor and actor.pk else None
    )
    _refresh_stage(project)
    record_audit(actor, "projects.stage_recorded", project, stage=stage, date=on.isoformat())
    return event


@transaction.atomic
def correct_stage_date(event: StageEvent, *, on: date, actor: User | None = None, reason: str = "") -> StageEvent:
    """Correct the date of a recorded stage; it must stay between its neighbours' dates."""
    event = StageEvent.objects.select_for_update().get(pk=event.pk)
    events = list(event.project.stage_events.order_by("date", "id"))
    position = [e.pk for e in events].index(event.pk)
    before = events[position - 1] if position > 0 else None
    after = events[position + 1] if position + 1 < len(events) else None
    if (before and on < before.date) or (after and on > after.date):
        raise ProjectError(_("The corrected date %(date)s must lie between the neighbouring stages' dates.") % {"date": on})
    old = event.date
    event.date = on
    event.save(update_fields=["date"])
    _refresh_stage(event.project)
    record_audit(
        actor,
        "projects.stage_date_corrected",
        event.project,
        stage=event.stage,
        old=old.isoformat(),
        new=on.isoformat(),
        reason=reason[:200],
    )
    return event


@transaction.atomic
def add_milestone(project: Project, *, name: str, deadline: date, actor: User | None = None) -> Milestone:
    if not (name or "").strip():
        raise ProjectError(_("A milestone needs a name."))
    milestone = Milestone.objects.create(project=project, name=name.strip()[:200], deadline=deadline)
    record_audit(actor, "projects.milestone_added", project, milestone=milestone.name, deadline=deadline.isoformat())
    return milestone


@transaction.atomic
def complete_milestone(milestone: Milestone, *, on: date, actor: User | None = None) -> Milestone:
    milestone.done_on = on
    milestone.save(update_fields=["done_on"])
    record_audit(actor, "projects.milestone_done", milestone.project, milestone=milestone.name, date=on.isoformat())
    return milestone


@transaction.atomic
def set_investment_plan(project: Project, *, year: int, planned, actor: User | None = None) -> InvestmentPlan:
    plan, _created = InvestmentPlan.objects.update_or_create(
        project=project, year=year, defaults={"planned": _decimal(planned, _("Planned investment"))}
    )
    record_audit(actor, "projects.plan_set", project, year=year, planned=str(plan.planned))
    return plan


@transaction.atomic
def record_investment(project: Project, *, year: int, month: int, completed, actor: User | None = None) -> MonthlyInvestment:
    if not 1 <= month <= 12:
        raise ProjectError(_("The month must be 1 to 12."))
    row, _created = MonthlyInvestment.objects.update_or_create(
        project=project, year=year, month=month, defaults={"completed": _decimal(completed, _("Completed investment"))}
    )
    record_audit(actor, "projects.investment_recorded", project, year=year, month=month, completed=str(row.completed))
    return row


# --- blocking problems ---------------------------------------------------------------------------


def problem_category(kind: str):
    codes = {k: code for k, code, _name, _department in PROBLEM_CATEGORIES}
    if kind not in codes:
        raise ProjectError(_("“%(kind)s” is not a kind of blocking problem.") % {"kind": kind})
    category = case_selectors.active_categories().filter(kind=PROBLEM_KIND, code=codes[kind]).first()
    if category is None:
        raise ProjectError(
            _("The case category for this kind of problem is missing or switched off; ask the system administrator.")
        )
    return category


@transaction.atomic
def raise_problem(project: Project, *, kind: str, description: str, actor: User | None) -> ProjectProblem:
    """Raise a blocking problem as a case in the project's grid, through the one intake service."""
    if kind not in ProblemKind.values:
        raise ProjectError(_("“%(kind)s” is not a kind of blocking problem.") % {"kind": kind})
    if project.lat is None or project.lng is None:
        raise ProjectError(_("Place the project on the map first: a problem is raised in the project's grid."))
    text = (description or "").strip()
    if not text:
        raise ProjectError(_("Describe the problem."))
    report = case_services.Report(
        category=problem_category(kind), lat=project.lat, lng=project.lng, source="department",
        description=f"【{project.name}】{text}", address=project.park, reporter=actor,
    )  # fmt: skip
    try:
        case = case_services.report_case(report)
    except case_services.IntakeError as error:
        raise ProjectError(_("The problem could not be raised as a case: %(reason)s") % {"reason": error}) from error
    problem = ProjectProblem.objects.create(
        project=project, kind=kind, case_number=case.number, raised_by=actor if actor and actor.pk else None
    )
    record_audit(actor, "projects.problem_raised", project, case=case.number, kind=kind)
    return problem


# --- industry chains and renewal ----------------------------------------------------------------


@transaction.atomic
def set_supporting_rate(enterprise: Enterprise, *, year: int, rate, actor: User | None = None) -> SupportingRate:
    if not enterprise.is_leading:
        raise ProjectError(_("Only a leading enterprise has a local supporting rate."))
    value = _decimal(rate, _("Local supporting rate"))
    if value > 100:
        raise ProjectError(_("A supporting rate is a share: 0 to 100 per cent."))
    row, _created = SupportingRate.objects.update_or_create(enterprise=enterprise, year=year, defaults={"rate": value})
    record_audit(actor, "projects.supporting_rate_set", enterprise, year=year, rate=str(value))
    return row


@transaction.atomic
def set_renewal_stage(compound: RenewalCompound, *, stage: str, actor: User | None = None) -> RenewalCompound:
    if stage not in RenewalStage.values:
        raise ProjectError(_("“%(stage)s” is not a renewal stage.") % {"stage": stage})
    old = compound.stage
    compound.stage = stage
    compound.save(update_fields=["stage"])
    record_audit(actor, "projects.renewal_stage_set", compound, old=old, new=stage)
    return compound


@transaction.atomic
def set_renewal_target(*, year: int, compounds: int, households: int, actor: User | None = None) -> RenewalTarget:
    target, _created = RenewalTarget.objects.update_or_create(
        year=year, defaults={"compounds": compounds, "households": households}
    )
    record_audit(actor, "projects.renewal_target_set", target, compounds=compounds, households=households)
    return target
