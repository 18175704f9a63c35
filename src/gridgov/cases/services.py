"""Every change to a case: intake, and each workflow step, in one transaction with its
recorded step, audit event and notifications."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department, Role, User
from gridgov.accounts.services import audit_event, record_audit, record_audits
from gridgov.bulk import insert_objects
from gridgov.grids import selectors as grid_selectors
from gridgov.grids.models import Region

from . import sla
from .calendar import WorkingCalendar
from .models import Case, CaseCounter, Category, ExtensionRequest, Notification, Rating, SolvedLevel, Source, State, Step
from .selectors import can_act_on, holds_case
from .workflow import (
    INTAKE,
    CaseChanged,
    IllegalTransition,
    NotAllowed,
    WorkflowError,
    check_role,
    check_state,
    must_hold,
    transition_for,
)

MAX_DESCRIPTION = 4000
LEVEL_ABOVE = {SolvedLevel.GRID: SolvedLevel.COMMUNITY, SolvedLevel.COMMUNITY: SolvedLevel.STREET, SolvedLevel.STREET: SolvedLevel.DISTRICT}


class IntakeError(ValueError):
    """A report that cannot be taken in; the message names the field and the problem."""


# What intake accepts in each short text field, whatever the interface (resident and staff forms,
# JSON API, Open311, hotline import): a longer value is refused with a message, never cut. The
# limits are the people's and the work orders', not the columns' (storage may take more).
TEXT_LIMITS = {
    "address": (200, gettext_lazy("The address has %(length)d characters; at most %(limit)d are accepted.")),
    "reporter_name": (50, gettext_lazy("The reporter's name has %(length)d characters; at most %(limit)d are accepted.")),
    "reporter_phone": (20, gettext_lazy("The reporter's phone has %(length)d characters; at most %(limit)d are accepted.")),
    "reporter_email": (254, gettext_lazy("The reporter's e-mail has %(length)d characters; at most %(limit)d are accepted.")),
    "external_id": (64, gettext_lazy("The external number has %(length)d characters; at most %(limit)d are accepted.")),
}


def check_text_lengths(report: "Report") -> None:
    for field, (limit, message) in TEXT_LIMITS.items():
        length = len((getattr(report, field) or "").strip())
        if length > limit:
            raise IntakeError(f"{field}: " + str(message) % {"length": length, "limit": limit})


@dataclass(frozen=True)
class Report:
    category: Category
    lat: float
    lng: float
    description: str
    source: str
    address: str = ""
    reporter: User | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    external_id: str = ""
    # Taken in at a stand-in point (Open311 with an address only): the intake clerk places it.
    location_unconfirmed: bool = False


def clean_description(text: str) -> str:
    """Plain text, at most 4,000 characters; stored as given (templates escape it on output)."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise IntakeError("description: required")
    if len(text) > MAX_DESCRIPTION:
        raise IntakeError(f"description: {len(text)} characters; at most {MAX_DESCRIPTION}")
    return text


def _locate_grid(lat: float, lng: float, locate=grid_selectors.locate_grid) -> grid_selectors.GridRef:
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise IntakeError(f"location: lat {lat}, lng {lng} is not a longitude-latitude point")
    grid = locate(lat, lng)
    if grid is None:
        raise IntakeError(f"location: lat {lat}, lng {lng} is outside the district; no grid covers it")
    return grid


def _next_numbers(day, count: int) -> list[str]:
    """``count`` consecutive case numbers of one day, read as the day and its sequence
    (20261126000123), taken with one update of the day's counter."""
    counter = CaseCounter.objects.filter(day=day)
    if not counter.update(last=F("last") + count):
        try:
            with transaction.atomic():
                CaseCounter.objects.create(day=day, last=count)
        except IntegrityError:  # another report created the day's counter first
            counter.update(last=F("last") + count)
    last = counter.values_list("last", flat=True).get()
    return [f"{day:%Y%m%d}{sequence:06d}" for sequence in range(last - count + 1, last + 1)]


def check_report(report: Report, locate=grid_selectors.locate_grid) -> grid_selectors.GridRef:
    """Everything that can be wrong with a report, checked before anything is written; returns
    the grid it lies in. Checking many, pass ``locate=grid_selectors.grid_locator()``."""
    if report.source not in Source.values:
        raise IntakeError(f"source: {report.source!r} is not one of {', '.join(Source.values)}")
    if not report.category.is_active:
        raise IntakeError(f"category: {report.category} is no longer in use")
    clean_description(report.description)
    check_text_lengths(report)
    return _locate_grid(report.lat, report.lng, locate)


def _new_case(report: Report, grid: grid_selectors.GridRef, now: datetime, calendar: WorkingCalendar) -> Case:
    return Case(
        category=report.category,
        source=report.source,
        description=clean_description(report.description),
        address=report.address.strip(),
        lat=report.lat,
        lng=report.lng,
        grid_id=grid.id,
        grid_code=grid.code,
        reporter=report.reporter if report.reporter and report.reporter.pk else None,
        reporter_name=report.reporter_name.strip(),
        reporter_phone=report.reporter_phone.strip(),
        reporter_email=report.reporter_email.strip(),
        external_id=report.external_id.strip(),
        deadline=(intake_deadline := sla.intake_deadline(calendar, report.category, now)),
        intake_deadline=intake_deadline,  # the report step's deadline (Case.note_step_deadline)
        created_at=now,
        updated_at=now,
    )


def _report_step(case: Case, report: Report) -> Step:
    data = {"source": case.source}
    if report.location_unconfirmed:
        data["location_unconfirmed"] = True
    return Step(
        case=case, action="report", to_state=State.REPORTED, actor=case.reporter,
        actor_role=case.reporter.role if case.reporter else "", at=case.created_at, deadline=case.deadline,
        data=data,
    )  # fmt: skip


def _number(cases: Sequence[Case]) -> None:
    by_day: dict = {}
    for case in cases:
        by_day.setdefault(timezone.localdate(case.created_at), []).append(case)
    for day, cases_of_day in sorted(by_day.items()):
        for case, number in zip(cases_of_day, _next_numbers(day, len(cases_of_day)), strict=True):
            case.number = number


def report_case(report: Report, *, photos: Sequence = (), at: datetime | None = None, calendar: WorkingCalendar | None = None) -> Case:
    """Take in one report: locate its grid, number it, start the intake clock.

    The photos are decoded and re-encoded before the transaction opens: that takes up to a
    second or so each, during which the day's case counter (and, on SQLite, the database's one
    write lock) would otherwise be held and every other report would wait."""
    prepared = _prepare_photos(photos)
    with transaction.atomic():
        [outcome] = report_cases([report], at=[at or timezone.now()], calendar=calendar)
        if isinstance(outcome, IntakeError):
            raise outcome
        _store_photos(outcome, outcome.steps.get(action="report") if prepared else None, prepared, phase="before")
        return outcome


@transaction.atomic
def report_cases(
    reports: Sequence[Report], *, at: Sequence[datetime], calendar: WorkingCalendar | None = None
) -> list[Case | IntakeError]:
    """Take in many reports at once, each received at its ``at``: the same checks and clock as
    one report, one counter update per day and one insert per table (Open311's intake queue).

    Each report is checked on its own; the result holds, in order, each report's case or the
    IntakeError that says why it was refused (a refused report writes nothing)."""
    calendar = calendar or sla.working_calendar()
    locate = grid_selectors.grid_locator()
    outcomes: list[Case | IntakeError] = []
    taken: list[tuple[Case, Report]] = []
    for report, now in zip(reports, at, strict=True):
        try:
            case = _new_case(report, check_report(report, locate), now, calendar)
        except IntakeError as error:
            outcomes.append(error)
        else:
            outcomes.append(case)
            taken.append((case, report))
    cases = [case for case, _report in taken]
    _number(cases)
    _insert_cases(cases)
    insert_objects(Step, [_report_step(case, report) for case, report in taken])
    record_audits([audit_event(case.reporter, "cases.reported", case, number=case.number, source=case.source) for case in cases])
    return outcomes


def _insert_cases(cases: list[Case]) -> None:
    """Write new cases and give each its id (read back by number: ``bulk_create``, which returns
    them, spent more on preparing the statement than the database spent on the rows)."""
    if not cases:
        return
    insert_objects(Case, cases)
    ids = dict(Case.objects.filter(number__in=[case.number for case in cases]).values_list("number", "id"))
    for case in cases:
        case.pk = ids[case.number]
        case._state.adding, case._state.db = False, Case.objects.db


def _prepare_photos(photos: Sequence) -> list:
    """Check and re-encode uploads (the costly part), outside any transaction of ours."""
    if not photos:
        return []
    from .photos import prepare_photos

    return prepare_photos(photos)


def _store_photos(case: Case, step: Step | None, prepared: Sequence, phase: str) -> None:
    if prepared:
        from .photos import store_photos

        store_photos(case, step, prepared, phase=phase)


# --- placing a case taken in without a location ----------------------------------------------

PLACEABLE_STATES = frozenset({State.REPORTED, State.ACCEPTED, State.FILED})  # before anyone is sent


def place_case(case_id: int, actor: User, *, lat: float, lng: float, expected_version: int | None = None) -> Case:
    """Put a case taken in at a stand-in point (an Open311 request that named only an address)
    where it really is: its point and grid change, and the report step's flag is cleared.

    An intake role does it, before the case is dispatched (after, the grid's staff would already
    be on their way to the wrong place). Not a workflow step: the state does not change.
    """
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        report_step = case.steps.filter(action="report").first()
        if actor is None or not actor.is_authenticated or actor.role not in INTAKE or not can_act_on(actor, case):
            raise NotAllowed(f"case {case.number}: only intake staff of its unit may place it")
        if expected_version is not None and case.version != expected_version:
            raise CaseChanged(f"case {case.number} changed since you opened it (version {expected_version} → {case.version}); reload it")
        if report_step is None or not report_step.data.get("location_unconfirmed"):
            raise WorkflowError(f"case {case.number} already has a confirmed location")
        if case.state not in PLACEABLE_STATES:
            raise IllegalTransition(f"case {case.number} is {case.state}; place it before it is dispatched")
        grid = _locate_grid(lat, lng)
        case.lat, case.lng, case.grid_id, case.grid_code = lat, lng, grid.id, grid.code
        case.version += 1
        case.updated_at = timezone.now()
        case.save(update_fields=["lat", "lng", "grid", "grid_code", "version", "updated_at"])
        report_step.data = {**report_step.data, "location_unconfirmed": False, "placed_by": actor.pk}
        report_step.save(update_fields=["data"])
        record_audit(actor, "cases.placed", case, number=case.number, grid=grid.code, version=case.version)
        return case


# --- workflow steps ----------------------------------------------------------------------------


@dataclass
class _Context:
    case: Case
    actor: User | None
    note: str
    params: dict
    now: datetime
    calendar: WorkingCalendar
    step_data: dict


def take_action(
    case_id: int,
    action: str,
    actor: User | None,
    *,
    expected_version: int | None = None,
    note: str = "",
    public_note: str = "",
    photos: Sequence = (),
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    system: bool = False,
    **params,
) -> Case:
    """Take one workflow step on a case, or raise a WorkflowError saying why not.

    ``expected_version`` is the version the actor saw; if the case has moved on since, the step
    is refused with CaseChanged instead of silently acting on a state the actor never saw.
    ``system`` marks steps the platform takes itself (no role or scope check). ``note`` is
    internal; ``public_note`` is the summary the reporter and the public read, accepted only on
    the steps whose result is for them (``Transition.public_summary``).
    """
    transition = transition_for(action)
    prepared = _prepare_photos(photos)  # before the case is locked: see report_case
    with transaction.atomic():
        _lock_cases_of_step(case_id, action, params)
        # of=("self",): lock the case row only; a plain FOR UPDATE over the join would lock
        # its category too, and every case of that category would queue behind this step.
        case = Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=case_id)
        if expected_version is not None and case.version != expected_version:
            raise CaseChanged(f"case {case.number} changed since you opened it (version {expected_version} → {case.version}); reload it")
        check_state(transition, case.state)
        if not system:
            _check_actor(transition, case, actor)
        note = (note or "").strip()
        if transition.needs_note and not note:
            raise WorkflowError(f"{action}: a note is required")
        if len(note) > MAX_DESCRIPTION:
            raise WorkflowError(f"note: {len(note)} characters; at most {MAX_DESCRIPTION}")
        public_note = _clean_public_note(transition, public_note)
        now = at or timezone.now()
        context = _Context(case, actor, note, params, now, calendar or sla.working_calendar(), {})
        from_state, previous_deadline = case.state, case.deadline
        _HANDLERS[action](context)
        if case.deadline != previous_deadline:  # a new deadline earns new reminders
            case.reminded_due_soon_at = case.reminded_overdue_at = None
        if transition.new_clock:
            _supersede_pending_extension(context)
        if case.suspended_at is not None and transition.target is not None and case.deadline != previous_deadline:
            _keep_new_clock_stopped(context)
        if transition.target is not None:
            case.state = transition.target
        case.note_step_deadline(action)
        case.version += 1
        case.updated_at = now
        case.save()
        step = Step.objects.create(
            case=case, action=action, from_state=from_state, to_state=case.state, actor=actor if actor and actor.pk else None,
            actor_role="system" if system else actor.role, at=now, note=note, public_note=public_note,
            deadline=case.deadline, data=context.step_data,
        )  # fmt: skip
        _store_photos(case, step, prepared, phase="after" if action == "finish" else "before")
        record_audit(actor, f"cases.{action}", case, number=case.number, version=case.version)
        if action == "rate" and case.rating == Rating.NOT_SATISFIED:
            return take_action(case.pk, "reopen", None, note="resident not satisfied", at=now, calendar=context.calendar, system=True)
        return case


def _lock_cases_of_step(case_id: int, action: str, params: dict) -> None:
    """Lock every case row a step writes or links to, in the order of their ids.

    A merge writes a link to its target, which on PostgreSQL takes a share lock on the target's
    row; two merges A→B and B→A taken at once would each hold its own case and wait for the
    other's ("deadlock detected"). Locking both rows first, lowest id first, makes the second
    merge wait for the first and then find its target merged."""
    if action != "merge" or not isinstance(params.get("into"), str):
        return
    target_id = Case.objects.filter(number=params["into"]).values_list("pk", flat=True).first()
    if target_id is None or target_id == case_id:
        return  # the handler says what is wrong with the target
    list(Case.objects.select_for_update(of=("self",)).filter(pk__in=[case_id, target_id]).order_by("pk").values_list("pk"))


MAX_PUBLIC_NOTE = 2000


def _clean_public_note(transition, public_note: str) -> str:
    public_note = (public_note or "").replace("\x00", "").strip()
    if public_note and not transition.public_summary:
        raise WorkflowError(
            _("A public summary can only be written on a step whose result the reporter reads; the note of this step stays internal.")
        )
    if len(public_note) > MAX_PUBLIC_NOTE:
        raise WorkflowError(
            _("The public summary has %(length)d characters; at most %(limit)d are allowed.") % {"length": len(public_note), "limit": MAX_PUBLIC_NOTE}
        )
    return public_note


def _supersede_pending_extension(ctx: _Context) -> None:
    """An extension asked for one step's deadline must not stretch the next step's."""
    superseded = ExtensionRequest.objects.filter(case=ctx.case, status=ExtensionRequest.Status.PENDING).update(
        status=ExtensionRequest.Status.SUPERSEDED, decided_at=ctx.now
    )
    if superseded:
        ctx.step_data["extension_superseded"] = True


def _keep_new_clock_stopped(ctx: _Context) -> None:
    """A step taken while the clock is stopped starts a new deadline: that clock stays stopped
    from the step's own start (resuming then gives the new step its whole limit, not the time
    since the old suspension); a step that ends the clock ends the suspension too."""
    ctx.case.suspended_at = ctx.now if ctx.case.deadline is not None else None


def _check_actor(transition, case: Case, actor: User | None) -> None:
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(f"{transition.action}: sign in first")
    check_role(transition, actor.role)
    if not can_act_on(actor, case):
        raise NotAllowed(f"case {case.number} is outside your unit")
    if must_hold(transition, actor.role) and not holds_case(actor, case):
        raise NotAllowed(f"case {case.number} is not assigned to you or your unit")


# Each handler changes the case (not saved) and records what the step decided in step_data.


def _accept(ctx: _Context) -> None:
    pass  # the intake deadline covers accept and file


def _file(ctx: _Context) -> None:
    ctx.case.filed_at = ctx.now
    ctx.case.deadline = sla.dispatch_deadline(ctx.calendar, ctx.case.category, ctx.now)


def _close_without_handling(ctx: _Context) -> None:
    ctx.case.deadline = None
    ctx.case.closed_at = ctx.now


def _merge(ctx: _Context) -> None:
    target_number = ctx.params.get("into")
    target = Case.objects.filter(number=target_number).first() if target_number else None
    if target is None or target.pk == ctx.case.pk:
        raise WorkflowError(f"merge: name the case to merge into (got {target_number!r})")
    if target.state in (State.MERGED, State.REJECTED, State.VOIDED):
        raise WorkflowError(f"merge: case {target.number} is {target.state}; merge into a live case")
    ctx.case.duplicate_of = target
    ctx.step_data["into"] = target.number
    _close_without_handling(ctx)


def _assignee(ctx: _Context) -> tuple[Department | None, Region | None]:
    department_code = ctx.params.get("department")
    region_code = ctx.params.get("region")
    if bool(department_code) == bool(region_code):
        raise WorkflowError("dispatch: choose either a department or a unit of the grid network")
    if department_code:
        department = Department.objects.filter(code=department_code).first()
        if department is None:
            raise WorkflowError(f"no department with code {department_code!r}")
        return department, None
    region = Region.objects.filter(code=region_code).first()
    if region is None or not ctx.case.grid_code.startswith(region.code) or region.level == "district":
        raise WorkflowError(f"unit {region_code!r} is not the case's grid, community or street")
    return None, region


def _assign(ctx: _Context, department: Department | None, region: Region | None) -> None:
    case = ctx.case
    case.assigned_department, case.assigned_region = department, region
    case.co_departments.clear()  # a whistle sets its own; nobody else keeps handling the case
    case.escalation_level = SolvedLevel(region.level) if region is not None else SolvedLevel.DISTRICT
    case.dispatched_at = ctx.now
    case.deadline = sla.handle_deadline(ctx.calendar, case.category, ctx.now)
    ctx.step_data.update(
        {"department": department.code if department else None, "region": region.code if region else None, "level": case.escalation_level}
    )


def _dispatch(ctx: _Context) -> None:
    _assign(ctx, *_assignee(ctx))


def _return(ctx: _Context) -> None:
    case = ctx.case
    ctx.step_data["returned_by"] = case.assigned_department.code if case.assigned_department else case.assigned_region.code
    case.return_count += 1
    case.assigned_department = case.assigned_region = None
    case.co_departments.clear()
    case.deadline = sla.dispatch_deadline(ctx.calendar, case.category, ctx.now)


def _start(ctx: _Context) -> None:
    pass


def _finish(ctx: _Context) -> None:
    ctx.case.handled_at = ctx.now
    ctx.case.deadline = sla.verify_deadline(ctx.calendar, ctx.case.category, ctx.now)


def _verify(ctx: _Context) -> None:
    pass


def _pass(ctx: _Context) -> None:
    ctx.case.solved_level = ctx.case.escalation_level
    ctx.case.deadline = None
    ctx.case.closed_at = ctx.now
    ctx.step_data["solved_level"] = ctx.case.solved_level


def _rework(ctx: _Context) -> None:
    ctx.case.rework_count += 1
    ctx.case.dispatched_at = ctx.now
    ctx.case.deadline = sla.handle_deadline(ctx.calendar, ctx.case.category, ctx.now)


def _rate(ctx: _Context) -> None:
    rating = ctx.params.get("rating")
    if rating not in Rating.values:
        raise WorkflowError(f"rate: rating must be one of {', '.join(Rating.values)}")
    if ctx.actor is not None and ctx.actor.role == Role.RESIDENT and ctx.case.reporter_id != ctx.actor.pk:
        raise NotAllowed(f"only the resident who reported case {ctx.case.number} may rate it")
    ctx.case.rating = rating
    ctx.step_data["rating"] = rating


def _reopen(ctx: _Context) -> None:
    case = ctx.case
    case.reopen_count += 1
    case.solved_level = ""
    case.closed_at = None
    case.assigned_department = case.assigned_region = None
    case.co_departments.clear()
    case.deadline = sla.dispatch_deadline(ctx.calendar, case.category, ctx.now)


def _escalate(ctx: _Context) -> None:
    """One level up the grid network: grid → community → street → the category's department."""
    case = ctx.case
    level = SolvedLevel(case.escalation_level)
    if level == SolvedLevel.DISTRICT:
        raise IllegalTransition(f"case {case.number} is already with a district department")
    above = LEVEL_ABOVE[level]
    if above == SolvedLevel.DISTRICT:
        department = case.category.default_department
        if department is None:
            raise WorkflowError(f"category {case.category} has no default department to escalate to")
        _assign(ctx, department, None)
    else:
        code = case.grid_code[: {SolvedLevel.COMMUNITY: 12, SolvedLevel.STREET: 9}[above]]
        _assign(ctx, None, Region.objects.get(code=code))


def _whistle(ctx: _Context) -> None:
    """The street summons departments to one case: one leads, the others co-handle (吹哨报到)."""
    lead_code = ctx.params.get("lead")
    co_codes = [code for code in ctx.params.get("co", []) if code and code != lead_code]
    departments = {d.code: d for d in Department.objects.filter(code__in=[lead_code, *co_codes])}
    missing = [code for code in [lead_code, *co_codes] if code not in departments]
    if not lead_code or missing:
        raise WorkflowError(f"whistle: unknown or missing departments {missing or ['lead']}")
    _assign(ctx, departments[lead_code], None)
    ctx.case.co_departments.set([departments[code] for code in co_codes])
    ctx.step_data.update({"lead": lead_code, "co": co_codes})


def _request_extension(ctx: _Context) -> None:
    try:
        hours = Decimal(str(ctx.params.get("hours")))
    except (InvalidOperation, ValueError):
        hours = Decimal(0)
    if not hours.is_finite() or hours <= 0 or hours > 2000:
        raise WorkflowError(f"request_extension: hours must be a number between 0 and 2000, got {ctx.params.get('hours')!r}")
    if ExtensionRequest.objects.filter(case=ctx.case, status=ExtensionRequest.Status.PENDING).exists():
        raise WorkflowError(f"case {ctx.case.number} already has an extension request waiting")
    ExtensionRequest.objects.create(case=ctx.case, requested_by=ctx.actor, hours=hours, reason=ctx.note, created_at=ctx.now)
    ctx.step_data["hours"] = str(hours)


def _pending_extension(ctx: _Context) -> ExtensionRequest:
    pending = ExtensionRequest.objects.filter(case=ctx.case, status=ExtensionRequest.Status.PENDING).first()
    if pending is None:
        raise WorkflowError(f"case {ctx.case.number} has no extension request waiting")
    return pending


def _decide_extension(ctx: _Context, status: str) -> ExtensionRequest:
    request = _pending_extension(ctx)
    request.status, request.decided_by, request.decided_at = status, ctx.actor, ctx.now
    request.save()
    ctx.step_data["hours"] = str(request.hours)
    return request


def _approve_extension(ctx: _Context) -> None:
    request = _decide_extension(ctx, ExtensionRequest.Status.APPROVED)
    ctx.case.deadline = sla.extended_deadline(ctx.calendar, ctx.case.deadline, request.hours)


def _deny_extension(ctx: _Context) -> None:
    _decide_extension(ctx, ExtensionRequest.Status.DENIED)


def _suspend(ctx: _Context) -> None:
    if ctx.case.suspended_at is not None:
        raise IllegalTransition(f"case {ctx.case.number} is already suspended")
    ctx.case.suspended_at = ctx.now


def _resume(ctx: _Context) -> None:
    case = ctx.case
    if case.suspended_at is None:
        raise IllegalTransition(f"case {case.number} is not suspended")
    case.deadline = sla.resumed_deadline(ctx.calendar, case.deadline, case.suspended_at, ctx.now)
    ctx.step_data["suspended_at"] = case.suspended_at.isoformat()
    case.suspended_at = None


def _supervise(ctx: _Context) -> None:
    if ctx.case.supervised:
        raise IllegalTransition(f"case {ctx.case.number} is already supervised")
    ctx.case.supervised = True


_HANDLERS = {
    "accept": _accept,
    "reject": _close_without_handling,
    "file": _file,
    "void": _close_without_handling,
    "merge": _merge,
    "dispatch": _dispatch,
    "return": _return,
    "start": _start,
    "finish": _finish,
    "verify": _verify,
    "pass": _pass,
    "rework": _rework,
    "rate": _rate,
    "reopen": _reopen,
    "escalate": _escalate,
    "whistle": _whistle,
    "request_extension": _request_extension,
    "approve_extension": _approve_extension,
    "deny_extension": _deny_extension,
    "suspend": _suspend,
    "resume": _resume,
    "supervise": _supervise,
}


# --- personal data ------------------------------------------------------------------------------


@transaction.atomic
def reveal_reporter(case: Case, user: User) -> dict:
    """The reporter's name, phone and e-mail in full, for a role that calls reporters back;
    the view is written to the audit log. Raises NotAllowed for anyone else."""
    from .privacy import may_see_personal_data

    if not may_see_personal_data(user) or not can_act_on(user, case):
        raise NotAllowed(_("Only the command centre may see a reporter's contact details, and only for cases in its scope."))
    record_audit(user, "cases.personal_data_viewed", case, number=case.number, fields=["reporter_name", "reporter_phone", "reporter_email"])
    return {"name": case.reporter_name, "phone": case.reporter_phone, "email": case.reporter_email}


def notify(user: User, case: Case | None, kind: str, text: str) -> Notification:
    return Notification.objects.create(user=user, case=case, kind=kind, text=text[:300])
