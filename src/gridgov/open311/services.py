"""State changes of the Open311 app: API keys, and creating a case from a POST.

POST requests are idempotent per client when they carry an ``Idempotency-Key`` header: the
first answer is stored with the case, in the same transaction, under a unique (client, key);
a retry gets that answer back, and the same key with a different body is refused.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.accounts.services import record_audit
from gridgov.cases.models import Case, Source
from gridgov.cases.services import IntakeError, Report, report_case

from . import serializers
from .models import ApiKey, IdempotencyRecord, Submission
from .selectors import category_for_code

KEY_PREFIX = "o311_"
PREFIX_LENGTH = 8  # characters after KEY_PREFIX kept in clear, to tell keys apart
MIN_REVOKE_PREFIX = 4  # a shorter prefix could name someone else's key by accident
MAX_IDEMPOTENCY_KEY = 255
CREATED = 201


class Open311Error(Exception):
    """An error answered as a GeoReport v2 error list; ``status`` is also the error's code."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# --- API keys ----------------------------------------------------------------------------------


@transaction.atomic
def create_api_key(name: str) -> tuple[ApiKey, str]:
    """A new key for a client; the plain key is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValueError("a client name is required")
    if ApiKey.objects.filter(name=name).exists():
        raise ValueError(f"a key named {name!r} already exists; revoke it or pick another name")
    # Hex prefix: safe to type on a command line (a urlsafe one may start with "-").
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    plain = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(name=name, prefix=prefix, hashed_key=hash_key(plain))
    record_audit(None, "open311.apikey_created", api_key, name=name, prefix=api_key.prefix)
    return api_key, plain


@transaction.atomic
def revoke_api_key(name_or_prefix: str) -> ApiKey:
    matches = list(ApiKey.objects.filter(name=name_or_prefix))
    if not matches and len(name_or_prefix) >= MIN_REVOKE_PREFIX:
        matches = list(ApiKey.objects.filter(prefix__startswith=name_or_prefix.removeprefix(KEY_PREFIX)))
    if not matches:
        raise ValueError(f"no API key is named {name_or_prefix!r} or starts with it")
    if len(matches) > 1:
        raise ValueError(f"{len(matches)} keys start with {name_or_prefix!r}; revoke by name")
    api_key = matches[0]
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        record_audit(None, "open311.apikey_revoked", api_key, name=api_key.name, prefix=api_key.prefix)
    return api_key


def authenticate(plain: str) -> ApiKey:
    if not plain:
        raise Open311Error(403, "api_key was not provided")
    api_key = ApiKey.objects.filter(hashed_key=hash_key(plain)).first()
    if api_key is None:
        raise Open311Error(403, "api_key is not valid")
    if api_key.revoked_at is not None:
        raise Open311Error(403, "api_key has been revoked")
    _note_use(api_key)
    return api_key


LAST_USED_RESOLUTION = timedelta(minutes=1)


def _note_use(api_key: ApiKey) -> None:
    """Record when a key was last used, to the minute: one write per request would be a write
    per intake for a figure nobody reads to the second."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)


# --- POST requests -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    status: int
    payload: list
    token: str
    replayed: bool = False


def _float(form, name: str) -> float:
    value = form.get(name, "").strip()
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, f"{name}: {value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise Open311Error(400, f"{name}: {value!r} is not a number")
    return number


def _location(form) -> tuple[float, float]:
    has_lat, has_long = bool(form.get("lat", "").strip()), bool(form.get("long", "").strip())
    if has_lat and has_long:
        return _float(form, "lat"), _float(form, "long")
    if has_lat or has_long:
        raise Open311Error(400, "lat and long must be given together")
    if form.get("address_string", "").strip() or form.get("address_id", "").strip():
        raise Open311Error(
            400, "lat and long are required: the request is located in its grid from coordinates; address_string alone cannot be located"
        )
    raise Open311Error(400, "location was not provided: lat and long are required")


def _checked_extras(form) -> dict:
    email = form.get("email", "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, f"email: {email!r} is not an e-mail address") from None
    media_url = form.get("media_url", "").strip()
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            media_url = ""
        if not media_url or len(form.get("media_url", "").strip()) > 500:
            raise Open311Error(400, "media_url: must be an http(s) URL of at most 500 characters")
    name = " ".join(part for part in (form.get("first_name", "").strip(), form.get("last_name", "").strip()) if part)
    return {
        "email": email,
        "media_url": media_url,
        "name": name,
        "phone": form.get("phone", "").strip(),
        "device_id": form.get("device_id", "").strip()[:100],
        "account_id": form.get("account_id", "").strip()[:100],
    }


def fingerprint(form) -> str:
    """The request body, less the key, in a canonical order."""
    items = sorted((name, value) for name in form if name != "api_key" for value in form.getlist(name))
    return hashlib.sha256(repr(items).encode()).hexdigest()


def _replay(record: IdempotencyRecord, print_: str) -> Created:
    if record.fingerprint != print_:
        raise Open311Error(
            422, f"Idempotency-Key {record.key!r} was already used for a different request (service_request_id {record.case.number})"
        )
    submission = Submission.objects.filter(case_id=record.case_id).first()
    return Created(record.status_code, record.response, submission.token if submission else "", replayed=True)


def _existing(api_key: ApiKey, idempotency_key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.select_related("case").filter(api_key=api_key, key=idempotency_key).first()


def submit_request(api_key: ApiKey, form, idempotency_key: str = "") -> Created:
    """Create a case from a POST (or return the first answer to this Idempotency-Key)."""
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise Open311Error(400, f"Idempotency-Key: at most {MAX_IDEMPOTENCY_KEY} characters")
    print_ = fingerprint(form)
    if idempotency_key and (record := _existing(api_key, idempotency_key)) is not None:
        return _replay(record, print_)
    code = form.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    category = category_for_code(code, active_only=True)
    if category is None:
        raise Open311Error(404, f"service_code {code!r} was not found")
    lat, lng = _location(form)
    extras = _checked_extras(form)
    try:
        return _create(api_key, form, category, lat, lng, extras, idempotency_key, print_)
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key committed first; ours rolled back.
        record = _existing(api_key, idempotency_key) if idempotency_key else None
        if record is None:
            raise
        return _replay(record, print_)


def _create(api_key, form, category, lat, lng, extras, idempotency_key, print_) -> Created:
    report = Report(
        category=category,
        lat=lat,
        lng=lng,
        description=form.get("description", ""),
        source=Source.OPEN311,
        address=form.get("address_string", ""),
        reporter_name=extras["name"],
        reporter_phone=extras["phone"],
        reporter_email=extras["email"],
    )
    with transaction.atomic():
        try:
            case: Case = report_case(report)
        except IntakeError as error:
            raise Open311Error(400, str(error)) from error
        submission = Submission.objects.create(
            case=case,
            api_key=api_key,
            token=secrets.token_hex(16),
            media_url=extras["media_url"],
            device_id=extras["device_id"],
            account_id=extras["account_id"],
        )
        payload = [serializers.created(case)]
        if idempotency_key:
            IdempotencyRecord.objects.create(
                api_key=api_key, key=idempotency_key, fingerprint=print_, case=case, status_code=CREATED, response=payload
            )
        record_audit(None, "open311.request_created", case, number=case.number, client=api_key.name)
    return Created(CREATED, payload, submission.token)
