"""Open311 POST requests: API keys, validation errors, the intake queue and its tokens,
idempotent retries, the ``gridgov apikey`` command and the per-client rate limit.

The intake worker thread is off in tests (conftest); they take queued submissions in with
``take_in_all`` / ``take_in_queued``, as the worker would."""

import threading
import time
import xml.etree.ElementTree as ET
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from gridgov.accounts.models import AuditEvent
from gridgov.cases.models import Case, Source
from gridgov.open311 import selectors, services
from gridgov.open311.models import ApiKey, Submission
from gridgov.open311.services import create_api_key, revoke_api_key, take_in_all, take_in_queued

from .case_factories import make_category
from .factories import WEST_GRID

BASE = "/open311/v2/"
FORM = {"service_code": "event-0101", "lat": "41.79", "long": "123.405", "description": "路边堆放生活垃圾"}


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.GRIDGOV_INTAKE_RATE = ""
    settings.GRIDGOV_API_KEY_RATE = ""


@pytest.fixture
def category(network):
    return make_category()


@pytest.fixture
def key(category):
    return create_api_key("city-app")[1]


def post(client, key, fmt="json", headers=None, **fields):
    data = {**FORM, **fields}
    if key is not None:
        data["api_key"] = key
    data = {name: value for name, value in data.items() if value is not None}
    return client.post(BASE + f"requests.{fmt}", data, headers=headers or {})


def error_of(response) -> tuple[int, str]:
    if response["Content-Type"].startswith("text/xml"):
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        return int(root.findtext("error/code")), root.findtext("error/description")
    [error] = response.json()
    return error["code"], error["description"]


@pytest.mark.django_db
def test_post_queues_the_request_and_taking_it_in_creates_the_case(client, key):
    response = post(
        client, key, address_string="和平路1号", media_url="https://example.org/p/1.jpg", first_name="三", last_name="张"
    )
    assert response.status_code == 201
    [queued] = response.json()
    submission = Submission.objects.get()
    assert queued["token"] == submission.token and "service_request_id" not in queued and queued["account_id"] is None
    assert "working hours" in queued["service_notice"] or "工作" in queued["service_notice"]
    assert response["Location"].endswith(f"/open311/v2/tokens/{submission.token}.json")
    assert submission.state == Submission.State.QUEUED and Case.objects.count() == 0
    assert ApiKey.objects.get().last_used_at is not None

    assert take_in_queued() == 1
    case = Case.objects.get()
    submission.refresh_from_db()
    assert submission.state == Submission.State.CREATED and submission.case == case
    assert submission.report == {}  # the reporter's details now live on the case only
    assert case.created_at == submission.created_at  # the clock starts when the POST arrived
    assert case.source == Source.OPEN311 and case.grid_code == WEST_GRID
    assert case.address == "和平路1号" and case.reporter_name == "三 张"
    assert case.steps.get().action == "report"
    assert AuditEvent.objects.filter(action="open311.request_created", target_id=str(case.pk)).exists()
    assert AuditEvent.objects.filter(action="cases.reported", target_id=str(case.pk)).exists()
    # the stored media_url is what GET shows
    assert client.get(BASE + f"requests/{case.number}.json").json()[0]["media_url"] == "https://example.org/p/1.jpg"
    assert take_in_queued() == 0


@pytest.mark.django_db
def test_post_xml_response_and_token_lookup(client, key):
    response = post(client, key, fmt="xml")
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests" and root.find("request/service_request_id") is None
    token = root.findtext("request/token")
    assert Submission.objects.get().token == token
    # Asking for a queued request's token takes it in at once.
    [answer] = client.get(BASE + f"tokens/{token}.json").json()
    number = Case.objects.get().number
    assert answer == {"service_request_id": number, "token": token}
    token_xml = ET.fromstring(client.get(BASE + f"tokens/{token}.xml").content)
    assert token_xml.findtext("request/service_request_id") == number and token_xml.findtext("request/token") == token
    missing = client.get(BASE + "tokens/0000.xml")
    assert missing.status_code == 404 and error_of(missing)[0] == 404


@pytest.mark.django_db
def test_one_take_in_creates_a_batch_with_consecutive_numbers(client, key):
    tokens = [post(client, key, description=f"第{n}处垃圾").json()[0]["token"] for n in range(5)]
    assert Case.objects.count() == 0
    assert take_in_queued() == 5
    by_token = dict(Submission.objects.values_list("token", "case__number"))
    numbers = [by_token[token] for token in tokens]
    assert [int(number) for number in numbers] == list(range(int(numbers[0]), int(numbers[0]) + 5))
    assert list(Case.objects.order_by("number").values_list("description", flat=True)) == [f"第{n}处垃圾" for n in range(5)]


@pytest.mark.django_db
def test_a_request_that_no_longer_passes_is_refused_when_taken_in(client, key, category):
    kept = post(client, key).json()[0]["token"]
    other = make_category(code="0102")
    retired = post(client, key, service_code="event-0102").json()[0]["token"]
    other.is_active = False
    other.save()
    assert take_in_queued() == 2  # the refusal does not hold back the rest of the batch
    assert Case.objects.count() == 1 and Submission.objects.get(token=kept).state == Submission.State.CREATED
    refused = client.get(BASE + f"tokens/{retired}.json")
    code, description = error_of(refused)
    assert refused.status_code == 400 and code == 400 and "no longer in use" in description
    assert Submission.objects.get(token=retired).report == {}


@pytest.mark.django_db
def test_a_token_still_queued_answers_with_the_token_alone(client, key):
    token = post(client, key).json()[0]["token"]
    with mock.patch("gridgov.open311.views.take_in_through"):  # as if another worker holds the row
        assert client.get(BASE + f"tokens/{token}.json").json() == [{"token": token}]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "fields, status, words",
    [
        ({"service_code": None}, 400, "service_code was not provided"),
        ({"service_code": "event-9999"}, 404, "not found"),
        ({"lat": None, "long": None}, 400, "location was not provided"),
        ({"long": None}, 400, "together"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "41.9", "long": "123.5"}, 400, "outside the district"),
        ({"description": "  "}, 400, "description"),
        ({"description": "x" * 4001}, 400, "at most 4000"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ],
)
def test_post_errors(client, key, fmt, fields, status, words):
    response = post(client, key, fmt=fmt, **fields)
    assert response.status_code == status
    code, description = error_of(response)
    assert code == status and words in description
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_inactive_service_cannot_be_posted(client, key, category):
    category.is_active = False
    category.save()
    assert post(client, key).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_api_key_missing_wrong_or_revoked_is_403(client, key, fmt):
    assert error_of(post(client, None, fmt=fmt)) == (403, "api_key was not provided")
    assert error_of(post(client, key + "x", fmt=fmt)) == (403, "api_key is not valid")
    assert post(client, "o311_guess", fmt=fmt).status_code == 403
    revoke_api_key("city-app")
    response = post(client, key, fmt=fmt)
    assert response.status_code == 403 and error_of(response) == (403, "api_key has been revoked")
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_a_key_revoked_by_another_process_stops_working_within_a_second(client, key, monkeypatch):
    assert post(client, key).status_code == 201  # the key table is now kept in this process
    ApiKey.objects.update(revoked_at=timezone.now())  # as `gridgov apikey revoke` would, elsewhere: no signal here
    assert post(client, key).status_code == 201
    later = time.monotonic() + selectors.KEY_TABLE_TTL_SECONDS + 0.01
    monkeypatch.setattr("gridgov.caching.monotonic", lambda: later)
    assert error_of(post(client, key)) == (403, "api_key has been revoked")


@pytest.mark.django_db
def test_a_key_created_in_this_process_works_at_once(client, key):
    assert post(client, key).status_code == 201
    other = create_api_key("hotline-bridge")[1]
    assert post(client, other).status_code == 201


@pytest.mark.django_db
def test_post_needs_no_csrf_token_or_session(key):
    client = Client(enforce_csrf_checks=True)
    assert post(client, key).status_code == 201


# --- idempotency -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_idempotent_retry_returns_the_first_case(client, key):
    first = post(client, key, headers={"Idempotency-Key": "order-1"})
    again = post(client, key, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and again["Location"] == first["Location"]
    take_in_all()  # a retry after the case exists still answers as the first time
    as_xml = post(client, key, fmt="xml", headers={"Idempotency-Key": "order-1"})
    assert ET.fromstring(as_xml.content).findtext("request/token") == first.json()[0]["token"]
    assert Submission.objects.count() == 1 and Case.objects.count() == 1
    # without the header, or with another key, a new request is queued
    assert post(client, key).status_code == 201
    assert post(client, key, headers={"Idempotency-Key": "order-2"}).status_code == 201
    assert take_in_all() == 2 and Case.objects.count() == 3


@pytest.mark.django_db
def test_idempotency_key_reused_for_another_body_is_400(client, key):
    first = post(client, key, headers={"Idempotency-Key": "order-1"})
    conflict = post(client, key, description="另一件事", headers={"Idempotency-Key": "order-1"})
    assert conflict.status_code == 400  # the specification's clients know 400, 403 and 404 only
    code, description = error_of(conflict)
    assert code == 400 and "order-1" in description and first.json()[0]["token"] in description
    assert Submission.objects.count() == 1


@pytest.mark.django_db
def test_idempotency_keys_belong_to_one_client(client, key):
    other = create_api_key("other-app")[1]
    one = post(client, key, headers={"Idempotency-Key": "same"}).json()
    two = post(client, other, headers={"Idempotency-Key": "same"}).json()
    assert one[0]["token"] != two[0]["token"]
    assert Submission.objects.count() == 2


@pytest.mark.django_db
def test_failed_post_is_not_remembered(client, key):
    assert post(client, key, description="", headers={"Idempotency-Key": "k"}).status_code == 400
    assert post(client, key, headers={"Idempotency-Key": "k"}).status_code == 201


@pytest.mark.django_db
def test_losing_a_race_rolls_back_and_returns_the_winner(client, key):
    """The second of two simultaneous posts passes the look-up before the first commits; the
    unique constraint then refuses its submission, which rolls back, and it answers as a retry."""
    winner = post(client, key, headers={"Idempotency-Key": "race"}).json()
    real_existing = services._existing
    calls = []

    def miss_first_lookup(api_key, idempotency_key):
        calls.append(idempotency_key)
        return None if len(calls) == 1 else real_existing(api_key, idempotency_key)

    with mock.patch.object(services, "_existing", miss_first_lookup):
        loser = post(client, key, headers={"Idempotency-Key": "race"})
    assert len(calls) == 2
    assert loser.status_code == 201 and loser.json() == winner
    assert Submission.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # runs after the non-transactional tests (pytest-django)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need a server database")
def test_concurrent_identical_posts_create_one_case(category):
    key = create_api_key("racer")[1]
    barrier = threading.Barrier(2)
    answers = []

    def send():
        barrier.wait()
        try:
            answers.append(post(Client(), key, headers={"Idempotency-Key": "together"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert take_in_all() == 1 and Case.objects.count() == 1


# --- the apikey command ------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    # A request made through the test client leaves its own language (Chinese) active afterwards.
    with translation.override("en"):
        call_command("apikey", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_apikey_command_create_list_revoke(client, category):
    output = run("create", "district-app")
    plain = output.strip().splitlines()[-1]
    assert plain.startswith("o311_") and len(plain) > 40
    stored = ApiKey.objects.get()
    assert stored.hashed_key != plain and plain not in repr(list(ApiKey.objects.values()))
    assert plain.startswith("o311_" + stored.prefix)
    assert post(client, plain).status_code == 201

    listing = run("list")
    assert "district-app" in listing and stored.prefix in listing and "active" in listing and plain not in listing

    run("revoke", stored.prefix[:5])
    assert post(client, plain).status_code == 403
    assert "revoked" in run("list")


@pytest.mark.django_db
def test_apikey_command_errors(category):
    run("create", "dup")
    with pytest.raises(CommandError, match="already exists"):
        run("create", "dup")
    with pytest.raises(CommandError, match="no API key"):
        run("revoke", "nobody")
    with pytest.raises(CommandError, match="no API key"):
        run("revoke", ApiKey.objects.get().prefix[:3])  # too short to name a key
    run("revoke", "dup")
    assert ApiKey.objects.get().revoked_at is not None


# --- rate limit --------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_over_the_rate_limit_is_429_error_list(client, key, settings, fmt):
    settings.GRIDGOV_API_KEY_RATE = "1/h"
    assert post(client, key, fmt=fmt).status_code == 201
    limited = post(client, key, fmt=fmt)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert error_of(limited)[0] == 429
    assert Submission.objects.count() == 1


@pytest.mark.django_db
def test_each_valid_key_has_its_own_bucket_and_made_up_keys_share_the_address(client, key, settings):
    settings.GRIDGOV_API_KEY_RATE = "2/h"
    settings.GRIDGOV_INTAKE_RATE = "2/h"
    other = create_api_key("district-app")[1]
    assert [post(client, key).status_code for _ in range(3)] == [201, 201, 429]
    assert post(client, other).status_code == 201  # another client behind the same address
    # Made-up keys are refused, and count against the address: a new one per request gains nothing.
    assert [post(client, f"o311_random{attempt}").status_code for attempt in range(4)] == [403, 403, 429, 429]
    assert post(client, None).status_code == 429
    assert Submission.objects.count() == 3


@pytest.mark.django_db
def test_a_row_the_database_refuses_does_not_hold_up_the_queue(client, key):
    """Should the database refuse one queued request's data, the others are still taken in and
    that one is refused with the database's reason instead of blocking the queue for ever."""
    from django.db import DataError

    from gridgov.cases import services as case_services

    tokens = [post(client, key, description=text).json()[0]["token"] for text in ("一", "毒", "三")]
    real_report_cases = case_services.report_cases

    def refuse_poison(reports, **kwargs):
        if any(report.description == "毒" for report in reports):
            raise DataError("value too long for type character varying(20)")
        return real_report_cases(reports, **kwargs)

    with mock.patch.object(services, "report_cases", refuse_poison):
        assert take_in_queued() == 3
    states = dict(Submission.objects.values_list("token", "state"))
    assert [states[token] for token in tokens] == ["created", "refused", "created"]
    assert "could not be stored" in Submission.objects.get(token=tokens[1]).refusal
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_an_email_longer_than_the_column_is_refused_at_once(client, key):
    response = post(client, key, email="a" * 250 + "@example.org")
    assert response.status_code == 400 and "email: at most 254" in error_of(response)[1]
    assert Submission.objects.count() == 0


@pytest.mark.django_db
def test_a_row_that_fails_for_any_reason_is_refused_alone_and_its_token_says_why(client, key, category):
    """A category whose intake limit was set below zero (outside the admin, which refuses it)
    makes the clock raise for its requests: those are refused with the reason, the others are
    taken in, and GET tokens/{token} answers the refusal rather than 500."""
    from gridgov.cases.models import Category

    broken = make_category(code="0102")
    tokens = [post(client, key).json()[0]["token"], post(client, key, service_code="event-0102").json()[0]["token"]]
    tokens.append(post(client, key).json()[0]["token"])
    Category.objects.filter(pk=broken.pk).update(intake_hours=-1)

    assert take_in_queued() == 3
    states = dict(Submission.objects.values_list("token", "state"))
    assert [states[token] for token in tokens] == ["created", "refused", "created"]
    assert "must not be negative" in Submission.objects.get(token=tokens[1]).refusal
    assert take_in_queued() == 0  # nothing is left queued to be retried for ever
    answer = client.get(BASE + f"tokens/{tokens[1]}.json")
    code, description = error_of(answer)
    assert answer.status_code == 400 and code == 400 and "could not be taken in" in description


@pytest.mark.django_db
def test_a_token_whose_request_fails_when_taken_in_answers_the_reason_not_500(client, key, category):
    from gridgov.cases.models import Category

    token = post(client, key).json()[0]["token"]
    Category.objects.filter(pk=category.pk).update(intake_hours=-1)
    answer = client.get(BASE + f"tokens/{token}.xml")
    assert answer.status_code == 400 and "could not be taken in" in error_of(answer)[1]
