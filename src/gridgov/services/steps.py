"""What each step of the application workflow does, one handler per row of ``workflow.py``, in the
shape of the cases' (``cases/steps.py``): the table says who may take a step from which state;
the row's handler checks the step's own inputs and changes the locked row (not yet saved).
``services.take_action`` and ``services.act_on_part`` lock, check the row, call the handler,
save, and record the step and its audit event.

A handler raises ``ServiceError`` with a whole sentence when the step's input is wrong; nothing
is written then (the caller's transaction rolls back).
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from gridgov.accounts.models import User

from . import clock
from .errors import ServiceError
from .models import Application, Delivery, Part, SpecialProcedure, State


@dataclass
class StepContext:
    """The locked application (and the part, for a department's step), who acts, the step's note
    (a handler may complete it) and parameters, and the step's time."""

    application: Application
    actor: User | None
    note: str
    params: dict
    now: datetime
    part: Part | None = None


# --- the window ---------------------------------------------------------------------------------


def accept(ctx: StepContext) -> None:
    """Accepted only when every material is in; each item's department then gets its part."""
    from .services import items_of, missing_materials

    missing = missing_materials(ctx.application)
    if missing:
        names = "、".join(m.name for m in missing)
        raise ServiceError(_("Materials are missing (%(names)s): issue a correction notice instead.") % {"names": names})
    application = ctx.application
    application.accepted_at = ctx.now
    departments: set[int] = set()
    for item in items_of(application.subject):
        Part.objects.create(
            application=application,
            item=item,
            department=item.department,
            state=State.REVIEW,
            deadline=application.deadline,
            received_at=application.received_at,  # the statistics' copy (see ``Part.received_at``)
            first_of_department=item.department_id not in departments,
        )
        departments.add(item.department_id)


def notify_correction(ctx: StepContext) -> None:
    """The one-time notice lists everything still missing, then the clerk's words; the clock stops."""
    from .services import missing_materials

    listed = "、".join(m.name for m in missing_materials(ctx.application))
    note = ctx.note.strip()
    if listed:
        note = _("Missing: %(names)s.") % {"names": listed} + (f" {note}" if note else "")
    ctx.note = note
    ctx.application.correction_note = note
    clock.stop(ctx.application, ctx.now)


def resubmit(ctx: StepContext) -> None:
    clock.restart(ctx.application, ctx.now)


def not_accept(ctx: StepContext) -> None:
    pass  # the reason is the step's note, which the row requires


def deliver(ctx: StepContext) -> None:
    delivery = ctx.params.get("delivery", "")
    if delivery not in Delivery.values:
        raise ServiceError(_("Choose how the result is delivered."))
    ctx.application.delivery = delivery
    ctx.application.delivered_at = ctx.now


def rate(ctx: StepContext) -> None:
    pass  # rating has its own service (rate_application): grade, reasons, rectification


# --- the departments ----------------------------------------------------------------------------


def _part(ctx: StepContext) -> Part:
    """The part a department's step acts on: ``act_on_part`` always passes it for a row of
    ``PART_TRANSITIONS``."""
    assert ctx.part is not None, "a department's step is taken on a part"
    return ctx.part


def start_special(ctx: StepContext) -> None:
    """Expert review, hearing or on-site inspection: the part's clock and the application's stop."""
    kind = ctx.params.get("special_kind", "")
    if kind not in SpecialProcedure.values:
        raise ServiceError(_("Choose the special procedure."))
    part = _part(ctx)
    part.special_kind = kind
    clock.stop(part, ctx.now)
    clock.stop(ctx.application, ctx.now)


def end_special(ctx: StepContext) -> None:
    """The part's clock restarts; the application's when no other part is still in a special procedure."""
    part = _part(ctx)
    clock.restart(part, ctx.now)
    if not ctx.application.parts.filter(state=State.SPECIAL).exclude(pk=part.pk).exists():
        clock.restart(ctx.application, ctx.now)


def grant(ctx: StepContext) -> None:
    part = _part(ctx)
    part.result_document = ctx.params.get("result_document", "").strip() or _("Approval of %(item)s") % {"item": part.item.name}
    part.decided_at = ctx.now


def refuse(ctx: StepContext) -> None:
    part = _part(ctx)
    part.refusal_reasons = ctx.note.strip()
    part.decided_at = ctx.now
