"""Open311 POST requests: API keys, validation errors, tokens, idempotent retries, the
``gridgov apikey`` command and the per-client rate limit."""

import threading
import xml.etree.ElementTree as ET
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import translation

from gridgov.accounts.models import AuditEvent
from gridgov.cases.models import Case, Source
from gridgov.open311 import services
from gridgov.open311.models import ApiKey, IdempotencyRecord, Submission
from gridgov.open311.services import create_api_key, revoke_api_key

from .case_factories import make_category
from .factories import WEST_GRID

BASE = "/open311/v2/"
FORM = {"service_code": "event-0101", "lat": "41.79", "long": "123.405", "description": "路边堆放生活垃圾"}


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.GRIDGOV_INTAKE_RATE = ""


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
def test_post_creates_an_open311_case(client, key):
    response = post(client, key, address_string="和平路1号", media_url="https://example.org/p/1.jpg", first_name="三", last_name="张")
    assert response.status_code == 201
    [created] = response.json()
    case = Case.objects.get()
    assert created["service_request_id"] == case.number
    assert "token" not in created and created["account_id"] is None
    assert "working hours" in created["service_notice"] or "工作" in created["service_notice"]
    assert case.source == Source.OPEN311 and case.grid_code == WEST_GRID
    assert case.address == "和平路1号" and case.reporter_name == "三 张"
    submission = Submission.objects.get()
    assert submission.case == case and submission.media_url == "https://example.org/p/1.jpg"
    assert ApiKey.objects.get().last_used_at is not None
    assert AuditEvent.objects.filter(action="open311.request_created", target_id=str(case.pk)).exists()
    # the stored media_url is what GET shows
    assert client.get(BASE + f"requests/{case.number}.json").json()[0]["media_url"] == "https://example.org/p/1.jpg"


@pytest.mark.django_db
def test_post_xml_response_and_token_lookup(client, key):
    response = post(client, key, fmt="xml")
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    assert number == Case.objects.get().number
    assert root.find("request/token") is None
    token = response["X-Open311-Token"]
    assert Submission.objects.get().token == token
    assert client.get(BASE + f"tokens/{token}.json").json() == [{"service_request_id": number, "token": token}]
    token_xml = ET.fromstring(client.get(BASE + f"tokens/{token}.xml").content)
    assert token_xml.findtext("request/service_request_id") == number and token_xml.findtext("request/token") == token
    missing = client.get(BASE + "tokens/0000.xml")
    assert missing.status_code == 404 and error_of(missing)[0] == 404


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "fields, status, words",
    [
        ({"service_code": None}, 400, "service_code was not provided"),
        ({"service_code": "event-9999"}, 404, "not found"),
        ({"lat": None, "long": None}, 400, "location was not provided"),
        ({"lat": None, "long": None, "address_string": "和平路1号"}, 400, "address_string alone cannot be located"),
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
    assert again["Idempotent-Replayed"] == "true" and again["X-Open311-Token"] == first["X-Open311-Token"]
    as_xml = post(client, key, fmt="xml", headers={"Idempotency-Key": "order-1"})
    assert ET.fromstring(as_xml.content).findtext("request/service_request_id") == first.json()[0]["service_request_id"]
    assert Case.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
    # without the header, or with another key, a new case is created
    assert post(client, key).status_code == 201
    assert post(client, key, headers={"Idempotency-Key": "order-2"}).status_code == 201
    assert Case.objects.count() == 3


@pytest.mark.django_db
def test_idempotency_key_reused_for_another_body_is_422(client, key):
    first = post(client, key, headers={"Idempotency-Key": "order-1"})
    conflict = post(client, key, description="另一件事", headers={"Idempotency-Key": "order-1"})
    assert conflict.status_code == 422
    code, description = error_of(conflict)
    assert code == 422 and "order-1" in description and first.json()[0]["service_request_id"] in description
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_idempotency_keys_belong_to_one_client(client, key):
    other = create_api_key("other-app")[1]
    one = post(client, key, headers={"Idempotency-Key": "same"}).json()
    two = post(client, other, headers={"Idempotency-Key": "same"}).json()
    assert one[0]["service_request_id"] != two[0]["service_request_id"]
    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_failed_post_is_not_remembered(client, key):
    assert post(client, key, description="", headers={"Idempotency-Key": "k"}).status_code == 400
    assert post(client, key, headers={"Idempotency-Key": "k"}).status_code == 201


@pytest.mark.django_db
def test_losing_a_race_rolls_back_and_returns_the_winner(client, key):
    """The second of two simultaneous posts passes the look-up before the first commits; the
    unique constraint then refuses its record, its case rolls back and it answers as a retry."""
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
    assert Case.objects.count() == 1 and Submission.objects.count() == 1


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
    assert Case.objects.count() == 1


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
    settings.GRIDGOV_INTAKE_RATE = "1/h"
    assert post(client, key, fmt=fmt).status_code == 201
    limited = post(client, key, fmt=fmt)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert error_of(limited)[0] == 429
    assert Case.objects.count() == 1
