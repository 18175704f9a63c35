"""The application state machine, one table in the shape of the cases' (``cases/workflow.py``).

It reuses the cases' ``Transition`` record (action, sources, target, roles, flags), so there is one
mechanism with two tables rather than a second engine; the errors are this app's, because the
cases' speak of cases.
``holder_only`` means here: a department handler acts only on the parts of their own department.

```
application (at the window)                       part (in each department, in parallel)
received ─accept→ accepted ──(last part decided)→ decided ─deliver→ delivered ─rate→ rated
  │ │  ↑resubmit                                    review ─grant→ granted
  │ └notify_correction→ correction (clock stopped)    │  └─refuse→ refused
  └not_accept→ not_accepted                          └start_special→ special (clock stopped)
                                                              └end_special→ review
```

``CLOCK`` says which actions stop and restart a clock; the clock itself is ``clock.py``.
"""

from django.utils.translation import gettext as _

from gridgov.accounts.models import Role
from gridgov.cases.workflow import Transition

from .models import State

WINDOW = frozenset({Role.INTAKE_CLERK, Role.SHIFT_LEAD, Role.COMMUNITY_STAFF, Role.STREET_STAFF})
APPROVERS = frozenset({Role.DEPARTMENT_HANDLER, Role.COMMUNITY_STAFF, Role.STREET_STAFF})
APPLICANT = frozenset({Role.RESIDENT})

APPLICATION_OPEN = frozenset({State.RECEIVED, State.CORRECTION, State.ACCEPTED})
PART_OPEN = frozenset({State.REVIEW, State.SPECIAL})
PART_DECIDED = frozenset({State.GRANTED, State.REFUSED})


def _t(action, sources, target, roles, **flags) -> Transition:
    # The cases' record carries its step's handler; an application's steps are still done by
    # ``services.py`` (moving them onto the rows is the next step of sharing one engine).
    return Transition(action, frozenset(sources), target, frozenset(roles), None, **flags)  # type: ignore[arg-type]


APPLICATION_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("accept", {State.RECEIVED}, State.ACCEPTED, WINDOW),
        _t("notify_correction", {State.RECEIVED}, State.CORRECTION, WINDOW, needs_note=True, public_summary=True),
        _t("resubmit", {State.CORRECTION}, State.RECEIVED, WINDOW | APPLICANT),
        _t("not_accept", {State.RECEIVED, State.CORRECTION}, State.NOT_ACCEPTED, WINDOW, needs_note=True, public_summary=True),
        _t("deliver", {State.DECIDED}, State.DELIVERED, WINDOW | APPROVERS),
        _t("rate", {State.DELIVERED}, State.RATED, APPLICANT | WINDOW),
    ]
}

PART_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("start_special", {State.REVIEW}, State.SPECIAL, APPROVERS, holder_only=True, needs_note=True),
        _t("end_special", {State.SPECIAL}, State.REVIEW, APPROVERS, holder_only=True),
        _t("grant", {State.REVIEW}, State.GRANTED, APPROVERS, holder_only=True, public_summary=True),
        _t("refuse", {State.REVIEW}, State.REFUSED, APPROVERS, holder_only=True, needs_note=True, public_summary=True),
    ]
}

STOP, RESTART = "stop", "restart"
CLOCK = {"notify_correction": STOP, "resubmit": RESTART, "start_special": STOP, "end_special": RESTART}


class ServiceError(ValueError):
    """A step that cannot be taken; the message is a whole sentence for the user."""


class NotAllowed(ServiceError):
    pass


def allowed(transition: Transition, state: str, role: str) -> bool:
    return state in transition.sources and role in transition.roles


def check(transition: Transition, state: str, role: str) -> None:
    if state not in transition.sources:
        raise ServiceError(_("This step cannot be taken in the application's present state."))
    if role not in transition.roles:
        raise NotAllowed(_("Your role may not take this step."))
