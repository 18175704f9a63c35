"""GeoReport v2 endpoints under /open311/v2/ (DESIGN.md section 6).

API endpoints: no session, no CSRF; POST is authenticated by ``api_key`` alone. Every error is
a list of ``{code, description}`` in the requested format with the matching HTTP status.
"""

import functools
import hashlib
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from gridgov.bounds import EARLIEST_DAY, LATEST_DAY, day_in_range
from gridgov.caching import KeyedCache
from gridgov.cases import selectors as case_selectors
from gridgov.cases.models import Category
from gridgov.cases.ratelimit import RateLimited, api_key_key, check_rate, configured_rate, count_hit

from . import selectors, serializers
from .models import Submission
from .openapi import openapi_document
from .renderers import CONTENT_TYPES, render, render_body
from .services import CREATED, Open311Error, authenticate, submit_request, take_in_through

DEFAULT_FORMAT = "json"  # used to answer a request for a format we do not serve
# Discovery's changeset: when this endpoint's surface last changed. Bump it with the surface.
CHANGESET = datetime(2026, 11, 27, tzinfo=timezone.get_fixed_timezone(480))  # POST answers with a token
MAX_PAGE = 1_000_000
MAX_SERVICE_CODES = 100
DEFAULT_API_KEY_RATE = "600/h"
# Specification: start_date and end_date "may not span more than 90 days"; given alone, either
# opens the 90 days that start (or end) there, as the default query covers the last 90 days.
MAX_WINDOW = selectors.DEFAULT_WINDOW
MAX_ID_LENGTH = 64  # case numbers are 14 characters and tokens 32; a longer id names nothing
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int() of 5,000 digits raises


def error_response(fmt: str, status: int, description: str) -> HttpResponse:
    return render(fmt, "errors", [serializers.error(status, description)], status=status)


def open311_endpoint(*methods: str):
    """Check the format and method, and turn Open311Error into an error list."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, fmt: str, **kwargs):
            if fmt not in CONTENT_TYPES:
                return error_response(_format_of_path(request.path), 404, f"format {fmt[:20]!r} is not served; use .json or .xml")
            allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)
            if request.method not in allowed:
                response = error_response(fmt, 405, f"method {request.method} is not allowed here; use {' or '.join(methods)}")
                response["Allow"] = ", ".join(methods)
                return response
            try:
                if request.method == "POST":
                    _read_body(request)
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                return error_response(fmt, error.status, error.description)

        return wrapper

    return decorate


def _read_body(request) -> None:
    """Parse the body here, so that what Django itself refuses (too large, too many fields, a
    charset it does not know, broken multipart) is answered as an Open311 error list."""
    try:
        request.POST, request.FILES  # noqa: B018 — parsing happens on first access
    except RequestDataTooBig:
        raise Open311Error(413, "the request body is larger than this server accepts") from None
    except (TooManyFieldsSent, TooManyFilesSent):
        raise Open311Error(400, "the request has more fields or files than this server accepts") from None
    except (MultiPartParserError, SuspiciousOperation):
        raise Open311Error(400, "the request body could not be read as a form") from None
    except (BadRequest, LookupError, UnicodeError):  # Django takes forms in UTF-8 only
        raise Open311Error(
            400, "the request body's charset is unknown, or not UTF-8, or does not match its bytes; send UTF-8"
        ) from None


# --- parameters --------------------------------------------------------------------------------


def _w3c_param(request, name: str) -> datetime | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        # An unescaped '+' of an offset arrives as a space.
        moment = parse_datetime(raw) or parse_datetime(raw.replace(" ", "+"))
        if moment is None and (day := parse_date(raw)) is not None:
            moment = datetime(day.year, day.month, day.day)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, f"{name}: {raw[:100]!r} is not a W3C datetime such as 2026-01-01T00:00:00+08:00")
    # Checked on both sides of the offset: year 1 moved to UTC, or year 9999 plus a day, overflow.
    if not day_in_range(moment) or (timezone.is_aware(moment) and not day_in_range(moment.astimezone(UTC))):
        raise Open311Error(400, f"{name}: {raw[:100]!r} is outside the dates this server holds ({EARLIEST_DAY} to {LATEST_DAY})")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _date_range(request, start: str, end: str) -> tuple[datetime | None, datetime | None]:
    start_value, end_value = _w3c_param(request, start), _w3c_param(request, end)
    if start_value and end_value and start_value > end_value:
        raise Open311Error(400, f"{start} is after {end}")
    return start_value, end_value


def _ninety_days(request) -> tuple[datetime | None, datetime | None]:
    """start_date and end_date, spanning at most ``MAX_WINDOW`` (specification)."""
    start, end = _date_range(request, "start_date", "end_date")
    if start and end and end - start > MAX_WINDOW:
        raise Open311Error(
            400, f"start_date and end_date span more than {MAX_WINDOW.days} days; ask for {MAX_WINDOW.days} days at a time"
        )
    if start and not end:
        end = start + MAX_WINDOW
    elif end and not start:
        start = end - MAX_WINDOW
    return start, end


def _positive_int(request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw) or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
        bound = f" between 1 and {maximum}" if maximum else " of at least 1"
        raise Open311Error(400, f"{name}: {raw[:100]!r} must be a whole number{bound}")
    return int(raw)


def _comma_list(request, name: str) -> list[str]:
    return [item.strip() for value in request.GET.getlist(name) for item in value.split(",") if item.strip()]


def _categories(request) -> list[Category]:
    codes = _comma_list(request, "service_code")
    if len(codes) > MAX_SERVICE_CODES:
        raise Open311Error(400, f"service_code: at most {MAX_SERVICE_CODES} codes at once")
    categories = []
    for code in codes:
        category = selectors.category_for_code(code)
        if category is None:
            raise Open311Error(404, f"service_code {code!r} was not found")
        categories.append(category)
    return categories


def _statuses(request) -> list[str]:
    statuses = sorted(set(_comma_list(request, "status")))
    unknown = [status for status in statuses if status not in ("open", "closed")]
    if unknown:
        raise Open311Error(400, f"status: {', '.join(unknown)} is not open or closed")
    return statuses


def _extensions(request) -> bool:
    return request.GET.get("extensions", "").strip().lower() in ("true", "1")


def _request_query(request) -> selectors.RequestQuery:
    ids = _comma_list(request, "service_request_id")
    if len(ids) > selectors.MAX_PAGE_SIZE:
        raise Open311Error(400, f"service_request_id: at most {selectors.MAX_PAGE_SIZE} ids at once")
    start, end = _ninety_days(request)
    updated_after, updated_before = _date_range(request, "updated_after", "updated_before")
    return selectors.RequestQuery(
        service_request_ids=ids,
        categories=_categories(request),
        start_date=start,
        end_date=end,
        statuses=_statuses(request),
        updated_after=updated_after,
        updated_before=updated_before,
        page=_positive_int(request, "page", 1, MAX_PAGE),
        page_size=_positive_int(request, "page_size", selectors.MAX_PAGE_SIZE, selectors.MAX_PAGE_SIZE),
        extensions=_extensions(request),
    )


# --- endpoints ---------------------------------------------------------------------------------


@open311_endpoint("GET")
def discovery(request, fmt):
    base_url = request.build_absolute_uri(reverse("open311:root"))
    return render(fmt, "discovery", serializers.discovery(base_url, CHANGESET))


@open311_endpoint("GET")
def services(request, fmt):
    return render(fmt, "services", [serializers.service(category) for category in selectors.active_services()])


@open311_endpoint("GET")
def service_definition(request, service_code, fmt):
    category = selectors.category_for_code(service_code, active_only=True)
    if category is None:
        raise Open311Error(404, f"service_code {service_code!r} was not found")
    return render(fmt, "service_definition", serializers.service_definition(category))


# --- rendered answers, kept per process ------------------------------------------------------
#
# A GET of requests is public data that many clients ask for again and again (the default listing
# above all: a page of 1,000 took 150 ms to read and render). Its rendered body is kept, keyed on
# what it is made of: the parameters, the format, the language, the host (extensions carry
# absolute photo links) and a change mark (one case's version, or for a list the newest case,
# update and step, see cases.selectors). The marks are read at most every GRIDGOV_CHANGE_MARK_MS
# per process (a database round trip per request was most of a kept answer's cost on
# PostgreSQL), so a step taken in another process shows within that bound, at once in this one.
# What the mark does not see (a renamed category, department or unit, a deleted case) shows
# within RESPONSE_CACHE_SECONDS, which is also part of the key.
# The body's hash is its ETag: a client that sends it back in If-None-Match gets 304.
RESPONSE_CACHE_SECONDS = 60
_request_bodies: KeyedCache[tuple[bytes, str]] = KeyedCache(max_entries=4096)  # about 1 KB each
_listing_bodies: KeyedCache[tuple[bytes, str]] = KeyedCache(
    max_entries=32
)  # up to about 1 MB each (1,000 requests with extensions)


def _cached_render(request, fmt: str, root: str, cache: KeyedCache, key: tuple, payload: Callable[[], object]) -> HttpResponse:
    period = int(time.time() // RESPONSE_CACHE_SECONDS)
    key = (*key, fmt, translation.get_language(), request.build_absolute_uri("/"), period)

    def rendered() -> tuple[bytes, str]:
        body = render_body(fmt, root, payload())
        return body, f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'

    body, etag = cache.get(key, rendered)
    response: HttpResponse
    if etag in (tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"  # a client may keep it, and asks again with If-None-Match
    return response


def forget_rendered(**_signal_arguments) -> None:
    _request_bodies.forget()
    _listing_bodies.forget()


@open311_endpoint("GET", "POST")
def requests(request, fmt):
    if request.method == "POST":
        return _post_request(request, fmt)
    query = _request_query(request)
    parameters = tuple(sorted((name, tuple(values)) for name, values in request.GET.lists()))

    def payload():
        cases = selectors.service_requests(query)
        return serializers.service_requests(cases, extensions=query.extensions, absolute=request.build_absolute_uri)

    key = (parameters, case_selectors.recent_cases_change_mark())
    return _cached_render(request, fmt, "service_requests", _listing_bodies, key, payload)


def _post_request(request, fmt):
    try:
        # Several clients send the key in the query string, as the specification's examples do.
        api_key = authenticate((request.POST.get("api_key", "") or request.GET.get("api_key", "")).strip())
    except Open311Error:
        # A missing or invalid key is refused, and counted against the address: a made-up key
        # per request must not open a bucket of its own.
        if limited := _rate_limited(request, fmt, None):
            return limited
        raise
    if limited := _rate_limited(request, fmt, api_key):
        return limited
    if request.FILES:
        raise Open311Error(
            400,
            f"{', '.join(sorted(request.FILES))}: file uploads are not taken here; send media_url, a link to the photo, instead",
        )
    created = submit_request(api_key, request.POST, request.headers.get("Idempotency-Key", "").strip())
    response = render(fmt, "service_requests", created.payload, status=CREATED)
    response["Location"] = request.build_absolute_uri(reverse("open311:token", kwargs={"token_id": created.token, "fmt": fmt}))
    if created.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _rate_limited(request, fmt, api_key) -> HttpResponse | None:
    """429 when over the limit: a valid key's own bucket, else the client address's."""
    try:
        if api_key is not None:
            count_hit(api_key_key(api_key.pk, "open311"), configured_rate("GRIDGOV_API_KEY_RATE", DEFAULT_API_KEY_RATE))
        else:
            check_rate(request, "open311")
    except RateLimited as error:
        response = error_response(fmt, 429, str(error))
        response["Retry-After"] = str(error.retry_after_seconds)
        return response
    return None


@open311_endpoint("GET")
def service_request(request, service_request_id, fmt):
    extensions = _extensions(request)
    missing = Open311Error(404, f"service_request_id {service_request_id!r} was not found")
    mark = case_selectors.recent_case_change_mark(service_request_id)
    if mark is None:
        raise missing

    def payload():
        case = selectors.service_request(service_request_id, extensions=extensions)
        if case is None:  # deleted since the mark was read
            raise missing
        return [serializers.service_request(case, extensions=extensions, absolute=request.build_absolute_uri)]

    key = (service_request_id, extensions, mark)
    return _cached_render(request, fmt, "service_requests", _request_bodies, key, payload)


@open311_endpoint("GET")
def token(request, token_id, fmt):
    status = selectors.token_status(token_id)
    if status is not None and status.state == Submission.State.QUEUED:
        take_in_through(token_id)  # normally the worker is a step ahead; this makes the answer certain
        status = selectors.token_status(token_id)
    if status is None:
        raise Open311Error(404, f"token {token_id!r} was not found")
    if status.state == Submission.State.REFUSED:
        raise Open311Error(400, f"token {token_id!r}: the request was refused when taken in: {status.refusal}")
    return render(fmt, "service_requests", [serializers.token(status.case_number, token_id)])


@open311_endpoint("GET")
def request_updates(request, fmt):
    start, end = _date_range(request, "start_date", "end_date")
    after, before = _date_range(request, "updated_after", "updated_before")  # aliases some clients send
    query = selectors.UpdateQuery(
        start_date=start or after,
        end_date=end or before,
        page=_positive_int(request, "page", 1, MAX_PAGE),
        page_size=_positive_int(request, "page_size", selectors.MAX_PAGE_SIZE, selectors.MAX_PAGE_SIZE),
    )
    payload = [serializers.request_update(step) for step in selectors.request_updates(query)]
    return render(fmt, "service_request_updates", payload)


def _format_of_path(path: str) -> str:
    """A path that ends in .xml gets its error in XML; anything else in JSON."""
    return "xml" if path.lower().endswith(".xml") else DEFAULT_FORMAT


@csrf_exempt
def not_found(request, rest=""):
    return error_response(_format_of_path(request.path), 404, f"no Open311 endpoint at {request.path[:200]}")


def openapi(request):
    return JsonResponse(openapi_document(reverse("open311:root")))


def root(request):
    return error_response(DEFAULT_FORMAT, 404, "see discovery.json or discovery.xml")
