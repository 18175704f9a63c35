"""What each workflow step does to a case: one handler per transition, named by its row in
``workflow.TRANSITIONS`` (the table carries the handler, so who may act, in which state, and what
the step then does are read from one row).

A handler changes the locked case in memory (``services.take_action`` saves it, records the step
and its audit event) and writes what the step decided into ``ctx.step_data``. It raises a
WorkflowError when the step's own parameters or the case's circumstances forbid it.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from gridgov import workcalendar
from gridgov.accounts.models import Department, Role, User
from gridgov.grids.models import Region
from gridgov.grids.selectors import locate_grid
from gridgov.workcalendar import WorkingCalendar

from . import sla
from .errors import IllegalTransition, NotAllowed, WorkflowError
from .models import Case, Category, ExtensionRequest, Rating, SolvedLevel, Source, State

LEVEL_ABOVE = {
    SolvedLevel.GRID: SolvedLevel.COMMUNITY,
    SolvedLevel.COMMUNITY: SolvedLevel.STREET,
    SolvedLevel.STREET: SolvedLevel.DISTRICT,
}


@dataclass
class StepContext:
    """What a handler works on: the locked case (not yet saved), who acts, the step's note and
    parameters, the step's time and calendar, and ``step_data`` for what the step decided."""

    case: Case
    actor: User | None
    note: str
    params: dict
    now: datetime
    calendar: WorkingCalendar
    step_data: dict


def accept(ctx: StepContext) -> None:
    pass  # the intake deadline covers accept and file


def file(ctx: StepContext) -> None:
    """File the case, correcting what the report got wrong: its category (``category``, an id)
    and its point (``lat``/``lng``; the grid follows the point). Each change is kept in the
    step's data and its audit event."""
    _correct_category(ctx, ctx.params.get("category"))
    _correct_point(ctx, ctx.params.get("lat"), ctx.params.get("lng"))
    ctx.case.filed_at = ctx.now
    ctx.case.deadline = sla.dispatch_deadline(ctx.calendar, ctx.case.category, ctx.now)


def _correct_category(ctx: StepContext, category_id) -> None:
    if category_id in (None, "") or category_id == ctx.case.category_id:
        return
    valid_id = isinstance(category_id, int) and 0 < category_id < 2**31
    category = Category.objects.filter(pk=category_id, is_active=True).first() if valid_id else None
    if category is None:
        raise WorkflowError(_("The chosen category does not exist or is no longer in use; choose another one from the list."))
    ctx.step_data["category"] = {"from": ctx.case.category.code, "to": category.code}
    ctx.case.category = category


def _correct_point(ctx: StepContext, lat, lng) -> None:
    if lat in (None, "") and lng in (None, ""):
        return
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        raise WorkflowError(_("Give the corrected location as a latitude and a longitude, both numbers.")) from None
    if (lat, lng) == (ctx.case.lat, ctx.case.lng):
        return
    grid = locate_grid(lat, lng) if -90 <= lat <= 90 and -180 <= lng <= 180 else None
    if grid is None:
        raise WorkflowError(_("The corrected location is outside the district; put the pin inside one of its grids."))
    ctx.step_data["moved_from"] = {"lat": ctx.case.lat, "lng": ctx.case.lng, "grid": ctx.case.grid_code}
    ctx.step_data["grid"] = grid.code
    ctx.case.lat, ctx.case.lng, ctx.case.grid_id, ctx.case.grid_code = lat, lng, grid.id, grid.code


def close_without_handling(ctx: StepContext) -> None:
    ctx.case.deadline = None
    ctx.case.closed_at = ctx.now


def merge(ctx: StepContext) -> None:
    target_number = ctx.params.get("into")
    target = Case.objects.filter(number=target_number).first() if target_number else None
    if target is None or target.pk == ctx.case.pk:
        raise WorkflowError(
            _("Name the case to merge into: no other case has the number “%(number)s”.") % {"number": target_number or ""}
        )
    if target.state in (State.MERGED, State.REJECTED, State.VOIDED):
        raise WorkflowError(
            _("Case %(number)s is %(state)s and cannot take a duplicate; merge into a case that is still open or closed.")
            % {"number": target.number, "state": State(target.state).label}
        )
    ctx.case.duplicate_of = target
    ctx.step_data["into"] = target.number
    close_without_handling(ctx)


def _assignee(ctx: StepContext) -> tuple[Department | None, Region | None]:
    department_code = ctx.params.get("department")
    region_code = ctx.params.get("region")
    if bool(department_code) == bool(region_code):
        raise WorkflowError(_("Choose who handles the case: either a department or a unit of the grid network."))
    if department_code:
        department = Department.objects.filter(code=department_code).first()
        if department is None:
            raise WorkflowError(
                _("There is no department with the code “%(code)s”; choose one from the list.") % {"code": department_code}
            )
        return department, None
    region = Region.objects.filter(code=region_code).first()
    if region is None or not ctx.case.grid_code.startswith(region.code) or region.level == "district":
        raise WorkflowError(
            _("The unit “%(code)s” is not this case's grid, community or street; choose one of those.") % {"code": region_code}
        )
    return None, region


def _assign(ctx: StepContext, department: Department | None, region: Region | None) -> None:
    case = ctx.case
    case.assigned_department, case.assigned_region = department, region
    case.co_departments.clear()  # a whistle sets its own; nobody else keeps handling the case
    case.escalation_level = SolvedLevel(region.level) if region is not None else SolvedLevel.DISTRICT
    case.dispatched_at = ctx.now
    case.deadline = sla.handle_deadline(ctx.calendar, case.category, ctx.now)
    ctx.step_data.update(
        {
            "department": department.code if department else None,
            "region": region.code if region else None,
            "level": case.escalation_level,
        }
    )


def dispatch(ctx: StepContext) -> None:
    _assign(ctx, *_assignee(ctx))


def return_(ctx: StepContext) -> None:
    case = ctx.case
    holder = case.assigned_department or case.assigned_region
    assert holder is not None, "a case is returned by the department or unit it was dispatched to"
    ctx.step_data["returned_by"] = holder.code
    case.return_count += 1
    case.assigned_department = case.assigned_region = None
    case.co_departments.clear()
    case.deadline = sla.dispatch_deadline(ctx.calendar, case.category, ctx.now)


def start(ctx: StepContext) -> None:
    pass


def finish(ctx: StepContext) -> None:
    ctx.case.handled_at = ctx.now
    ctx.case.deadline = sla.verify_deadline(ctx.calendar, ctx.case.category, ctx.now)


def verify(ctx: StepContext) -> None:
    pass


def pass_(ctx: StepContext) -> None:
    ctx.case.solved_level = ctx.case.escalation_level
    ctx.case.deadline = None
    ctx.case.closed_at = ctx.now
    ctx.step_data["solved_level"] = ctx.case.solved_level


def rework(ctx: StepContext) -> None:
    ctx.case.rework_count += 1
    ctx.case.dispatched_at = ctx.now
    ctx.case.deadline = sla.handle_deadline(ctx.calendar, ctx.case.category, ctx.now)


def rate(ctx: StepContext) -> None:
    rating = ctx.params.get("rating")
    if rating not in Rating.values:
        raise WorkflowError(_("Choose one of the ratings: satisfied, basically satisfied or not satisfied."))
    if ctx.actor is not None and ctx.actor.role == Role.RESIDENT and ctx.case.reporter_id != ctx.actor.pk:
        raise NotAllowed(_("Only the resident who reported case %(number)s may rate it.") % {"number": ctx.case.number})
    comment = (ctx.params.get("comment") or "").replace("\x00", "").strip()
    if len(comment) > MAX_RATING_COMMENT:
        raise WorkflowError(
            _("The comment has %(length)d characters; at most %(limit)d are allowed.")
            % {"length": len(comment), "limit": MAX_RATING_COMMENT}
        )
    ctx.case.rating = rating
    ctx.case.rating_comment = comment  # staff read it on the case page, the reporter on the look-up
    ctx.step_data["rating"] = rating


MAX_RATING_COMMENT = 500


def reopen(ctx: StepContext) -> None:
    case = ctx.case
    case.reopen_count += 1
    case.solved_level = ""
    case.closed_at = None
    case.assigned_department = case.assigned_region = None
    case.co_departments.clear()
    case.deadline = sla.dispatch_deadline(ctx.calendar, case.category, ctx.now)


def escalate(ctx: StepContext) -> None:
    """One level up the grid network: grid → community → street → the category's department."""
    case = ctx.case
    level = SolvedLevel(case.escalation_level)
    if level == SolvedLevel.DISTRICT:
        raise IllegalTransition(
            _("Case %(number)s is already with a district department; it cannot be escalated further.") % {"number": case.number}
        )
    above = LEVEL_ABOVE[level]
    if above == SolvedLevel.DISTRICT:
        department = case.category.default_department
        if department is None:
            raise WorkflowError(
                _(
                    "The category %(category)s has no default department to escalate to; dispatch the case to a department instead."
                )
                % {"category": case.category.name}
            )
        _assign(ctx, department, None)
    else:
        code = case.grid_code[: {SolvedLevel.COMMUNITY: 12, SolvedLevel.STREET: 9}[above]]
        _assign(ctx, None, Region.objects.get(code=code))


def whistle(ctx: StepContext) -> None:
    """The street summons departments to one case: one leads, the others co-handle (吹哨报到)."""
    lead_code = ctx.params.get("lead")
    co_codes = [code for code in ctx.params.get("co", []) if code and code != lead_code]
    departments = {d.code: d for d in Department.objects.filter(code__in=[lead_code, *co_codes])}
    missing = [code for code in [lead_code, *co_codes] if code not in departments]
    if not lead_code or missing:
        if not lead_code:
            raise WorkflowError(_("Choose the lead department."))
        raise WorkflowError(
            _("These departments are unknown: %(codes)s; choose them from the list.") % {"codes": ", ".join(missing)}
        )
    _assign(ctx, departments[lead_code], None)
    ctx.case.co_departments.set([departments[code] for code in co_codes])
    ctx.step_data.update({"lead": lead_code, "co": co_codes})


def request_extension(ctx: StepContext) -> None:
    try:
        hours = Decimal(str(ctx.params.get("hours")))
    except (InvalidOperation, ValueError):
        hours = Decimal(0)
    if not hours.is_finite() or hours <= 0 or hours > 2000:
        raise WorkflowError(_("Give the extra working hours as a number greater than 0 and at most 2000."))
    if ExtensionRequest.objects.filter(case=ctx.case, status=ExtensionRequest.Status.PENDING).exists():
        raise WorkflowError(
            _("Case %(number)s already has an extension request waiting; wait for the shift lead to decide it.")
            % {"number": ctx.case.number}
        )
    ExtensionRequest.objects.create(case=ctx.case, requested_by=ctx.actor, hours=hours, reason=ctx.note, created_at=ctx.now)
    ctx.step_data["hours"] = str(hours)


def _pending_extension(ctx: StepContext) -> ExtensionRequest:
    pending = ExtensionRequest.objects.filter(case=ctx.case, status=ExtensionRequest.Status.PENDING).first()
    if pending is None:
        raise WorkflowError(
            _("Case %(number)s has no extension request waiting, so there is nothing to decide.") % {"number": ctx.case.number}
        )
    return pending


def _decide_extension(ctx: StepContext, status: str) -> ExtensionRequest:
    request = _pending_extension(ctx)
    request.status, request.decided_by, request.decided_at = status, ctx.actor, ctx.now
    request.save()
    ctx.step_data["hours"] = str(request.hours)
    return request


def approve_extension(ctx: StepContext) -> None:
    request = _decide_extension(ctx, ExtensionRequest.Status.APPROVED)
    assert ctx.case.deadline is not None, "a case at its handler has a deadline"
    ctx.case.deadline = sla.extended_deadline(ctx.calendar, ctx.case.deadline, request.hours)


def deny_extension(ctx: StepContext) -> None:
    _decide_extension(ctx, ExtensionRequest.Status.DENIED)


def suspend(ctx: StepContext) -> None:
    if ctx.case.suspended_at is not None:
        raise IllegalTransition(
            _("Case %(number)s is already suspended; resume it first if its clock should run again.")
            % {"number": ctx.case.number}
        )
    ctx.case.suspended_at = ctx.now


def resume(ctx: StepContext) -> None:
    case = ctx.case
    if case.suspended_at is None:
        raise IllegalTransition(_("Case %(number)s is not suspended, so there is nothing to resume.") % {"number": case.number})
    assert case.deadline is not None, "a filed case, or one at its handler, has a deadline"
    case.deadline = workcalendar.resumed_deadline(ctx.calendar, case.deadline, case.suspended_at, ctx.now)
    ctx.step_data["suspended_at"] = case.suspended_at.isoformat()
    case.suspended_at = None


def supervise(ctx: StepContext) -> None:
    if ctx.case.supervised:
        raise IllegalTransition(_("Case %(number)s is already supervised.") % {"number": ctx.case.number})
    ctx.case.supervised = True


def self_handle(ctx: StepContext) -> None:
    """Handled on the spot by the grid's own staff (自处置): held by the grid, solved at grid
    level, and waiting for verification like any finished case."""
    case = ctx.case
    if case.source != Source.PATROL:
        raise NotAllowed(_("Only a problem reported from patrol can be handled on the spot; this case goes through intake."))
    grid = Region.objects.get(pk=case.grid_id)
    case.assigned_department, case.assigned_region = None, grid
    case.escalation_level = case.solved_level = SolvedLevel.GRID
    case.filed_at = case.dispatched_at = case.handled_at = ctx.now
    case.deadline = sla.verify_deadline(ctx.calendar, case.category, ctx.now)
    ctx.step_data.update({"region": grid.code, "level": SolvedLevel.GRID, "on_the_spot": True})
