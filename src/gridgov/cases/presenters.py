"""Plain-data views of cases shared by the JSON API, the HTML pages and Open311.

Two audiences: staff (``case_payload``, ``step_payload``) and the public (``public_case``,
``public_step``, ``resident_case_payload``, ``public_text``). Public shapes are built from an
allow-list of fields: they never carry the reporter's name, phone or e-mail, who on the staff
took a step, nor a step's internal ``note`` — only its ``public_note``, which its author wrote
for the reporter, or else a neutral standard sentence for the action.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.accounts.models import Role

from .catalogue import localized
from .models import Case, Category, LimitUnit, Photo, PhotoPhase, State, Step
from .privacy import masked_reporter, may_see_personal_data
from .selectors import allowed_actions, case_timeline, clock_status
from .workflow import COMBINED, TRANSITIONS, combined_steps

ACTION_LABELS = {
    "report": pgettext_lazy("case action", "Report"),
    "accept": pgettext_lazy("case action", "Accept"),
    "reject": pgettext_lazy("case action", "Reject"),
    "file": pgettext_lazy("case action", "File"),
    "void": pgettext_lazy("case action", "Void"),
    "merge": pgettext_lazy("case action", "Merge as duplicate"),
    "dispatch": pgettext_lazy("case action", "Dispatch"),
    "return": pgettext_lazy("case action", "Return (wrong handler)"),
    "start": pgettext_lazy("case action", "Start handling"),
    "finish": pgettext_lazy("case action", "Finish handling"),
    "verify": pgettext_lazy("case action", "Verify"),
    "pass": pgettext_lazy("case action", "Pass and close"),
    "rework": pgettext_lazy("case action", "Send back for rework"),
    "rate": pgettext_lazy("case action", "Rate"),
    "reopen": pgettext_lazy("case action", "Reopen"),
    "escalate": pgettext_lazy("case action", "Escalate"),
    "whistle": pgettext_lazy("case action", "Blow the whistle (summon departments)"),
    "request_extension": pgettext_lazy("case action", "Request an extension"),
    "approve_extension": pgettext_lazy("case action", "Approve the extension"),
    "deny_extension": pgettext_lazy("case action", "Deny the extension"),
    "suspend": pgettext_lazy("case action", "Suspend (park)"),
    "resume": pgettext_lazy("case action", "Resume"),
    "supervise": pgettext_lazy("case action", "Mark as supervised"),
    "accept_file": pgettext_lazy("case action", "Accept and file"),
    "start_finish": pgettext_lazy("case action", "Start and finish handling"),
    "verify_pass": pgettext_lazy("case action", "Verify, pass and close"),
    "self_handle": pgettext_lazy("case action", "Handled on the spot"),
}

# Steps whose result the reporter should read: their forms propose a public summary. A combined
# action's note and summary belong to its last step.
PUBLIC_SUMMARY_ACTIONS = frozenset(
    action for action in [*TRANSITIONS, *COMBINED] if TRANSITIONS[combined_steps(action)[-1]].public_summary
)

# What the public reads of each step that changes what the case is doing, when its author wrote
# no public summary. Steps not listed (extensions, suspension, supervision) are internal and
# appear in no public timeline.
STANDARD_PUBLIC_TEXT = {
    "report": _("Your report has been received."),
    "accept": _("Your report has been accepted and is being checked."),
    "reject": _("Your report was not taken up as a case."),
    "file": _("The case has been filed for handling."),
    "void": _("The case was closed after checking, without handling."),
    "merge": _("This report is about the same problem as case %(number)s and is followed there."),
    "dispatch": _("The case has been passed to the unit that handles it."),
    "return": _("The case is being passed to another unit."),
    "start": _("Handling has started."),
    "finish": _("Handling is finished and the result is being checked."),
    "verify": _("The result of the handling is being checked."),
    "pass": _("The result was checked and the case is closed."),
    "rework": _("The case was sent back for more work."),
    "rate": _("The reporter rated how the case was handled."),
    "reopen": _("The case has been reopened."),
    "escalate": _("The case has been passed to a higher level."),
    "whistle": _("Several departments have been summoned to handle the case."),
    "self_handle": _("The grid worker solved the problem on the spot; the result is being checked."),
}
PUBLIC_ACTIONS = frozenset(STANDARD_PUBLIC_TEXT)


def public_text(action: str, public_note: str = "", merged_into: str | None = None) -> str:
    """What the public reads of a step: its author's public summary, else the standard sentence."""
    if public_note:
        return public_note
    sentence = STANDARD_PUBLIC_TEXT.get(action)
    if sentence is None:
        return ""
    return str(sentence) % {"number": merged_into or "—"} if action == "merge" else str(sentence)


def step_public_text(step: Step) -> str:
    return public_text(step.action, step.public_note, (step.data or {}).get("into"))


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def proposes_public_summary(action: str) -> bool:
    return action in PUBLIC_SUMMARY_ACTIONS


def needs_note(action: str) -> bool:
    last = TRANSITIONS.get(combined_steps(action)[-1])
    return bool(last and last.needs_note)


def takes_photos(action: str) -> bool:
    """Whether the action's form offers photos (the finish's "after", the verification's)."""
    return any(TRANSITIONS[name].photo_phase for name in combined_steps(action) if name in TRANSITIONS)


def category_label(category: Category) -> str:
    """Top class and sub-class in the active language (see catalogue.localized)."""
    return f"{localized(category.top_name)} / {localized(category.name)}"


def clock_flags(case: Case, now: datetime | None = None) -> dict:
    status = clock_status(case, now)
    return {"overdue": status.overdue, "due_soon": status.due_soon}


def case_summary(case: Case, now: datetime | None = None) -> dict:
    """One row of a list or inbox (staff only)."""
    return {
        "number": case.number,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "category": category_label(case.category),
        "category_id": case.category_id,
        "source": case.source,
        "grid_code": case.grid_code,
        "lat": case.lat,
        "lng": case.lng,
        "created_at": case.created_at,
        "deadline": case.deadline,
        "supervised": case.supervised,
        "version": case.version,
        "url": reverse("cases:detail", args=[case.number]),
        **clock_flags(case, now),
    }


def queue_row(case: Case, now: datetime | None = None) -> dict:
    """One row of an inbox: the summary plus what helps decide (where, what, how long is left)."""
    grid = case.grid
    community = grid.parent if grid.parent_id else None
    street = community.parent if community is not None and community.parent_id else None
    return {
        **case_summary(case, now),
        "grid_name": grid.name,
        "community_name": community.name if community else "",
        "street_name": street.name if street else "",
        "description": case.description[:80] + ("…" if len(case.description) > 80 else ""),
        "suspended": case.suspended_at is not None,
        "pending_extension": bool(getattr(case, "has_pending_extension", False)),
    }


def case_payload(case: Case, user) -> dict:
    """The whole case for staff in scope: facts, holder, timeline and the actions open to the user."""
    reporter = masked_reporter(case)
    return {
        **case_summary(case),
        "description": case.description,
        "address": case.address,
        "grid_name": case.grid.name,
        # Masked for everyone; the command centre asks for the whole (audited) at ``reporter_url``.
        "reporter_name": reporter["name"],
        "reporter_phone": reporter["phone"],
        "reporter_url": reverse("api:reveal_reporter", args=[case.number]) if may_see_personal_data(user) else None,
        "assigned_department": case.assigned_department.code if case.assigned_department else None,
        "assigned_region": case.assigned_region.code if case.assigned_region else None,
        "co_departments": [d.code for d in case.co_departments.all()],
        "escalation_level": case.escalation_level,
        "solved_level": case.solved_level,
        "rating": case.rating,
        "duplicate_of": case.duplicate_of.number if case.duplicate_of else None,
        "suspended": case.suspended_at is not None,
        "timeline": [step_payload(step) for step in case_timeline(case)],
        "allowed_actions": allowed_actions(user, case),
    }


REPORTER_ROLE = "reporter"  # Step.actor_role of a step the reporter took without an account (a rating by number and phone)


def step_actor(step: Step) -> tuple[str, str]:
    """Who took a step and in what role, as the timeline shows them: a staff member's name and
    role; the platform ("System"); the reporter (a resident, or someone rating by number and
    phone); or, for a step recorded with a role but no account (the demo's history), the role."""
    role = str(Role(step.actor_role).label) if step.actor_role in Role.values else ""
    if step.actor is not None:
        return step.actor.get_full_name() or step.actor.get_username(), role
    if step.actor_role == "system":
        return str(_("System")), ""
    if step.actor_role in ("", REPORTER_ROLE, Role.RESIDENT):
        return str(_("Reporter")), ""
    return role, ""


def actor_label(step: Step) -> str:
    return step_actor(step)[0]


def step_payload(step: Step) -> dict:
    actor, role = step_actor(step)
    return {
        "action": step.action,
        "action_label": action_label(step.action),
        "from_state": step.from_state,
        "to_state": step.to_state,
        "to_state_label": str(step.get_to_state_display()),
        "actor": actor,
        "actor_role": role,
        "at": step.at,
        "note": step.note,
        "public_note": step.public_note,
        "deadline": step.deadline,
        "data": step.data,
        "photos": [photo_payload(photo) for photo in step.photos.all()],
    }


def photo_payload(photo) -> dict:
    """A photo for staff: its links once it is ready; until then its status (the page shows a
    placeholder) and, when it could not be processed, why."""
    ready = photo.status == Photo.Status.READY
    return {
        "id": photo.pk,
        "phase": photo.phase,
        "status": photo.status,
        "failure": photo.failure if photo.status == Photo.Status.FAILED else "",
        "url": reverse("cases:photo", args=[photo.pk, "full"]) if ready else None,
        "thumbnail_url": reverse("cases:photo", args=[photo.pk, "thumb"]) if ready else None,
    }


def public_step(step: Step) -> dict:
    """A step as the resident sees it: what happened and when, never who on the staff."""
    return {
        "action": step.action,
        "action_label": action_label(step.action),
        "to_state_label": str(step.get_to_state_display()),
        "at": step.at,
        "note": step_public_text(step),
    }


def public_timeline(case: Case) -> list[dict]:
    """The steps the public may know of, oldest first (internal-only steps left out)."""
    steps = case.steps.filter(action__in=PUBLIC_ACTIONS).only("id", "action", "to_state", "at", "public_note", "data")
    return [public_step(step) for step in steps.order_by("at", "id")]


def public_case(case: Case) -> dict:
    return {
        "number": case.number,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "category": category_label(case.category),
        "created_at": case.created_at,
        "rating": case.rating,
        "rating_label": str(case.get_rating_display()) if case.rating else "",
    }


# --- what the public look-up adds: photos, the place, when it should be done ------------------

PUBLIC_PHOTO_SALT = "gridgov.cases.public_photo"
PUBLIC_PHOTO_MAX_AGE = 3600  # seconds a link from a look-up page keeps working
BEFORE_PHOTO_STEPS = frozenset({"report"})
AFTER_PHOTO_STEPS = frozenset({"finish", "self_handle"})


def is_public_photo(photo: Photo) -> bool:
    """The reporter's photos (taken with the report) and the handler's "after" photos, once they
    are ready (cleaned of their metadata); photos of any other step (a rework, a return) stay
    with staff. ``photo.step`` should be joined."""
    return photo.status == Photo.Status.READY and is_public_once_ready(photo)


def is_public_once_ready(photo: Photo) -> bool:
    """Whether the photo's step and phase make it public (``is_public_photo`` without the status)."""
    step_action = photo.step.action if photo.step is not None else ""
    return (photo.phase == PhotoPhase.BEFORE and step_action in BEFORE_PHOTO_STEPS) or (
        photo.phase == PhotoPhase.AFTER and step_action in AFTER_PHOTO_STEPS
    )


def public_photo_links(photo: Photo) -> dict:
    """A public photo's signed, expiring links (so a photo cannot be reached by guessing its number)."""
    return {
        "phase": photo.phase,
        "url": reverse("report:photo", args=[public_photo_token(photo.pk, "full")]),
        "thumbnail_url": reverse("report:photo", args=[public_photo_token(photo.pk, "thumb")]),
    }


def public_photos(case: Case, photos: Iterable[Photo] | None = None) -> list[dict]:
    """The photos the public may see (``is_public_photo``), before and after, oldest first, each
    with its signed links; ``photos`` when the caller has them loaded (steps joined), in order."""
    if photos is None:
        photos = case.photos.select_related("step").order_by("created_at", "id")
    return [public_photo_links(photo) for photo in photos if is_public_photo(photo)]


def public_photo_token(pk: int, size: str) -> str:
    return signing.dumps([pk, size], salt=PUBLIC_PHOTO_SALT, compress=True)


def read_public_photo_token(token: str) -> tuple[int, str] | None:
    try:
        pk, size = signing.loads(token, salt=PUBLIC_PHOTO_SALT, max_age=PUBLIC_PHOTO_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return (pk, size) if isinstance(pk, int) and size in ("full", "thumb") else None


def public_point_map(case: Case) -> dict:
    """The reported point for the look-up page's small map (cases/point_map.js)."""
    return {"lat": case.lat, "lng": case.lng, "boundary": None,
            "tileUrl": settings.GRIDGOV_TILE_URL, "tileAttribution": settings.GRIDGOV_TILE_ATTRIBUTION}  # fmt: skip


class _HandlingClock(Protocol):
    """What ``expected_finish_at`` reads: a Case, or Open311's row of public columns."""

    state: str
    suspended_at: datetime | None
    deadline: datetime | None


def expected_finish_at(case: _HandlingClock) -> datetime | None:
    """When the case should be handled, as a moment: the handling step's deadline while it is
    with a handler and its clock runs; None otherwise (not yet dispatched, paused, or done).
    The resident's look-up and Open311's ``expected_datetime`` both publish this one moment."""
    if case.state in (State.DISPATCHED, State.HANDLING) and case.suspended_at is None:
        return case.deadline
    return None


def expected_finish(case: Case) -> str:
    """When the case should be handled, in a sentence: the deadline of the handling step once it
    is with a handler, else the category's handling limit that starts when it is dispatched."""
    if case.state in (State.DISPATCHED, State.HANDLING):
        if case.suspended_at is not None:
            return str(_("The handling time is paused while the case waits on something outside the handler's control."))
        if case.deadline is not None:
            when = timezone.localtime(case.deadline)
            return str(_("It should be handled by %(when)s.")) % {"when": f"{when:%Y-%m-%d %H:%M}"}
    if case.state in (State.REPORTED, State.ACCEPTED, State.FILED):
        limit = case.category.handle_limit.normalize()
        count = f"{limit:f}"
        if case.category.handle_unit == LimitUnit.WORKING_DAYS:
            return str(_("Once it is passed to a handler, it should be handled within %(count)s working days.")) % {
                "count": count
            }
        return str(_("Once it is passed to a handler, it should be handled within %(count)s working hours.")) % {"count": count}
    return ""


def resident_case_payload(case: Case, user) -> dict:
    """A resident's own case (JSON API): what they reported and the public progress, plus what
    they need to rate it. No staff names, internal notes, holders or dispatch data."""
    return {
        **public_case(case),
        "version": case.version,
        "description": case.description,
        "address": case.address,
        "lat": case.lat,
        "lng": case.lng,
        "timeline": public_timeline(case),
        "photos": public_photos(case),
        "expected_finish": expected_finish(case),
        "expected_finish_at": expected_finish_at(case),
        "allowed_actions": allowed_actions(user, case),
    }


def similar_case(case: Case, distance_m: float) -> dict:
    """A duplicate suggestion shown to whoever is reporting (public): no personal data."""
    return {
        "number": case.number,
        "state_label": str(case.get_state_display()),
        "created_at": case.created_at.isoformat(),
        "distance_m": round(distance_m),
        "description": case.description[:140],
    }
