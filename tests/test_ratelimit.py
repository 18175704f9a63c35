from datetime import UTC, datetime, timedelta

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from gridgov.cases.models import RateCounter
from gridgov.cases.ratelimit import Rate, RateLimited, check_rate, client_address, parse_rate, purge_rate_counters, rate_limited

pytestmark = pytest.mark.django_db
# 10:15:00 UTC: a quarter past the start of an hourly window.
T0 = datetime(2026, 3, 5, 10, 15, tzinfo=UTC)
factory = RequestFactory()


def _post(ip="203.0.113.7", **extra):
    return factory.post("/report/", {"description": "x", **extra.pop("data", {})}, REMOTE_ADDR=ip, **extra)


def _hits(request, count, limit="3/h", now=T0):
    for _ in range(count):
        check_rate(request, "intake", limit, now=now)


def test_parse_rate_accepts_units_and_multipliers():
    assert parse_rate("20/h") == Rate(20, 3600)
    assert parse_rate("5/10m") == Rate(5, 600)
    assert parse_rate(" 100 / d ") == Rate(100, 86400)
    for bad in ("", "20", "20/w", "0/h", "x/h", "5/0m"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_the_request_over_the_limit_is_refused_until_the_window_ends():
    _hits(_post(), 3)
    with pytest.raises(RateLimited) as refused:
        check_rate(_post(), "intake", "3/h", now=T0)
    assert refused.value.retry_after_seconds == 45 * 60  # the hourly window ends at 11:00
    with pytest.raises(RateLimited) as again:
        check_rate(_post(), "intake", "3/h", now=T0 + timedelta(minutes=44, seconds=59, microseconds=500))
    assert again.value.retry_after_seconds == 1
    _hits(_post(), 3, now=T0 + timedelta(minutes=45))  # 11:00: a new window


def test_clients_and_scopes_are_counted_apart():
    _hits(_post("203.0.113.7"), 3)
    _hits(_post("203.0.113.8"), 3)
    check_rate(_post("203.0.113.7"), "open311", "3/h", now=T0)
    with pytest.raises(RateLimited):
        check_rate(_post("203.0.113.7"), "intake", "3/h", now=T0)


def test_a_made_up_api_key_or_header_opens_no_new_bucket():
    """The client used to be its address plus any api_key it sent: one made up per request
    escaped the limit."""
    _hits(_post("203.0.113.7", data={"api_key": "client-a"}), 3)
    for attempt in range(3):
        with pytest.raises(RateLimited):
            check_rate(_post("203.0.113.7", data={"api_key": f"random-{attempt}"}), "intake", "3/h", now=T0)
        with pytest.raises(RateLimited):
            check_rate(_post("203.0.113.7", HTTP_X_API_KEY=f"random-{attempt}"), "intake", "3/h", now=T0)


def test_random_forwarded_for_is_no_escape_without_a_trusted_proxy(settings):
    settings.GRIDGOV_TRUSTED_PROXIES = 0
    for hop in range(3):
        check_rate(_post("203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{hop}"), "intake", "3/h", now=T0)
    with pytest.raises(RateLimited):
        check_rate(_post("203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.99"), "intake", "3/h", now=T0)


def test_counters_are_shared_through_the_database_and_hold_no_raw_address():
    _hits(_post(), 2)
    counter = RateCounter.objects.get()
    assert counter.count == 2 and "203.0.113.7" not in counter.key and len(counter.key) == 64


def test_a_new_window_clears_the_clients_old_ones():
    _hits(_post(), 2)
    _hits(_post(), 1, now=T0 + timedelta(hours=2))
    assert RateCounter.objects.count() == 1
    assert purge_rate_counters(T0 + timedelta(hours=3)) == 1


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(settings):
    request = _post("10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9, 192.0.2.44")
    settings.GRIDGOV_TRUSTED_PROXIES = 0
    assert client_address(request) == "10.0.0.1"
    settings.GRIDGOV_TRUSTED_PROXIES = 1
    # The proxy appended 192.0.2.44; "198.51.100.9" came from the client and could be forged.
    assert client_address(request) == "192.0.2.44"
    settings.GRIDGOV_TRUSTED_PROXIES = 2
    assert client_address(request) == "198.51.100.9"
    settings.GRIDGOV_TRUSTED_PROXIES = 3
    assert client_address(request) == "10.0.0.1"


def test_a_forged_first_hop_does_not_escape_the_limit(settings):
    settings.GRIDGOV_TRUSTED_PROXIES = 1
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        check_rate(_post("10.0.0.1", HTTP_X_FORWARDED_FOR=f"{forged}, 192.0.2.44"), "intake", "3/h", now=T0)
    with pytest.raises(RateLimited):
        check_rate(_post("10.0.0.1", HTTP_X_FORWARDED_FOR="4.4.4.4, 192.0.2.44"), "intake", "3/h", now=T0)


def test_the_limit_comes_from_settings_and_can_be_switched_off(settings):
    settings.GRIDGOV_INTAKE_RATE = "1/m"
    check_rate(_post(), now=T0)
    with pytest.raises(RateLimited):
        check_rate(_post(), now=T0)
    settings.GRIDGOV_INTAKE_RATE = ""
    for _ in range(5):
        check_rate(_post(), now=T0)


def test_the_decorator_answers_429_with_retry_after_and_leaves_get_alone(settings):
    settings.GRIDGOV_INTAKE_RATE = "2/h"
    calls = []

    @rate_limited()
    def view(request):
        calls.append(request.method)
        return HttpResponse("ok")

    for _ in range(5):
        assert view(factory.get("/report/", REMOTE_ADDR="203.0.113.7")).status_code == 200
    assert [view(_post()).status_code for _ in range(3)] == [200, 200, 429]
    response = view(_post())
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 3600
    assert calls.count("POST") == 2
