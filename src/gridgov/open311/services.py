"""State changes of the Open311 app: API keys, and taking in POSTed requests.

A POST is checked at once and queued with one insert; the intake worker creates the cases of
queued submissions in batches (GeoReport v2's token flow: the POST answers with a token, and
GET tokens/{token} gives the case's number once it exists). POST requests are idempotent per
client when they carry an ``Idempotency-Key`` header: the first answer is stored with the
submission under a unique (client, key); a retry gets that answer back, and the same key with
a different body is refused.
"""

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import DataError, IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from gridgov import crypto
from gridgov.accounts.services import audit_event, record_audit, record_audits
from gridgov.bulk import insert_objects, update_rows
from gridgov.cases import selectors as case_selectors
from gridgov.cases.models import Category, Source
from gridgov.cases.services import OPEN311, IntakeError, Report, check_intake, report_cases
from gridgov.grids import selectors as grid_selectors

from . import serializers
from .models import ApiKey, Submission
from .selectors import api_key_by_hash, category_for_code
from .worker import intake_worker

logger = logging.getLogger(__name__)

KEY_PREFIX = "o311_"
PREFIX_LENGTH = 8  # characters after KEY_PREFIX kept in clear, to tell keys apart
MIN_REVOKE_PREFIX = 4  # a shorter prefix could name someone else's key by accident
MAX_IDEMPOTENCY_KEY = 255
MAX_EMAIL = 254  # the case's column; validate_email alone lets up to 320 through
MAX_CLIENT_ID = 100  # device_id and account_id: Submission's columns
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
    api_key = api_key_by_hash(hash_key(plain))
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
        api_key.last_used_at = now  # the process's copy of the key table (see selectors.api_key_by_hash)


# --- POST requests -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    """The answer to a POST (always 201 Created), and whether it repeats an earlier one."""

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


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float
    unconfirmed: bool = False  # a stand-in point: the request named only an address


def _location(form) -> Location:
    """The request's point; a request that names only an address (the specification allows
    address_string or address_id instead of lat/long) is taken in at the district's intake
    point, flagged for the intake clerk to place on the map."""
    has_lat, has_long = bool(form.get("lat", "").strip()), bool(form.get("long", "").strip())
    if has_lat and has_long:
        return Location(_float(form, "lat"), _float(form, "long"))
    if has_lat or has_long:
        raise Open311Error(400, "lat and long must be given together")
    if form.get("address_string", "").strip() or form.get("address_id", "").strip():
        return Location(*intake_point(), unconfirmed=True)
    raise Open311Error(400, "location was not provided: give lat and long, or address_string or address_id")


def intake_point() -> tuple[float, float]:
    """GRIDGOV_OPEN311_INTAKE_POINT ("lat,lng"), else a point inside the district."""
    if settings.GRIDGOV_OPEN311_INTAKE_POINT:
        return settings.GRIDGOV_OPEN311_INTAKE_POINT
    point = grid_selectors.inner_point()
    if point is None:
        raise Open311Error(400, "the district has no grid network yet; requests cannot be taken in")
    return point


def _address(form) -> str:
    """address_string, or the address_id when that is all there is (the clerk looks it up)."""
    address = form.get("address_string", "").strip()
    if not address and (address_id := form.get("address_id", "").strip()):
        address = f"address_id {address_id}"
    return address


def _checked_extras(form) -> dict:
    email = form.get("email", "").strip()
    if len(email) > MAX_EMAIL:
        raise Open311Error(400, f"email: at most {MAX_EMAIL} characters")
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
    for field in ("device_id", "account_id"):
        if len(form.get(field, "").strip()) > MAX_CLIENT_ID:
            raise Open311Error(400, f"{field}: at most {MAX_CLIENT_ID} characters")
    return {
        "email": email,
        "media_url": media_url,
        "name": name,
        "phone": form.get("phone", "").strip(),
        "device_id": form.get("device_id", "").strip(),
        "account_id": form.get("account_id", "").strip(),
    }


def fingerprint(form) -> str:
    """The request body, less the key, in a canonical order."""
    items = sorted((name, value) for name in form if name != "api_key" for value in form.getlist(name))
    return hashlib.sha256(repr(items).encode()).hexdigest()


def _replay(submission: Submission, print_: str) -> Created:
    if submission.fingerprint != print_:
        # 400, not 422: the specification's clients know only 400, 403 and 404.
        raise Open311Error(
            400,
            f"Idempotency-Key {submission.idempotency_key!r} was already used for a different request (token {submission.token})",
        )
    return Created(submission.response, submission.token, replayed=True)


def _existing(api_key: ApiKey, idempotency_key: str) -> Submission | None:
    return Submission.objects.filter(api_key=api_key, idempotency_key=idempotency_key).first()


def _report(category: Category, form, extras: dict, location: Location) -> Report:
    return Report(
        category=category,
        lat=location.lat,
        lng=location.lng,
        description=form.get("description", ""),
        source=Source.OPEN311,
        address=_address(form),
        reporter_name=extras["name"],
        reporter_phone=extras["phone"],
        reporter_email=extras["email"],
        location_unconfirmed=location.unconfirmed,
    )


def submit_request(api_key: ApiKey, form, idempotency_key: str = "") -> Created:
    """Check a POST and queue it (or return the first answer to this Idempotency-Key).

    Everything that can be wrong with the request is answered now, as an error; a request that
    passes is written once, to the queue, and answered with its token. The intake worker turns
    it into a case moments later (``take_in_queued``), and GET tokens/{token} gives its number.
    """
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise Open311Error(400, f"Idempotency-Key: at most {MAX_IDEMPOTENCY_KEY} characters")
    print_ = fingerprint(form)
    if idempotency_key and (submission := _existing(api_key, idempotency_key)) is not None:
        return _replay(submission, print_)
    code = form.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    category = category_for_code(code, active_only=True)
    if category is None:
        raise Open311Error(404, f"service_code {code!r} was not found")
    location = _location(form)
    extras = _checked_extras(form)
    report = _report(category, form, extras, location)
    try:
        check_intake(report, channel=OPEN311)  # the intake rules of every way in (its rate limit: views.py, per key)
    except IntakeError as error:
        raise Open311Error(400, str(error)) from error
    try:
        return _queue(api_key, report, extras, idempotency_key, print_)
    except IntegrityError:
        # A concurrent request with the same Idempotency-Key committed first; ours rolled back.
        submission = _existing(api_key, idempotency_key) if idempotency_key else None
        if submission is None:
            raise
        return _replay(submission, print_)


def _queue(api_key: ApiKey, report: Report, extras: dict, idempotency_key: str, print_: str) -> Created:
    token = secrets.token_hex(16)
    response = [serializers.queued(token, report.category)]
    submission = Submission(
        api_key=api_key,
        token=token,
        report=_stored_report(report),
        media_url=extras["media_url"],
        device_id=extras["device_id"],
        account_id=extras["account_id"],
        idempotency_key=idempotency_key,
        fingerprint=print_ if idempotency_key else "",
        response=response,
    )
    with transaction.atomic():
        insert_objects(Submission, [submission])  # a third of Model.save's cost, on every POST
        transaction.on_commit(intake_worker.wake)
    return Created(response, token)


def _stored_report(report: Report) -> dict:
    """The queued request. The reporter's name, phone and e-mail wait in it encrypted, like the
    case that will hold them (gridgov/crypto.py)."""
    return {
        "category": report.category.pk, "lat": report.lat, "lng": report.lng, "description": report.description,
        "address": report.address, "personal": seal_personal(report.reporter_name, report.reporter_phone, report.reporter_email),
        "unconfirmed": report.location_unconfirmed,
    }  # fmt: skip


def seal_personal(name: str, phone: str, email: str) -> str:
    return crypto.encrypt(json.dumps([name, phone, email], ensure_ascii=False)) if (name or phone or email) else ""


@transaction.atomic
def reseal_queued() -> int:
    """Encrypt the personal details of queued requests again under the newest data key
    (``gridgov rotate-data-key``). Returns how many were rewritten."""
    submissions = list(Submission.objects.select_for_update().filter(state=Submission.State.QUEUED).only("id", "report"))
    for submission in submissions:
        stored = dict(submission.report)
        stored["personal"] = seal_personal(*_personal(stored))
        for key in ("name", "phone", "email"):
            stored.pop(key, None)
        Submission.objects.filter(pk=submission.pk).update(report=stored)
    return len(submissions)


def _personal(stored: dict) -> tuple[str, str, str]:
    if "personal" in stored:
        return tuple(json.loads(crypto.decrypt(stored["personal"]))) if stored["personal"] else ("", "", "")
    return stored.get("name", ""), stored.get("phone", ""), stored.get("email", "")  # queued before encryption


def _stored_to_report(stored: dict, categories: dict[int, Category]) -> Report:
    category = categories.get(stored["category"])
    if category is None:
        raise IntakeError("service_code: the service was removed before the request was taken in")
    name, phone, email = _personal(stored)
    return Report(
        category=category, lat=stored["lat"], lng=stored["lng"], description=stored["description"],
        source=Source.OPEN311, address=stored["address"], reporter_name=name, reporter_phone=phone, reporter_email=email,
        location_unconfirmed=stored.get("unconfirmed", False),
    )  # fmt: skip


# --- the intake queue --------------------------------------------------------------------------

TAKE_IN_BATCH = 500


# Errors that say nothing about a row (the database is down or busy, a deadlock, the process is
# shutting down): the batch stays queued and is tried again. Any other error taking a batch in
# is about one of its rows.
NOT_ABOUT_THE_ROW = (OperationalError, InterfaceError)


def take_in_queued(limit: int = TAKE_IN_BATCH) -> int:
    """Turn up to ``limit`` queued submissions into cases, oldest first, in one transaction.
    Returns how many submissions were taken off the queue.

    If the batch fails because of one row (the database refuses its data, or its category has
    limits the clock cannot use), the batch is rolled back and its rows are taken in one at a
    time, each in its own transaction; a row that fails is refused alone with the reason, which
    GET tokens/{token} reports, so that one bad row cannot hold up the queue. Errors that say
    nothing about the data (the database is down, a deadlock) propagate, and the rows stay queued.
    """
    try:
        return _take_in_batch(limit)
    except NOT_ABOUT_THE_ROW:
        raise
    except Exception:
        return _take_in_singly(limit)


def _take_in_singly(limit: int) -> int:
    pks = list(Submission.objects.filter(state=Submission.State.QUEUED).order_by("id").values_list("id", flat=True)[:limit])
    for pk in pks:
        try:
            _take_in_batch(1, pk=pk)
        except NOT_ABOUT_THE_ROW:
            raise
        except (DataError, IntegrityError) as error:
            _refuse_queued(pk, f"the request could not be stored: {error}")
        except Exception as error:
            logger.exception("Open311 intake: queued submission %s could not be taken in; refused", pk)
            _refuse_queued(pk, f"the request could not be taken in: {error}")
    return len(pks)


@transaction.atomic
def _refuse_queued(pk: int, reason: str) -> None:
    submission = _queued().filter(pk=pk).first()
    if submission is not None:  # else another worker has taken it meanwhile
        _refuse(submission, reason)
        _record_outcomes([submission])


def _queued():
    return (
        Submission.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("api_key")
        .filter(state=Submission.State.QUEUED)
        .order_by("id")
    )


def _take_in_batch(limit: int, pk: int | None = None) -> int:
    """Take in up to ``limit`` queued submissions in one transaction (see ``take_in_queued``).

    Each case is dated when its POST arrived. A submission that no longer passes the intake
    checks (its category was retired, the grid network changed) is refused with the reason,
    which GET tokens/{token} reports. Several workers may run at once: on PostgreSQL each
    skips the rows another has locked; SQLite lets one write transaction run at a time.
    """
    with transaction.atomic():
        queued = _queued() if pk is None else _queued().filter(pk=pk)
        batch = list(queued[:limit])
        if not batch:
            return 0
        categories = case_selectors.categories_by_id(submission.report["category"] for submission in batch)
        readable = []
        for submission in batch:
            try:
                readable.append((submission, _stored_to_report(submission.report, categories)))
            except IntakeError as error:
                _refuse(submission, str(error))
        outcomes = report_cases([report for _, report in readable], at=[submission.created_at for submission, _ in readable])
        created = []
        for (submission, _), outcome in zip(readable, outcomes, strict=True):
            if isinstance(outcome, IntakeError):
                _refuse(submission, str(outcome))
            else:
                submission.case, submission.state = outcome, Submission.State.CREATED
                created.append(submission)
        _record_outcomes(batch)
        record_audits(
            [
                audit_event(
                    None,
                    "open311.request_created",
                    submission.case,
                    number=submission.case.number,
                    client=submission.api_key.name,
                )
                for submission in created
            ]
        )
    return len(batch)


def _record_outcomes(batch: list[Submission]) -> None:
    now = timezone.now()
    # The case holds the reporter's details now: the stored request is emptied.
    rows: list[list[object]] = [
        [submission.case_id, submission.state, {}, submission.refusal, now, submission.pk] for submission in batch
    ]
    update_rows(Submission, ["case_id", "state", "report", "refusal", "processed_at"], rows)


def _refuse(submission: Submission, reason: str) -> None:
    submission.state = Submission.State.REFUSED
    submission.refusal = reason[:500]


def take_in_through(token: str) -> None:
    """Take queued requests in, oldest first, until this token's is no longer queued: GET
    tokens/{token} answers with the case even when no worker has got to it yet, without
    emptying a long queue inside one request."""
    queued = Submission.objects.filter(token=token, state=Submission.State.QUEUED)
    while queued.exists() and take_in_queued():
        pass


def take_in_all() -> int:
    """Empty the queue (the worker; tests)."""
    total = 0
    while True:
        taken = take_in_queued()
        total += taken
        if taken < TAKE_IN_BATCH:
            return total
