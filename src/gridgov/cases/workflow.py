"""The case state machine: one table holds every action, the states it leaves and enters, who may
take it, what else must hold (a suspended case to resume), whose inbox it queues in, and the
handler that does it (DESIGN.md section 4, GB/T 30428 seven steps).

```
reported ─accept→ accepted ─file→ filed ─dispatch→ dispatched ─start→ handling ─finish→ handled
   │reject            │void              ↑ return (wrong handler)          │             │
   ↓                  ↓                  └────────── rework ←─ verifying ←─┘ verify ─────┘
rejected           voided                                      │pass
                                                                ↓
                                          closed ─rate→ rated ─reopen→ filed
```

plus actions that keep the state (extensions, suspension, supervision), escalation and the
street's whistle (both re-dispatch), and merging a duplicate into another case.

Everything else reads this table rather than restating it: ``services.take_action`` runs the
row's handler, ``selectors.allowed_actions`` lists the steps open to a user ("what you can do"),
``selectors.inbox`` lists the cases on which a user can take a step that queues for their role,
and ``reminders.recipients`` tells exactly the users whose inbox holds the case.

Who may act is decided in three parts: the actor's role must be in the action's roles; for
actions marked ``holder_only``, an actor in a handling role must hold the case (its department,
or the unit of the grid network it was dispatched to), while command-centre roles take such
actions on any case in their scope (``must_hold``); and the row's ``guard`` must hold. The data
scope check (a user acts only on cases in their own unit) lives in ``selectors.can_act_on``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Role

from . import steps
from .errors import CaseChanged, IllegalTransition, NotAllowed, WorkflowError
from .models import Case, ExtensionRequest, SolvedLevel, State

__all__ = ["TRANSITIONS", "CaseChanged", "IllegalTransition", "NotAllowed", "Transition", "WorkflowError"]

INTAKE = frozenset({Role.INTAKE_CLERK, Role.SHIFT_LEAD})
DISPATCH = frozenset({Role.DISPATCHER, Role.SHIFT_LEAD})
VERIFY = frozenset({Role.VERIFIER, Role.SHIFT_LEAD})
LEAD = frozenset({Role.SHIFT_LEAD})
SUPERVISE = frozenset({Role.SHIFT_LEAD, Role.LEADER})
REGION_HANDLERS = frozenset({Role.GRID_WORKER, Role.GRID_CHIEF, Role.COMMUNITY_STAFF, Role.STREET_STAFF})
HANDLERS = REGION_HANDLERS | {Role.DEPARTMENT_HANDLER}
REPORTER = frozenset({Role.RESIDENT, *INTAKE})  # intake staff rate on behalf of a caller

OPEN_STATES = frozenset(
    {State.REPORTED, State.ACCEPTED, State.FILED, State.DISPATCHED, State.HANDLING, State.HANDLED, State.VERIFYING}
)
FINAL_STATES = frozenset({State.REJECTED, State.VOIDED, State.MERGED, State.RATED})
AT_HANDLER = frozenset({State.DISPATCHED, State.HANDLING})


@dataclass(frozen=True)
class Condition:
    """A fact about a case, beyond its state, that a step needs (e.g. "resume" needs a suspended
    case): ``holds`` tests one loaded case, ``q`` filters case rows the same way (inboxes)."""

    name: str
    holds: Callable[[Case, datetime], bool]
    q: Callable[[datetime], Q]
    refusal: Any = ""  # the sentence that says why a step needing it is refused (%(number)s)


def _has_pending_extension(case: Case) -> bool:
    return ExtensionRequest.objects.filter(case=case, status=ExtensionRequest.Status.PENDING).exists()


def _pending_extension_q() -> Q:
    pending = ExtensionRequest.objects.filter(status=ExtensionRequest.Status.PENDING).values("case_id")
    return Q(pk__in=pending)


ANY = Condition("any", lambda case, now: True, lambda now: Q())
SUSPENDED = Condition(
    "suspended", lambda case, now: case.suspended_at is not None, lambda now: Q(suspended_at__isnull=False),
    _("Case %(number)s is not suspended, so there is nothing to resume."),
)  # fmt: skip
RUNNING = Condition(
    "running", lambda case, now: case.suspended_at is None, lambda now: Q(suspended_at__isnull=True),
    _("Case %(number)s is already suspended; resume it first if its clock should run again."),
)  # fmt: skip
EXTENSION_PENDING = Condition(
    "extension_pending", lambda case, now: _has_pending_extension(case), lambda now: _pending_extension_q(),
    _("Case %(number)s has no extension request waiting, so there is nothing to decide."),
)  # fmt: skip
NO_EXTENSION_PENDING = Condition(
    "no_extension_pending", lambda case, now: not _has_pending_extension(case), lambda now: ~_pending_extension_q(),
    _("Case %(number)s already has an extension request waiting; wait for the shift lead to decide it."),
)  # fmt: skip
NOT_SUPERVISED = Condition(
    "not_supervised", lambda case, now: not case.supervised, lambda now: Q(supervised=False),
    _("Case %(number)s is already supervised."),
)  # fmt: skip
OVERDUE_UNSUPERVISED = Condition(
    "overdue_unsupervised",
    lambda case, now: not case.supervised and case.suspended_at is None and case.deadline is not None and case.deadline < now,
    lambda now: Q(supervised=False, suspended_at__isnull=True, deadline__lt=now),
)
BELOW_DISTRICT = Condition(
    "below_district", lambda case, now: case.escalation_level != SolvedLevel.DISTRICT, lambda now: ~Q(escalation_level=SolvedLevel.DISTRICT),
    _("Case %(number)s is already with a district department; it cannot be escalated further."),
)  # fmt: skip


# What a row's handler takes: the cases' ``steps.StepContext`` here, the services' own
# ``services.steps.StepContext`` in that app's table, which reuses this record.
StepContextT = TypeVar("StepContextT")


@dataclass(frozen=True)
class Transition(Generic[StepContextT]):
    action: str
    sources: frozenset[State]
    target: State | None  # None: the state does not change
    roles: frozenset[str]
    handler: Callable[[StepContextT], None]  # what the step does (cases/steps.py; services/steps.py)
    holder_only: bool = False  # the actor must hold the case (see module docstring)
    needs_note: bool = False
    new_clock: bool = False  # the step ends the current step's clock (and starts the next one's)
    # The step's result is for the reporter: its form proposes a public summary (Step.public_note).
    # Every other step's text is internal.
    public_summary: bool = False
    guard: Condition = ANY  # what else must hold for the step to be possible
    # The roles for whom a case this step can be taken on waits in their inbox and earns
    # reminders; other roles may take the step on a case they find, but it does not queue for them.
    inbox_roles: frozenset[str] = frozenset()
    inbox_guard: Condition = ANY  # what else makes the case wait on them (the leader: overdue)
    photo_phase: str = ""  # the step takes photos, shown as "before" or "after" the handling


def _t(action, sources, target, roles, handler, *, queue=False, **flags) -> Transition[steps.StepContext]:
    """One row; ``queue=True`` queues the step for all its roles, or name the roles it queues for."""
    roles = frozenset(roles)
    inbox_roles = roles if queue is True else frozenset(queue or ())
    return Transition(action, frozenset(sources), target, roles, handler, inbox_roles=inbox_roles, **flags)


TRANSITIONS: dict[str, Transition[steps.StepContext]] = {
    t.action: t
    for t in [
        _t("accept", {State.REPORTED}, State.ACCEPTED, INTAKE, steps.accept, queue=True),
        _t(
            "reject",
            {State.REPORTED},
            State.REJECTED,
            INTAKE,
            steps.close_without_handling,
            needs_note=True,
            new_clock=True,
            public_summary=True,
            queue=True,
        ),
        _t("file", {State.ACCEPTED}, State.FILED, INTAKE, steps.file, new_clock=True, queue=True),
        _t(
            "void",
            {State.ACCEPTED},
            State.VOIDED,
            INTAKE,
            steps.close_without_handling,
            needs_note=True,
            new_clock=True,
            public_summary=True,
            queue=True,
        ),
        _t(
            "merge",
            {State.REPORTED, State.ACCEPTED, State.FILED},
            State.MERGED,
            INTAKE | DISPATCH,
            steps.merge,
            new_clock=True,
            public_summary=True,
        ),
        _t("dispatch", {State.FILED}, State.DISPATCHED, DISPATCH, steps.dispatch, new_clock=True, queue=True),
        _t("return", {State.DISPATCHED}, State.FILED, HANDLERS, steps.return_, holder_only=True, needs_note=True, new_clock=True),
        _t("start", {State.DISPATCHED}, State.HANDLING, HANDLERS, steps.start, holder_only=True, queue=True),
        _t(
            "finish",
            {State.HANDLING},
            State.HANDLED,
            HANDLERS,
            steps.finish,
            holder_only=True,
            new_clock=True,
            public_summary=True,
            queue=True,
            photo_phase="after",
        ),
        _t("verify", {State.HANDLED}, State.VERIFYING, VERIFY, steps.verify, queue=True, photo_phase="after"),
        _t("pass", {State.VERIFYING}, State.CLOSED, VERIFY, steps.pass_, new_clock=True, public_summary=True, queue=True),
        _t("rework", {State.VERIFYING}, State.DISPATCHED, VERIFY, steps.rework, needs_note=True, new_clock=True, queue=True),
        # Intake staff rate on behalf of a caller who phones in; only the resident waits to rate.
        _t("rate", {State.CLOSED}, State.RATED, REPORTER, steps.rate, queue={Role.RESIDENT}),
        _t("reopen", {State.RATED}, State.FILED, LEAD, steps.reopen, needs_note=True, new_clock=True, public_summary=True),
        # Only the unit holding the case hands it up (a grid worker cannot escalate what their
        # community already holds); the command centre may escalate any case.
        _t(
            "escalate",
            AT_HANDLER,
            State.DISPATCHED,
            REGION_HANDLERS | DISPATCH,
            steps.escalate,
            holder_only=True,
            needs_note=True,
            new_clock=True,
            guard=BELOW_DISTRICT,
        ),
        # The street stepping in on a case it sees, not a step a case waits for: a filed case
        # waits on the dispatcher, a dispatched one on its holder.
        _t(
            "whistle",
            {State.FILED, *AT_HANDLER},
            State.DISPATCHED,
            {Role.STREET_STAFF, *LEAD},
            steps.whistle,
            needs_note=True,
            new_clock=True,
        ),
        _t(
            "request_extension",
            AT_HANDLER,
            None,
            HANDLERS,
            steps.request_extension,
            holder_only=True,
            needs_note=True,
            guard=NO_EXTENSION_PENDING,
        ),
        _t("approve_extension", AT_HANDLER, None, LEAD, steps.approve_extension, guard=EXTENSION_PENDING, queue=True),
        _t("deny_extension", AT_HANDLER, None, LEAD, steps.deny_extension, needs_note=True, guard=EXTENSION_PENDING, queue=True),
        _t("suspend", {State.FILED, *AT_HANDLER}, None, LEAD, steps.suspend, needs_note=True, guard=RUNNING),
        _t("resume", {State.FILED, *AT_HANDLER}, None, LEAD, steps.resume, guard=SUSPENDED),
        # Leaders are asked to supervise what is overdue; any open case may be supervised.
        _t(
            "supervise",
            OPEN_STATES,
            None,
            SUPERVISE,
            steps.supervise,
            guard=NOT_SUPERVISED,
            queue={Role.LEADER},
            inbox_guard=OVERDUE_UNSUPERVISED,
        ),
        # 自处置: a grid worker reports a small problem on patrol and solves it there; the case
        # goes straight to ``handled`` for the community's verifier (services.handle_on_the_spot).
        _t(
            "self_handle",
            {State.REPORTED},
            State.HANDLED,
            {Role.GRID_WORKER, Role.GRID_CHIEF},
            steps.self_handle,
            new_clock=True,
            public_summary=True,
            photo_phase="after",
        ),
    ]
}


# Combined actions: two steps the same person often takes one after the other, offered as one
# button when the user may take both (selectors.allowed_actions) and recorded as the two steps.
COMBINED: dict[str, tuple[str, ...]] = {
    "accept_file": ("accept", "file"),
    "start_finish": ("start", "finish"),
    "verify_pass": ("verify", "pass"),
}


def combined_steps(action: str) -> tuple[str, ...]:
    """The steps an action stands for: a combined action's, or the action alone."""
    return COMBINED.get(action, (action,))


def transition_for(action: str) -> Transition[steps.StepContext]:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise IllegalTransition(gettext("There is no action called “%(action)s”.") % {"action": action}) from None


def check_state(transition: Transition, state: str) -> None:
    if state not in transition.sources:
        from .presenters import action_label  # presenters reads this table

        allowed = gettext("” or “").join(str(State(source).label) for source in sorted(transition.sources))
        raise IllegalTransition(
            gettext(
                "“%(action)s” cannot be taken on a case that is “%(state)s”; it needs a case that is “%(allowed)s”. Reload the case to see what it needs now."
            )
            % {"action": action_label(transition.action), "state": State(state).label, "allowed": allowed}
        )


def must_hold(transition: Transition, role: str) -> bool:
    """Whether an actor in this role must hold the case to take this action."""
    return transition.holder_only and role in HANDLERS


def check_role(transition: Transition, role: str) -> None:
    if role not in transition.roles:
        from .presenters import action_label  # presenters reads this table

        label = Role(role).label if role in Role.values else role
        raise NotAllowed(
            gettext("Your role (%(role)s) may not take the step “%(action)s”.")
            % {"role": label, "action": action_label(transition.action)}
        )


def check_guard(transition: Transition, case: Case, now: datetime) -> None:
    if not transition.guard.holds(case, now):
        raise IllegalTransition(str(transition.guard.refusal) % {"number": case.number})
