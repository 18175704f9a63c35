"""Due-soon and overdue reminders, and automatic supervision (督办) of long-overdue cases.

One pass (``run_reminders``) looks at the open cases whose clock runs (not suspended):

- due soon: less than a fifth (``sla.DUE_SOON_SHARE``) of the current step's limit is left,
  measured in working time — 12 working minutes of a 1-hour intake limit, 48 of a 4-hour
  handling limit, a working day of a 5-day limit;
- overdue: the deadline has passed.

Each reminder goes once per deadline: the case is claimed by setting ``reminded_due_soon_at`` /
``reminded_overdue_at`` with a conditional update (so two overlapping runs never both send), and a
step that sets a new deadline clears both marks (``services.take_action``). A second run right
after the first sends nothing.

Recipients are exactly the users whose inbox holds the case (``recipients``): both are read from
the workflow table (``Transition.inbox_roles``), so intake clerks hear of reported and accepted
cases, dispatchers of filed ones, the holders (the department's handlers, or the grid-network
staff of the assigned unit and the units above it) while it is being handled, verifiers once it
is handled, the shift lead of all these and of pending extension requests, and district leaders
of overdue cases nobody supervises yet. Only users whose data scope covers the case are told.

Auto-supervision: a case still open after twice its step's limit (overdue by at least the limit
itself) is marked supervised by the platform (a ``supervise`` step by "system"), and its holders
and the leaders are told. Severely overdue cases being escalated to 督办 is standard practice in
digital city management; turn it off with ``GRIDGOV_AUTO_SUPERVISE = False``.

Running it: ``gridgov remind`` is one pass, for cron (``*/5 * * * * gridgov remind``);
``gridgov remind --every 300`` loops in the foreground for a process supervisor (systemd, a
container); ``gridgov.cases.tasks.send_reminders`` is the same pass as a django-tasks task.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov import workcalendar
from gridgov.accounts.models import Role, User
from gridgov.workcalendar import WorkingCalendar

from . import sla
from .models import Case, Category
from .notifications import Channel, Delivery, deliver
from .selectors import can_act_on
from .workflow import OPEN_STATES, TRANSITIONS, WorkflowError, must_hold


@dataclass
class ReminderRun:
    due_soon: int = 0
    overdue: int = 0
    supervised: int = 0
    sent: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# --- the clock of the current step ---------------------------------------------------------


def _longest_window(calendar: WorkingCalendar) -> timedelta:
    """The widest due-soon window of any category: bounds the due-soon query."""
    longest = timedelta(0)
    for category in Category.objects.filter(is_active=True):
        for hours in (category.intake_hours, category.dispatch_hours, category.verify_hours):
            longest = max(longest, timedelta(hours=float(hours)))
        longest = max(longest, sla.handling_limit(category, calendar))
    return longest * float(sla.DUE_SOON_SHARE)


# --- who is told -----------------------------------------------------------------------------


def _unit_codes(code: str) -> list[str]:
    """A unit's code and the codes of the units above it (district 6, street 9, community 12 digits)."""
    return [code[:length] for length in (6, 9, 12, 15) if length <= len(code)]


def recipients(case: Case, now: datetime | None = None) -> list[User]:
    """The active users whose inbox holds the case: those who could take a step on it that
    queues for their role (read from the workflow table, like ``selectors.inbox``)."""
    now = now or timezone.now()
    wanted = Q(pk__in=[])
    for transition in TRANSITIONS.values():
        if case.state not in transition.sources or not transition.inbox_roles:
            continue
        if not (transition.guard.holds(case, now) and transition.inbox_guard.holds(case, now)):
            continue
        for role in transition.inbox_roles:
            wanted |= Q(role=role) & (_holders(case) if must_hold(transition, role) else Q())
    in_scope = Q(role=Role.DEPARTMENT_HANDLER) | Q(region__isnull=True) | Q(region__code__in=_unit_codes(case.grid_code))
    candidates = User.objects.filter(wanted, in_scope, is_active=True).select_related("region").order_by("pk")
    # The data scope has the last word (selectors.can_act_on), so no one is told of a case
    # their inbox cannot show.
    return [user for user in candidates if can_act_on(user, case)]


def _holders(case: Case) -> Q:
    """The users holding the case (``selectors.holds_case``, as a filter on users)."""
    held = Q(pk__in=[])
    if case.assigned_department_id:
        departments = [case.assigned_department_id, *case.co_departments.values_list("pk", flat=True)]
        held |= Q(role=Role.DEPARTMENT_HANDLER, department_id__in=departments)
    if case.assigned_region:
        held |= Q(region__code__in=_unit_codes(case.assigned_region.code)) & ~Q(role=Role.DEPARTMENT_HANDLER)
    return held


def leaders(case: Case) -> list[User]:
    """The district leaders who see the case: told when the platform puts it under supervision."""
    candidates = User.objects.filter(role=Role.LEADER, is_active=True).order_by("pk")
    return [user for user in candidates if can_act_on(user, case)]


def _text(case: Case, kind: str) -> str:
    values = {
        "number": case.number,
        "category": case.category.name,
        "deadline": timezone.localtime(case.deadline).strftime("%Y-%m-%d %H:%M") if case.deadline else "",
    }
    if kind == "due_soon":
        return _("Case %(number)s (%(category)s) is due soon: deadline %(deadline)s.") % values
    if kind == "overdue":
        return _("Case %(number)s (%(category)s) is overdue: the deadline was %(deadline)s.") % values
    return _("Case %(number)s (%(category)s) is now supervised: it is overdue by more than its time limit.") % values


# --- the pass ---------------------------------------------------------------------------------


def _running_clocks():
    return (
        Case.objects.filter(state__in=OPEN_STATES, suspended_at__isnull=True, deadline__isnull=False)
        .select_related("category", "assigned_region")
        .order_by("deadline", "pk")
    )


def _claim(case: Case, mark: str, now: datetime) -> bool:
    """Set the reminder mark unless someone else did or the case moved on; True when we did."""
    claimed = Case.objects.filter(
        pk=case.pk, state=case.state, deadline=case.deadline, suspended_at__isnull=True, **{f"{mark}__isnull": True}
    ).update(**{mark: now})
    return claimed == 1


def _remind(case: Case, kind: str, channels: list[Channel] | None, now: datetime) -> Delivery:
    return deliver(recipients(case, now), case, kind, _text(case, kind), channels)


def run_reminders(
    now: datetime | None = None, calendar: WorkingCalendar | None = None, channels: list[Channel] | None = None
) -> ReminderRun:
    """One reminder pass; safe to run as often as wanted (see the module docstring)."""
    now = now or timezone.now()
    calendar = calendar or workcalendar.working_calendar()
    run = ReminderRun()
    horizon = calendar.add_working_time(now, _longest_window(calendar))
    due_soon = _running_clocks().filter(reminded_due_soon_at__isnull=True, deadline__gte=now, deadline__lte=horizon)
    for case in due_soon:
        if calendar.working_time_between(now, case.deadline) <= sla.due_soon_window(case, calendar) and _claim(
            case, "reminded_due_soon_at", now
        ):
            run.due_soon += 1
            _count(run, _remind(case, "due_soon", channels, now))
    for case in _running_clocks().filter(reminded_overdue_at__isnull=True, deadline__lt=now):
        if _claim(case, "reminded_overdue_at", now):
            run.overdue += 1
            _count(run, _remind(case, "overdue", channels, now))
    if getattr(settings, "GRIDGOV_AUTO_SUPERVISE", True):
        _auto_supervise(run, now, calendar, channels)
    return run


def _count(run: ReminderRun, delivery: Delivery) -> None:
    run.sent += delivery.sent
    run.failed += delivery.failed


def _auto_supervise(run: ReminderRun, now: datetime, calendar: WorkingCalendar, channels) -> None:
    from .services import take_action  # services imports selectors; keep this module light to import

    for case in _running_clocks().filter(supervised=False, deadline__lt=now):
        if calendar.working_time_between(case.deadline, now) < sla.step_limit(case, calendar):
            continue
        try:
            supervised = take_action(
                case.pk, "supervise", None, expected_version=case.version, system=True, at=now, calendar=calendar,
                note="overdue by more than its time limit (automatic)",
            )  # fmt: skip
        except WorkflowError:
            continue  # the case moved on since we read it; the next pass looks again
        run.supervised += 1
        told = {user.pk: user for user in [*recipients(supervised, now), *leaders(supervised)]}
        _count(run, deliver(list(told.values()), supervised, "supervised", _text(supervised, "supervised"), channels))
