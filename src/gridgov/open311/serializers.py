"""GeoReport v2 payloads (plain dicts and lists, in the specification's field order).

Privacy: a request payload is built only from the fields below (an allow-list). The reporter's
name, phone, e-mail, device_id and account_id are never read here, so no GET response can carry
them; nor are a step's internal note or who took it: every text about progress is the step's
public summary or the standard sentence for its action (cases.presenters.public_text).
"""

from datetime import datetime, tzinfo

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases.models import Category, LimitUnit, Step
from gridgov.cases.presenters import expected_finish_at, is_public_photo, public_photo_token, public_text, step_public_text

from .selectors import PublicRequest, open311_status, service_code

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json", "xml": "text/xml"}


def w3c(moment: datetime | None, zone: tzinfo | None = None) -> str | None:
    """W3C datetime with the local offset, e.g. 2026-11-26T09:30:00+08:00. Pass the ``zone``
    when writing many (looking the current one up cost more than the conversion)."""
    if not moment:
        return None
    return moment.astimezone(zone or timezone.get_current_timezone()).isoformat(timespec="seconds")


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


def service_requests(cases: list[PublicRequest], *, extensions: bool = False, absolute=lambda url: url) -> list[dict]:
    """Requests, with what every one of them shares worked out once: the time zone, and the
    notice of each service (a page of 1,000 spent most of its time on these, cProfile)."""
    zone = timezone.get_current_timezone()
    notices: dict[int, str] = {}
    return [
        service_request(
            case, extensions=extensions, absolute=absolute, zone=zone,
            notice=notices.get(case.category_id) or notices.setdefault(case.category_id, service_notice(case.category)),
        )
        for case in cases
    ]  # fmt: skip


def service_request(
    case: PublicRequest, *, extensions: bool = False, absolute=lambda url: url, zone: tzinfo | None = None, notice: str = ""
) -> dict:
    """One request, from the public columns selectors.PublicRequest holds (and nothing else)."""
    unconfirmed = case.location_unconfirmed
    zone = zone or timezone.get_current_timezone()
    payload: dict[str, object] = {
        "service_request_id": case.number,
        "status": open311_status(case.state),
        "status_notes": status_notes(case),
        "service_name": case.category.name,
        "service_code": service_code(case.category),
        "description": case.description,
        "agency_responsible": case.department_name or case.region_name or "",
        "service_notice": notice or service_notice(case.category),
        "requested_datetime": w3c(case.created_at, zone),
        "updated_datetime": w3c(case.updated_at, zone),
        # When it should be handled, as the resident's look-up says it (one definition, presenters).
        "expected_datetime": w3c(expected_finish_at(case), zone),
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        # A stand-in point (the request gave only an address) is not published as its location.
        "lat": None if unconfirmed else case.lat,
        "long": None if unconfirmed else case.lng,
        "media_url": case.media_url or "",
    }
    if extensions:
        payload["extended_attributes"] = _extended_attributes(case, absolute)
        payload["notes"] = [_note(step, zone) for step in case.steps]
    return payload


def status_notes(case: PublicRequest) -> str:
    """The latest public step's text (selectors._public_rows reads its action and summary)."""
    action = case.public_action
    return public_text(action, case.public_note or "", case.merged_into) if action else ""


def _extended_attributes(case: PublicRequest, absolute) -> dict:
    """City of Chicago's ``extensions=true`` shape, with the internal state as detailed_status."""
    return {
        "detailed_status": case.state,
        "detailed_status_name": case.get_state_display(),
        "channel": case.source,
        "grid_code": case.grid_code,
        "location_unconfirmed": case.location_unconfirmed,
        # The photos the public may see, through the look-up page's signed, expiring links.
        "media_urls": [
            absolute(reverse("report:photo", args=[public_photo_token(photo.pk, "full")]))
            for photo in case.photos
            if is_public_photo(photo)
        ],
    }


def _note(step: Step, zone: tzinfo | None = None) -> dict:
    """A step as a Chicago-style note; the actor is never named."""
    return {
        "datetime": w3c(step.at, zone),
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
