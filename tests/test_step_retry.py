"""A handling step sent twice (issue 11 item 2): a resend of the same step, by the phone's offline
queue or after a lost answer, is answered as done with the case as that step left it, and makes
no second step, on the page and on the JSON API alike (services.take_action's ``step_key``)."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from gridgov.cases.models import Photo, State, Step
from gridgov.cases.services import take_action
from gridgov.cases.views import OFFLINE_COPY_HEADER
from gridgov.cases.workflow import CaseChanged

from .case_factories import make_team, report
from .factories import WEST_GRID

pytestmark = pytest.mark.django_db

KEY = "0f8e2a4c-1b7d-4c1e-9f00-0123456789ab"  # what the offline queue makes (crypto.randomUUID)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def team(network):
    return make_team()


def jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (0, 160, 60)).save(out, "JPEG")
    return SimpleUploadedFile("after.jpg", out.getvalue(), content_type="image/jpeg")


def dispatched(team):
    case = report()
    for action, who, params in [
        ("accept", "intake", {}),
        ("file", "intake", {}),
        ("dispatch", "dispatcher", {"region": WEST_GRID}),
    ]:
        case = take_action(case.pk, action, team[who], **params)
    return case


def test_the_same_step_key_twice_makes_one_step(team):
    case = dispatched(team)
    seen = case.version
    first = take_action(case.pk, "start", team["grid_worker"], expected_version=seen, note="到场", step_key=KEY)
    # The resend carries the version the phone saw, which the first send moved on.
    again = take_action(case.pk, "start", team["grid_worker"], expected_version=seen, note="到场", step_key=KEY)
    assert (again.state, again.version) == (State.HANDLING, first.version)
    assert case.steps.filter(action="start").count() == 1


def test_a_reused_key_with_other_content_is_a_step_of_its_own(team):
    # The browser's Back button keeps the form's hidden key: sent again with another note, it is
    # a new step, refused here because the case moved on since the page was shown.
    case = dispatched(team)
    seen = case.version
    take_action(case.pk, "start", team["grid_worker"], expected_version=seen, note="到场", step_key=KEY)
    with pytest.raises(CaseChanged):
        take_action(case.pk, "start", team["grid_worker"], expected_version=seen, note="另一次", step_key=KEY)
    without_key = take_action(case.pk, "finish", team["grid_worker"], note="已修好")
    with pytest.raises(CaseChanged):  # no key: a stale version is refused as before
        take_action(case.pk, "finish", team["grid_worker"], expected_version=without_key.version - 1, note="已修好")


def test_a_combined_step_sent_twice_with_its_photo_is_one_start_and_one_finish(team):
    case = dispatched(team)
    seen = case.version
    for _ in range(2):
        take_action(case.pk, "start_finish", team["grid_worker"], expected_version=seen, photos=[jpeg()], step_key=KEY)
    assert [step.action for step in case.steps.all()][-2:] == ["start", "finish"]
    assert case.steps.filter(action__in=["start", "finish"]).count() == 2
    assert Photo.objects.filter(case=case, phase="after").count() == 1


def test_the_detail_page_form_sent_twice_is_one_step_with_its_photo(client, team):
    case = dispatched(team)
    client.force_login(team["grid_worker"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    form = re.search(r'data-action="start_finish".*?</form>', page, re.S).group(0)
    key = re.search(r'name="step_key" value="([^"]+)"', form).group(1)
    url = reverse("cases:act", args=[case.number, "start_finish"])
    for _ in range(2):
        body = {"version": case.version, "note": "已清理", "step_key": key, "photos": [jpeg()]}
        response = client.post(url, body)
        assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.number])
    assert Step.objects.filter(case=case, action="finish").count() == 1
    assert Photo.objects.filter(case=case, phase="after").count() == 1
    other = re.search(r'data-action="start".*?name="step_key" value="([^"]+)"', page, re.S).group(1)
    assert other != key  # every form has its own key


def test_the_api_action_sent_twice_with_its_step_key_is_one_step(client, team):
    case = dispatched(team)
    client.force_login(team["grid_worker"])
    body = {"version": case.version, "note": "到场", "step_key": KEY}
    url = f"/api/v1/cases/{case.number}/actions/start"
    answers = [client.post(url, body, content_type="application/json") for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 200]
    assert answers[1].json()["state"] == State.HANDLING
    assert case.steps.filter(action="start").count() == 1
    stale = client.post(url, {"version": case.version, "note": "到场"}, content_type="application/json")
    assert stale.status_code == 409  # without the key, the same stale version is refused


def test_only_the_grid_staffs_case_pages_may_be_kept_on_the_phone(client, team):
    case = dispatched(team)
    page = reverse("cases:detail", args=[case.number])
    client.force_login(team["grid_worker"])
    response = client.get(page)
    assert response[OFFLINE_COPY_HEADER] == "keep"
    assert "data-offline-queue" in response.content.decode()  # the action forms wait on the phone offline
    client.force_login(team["dispatcher"])
    assert OFFLINE_COPY_HEADER not in client.get(page)
    worker = client.get(reverse("report:sw")).content.decode()
    assert OFFLINE_COPY_HEADER in worker and reverse("logout") in worker and reverse("login") in worker
