"""Every change to a case: intake, and each workflow step, in one transaction with its
recorded step, audit event and notifications."""

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov import workcalendar
from gridgov.accounts.models import Role, User
from gridgov.accounts.selectors import is_administrator
from gridgov.accounts.services import audit_event, record_audit, record_audits
from gridgov.bulk import insert_objects
from gridgov.grids import selectors as grid_selectors
from gridgov.workcalendar import WorkingCalendar

from . import ratelimit, sla
from .models import Case, CaseCounter, Category, ExtensionRequest, Notification, Rating, Source, State, Step, Subscriber
from .presenters import REPORTER_ROLE, action_label
from .selectors import can_act_on, case_by_intake_key, forget_change_marks, holds_case
from .steps import StepContext
from .workflow import (
    INTAKE,
    OPEN_STATES,
    CaseChanged,
    IllegalTransition,
    NotAllowed,
    WorkflowError,
    check_guard,
    check_role,
    check_state,
    combined_steps,
    must_hold,
    transition_for,
)

MAX_DESCRIPTION = 4000


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
    # A retry of the same submission (the resident form's one-time key): the case it made, not a second.
    intake_key: str = ""


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


# ``Source.values`` builds its list afresh on every read: 6 % of taking a report in (cProfile).
SOURCES = frozenset(Source.values)


def check_report(report: Report, locate=grid_selectors.locate_grid) -> grid_selectors.GridRef:
    """Everything that can be wrong with a report, checked before anything is written; returns
    the grid it lies in. Checking many, pass ``locate=grid_selectors.grid_locator()``."""
    if report.source not in SOURCES:
        raise IntakeError(f"source: {report.source!r} is not one of {', '.join(Source.values)}")
    if not report.category.is_active:
        raise IntakeError(f"category: {report.category} is no longer in use")
    clean_description(report.description)
    check_text_lengths(report)
    return _locate_grid(report.lat, report.lng, locate)


# --- intake rules: who may report what, whatever the way in ------------------------------------
#
# The report page and POST /api/v1/cases/ take reports from people (``PERSON``: whoever is signed
# in, or nobody on the public page); Open311 from client apps holding a key (``OPEN311``, limited
# per key by its own view); the hotline import from the 12345 work-order file (``HOTLINE``);
# ``SYSTEM`` is code of ours that names its own source (the projects' blocking problems, the demo).
# Every way in calls ``check_intake`` (``report_case`` does it for the page, the API and the import).

PERSON, OPEN311, HOTLINE, SYSTEM = "person", "open311", "hotline", "system"
GRID_STAFF = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF})
# Sources command-centre and other staff may pick when they take a report in on someone's behalf.
STAFF_SOURCES = (Source.HOTLINE, Source.SUPERVISOR, Source.DEPARTMENT, Source.RESIDENT, Source.SENSOR)
CHANNEL_SOURCES = {OPEN311: (Source.OPEN311,), HOTLINE: (Source.HOTLINE,)}


def is_public_reporter(user: User | None) -> bool:
    """Someone reporting as a resident: nobody signed in, or a resident's account."""
    return user is None or not user.is_authenticated or user.role == Role.RESIDENT


def intake_sources(user: User | None, channel: str = PERSON) -> tuple[str, ...]:
    """The sources a report may name on this way in: residents report as residents, grid staff
    from patrol, other staff on someone's behalf (``STAFF_SOURCES``); the three administrators
    take no reports; Open311 and the hotline import name themselves."""
    if channel in CHANNEL_SOURCES:
        return CHANNEL_SOURCES[channel]
    if channel == SYSTEM:
        return tuple(Source.values)
    if user is None or is_public_reporter(user):
        return (Source.RESIDENT,)
    if is_administrator(user):
        return ()
    if user.role in GRID_STAFF:
        return (Source.PATROL,)
    return STAFF_SOURCES


def default_source(user: User | None) -> str:
    """The source a person's report takes when they name none (the JSON API)."""
    sources = intake_sources(user)
    if not sources:
        return ""
    return Source.SUPERVISOR if sources == STAFF_SOURCES else sources[0]


def check_intake(report: Report, *, channel: str, client: str = "", locate=grid_selectors.locate_grid) -> grid_selectors.GridRef:
    """The intake rules, the same on every way in; returns the report's grid or raises.

    - public intake (a resident, or nobody signed in) is rate-limited per client address
      (``client``: ``ratelimit.client_address(request)``; ``GRIDGOV_INTAKE_RATE``), counted first
      so that refused reports count too, raising ``ratelimit.RateLimited``;
    - the source must be one the reporter's role may name (``intake_sources``);
    - a resident must leave a phone (the case is looked up and called back by it);
    - grid staff report from patrol inside their own unit only (a grid worker without a grid cannot);
    - and everything ``check_report`` checks (category, text, a point inside the district).
    Each refusal is an ``IntakeError`` whose message is a whole sentence naming the field."""
    person = channel == PERSON
    if person and client and is_public_reporter(report.reporter):
        ratelimit.count_hit(ratelimit.bucket_key("intake", "address", client), ratelimit.configured_rate())
    allowed = intake_sources(report.reporter if person else None, channel)
    if report.source not in allowed:
        if not allowed:
            raise IntakeError(_("Your role does not take reports in."))
        raise IntakeError(
            _("A report from you cannot have the source “%(source)s”; use one of: %(allowed)s.")
            % {"source": str(report.source)[:20], "allowed": ", ".join(allowed)}
        )
    if person and is_public_reporter(report.reporter) and not (report.reporter_phone or "").strip():
        raise IntakeError(_("Leave a phone number, so that the case can be looked up and you can be called back."))
    grid = check_report(report, locate)
    if person and report.reporter is not None and report.reporter.role in GRID_STAFF:
        region = report.reporter.region
        if region is None:
            raise IntakeError(
                _("You have no grid of your own yet, so you cannot report from patrol; ask for your unit to be set.")
            )
        if not grid.code.startswith(region.code):
            raise IntakeError(_("Report from inside your own grid: the pin is outside it."))
    return grid


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
        intake_key=report.intake_key,
        deadline=(intake_deadline := sla.intake_deadline(calendar, report.category, now)),
        intake_deadline=intake_deadline,  # the report step's deadline (Case.note_step_deadline)
        created_at=now,
        updated_at=now,
    )


def _report_step(case: Case, report: Report) -> Step:
    data: dict[str, object] = {"source": case.source}
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


def report_case(
    report: Report,
    *,
    photos: Sequence = (),
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    channel: str = SYSTEM,
    client: str = "",
) -> Case:
    """Take in one report: check the intake rules of its way in (``check_intake``: the page and
    the JSON API pass ``channel=PERSON`` and the client's address), locate its grid, number it,
    start the intake clock.

    The photos are checked (cheaply: nothing is decoded) and kept as received before the
    transaction opens; their rows go in with the case, pending, and the ``process_photo`` task
    decodes and re-encodes them (up to a second or so each, which no report waits for).

    A report with an ``intake_key`` that already made a case (a retry whose first answer was
    lost) returns that case and writes nothing."""
    if report.intake_key and (earlier := case_by_intake_key(report.intake_key)) is not None:
        return earlier
    check_intake(report, channel=channel, client=client)  # before the transaction: a refusal still counts
    prepared = _prepare_photos(photos)
    try:
        with _discarded_unless_taken(prepared), transaction.atomic():
            [outcome] = report_cases([report], at=[at or timezone.now()], calendar=calendar)
            if isinstance(outcome, IntakeError):
                raise outcome
            _store_photos(outcome, outcome.steps.get(action="report") if prepared else None, prepared, phase="before")
            return outcome
    except IntegrityError:
        # The same submission, sent twice at once: the other one committed first.
        earlier = case_by_intake_key(report.intake_key) if report.intake_key else None
        if earlier is None:
            raise
        return earlier


@transaction.atomic
def report_cases(
    reports: Sequence[Report], *, at: Sequence[datetime], calendar: WorkingCalendar | None = None
) -> list[Case | IntakeError]:
    """Take in many reports at once, each received at its ``at``: the same checks and clock as
    one report, one counter update per day and one insert per table (Open311's intake queue).

    Each report is checked on its own; the result holds, in order, each report's case or the
    IntakeError that says why it was refused (a refused report writes nothing)."""
    calendar = calendar or workcalendar.working_calendar()
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
    if cases:  # the bulk writer sends no post_save: new cases show at once in this process too
        forget_change_marks()
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
    """Check uploads and keep them as received for the ``process_photo`` task, outside any
    transaction of ours (``photos.prepare_photos``)."""
    if not photos:
        return []
    from .photos import prepare_photos

    return prepare_photos(photos)


def _store_photos(case: Case, step: Step | None, prepared: Sequence, phase: str) -> None:
    """The prepared photos' rows, pending, with their processing queued (inside the transaction)."""
    if prepared:
        from .photos import store_photos

        store_photos(case, step, prepared, phase=phase)


@contextmanager
def _discarded_unless_taken(prepared: Sequence) -> Iterator[None]:
    """Delete the kept uploads when the report or step is not taken (put it outside the
    transaction, so a failed commit counts too; the sweep catches an outer rollback)."""
    try:
        yield
    except BaseException:
        if prepared:
            from .photos import discard_photos

            discard_photos(prepared)
        raise


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
            raise NotAllowed(_("Only intake staff whose unit covers case %(number)s may place it.") % {"number": case.number})
        if expected_version is not None and case.version != expected_version:
            raise CaseChanged(
                _(
                    "Case %(number)s was changed by someone else after you opened it; it has been reloaded: check it and try again."
                )
                % {"number": case.number}
            )
        if report_step is None or not report_step.data.get("location_unconfirmed"):
            raise WorkflowError(
                _("Case %(number)s already has a confirmed location; there is nothing to place.") % {"number": case.number}
            )
        if case.state not in PLACEABLE_STATES:
            raise IllegalTransition(
                _("Case %(number)s has already been dispatched; a case can only be placed before it is dispatched.")
                % {"number": case.number}
            )
        try:
            grid = _locate_grid(lat, lng)
        except IntakeError:
            raise WorkflowError(
                _("The corrected location is outside the district; put the pin inside one of its grids.")
            ) from None
        case.lat, case.lng, case.grid_id, case.grid_code = lat, lng, grid.id, grid.code
        case.version += 1
        case.updated_at = timezone.now()
        case.save(update_fields=["lat", "lng", "grid", "grid_code", "version", "updated_at"])
        report_step.data = {**report_step.data, "location_unconfirmed": False, "placed_by": actor.pk}
        report_step.save(update_fields=["data"])
        record_audit(actor, "cases.placed", case, number=case.number, grid=grid.code, version=case.version)
        return case


# --- workflow steps ----------------------------------------------------------------------------


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
    by_reporter: bool = False,
    step_key: str = "",
    **params,
) -> Case:
    """Take one workflow step on a case (or a combined action's steps, ``workflow.COMBINED``),
    or raise a WorkflowError saying why not.

    ``expected_version`` is the version the actor saw; if the case has moved on since, the step
    is refused with CaseChanged instead of silently acting on a state the actor never saw.
    ``system`` marks steps the platform takes itself (no role or scope check); with
    ``by_reporter`` such a step is recorded as the reporter's (a rating given by case number and
    phone, without an account), so the timeline names them rather than "System". ``note`` is
    internal; ``public_note`` is the summary the reporter and the public read, accepted only on
    the steps whose result is for them (``Transition.public_summary``).

    ``step_key`` is the one-time key of the form the step was sent from (a fresh one in every
    action form shown, or the phone's offline queue's own for a step taken without a
    connection): kept in the recorded step's data with what was sent, so the same step sent
    again (its answer lost, or queued and resent) is recognised and answered with the case as
    it took it, not refused as a change made since the sender opened the case.
    """
    actions = combined_steps(action)
    sent_key = _step_key(step_key, action, note, public_note, params, photos)
    transitions = [transition_for(name) for name in actions]
    prepared = _prepare_photos(photos)  # before the case is locked: see report_case
    with _discarded_unless_taken(prepared), transaction.atomic():
        _lock_cases_of_step(case_id, actions[0], params)
        # of=("self",): lock the case row only; a plain FOR UPDATE over the join would lock
        # its category too, and every case of that category would queue behind this step.
        case = Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=case_id)
        if sent_key and case.steps.filter(action=actions[-1], data__step_key=sent_key).exists():
            if prepared:  # the first send's photos are the step's; this send's uploads are not needed
                from .photos import discard_photos

                discard_photos(prepared)
            return case  # this very step was taken already: the same outcome again
        if expected_version is not None and case.version != expected_version:
            raise CaseChanged(
                _(
                    "Case %(number)s was changed by someone else after you opened it; it has been reloaded: check it and try again."
                )
                % {"number": case.number}
            )
        now = at or timezone.now()
        calendar = calendar or workcalendar.working_calendar()
        # A combined action is its steps, each recorded as if taken alone: the note, the public
        # summary and the parameters belong to the last step (its result), the photos to the
        # step that takes photos (the finish's "after", the verification's).
        photo_step = next((t.action for t in transitions if t.photo_phase), transitions[-1].action)
        for position, transition in enumerate(transitions):
            last = position == len(transitions) - 1
            _take_step(
                case, transition, actor, system=system, by_reporter=by_reporter, now=now, calendar=calendar,
                note=note if last else "", public_note=public_note if last else "", params=params if last else {},
                prepared=prepared if transition.action == photo_step else (), step_key=sent_key if last else "",
            )  # fmt: skip
        if case.state == State.RATED and case.rating == Rating.NOT_SATISFIED and actions[-1] == "rate":
            _take_step(
                case, transition_for("reopen"), None, system=True, now=now, calendar=calendar,
                note="resident not satisfied", public_note="", params={}, prepared=(),
            )  # fmt: skip
        return case


def key_digest(sent: list) -> str:
    """The digest a one-time key is kept as, with what was sent beside it (``sent``, a list
    starting with the key): the report page's and the JSON API's intake keys
    (``Case.intake_key``) and a step's key. One function, so the same sending digests alike
    wherever it came in."""
    return hashlib.sha256(repr(sent).encode()).hexdigest()


def _step_key(key: str, action: str, note: str, public_note: str, params: dict, photos: Sequence) -> str:
    """What a step keeps of its form's one-time key: the key with what was sent (as the report's
    ``intake_key`` does), so the same form sent again finds its step, while a form reused with
    other content (the browser's Back button keeps the hidden key) is a step of its own."""
    if not key:
        return ""
    sent: list = [key, action, note, public_note, sorted((name, repr(value)) for name, value in params.items())]
    sent += [(getattr(photo, "name", ""), getattr(photo, "size", 0)) for photo in photos]
    return key_digest(sent)


def _take_step(
    case: Case, transition, actor: User | None, *, system: bool, now: datetime, calendar: WorkingCalendar, by_reporter: bool = False,
    note: str, public_note: str, params: dict, prepared: Sequence, step_key: str = "",
) -> Step:  # fmt: skip
    """One step on the locked case: checks, the row's handler, the saved case, the recorded step."""
    check_state(transition, case.state)
    if not system:
        _check_actor(transition, case, actor)
    check_guard(transition, case, now)
    note = (note or "").strip()
    if transition.needs_note and not note:
        raise WorkflowError(_("Write a note saying why: “%(action)s” needs one.") % {"action": action_label(transition.action)})
    if len(note) > MAX_DESCRIPTION:
        raise WorkflowError(
            _("The note has %(length)d characters; at most %(limit)d are allowed.")
            % {"length": len(note), "limit": MAX_DESCRIPTION}
        )
    public_note = _clean_public_note(transition, public_note)
    context = StepContext(case, actor, note, params, now, calendar, {})
    from_state, previous_deadline = case.state, case.deadline
    transition.handler(context)
    if case.deadline != previous_deadline:  # a new deadline earns new reminders
        case.reminded_due_soon_at = case.reminded_overdue_at = None
    if transition.new_clock:
        _supersede_pending_extension(context)
    if case.suspended_at is not None and transition.target is not None and case.deadline != previous_deadline:
        _keep_new_clock_stopped(context)
    if transition.target is not None:
        case.state = transition.target
    case.note_step_deadline(transition.action)
    case.version += 1
    case.updated_at = now
    case.save()
    if step_key:
        context.step_data["step_key"] = step_key
    step = Step.objects.create(
        case=case, action=transition.action, from_state=from_state, to_state=case.state, actor=actor if actor and actor.pk else None,
        actor_role=_recorded_role(actor, system, by_reporter), at=now, note=note, public_note=public_note,
        deadline=case.deadline, data=context.step_data,
    )  # fmt: skip
    _store_photos(case, step, prepared, phase=transition.photo_phase or "before")
    audit_data = {key: value for key, value in context.step_data.items() if key in ("category", "grid", "moved_from")}
    record_audit(actor, f"cases.{transition.action}", case, number=case.number, version=case.version, **audit_data)
    _queue_resident_notice(step)
    return step


def _queue_resident_notice(step: Step) -> None:
    """Residents hear of a public step once it has committed, from a background task."""
    from .notifications import is_resident_notice

    if is_resident_notice(step.action):
        step_id = step.pk

        def enqueue() -> None:
            from .tasks import notify_residents

            notify_residents.enqueue(step_id)

        transaction.on_commit(enqueue)


def _recorded_role(actor: User | None, system: bool, by_reporter: bool) -> str:
    if by_reporter:
        return REPORTER_ROLE
    return "system" if system or actor is None else actor.role


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
            _(
                "A public summary can only be written on a step whose result the reporter reads; the note of this step stays internal."
            )
        )
    if len(public_note) > MAX_PUBLIC_NOTE:
        raise WorkflowError(
            _("The public summary has %(length)d characters; at most %(limit)d are allowed.")
            % {"length": len(public_note), "limit": MAX_PUBLIC_NOTE}
        )
    return public_note


def _supersede_pending_extension(ctx: StepContext) -> None:
    """An extension asked for one step's deadline must not stretch the next step's."""
    superseded = ExtensionRequest.objects.filter(case=ctx.case, status=ExtensionRequest.Status.PENDING).update(
        status=ExtensionRequest.Status.SUPERSEDED, decided_at=ctx.now
    )
    if superseded:
        ctx.step_data["extension_superseded"] = True


def _keep_new_clock_stopped(ctx: StepContext) -> None:
    """A step taken while the clock is stopped starts a new deadline: that clock stays stopped
    from the step's own start (resuming then gives the new step its whole limit, not the time
    since the old suspension); a step that ends the clock ends the suspension too."""
    ctx.case.suspended_at = ctx.now if ctx.case.deadline is not None else None


def _check_actor(transition, case: Case, actor: User | None) -> None:
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Sign in first to take this step."))
    check_role(transition, actor.role)
    if not can_act_on(actor, case):
        raise NotAllowed(
            _("Case %(number)s is outside your unit; you can only act on cases in your own area.") % {"number": case.number}
        )
    if must_hold(transition, actor.role) and not holds_case(actor, case):
        raise NotAllowed(
            _("Case %(number)s is not assigned to you or your unit; only the unit holding it can take this step.")
            % {"number": case.number}
        )


# --- "me too": a resident follows an open case instead of filing a duplicate ---------------------


class MeTooError(ValueError):
    """A "me too" that cannot be taken; the message is a whole sentence for the resident."""


def subscribe_me_too(number: str, *, phone: str, email: str = "", at: datetime | None = None) -> tuple[Subscriber, bool]:
    """Subscribe a resident's contact to an open case (我也遇到); returns the subscription and
    whether it is new. Saying it twice with the same phone changes nothing (one per phone and
    case), so the count of residents affected stays honest."""
    from gridgov.crypto import blind_indexes

    phone, email = (phone or "").strip(), (email or "").strip()
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).filter(number=(number or "").strip()[:20]).first()
        if case is None or case.state not in OPEN_STATES:
            raise MeTooError(_("This report is no longer open; report your problem as a new one."))
        existing = Subscriber.objects.filter(case=case, phone_index__in=blind_indexes(phone, "digits")).first()
        if existing is not None:
            return existing, False
        subscriber = Subscriber.objects.create(case=case, phone=phone, email=email, created_at=at or timezone.now())
        record_audit(None, "cases.me_too", case, number=case.number)
        return subscriber, True


# --- on-the-spot handling (自处置) ------------------------------------------------------------------


def handle_on_the_spot(
    report: Report,
    actor: User,
    *,
    before_photos: Sequence = (),
    after_photos: Sequence = (),
    public_note: str = "",
    note: str = "",
    at: datetime | None = None,
) -> Case:
    """A grid worker reports a small problem from patrol and handles it there and then: one
    report step and one ``self_handle`` step, in one transaction (either both are recorded or
    neither). The case waits in ``handled`` for the community's verifier, and counts as solved
    in the grid when it passes.

    The same report sent again (its ``intake_key`` made a case already) returns that case: both
    steps were taken together, so there is nothing left to do."""
    if report.intake_key and (earlier := case_by_intake_key(report.intake_key)) is not None:
        return earlier
    with transaction.atomic():
        # The actor reports it (the intake rules of grid staff: patrol, inside their own grid).
        report = report if report.reporter is not None else replace(report, reporter=actor)
        case = report_case(report, photos=before_photos, at=at, channel=PERSON)
        if case.state != State.REPORTED:  # a send of the same report won the race: it is handled already
            return case
        return take_action(case.pk, "self_handle", actor, note=note, public_note=public_note, photos=after_photos, at=at)


# --- personal data ------------------------------------------------------------------------------


@transaction.atomic
def reveal_reporter(case: Case, user: User) -> dict:
    """The reporter's name, phone and e-mail in full, for a role that calls reporters back;
    the view is written to the audit log. Raises NotAllowed for anyone else."""
    from .privacy import may_see_personal_data

    if not may_see_personal_data(user) or not can_act_on(user, case):
        raise NotAllowed(_("Only the command centre may see a reporter's contact details, and only for cases in its scope."))
    record_audit(
        user, "cases.personal_data_viewed", case, number=case.number, fields=["reporter_name", "reporter_phone", "reporter_email"]
    )
    return {"name": case.reporter_name, "phone": case.reporter_phone, "email": case.reporter_email}


def notify(user: User, case: Case | None, kind: str, text: str) -> Notification:
    return Notification.objects.create(user=user, case=case, kind=kind, text=text[:300])
