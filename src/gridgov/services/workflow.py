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

Each row carries its step's handler (``steps.py``), as the cases' rows do: a correction notice
and a special procedure stop the clock there, a resubmission and the end of the procedure
restart it; the clock itself is ``clock.py``.
"""

from collections.abc import Callable

from django.utils.translation import gettext as _

from gridgov.accounts.models import Role
from gridgov.cases.workflow import Transition

from . import steps
from .errors import NotAllowed, ServiceError
from .models import State

__all__ = ["APPLICATION_TRANSITIONS", "PART_TRANSITIONS", "NotAllowed", "ServiceError", "allowed", "check"]

WINDOW = frozenset({Role.INTAKE_CLERK, Role.SHIFT_LEAD, Role.COMMUNITY_STAFF, Role.STREET_STAFF})
APPROVERS = frozenset({Role.DEPARTMENT_HANDLER, Role.COMMUNITY_STAFF, Role.STREET_STAFF})
APPLICANT = frozenset({Role.RESIDENT})

APPLICATION_OPEN = frozenset({State.RECEIVED, State.CORRECTION, State.ACCEPTED})
PART_OPEN = frozenset({State.REVIEW, State.SPECIAL})
PART_DECIDED = frozenset({State.GRANTED, State.REFUSED})


def _t(action, sources, target, roles, handler: Callable[[steps.StepContext], None], **flags) -> Transition[steps.StepContext]:
    # The cases' record, with a services handler (it takes this app's ``steps.StepContext``).
    return Transition(action, frozenset(sources), target, frozenset(roles), handler, **flags)


APPLICATION_TRANSITIONS: dict[str, Transition[steps.StepContext]] = {
    t.action: t
    for t in [
        _t("accept", {State.RECEIVED}, State.ACCEPTED, WINDOW, steps.accept),
        _t(
            "notify_correction",
            {State.RECEIVED},
            State.CORRECTION,
            WINDOW,
            steps.notify_correction,
            needs_note=True,
            public_summary=True,
        ),
        _t("resubmit", {State.CORRECTION}, State.RECEIVED, WINDOW | APPLICANT, steps.resubmit),
        _t(
            "not_accept",
            {State.RECEIVED, State.CORRECTION},
            State.NOT_ACCEPTED,
            WINDOW,
            steps.not_accept,
            needs_note=True,
            public_summary=True,
        ),
        _t("deliver", {State.DECIDED}, State.DELIVERED, WINDOW | APPROVERS, steps.deliver),
        _t("rate", {State.DELIVERED}, State.RATED, APPLICANT | WINDOW, steps.rate),
    ]
}

PART_TRANSITIONS: dict[str, Transition[steps.StepContext]] = {
    t.action: t
    for t in [
        _t("start_special", {State.REVIEW}, State.SPECIAL, APPROVERS, steps.start_special, holder_only=True, needs_note=True),
        _t("end_special", {State.SPECIAL}, State.REVIEW, APPROVERS, steps.end_special, holder_only=True),
        _t("grant", {State.REVIEW}, State.GRANTED, APPROVERS, steps.grant, holder_only=True, public_summary=True),
        _t(
            "refuse",
            {State.REVIEW},
            State.REFUSED,
            APPROVERS,
            steps.refuse,
            holder_only=True,
            needs_note=True,
            public_summary=True,
        ),
    ]
}


def allowed(transition: Transition, state: str, role: str) -> bool:
    return state in transition.sources and role in transition.roles


def check(transition: Transition, state: str, role: str) -> None:
    if state not in transition.sources:
        raise ServiceError(_("This step cannot be taken in the application's present state."))
    if role not in transition.roles:
        raise NotAllowed(_("Your role may not take this step."))
