"""GeoReport v2 payloads (plain dicts and lists, in the specification's field order).

Privacy: a request payload is built only from the fields below (an allow-list). The reporter's
name, phone, e-mail, device_id and account_id are never read here, so no GET response can carry
them; nor are a step's internal note or who took it: every text about progress is the step's
public summary or the standard sentence for its action (cases.presenters.public_text).
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import Case, Category, LimitUnit, Step
from gridgov.cases.presenters import public_photos, public_text, step_public_text

from .selectors import open311_status, service_code

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json", "xml": "text/xml"}


def w3c(moment: datetime | None) -> str | None:
    """W3C datetime with the local offset, e.g. 2026-11-26T09:30:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def discovery(base_url: str, changeset: datetime) -> dict:
    return {
        "changeset": w3c(changeset),
        "contact": _("The district command centre of the grid network"),
        "key_service": _("API keys are issued by the system administrator (gridgov apikey create NAME)."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": w3c(changeset),
                "type": "production",
                "formats": [FORMATS["xml"], FORMATS["json"]],
            }
        ],
    }


def service(category: Category) -> dict:
    return {
        "service_code": service_code(category),
        "service_name": category.name,
        "description": category.filing_condition or f"{category.top_name} / {category.name}",
        "metadata": False,
        # POST answers with a token, the case number comes later (tokens/{token}): "batch".
        "type": "batch",
        "keywords": ", ".join([str(category.get_kind_display()), category.top_name, category.name]),
        "group": category.top_name,
    }


def service_definition(category: Category) -> dict:
    return {"service_code": service_code(category), "attributes": []}


def service_notice(category: Category) -> str:
    unit = _("working hours") if category.handle_unit == LimitUnit.WORKING_HOURS else _("working days")
    return _("Handled within %(limit)s %(unit)s of dispatch.") % {"limit": f"{category.handle_limit.normalize():f}", "unit": unit}


def queued(token: str, category: Category) -> dict:
    """The answer to a POST: the token to follow it by (the case is created moments later)."""
    return {"token": token, "service_notice": service_notice(category), "account_id": None}


def _agency(case: Case) -> str:
    if case.assigned_department is not None:
        return case.assigned_department.name
    if case.assigned_region is not None:
        return case.assigned_region.name
    return ""


def _submitted_media_url(case: Case) -> str:
    submission = getattr(case, "open311_submission", None)
    return submission.media_url if submission is not None else ""


def service_request(case: Case, *, extensions: bool = False, absolute=lambda url: url) -> dict:
    """One request. ``case`` comes from selectors (status_notes annotated, relations joined)."""
    unconfirmed = getattr(case, "location_unconfirmed", False)
    payload = {
        "service_request_id": case.number,
        "status": open311_status(case.state),
        "status_notes": status_notes(case),
        "service_name": case.category.name,
        "service_code": service_code(case.category),
        "description": case.description,
        "agency_responsible": _agency(case),
        "service_notice": service_notice(case.category),
        "requested_datetime": w3c(case.created_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": w3c(case.deadline),
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        # A stand-in point (the request gave only an address) is not published as its location.
        "lat": None if unconfirmed else case.lat,
        "long": None if unconfirmed else case.lng,
        "media_url": _submitted_media_url(case),
    }
    if extensions:
        payload["extended_attributes"] = _extended_attributes(case, absolute)
        payload["notes"] = [_note(step) for step in case.steps.all()]
    return payload


def status_notes(case: Case) -> str:
    """The latest public step's text (annotated by selectors._public_cases)."""
    action = getattr(case, "public_action", None)
    return public_text(action, getattr(case, "public_note", "") or "", getattr(case, "merged_into", None)) if action else ""


def _extended_attributes(case: Case, absolute) -> dict:
    """City of Chicago's ``extensions=true`` shape, with the internal state as detailed_status."""
    return {
        "detailed_status": case.state,
        "detailed_status_name": str(case.get_state_display()),
        "channel": case.source,
        "grid_code": case.grid_code,
        "location_unconfirmed": getattr(case, "location_unconfirmed", False),
        # The photos the public may see, through the look-up page's signed, expiring links.
        "media_urls": [absolute(links["url"]) for links in public_photos(case, case.photos.all())],
    }


def _note(step: Step) -> dict:
    """A step as a Chicago-style note; the actor is never named."""
    return {
        "datetime": w3c(step.at),
        "summary": step.action,
        "description": step_public_text(step),
        "type": "opened" if step.action == "report" else "activity",
        "status": open311_status(step.to_state),
        "detailed_status": step.to_state,
    }


def token(case_number: str | None, token_id: str) -> dict:
    """GET tokens/{token}: the case's number, or the token alone while the request is queued."""
    return {"service_request_id": case_number, "token": token_id} if case_number else {"token": token_id}


def request_update(step: Step) -> dict:
    """mySociety's servicerequestupdates ``request_update`` (status in its OPEN / CLOSED spelling)."""
    return {
        "update_id": str(step.pk),
        "service_request_id": step.case.number,
        "status": open311_status(step.to_state).upper(),
        "updated_datetime": w3c(step.at),
        "description": step_public_text(step),
        "media_url": "",
        "external_status_code": step.to_state,
    }


def error(code: int, description: str) -> dict:
    return {"code": code, "description": description}
