"""The grid worker's patrol page and on-the-spot handling (自处置, issue 11 item 1): report and
handle in one flow, held and solved by the grid, verified by the community's verifier."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from gridgov.cases.models import Case, Source, State
from gridgov.cases.services import Report, handle_on_the_spot, take_action
from gridgov.cases.workflow import NotAllowed, WorkflowError

from .case_factories import WEST_POINT, make_category, make_team, report
from .factories import WEST_GRID

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def team(network):
    return make_team()


@pytest.fixture
def category(network):
    return make_category()


def jpeg(colour=(200, 30, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(out, "JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg")


def patrol_form(category, **changes) -> dict:
    lat, lng = WEST_POINT
    return {"category": category.pk, "lat": lat, "lng": lng, "description": "井盖松动，已现场固定", **changes}


def test_on_the_spot_handling_is_solved_in_the_grid_and_verified_by_the_community(team, category):
    lat, lng = WEST_POINT
    case = handle_on_the_spot(
        Report(category=category, lat=lat, lng=lng, description="小广告", source=Source.PATROL, reporter=team["grid_worker"]),
        team["grid_worker"], before_photos=[jpeg()], after_photos=[jpeg((0, 200, 0))], public_note="已清除小广告。",
    )  # fmt: skip
    assert case.state == State.HANDLED
    assert (case.assigned_region.code, case.solved_level, case.escalation_level) == (WEST_GRID, "grid", "grid")
    assert [step.action for step in case.steps.all()] == ["report", "self_handle"]
    assert sorted(case.photos.values_list("phase", flat=True)) == ["after", "before"]
    take_action(case.pk, "verify", team["verifier"])
    case = take_action(case.pk, "pass", team["verifier"])
    assert (case.state, case.solved_level) == (State.CLOSED, "grid")


def test_only_patrol_reports_of_ones_own_grid_are_handled_on_the_spot(team, category):
    resident_case = report(category)
    with pytest.raises(NotAllowed):
        take_action(resident_case.pk, "self_handle", team["grid_worker"])
    patrol_case = report(category, source=Source.PATROL)
    with pytest.raises(NotAllowed):
        take_action(patrol_case.pk, "self_handle", team["other_grid_worker"])  # outside their unit
    with pytest.raises(NotAllowed):
        take_action(patrol_case.pk, "self_handle", team["dispatcher"])  # not a grid role
    take_action(patrol_case.pk, "accept", team["intake"])
    with pytest.raises(WorkflowError):
        take_action(patrol_case.pk, "self_handle", team["grid_worker"])  # intake has it now


def test_a_failed_handling_step_leaves_no_case_behind(team, category):
    before = Case.objects.count()
    with pytest.raises(WorkflowError):
        handle_on_the_spot(
            Report(category=category, lat=WEST_POINT[0], lng=WEST_POINT[1], description="x", source=Source.PATROL),
            team["grid_worker"], public_note="好" * 2001,
        )  # fmt: skip
    assert Case.objects.count() == before


def test_patrol_page_reports_and_handles_in_one_flow(client, team, category):
    client.force_login(team["grid_worker"])
    page = client.get(reverse("cases:patrol"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'capture="environment"' in body and 'id="locate-me"' in body
    assert body.index('name="photos"') < body.index('id="report-map"')  # the camera comes first

    response = client.post(
        reverse("cases:patrol"),
        {
            **patrol_form(category),
            "mode": "self_handle",
            "public_note": "已现场固定。",
            "photos": jpeg(),
            "after_photos": jpeg((0, 200, 0)),
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(source=Source.PATROL)
    assert (case.state, case.solved_level, case.reporter) == (State.HANDLED, "grid", team["grid_worker"])
    public = case.steps.get(action="self_handle").public_note
    assert public == "已现场固定。"


def test_on_the_spot_without_an_after_photo_keeps_what_was_typed(client, team, category):
    client.force_login(team["grid_worker"])
    response = client.post(reverse("cases:patrol"), {**patrol_form(category), "mode": "self_handle", "public_note": "已处理"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "井盖松动" in body and "已处理" in body
    assert not Case.objects.exists()


def test_patrol_report_goes_to_intake(client, team, category):
    client.force_login(team["grid_worker"])
    client.post(reverse("cases:patrol"), {**patrol_form(category), "mode": "report"})
    case = Case.objects.get()
    assert (case.state, case.source) == (State.REPORTED, Source.PATROL)


def test_patrol_page_is_for_grid_staff(client, team):
    client.force_login(team["dispatcher"])
    assert client.get(reverse("cases:patrol")).status_code == 302


def test_my_open_cases_lists_what_waits_on_the_grid_worker(client, team, category):
    case = report(category)
    for action, who, params in [
        ("accept", "intake", {}),
        ("file", "intake", {}),
        ("dispatch", "dispatcher", {"region": WEST_GRID}),
    ]:
        case = take_action(case.pk, action, team[who], **params)
    client.force_login(team["grid_worker"])
    assert case.number in client.get(reverse("cases:patrol")).content.decode()


KEY = "0f8e2a4c-1b7d-4c1e-9f00-0123456789ab"  # what the offline queue makes (crypto.randomUUID)


def test_a_report_sent_twice_with_its_one_time_key_makes_one_case(client, team, category, settings):
    # The resident page and the patrol page, each report sent twice with the key the offline
    # queue puts in the form's one_time_key: one case each.
    settings.GRIDGOV_INTAKE_RATE = ""
    form = {**patrol_form(category), "reporter_phone": "13800001234", "one_time_key": KEY}
    first = client.post(reverse("report:new"), form)
    again = client.post(reverse("report:new"), form)
    assert (first.status_code, again.status_code) == (302, 302)
    assert Case.objects.count() == 1 and Case.objects.get().external_id == ""
    client.force_login(team["grid_worker"])
    patrol = {**patrol_form(category), "mode": "report", "one_time_key": KEY}
    client.post(reverse("cases:patrol"), patrol)
    client.post(reverse("cases:patrol"), patrol)
    assert Case.objects.filter(source=Source.PATROL).count() == 1


def test_on_the_spot_handling_sent_twice_is_one_handled_case(client, team, category):
    client.force_login(team["grid_worker"])

    def send():
        form = {**patrol_form(category), "mode": "self_handle", "one_time_key": KEY, "after_photos": [jpeg((0, 200, 0))]}
        return client.post(reverse("cases:patrol"), form)

    assert send().status_code == 302 and send().status_code == 302
    case = Case.objects.get()
    assert case.state == State.HANDLED and [s.action for s in case.steps.all()] == ["report", "self_handle"]
    # The same key for a plain report is another report, not the handled one.
    client.post(reverse("cases:patrol"), {**patrol_form(category), "mode": "report", "one_time_key": KEY})
    assert Case.objects.count() == 2


def test_a_report_queued_by_the_older_offline_script_is_still_taken_once(client, team, category, settings):
    # That script sent its key as client_key; a case it made then kept the key in external_id.
    settings.GRIDGOV_INTAKE_RATE = ""
    taken_before = report(category, external_id="offline:" + KEY)
    form = {**patrol_form(category), "reporter_phone": "13800001234", "client_key": KEY}
    assert client.post(reverse("report:new"), form).status_code == 302
    assert Case.objects.count() == 1
    other = "patrol-key-0001"  # not taken before: taken now, once
    client.force_login(team["grid_worker"])
    client.post(reverse("cases:patrol"), {**patrol_form(category), "mode": "report", "client_key": other})
    client.post(reverse("cases:patrol"), {**patrol_form(category), "mode": "report", "client_key": other})
    assert Case.objects.exclude(pk=taken_before.pk).count() == 1


def test_the_service_worker_may_serve_the_whole_site(client, network):
    response = client.get(reverse("report:sw"))
    assert response.status_code == 200
    assert response["Service-Worker-Allowed"] == "/" and response["Content-Type"].startswith("application/javascript")
    assert "/cases/patrol/" in response.content.decode()
