"""Property-based fuzz of every /api/v1 operation (from the OpenAPI document ninja serves) and of
every Open311 endpoint (from open311/openapi.py), with schemathesis.

Each operation gets a bounded number of generated requests, sent in-process through Django's WSGI
handler as a signed-in dispatcher (Open311 POSTs carry a valid key). A response fails the test
when it is a 5xx, when its status code or content type is not one the document declares, or when
its JSON does not match the declared schema. Bounded so that the whole module stays well under a
minute on a two-core machine: a few examples per operation, no shrinking beyond Hypothesis'
defaults, no deadline (a cold first request builds the grid index).
"""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import get_token
from django.test import RequestFactory
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gridgov.api import api
from gridgov.open311.openapi import openapi_document
from gridgov.open311.services import create_api_key

from .case_factories import make_category, report

EAST_POINT = (41.79, 123.435)  # in the second grid of the small network

# Per operation: 32 operations × 6 requests, ~20 s on this two-core machine. A deeper run, by hand:
# GRIDGOV_FUZZ_EXAMPLES=200 pytest tests/test_fuzz_api.py
EXAMPLES = int(os.environ.get("GRIDGOV_FUZZ_EXAMPLES", "6"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same requests on every run: a failure in CI reproduces locally
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.GRIDGOV_INTAKE_RATE = ""


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django's WSGI handler closes the database connection after each request, which would end
    the test's transaction on PostgreSQL; Django's own test client holds it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(network, django_user_model):
    """Some data for the operations to find: two categories, cases in two grids, a key, a user."""
    category, other = make_category(), make_category("0102")
    report(category)
    report(other, point=EAST_POINT)
    user = django_user_model.objects.create_user("fuzzer", password="pw-for-tests-only", role="dispatcher")
    return {"user": user, "key": create_api_key("fuzz-client")[1]}


def _in_process(document: dict):
    """The schema, answered by this process's Django (the test's database transaction included).
    Loaded at import, not from a fixture: schemathesis' lazy fixtures do not run on pytest 9."""
    schema = schemathesis.openapi.from_dict(document)
    schema.app = WSGIHandler()
    return schema


api_fuzz = _in_process(api.get_openapi_schema(path_prefix="/api"))
open311_fuzz = _in_process(openapi_document())

# Answers uncompressed: the checks read the body as it comes over the WSGI call, which is gzip
# for a client that accepts it (gridgov.middleware.CompressTextMiddleware; tested on its own).
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture
def session(client, world):
    """A signed-in session and a CSRF token, as the dispatcher's browser would send them."""
    client.force_login(world["user"])
    token = get_token(RequestFactory().get("/"))
    return {
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": token},
        "headers": {"X-CSRFToken": token, **PLAIN},
    }


@pytest.mark.django_db
@api_fuzz.parametrize()
@FUZZ
def test_api_v1_answers_what_its_openapi_says(case, world, session):
    case.call_and_validate(checks=CHECKS, **session)


@pytest.mark.django_db
@open311_fuzz.parametrize()
@FUZZ
def test_open311_answers_what_its_openapi_says(case, world):
    if case.method == "POST" and isinstance(case.body, dict):
        case.body["api_key"] = world["key"]  # a valid key, so that the body itself is exercised
    case.call_and_validate(checks=CHECKS, headers=PLAIN)
