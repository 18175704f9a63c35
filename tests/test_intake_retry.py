"""The resident form sent twice: a retry after a lost answer finds the case the first one made.

The form carries a one-time key (cases/forms.py); the case keeps a digest of the key and what was
reported, so the same form sent again is the same case, and the same form edited is a new one."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.cases.models import Case

from .case_factories import WEST_POINT, make_category

pytestmark = pytest.mark.django_db


def _one_time_key(client) -> str:
    page = client.get(reverse("report:new")).content.decode()
    return re.search(r'name="one_time_key" value="([^"]+)"', page).group(1)


def _form(category, key: str, **changes) -> dict:
    lat, lng = WEST_POINT
    return {
        "category": category.pk,
        "lat": lat,
        "lng": lng,
        "description": "小区门口垃圾堆积",
        "reporter_phone": "13800001234",
        "one_time_key": key,
        **changes,
    }


def test_the_same_form_sent_again_is_the_same_case(network):
    category = make_category()
    key = _one_time_key(Client())
    first, retry = Client(), Client()  # the retry may come on a new connection, without the session
    assert first.post(reverse("report:new"), _form(category, key)).status_code == 302
    response = retry.post(reverse("report:new"), _form(category, key))
    assert response.status_code == 302 and response["Location"] == reverse("report:done")
    case = Case.objects.get()
    assert case.number in retry.get(reverse("report:done")).content.decode()


def test_an_edited_form_or_a_new_form_is_a_new_case(network):
    category = make_category()
    client = Client()
    key = _one_time_key(client)
    client.post(reverse("report:new"), _form(category, key))
    client.post(reverse("report:new"), _form(category, key, description="另一处垃圾"))  # Back, edit, send
    client.post(reverse("report:new"), _form(category, _one_time_key(client)))
    client.post(reverse("report:new"), _form(category, ""))  # a client that sends no key
    assert Case.objects.count() == 4
    assert Case.objects.exclude(intake_key="").count() == 3


def test_every_form_shown_has_its_own_key(network):
    client = Client()
    assert _one_time_key(client) != _one_time_key(client)
