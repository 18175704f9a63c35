"""Rate limiting of public requests: intake (the resident form, Open311 POST), the case look-up,
and the look-up's lock after wrong phones. The one limiter of the project.

Fixed windows counted in the database (``RateCounter``), so every worker process of the server
shares one count and nothing beyond the database is needed. A bucket is a scope plus one thing
the client cannot choose freely:

- the client's address (``client_address``), and nothing the client sends: an ``api_key`` field
  or ``X-Api-Key`` header used to make a new bucket per value, so a random one per request
  escaped every limit;
- a valid API key (``api_key_key``): a key holder gets its own bucket, so several clients behind
  one office address do not share one; an invalid key is refused by the caller, never counted
  as a new bucket;
- a thing being guessed at (``failure_key``): the look-up counts wrong phones per case number
  and per address, and ``ensure_unlocked`` refuses a locked number even with the right phone.

Settings:

- ``GRIDGOV_INTAKE_RATE``: ``"20/h"`` by default; ``N/s``, ``N/m``, ``N/h``, ``N/d`` or with a
  multiplier (``"5/10m"``). An empty value turns the limit off.
- ``GRIDGOV_TRUSTED_PROXIES``: how many reverse proxies of our own stand in front of the server
  (``0``, the default: use REMOTE_ADDR and ignore X-Forwarded-For). With ``1``, the client is
  the address the proxy appended to X-Forwarded-For, i.e. its last entry; entries before it were
  sent by the client and can be forged, so they are never used as the key.
"""

import functools
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import RateCounter

DEFAULT_INTAKE_RATE = "20/h"
DEFAULT_LOOKUP_FAILURES = "5/h"
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class RateLimited(Exception):
    def __init__(self, retry_after_seconds: int, limit: "Rate | None" = None):
        self.retry_after_seconds = retry_after_seconds
        self.limit = limit
        super().__init__(_("Too many requests; try again in %(seconds)d seconds.") % {"seconds": retry_after_seconds})


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}s"


def parse_rate(text: str) -> Rate:
    """``"20/h"`` → Rate(20, 3600); ``"5/10m"`` → Rate(5, 600)."""
    match = _RATE.match(text or "")
    if not match:
        raise ValueError(f"rate {text!r} is not like '20/h' (N per s, m, h or d, optionally '5/10m')")
    count, multiplier, unit = int(match[1]), int(match[2] or 1), match[3]
    if count < 1 or multiplier < 1:
        raise ValueError(f"rate {text!r} must allow at least one request per window of at least one unit")
    return Rate(count, multiplier * UNIT_SECONDS[unit])


def client_address(request) -> str:
    proxies = int(getattr(settings, "GRIDGOV_TRUSTED_PROXIES", 0) or 0)
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    # Each of our proxies appends the address it saw; the n-th from the end was added by the
    # outermost one, so it is the real client whatever the client wrote before it.
    return hops[-proxies] if len(hops) >= proxies else remote


def bucket_key(scope: str, *parts: str) -> str:
    """The stored key of a bucket: a hash, never the raw address, key or case number."""
    raw = "\x00".join([scope, *parts])
    return hashlib.sha256(raw.encode()).hexdigest()


def client_key(request, scope: str) -> str:
    """The client's bucket: its address alone (nothing the client sends can open a new one)."""
    return bucket_key(scope, "address", client_address(request))


def api_key_key(api_key_id: int, scope: str) -> str:
    """The bucket of a valid API key (the caller has checked it)."""
    return bucket_key(scope, "api-key", str(api_key_id))


def failure_key(scope: str, kind: str, value: str) -> str:
    """The bucket of wrong answers about one thing (a case number, an address)."""
    return bucket_key(f"{scope}-failures", kind, value)


def _window_start(now: datetime, rate: Rate) -> datetime:
    elapsed = (now.astimezone(UTC) - EPOCH).total_seconds()
    return EPOCH + timedelta(seconds=math.floor(elapsed / rate.seconds) * rate.seconds)


def _count_hit(key: str, window_start: datetime) -> int:
    """Add one request to the window and return the window's count: one upsert statement (SQLite
    and PostgreSQL both have INSERT … ON CONFLICT … RETURNING; the ORM cannot say it), in a
    transaction of its own so that refused requests count too."""
    quote = connection.ops.quote_name
    table, column = quote(RateCounter._meta.db_table), {name: quote(name) for name in ("key", "window_start", "count")}
    sql = (
        f"INSERT INTO {table} ({column['key']}, {column['window_start']}, {column['count']}) VALUES (%s, %s, 1) "
        f"ON CONFLICT ({column['key']}, {column['window_start']}) DO UPDATE SET {column['count']} = {table}.{column['count']} + 1 "
        f"RETURNING {column['count']}"
    )
    start = RateCounter._meta.get_field("window_start").get_db_prep_save(window_start, connection)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A count lost in a crash costs nothing; waiting for the WAL flush cost a disk sync
            # (3 ms here) per request, with the client's counter row locked all the while.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(sql, [key, start])
        count = cursor.fetchone()[0]
        if count == 1:  # first hit of a new window: this client's older windows are no longer needed
            RateCounter.objects.filter(key=key, window_start__lt=window_start).delete()
    return count


def configured_rate(setting: str = "GRIDGOV_INTAKE_RATE", default: str = DEFAULT_INTAKE_RATE) -> Rate | None:
    text = getattr(settings, setting, default)
    return parse_rate(text) if text else None


def _retry_after(window_start: datetime, rate: Rate, now: datetime) -> int:
    window_end = window_start + timedelta(seconds=rate.seconds)
    return max(1, math.ceil((window_end - now).total_seconds()))


def count_hit(key: str, rate: Rate | None, *, now: datetime | None = None) -> None:
    """Count one request in the bucket ``key``; raise RateLimited once it is over ``rate``."""
    if rate is None:
        return
    now = now or timezone.now()
    window_start = _window_start(now, rate)
    if _count_hit(key, window_start) > rate.count:
        raise RateLimited(_retry_after(window_start, rate, now), rate)


def ensure_unlocked(keys: list[str], rate: Rate | None, *, now: datetime | None = None) -> None:
    """Raise RateLimited if any bucket already holds ``rate.count`` hits in its window (a lock
    after too many failures); counts nothing."""
    if rate is None:
        return
    now = now or timezone.now()
    window_start = _window_start(now, rate)
    if RateCounter.objects.filter(key__in=keys, window_start=window_start, count__gte=rate.count).exists():
        raise RateLimited(_retry_after(window_start, rate, now), rate)


def count_failures(keys: list[str], rate: Rate | None, *, now: datetime | None = None) -> None:
    """Count one failure in each bucket (``ensure_unlocked`` refuses once one is full)."""
    if rate is None:
        return
    window_start = _window_start(now or timezone.now(), rate)
    for key in keys:
        _count_hit(key, window_start)


class LookupLocked(RateLimited):
    """Too many wrong phones for one case number, or from one address."""

    def __init__(self, retry_after_seconds: int, limit: "Rate | None" = None):
        super().__init__(retry_after_seconds, limit)
        minutes = max(1, math.ceil(retry_after_seconds / 60))
        self.args = (
            _(
                "Too many wrong phone numbers were tried for this case number or from your connection, so the look-up "
                "is locked. Try again in %(minutes)d minutes, or call the hotline."
            )
            % {"minutes": minutes},
        )


def lookup_failure_keys(request, number: str) -> list[str]:
    """The look-up's lock: one bucket per case number (whoever guesses), one per address."""
    return [failure_key("lookup", "number", number.strip()), failure_key("lookup", "address", client_address(request))]


def guarded_lookup(request, number: str, find, *, now: datetime | None = None):
    """``find()`` the case by number and phone unless the number or the address is locked;
    a miss counts as a wrong phone for both. Raises LookupLocked while locked, even when the
    phone is right, so guessing gains nothing after the first few tries."""
    rate = configured_rate("GRIDGOV_LOOKUP_FAILURES", DEFAULT_LOOKUP_FAILURES)
    keys = lookup_failure_keys(request, number)
    try:
        ensure_unlocked(keys, rate, now=now)
    except RateLimited as error:
        raise LookupLocked(error.retry_after_seconds, rate) from None
    case = find()
    if case is None:
        count_failures(keys, rate, now=now)
    return case


def check_rate(request, scope: str = "intake", limit: str | Rate | None = None, *, now: datetime | None = None) -> None:
    """Count this request against the client's address; raise RateLimited once it is over."""
    rate = parse_rate(limit) if isinstance(limit, str) else (limit or configured_rate())
    count_hit(client_key(request, scope), rate, now=now)


def too_many_requests(error: RateLimited) -> HttpResponse:
    response = HttpResponse(str(error), status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(error.retry_after_seconds)
    return response


def rate_limited(scope: str = "intake", limit: str | None = None, methods=("POST",), respond=too_many_requests):
    """View decorator: requests with one of ``methods`` count against the limit; over it the
    view is not called and the client gets 429 with Retry-After (``respond`` builds it, so an
    API can answer in its own error format)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                try:
                    check_rate(request, scope, limit)
                except RateLimited as error:
                    return respond(error)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def purge_rate_counters(before: datetime) -> int:
    """Delete windows that started before ``before`` (for a periodic task)."""
    return RateCounter.objects.filter(window_start__lt=before).delete()[0]
