"""The case state machine: one table holds every action, the states it leaves and enters, and
who may take it (DESIGN.md section 4, GB/T 30428 seven steps).

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

Who may act is decided in two parts: the actor's role must be in the action's roles, and, for
actions marked ``holder_only``, an actor in a handling role must hold the case (its department,
or the unit of the grid network it was dispatched to); command-centre roles take such actions
on any case in their scope (``must_hold``). The data scope check (a user acts only on cases in their
own unit) lives in ``selectors.can_see`` and applies to every action.
"""

from dataclasses import dataclass

from gridgov.accounts.models import Role

from .models import State

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
class Transition:
    action: str
    sources: frozenset[State]
    target: State | None  # None: the state does not change
    roles: frozenset[str]
    holder_only: bool = False  # the actor must hold the case (see module docstring)
    needs_note: bool = False
    new_clock: bool = False  # the step ends the current step's clock (and starts the next one's)
    # The step's result is for the reporter: its form proposes a public summary (Step.public_note).
    # Every other step's text is internal.
    public_summary: bool = False


def _t(action, sources, target, roles, **flags) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), **flags)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("accept", {State.REPORTED}, State.ACCEPTED, INTAKE),
        _t("reject", {State.REPORTED}, State.REJECTED, INTAKE, needs_note=True, new_clock=True, public_summary=True),
        _t("file", {State.ACCEPTED}, State.FILED, INTAKE, new_clock=True),
        _t("void", {State.ACCEPTED}, State.VOIDED, INTAKE, needs_note=True, new_clock=True, public_summary=True),
        _t("merge", {State.REPORTED, State.ACCEPTED, State.FILED}, State.MERGED, INTAKE | DISPATCH, new_clock=True, public_summary=True),
        _t("dispatch", {State.FILED}, State.DISPATCHED, DISPATCH, new_clock=True),
        _t("return", {State.DISPATCHED}, State.FILED, HANDLERS, holder_only=True, needs_note=True, new_clock=True),
        _t("start", {State.DISPATCHED}, State.HANDLING, HANDLERS, holder_only=True),
        _t("finish", {State.HANDLING}, State.HANDLED, HANDLERS, holder_only=True, new_clock=True, public_summary=True),
        _t("verify", {State.HANDLED}, State.VERIFYING, VERIFY),
        _t("pass", {State.VERIFYING}, State.CLOSED, VERIFY, new_clock=True, public_summary=True),
        _t("rework", {State.VERIFYING}, State.DISPATCHED, VERIFY, needs_note=True, new_clock=True),
        _t("rate", {State.CLOSED}, State.RATED, REPORTER),
        _t("reopen", {State.RATED}, State.FILED, LEAD, needs_note=True, new_clock=True, public_summary=True),
        # Only the unit holding the case hands it up (a grid worker cannot escalate what their
        # community already holds); the command centre may escalate any case.
        _t("escalate", AT_HANDLER, State.DISPATCHED, REGION_HANDLERS | DISPATCH, holder_only=True, needs_note=True, new_clock=True),
        _t("whistle", {State.FILED, *AT_HANDLER}, State.DISPATCHED, {Role.STREET_STAFF, *LEAD}, needs_note=True, new_clock=True),
        _t("request_extension", AT_HANDLER, None, HANDLERS, holder_only=True, needs_note=True),
        _t("approve_extension", AT_HANDLER, None, LEAD),
        _t("deny_extension", AT_HANDLER, None, LEAD, needs_note=True),
        _t("suspend", {State.FILED, *AT_HANDLER}, None, LEAD, needs_note=True),
        _t("resume", {State.FILED, *AT_HANDLER}, None, LEAD),
        _t("supervise", OPEN_STATES, None, SUPERVISE),
        # 自处置: a grid worker reports a small problem on patrol and solves it there; the case
        # goes straight to ``handled`` for the community's verifier (services.handle_on_the_spot).
        _t("self_handle", {State.REPORTED}, State.HANDLED, {Role.GRID_WORKER, Role.GRID_CHIEF}, new_clock=True, public_summary=True),
    ]
}


class WorkflowError(Exception):
    """A step that cannot be taken; the message says why in words a user understands."""


class IllegalTransition(WorkflowError):
    pass


class NotAllowed(WorkflowError):
    pass


class CaseChanged(WorkflowError):
    """Someone else changed the case since the actor loaded it."""


def transition_for(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise IllegalTransition(f"unknown action {action!r}") from None


def check_state(transition: Transition, state: str) -> None:
    if state not in transition.sources:
        allowed = ", ".join(sorted(transition.sources))
        raise IllegalTransition(f"cannot {transition.action} a case that is {state}; only a case that is {allowed}")


def must_hold(transition: Transition, role: str) -> bool:
    """Whether an actor in this role must hold the case to take this action."""
    return transition.holder_only and role in HANDLERS


def check_role(transition: Transition, role: str) -> None:
    if role not in transition.roles:
        raise NotAllowed(f"a {role} may not {transition.action} a case")
