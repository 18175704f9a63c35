"""Residents kept in the loop (issue 11, item 6): the look-up page's photos, map, expected finish
and public steps; a comment with the rating; "me too" instead of a duplicate; and residents told
of each public change through the SMS and e-mail channels, from a task after commit."""

import io
import json
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from PIL import Image

from gridgov.cases import notifications
from gridgov.cases.models import Case, State, Subscriber
from gridgov.cases.services import MeTooError, subscribe_me_too, take_action

from .case_factories import make_category, make_team, report
from .factories import WEST_GRID

pytestmark = pytest.mark.django_db

PHONE = "13800001234"
NEIGHBOUR = "13911112222"
INTERNAL = "内部：联系人钱干部 13987654321"


class RecordingGateway:
    """An SMS gateway that keeps what it was asked to send (the plug-in point under test)."""

    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        RecordingGateway.sent.append((phone, text))


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GRIDGOV_INTAKE_RATE = ""
    settings.GRIDGOV_LOOKUP_RATE = ""
    settings.GRIDGOV_SMS_GATEWAY = "tests.test_resident_loop.RecordingGateway"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    RecordingGateway.sent = []


@pytest.fixture
def team(network):
    return make_team()


def jpeg(colour=(200, 30, 30)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(out, "JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue(), content_type="image/jpeg")


def walk(case: Case, team, steps) -> Case:
    for action, who, params in steps:
        case = take_action(case.pk, action, team[who], **params)
    return case


TO_HANDLING = [("accept", "intake", {}), ("file", "intake", {}), ("dispatch", "dispatcher", {"region": WEST_GRID}),
               ("start", "grid_worker", {})]  # fmt: skip
TO_CLOSED = [*TO_HANDLING, ("finish", "grid_worker", {}), ("verify", "verifier", {}), ("pass", "verifier", {})]


def lookup(client, case) -> str:
    response = client.post(reverse("report:lookup"), {"number": case.number, "phone": PHONE})
    assert response.status_code == 200
    return response.content.decode()


# --- the look-up page --------------------------------------------------------------------------


def test_lookup_shows_public_photos_map_expected_finish_and_public_steps_only(client, team):
    from gridgov.cases.services import Report, report_case

    category = make_category()
    case = report_case(
        Report(category=category, lat=41.79, lng=123.405, description="垃圾", source="resident", reporter_phone=PHONE),
        photos=[jpeg()],
    )
    case = walk(case, team, TO_HANDLING)
    take_action(case.pk, "request_extension", team["grid_worker"], note=INTERNAL, hours="2", photos=[jpeg((0, 0, 200))])
    body = lookup(client, case)

    # The expected finish is the handling step's deadline, in a sentence.
    case.refresh_from_db()
    from django.utils import timezone

    assert f"{timezone.localtime(case.deadline):%Y-%m-%d %H:%M}" in body
    assert 'data-testid="expected-finish"' in body
    # The map gets the point; no script inline, the data is JSON.
    data = json.loads(re.search(r'<script id="point-map-data" type="application/json">(.*?)</script>', body).group(1))
    assert (data["lat"], data["lng"]) == (41.79, 123.405)
    # The reporter's photo is shown through a signed link; the extension's photo is not.
    links = re.findall(r'src="(/report/photo/[^"]+/)"', body)
    assert len(links) == 1
    assert client.get(links[0]).status_code == 200
    assert client.get(links[0].replace("/report/photo/", "/report/photo/x")).status_code == 404
    # Public steps only: the extension and its note stay internal.
    assert 'data-action="start"' in body and 'data-action="request_extension"' not in body
    assert INTERNAL not in body and "钱干部" not in body


def test_after_photos_are_public_and_the_staff_photo_url_is_not(client, team):
    case = walk(report(), team, TO_HANDLING)
    take_action(case.pk, "finish", team["grid_worker"], photos=[jpeg((0, 200, 0))])
    body = lookup(client, case)
    assert 'data-phase="after"' in body
    photo = case.photos.get()
    assert client.get(reverse("cases:photo", args=[photo.pk, "full"])).status_code == 302  # staff URL: sign in


def test_expected_finish_before_dispatch_states_the_category_limit(client, team):
    body = lookup(client, report())
    assert "4" in re.search(r'data-testid="expected-finish">([^<]*)<', body).group(1)


def test_the_residents_json_look_up_has_the_public_photos_and_the_expected_finish(client, team):
    from datetime import datetime

    from django.utils import timezone

    from gridgov.cases.services import Report, report_case

    resident = team["resident"]
    case = report_case(
        Report(category=make_category(), lat=41.79, lng=123.405, description="垃圾", source="resident", reporter=resident),
        photos=[jpeg()],
    )
    client.force_login(resident)
    before = client.get(f"/api/v1/cases/{case.number}").json()
    assert [p["phase"] for p in before["photos"]] == ["before"]
    assert before["expected_finish_at"] is None and "4" in before["expected_finish"]  # the category's limit

    case = walk(case, team, TO_HANDLING)
    take_action(case.pk, "request_extension", team["grid_worker"], note=INTERNAL, hours="2", photos=[jpeg((0, 0, 200))])
    case = take_action(case.pk, "finish", team["grid_worker"], photos=[jpeg((0, 200, 0))])
    handling = client.get(f"/api/v1/cases/{case.number}").json()
    # Before and after, not the extension request's photo; each through a signed link that works.
    assert [p["phase"] for p in handling["photos"]] == ["before", "after"]
    for photo in handling["photos"]:
        assert photo["url"].startswith("/report/photo/") and client.get(photo["url"]).status_code == 200
        assert client.get(photo["thumbnail_url"]).status_code == 200
    assert all("/cases/photos/" not in p["url"] for p in handling["photos"])  # never the staff URL
    assert INTERNAL not in json.dumps(handling, ensure_ascii=False)

    dispatched = walk(report(reporter=resident), team, TO_HANDLING)
    payload = client.get(f"/api/v1/cases/{dispatched.number}").json()
    deadline = timezone.localtime(dispatched.deadline)
    given = datetime.fromisoformat(payload["expected_finish_at"].replace("Z", "+00:00"))
    assert abs(given - dispatched.deadline).total_seconds() < 0.001  # sent to the millisecond
    assert f"{deadline:%Y-%m-%d %H:%M}" in payload["expected_finish"]
    assert set(payload) >= {"photos", "expected_finish", "expected_finish_at", "timeline"}
    assert not {"reporter_name", "reporter_phone", "assigned_region", "assigned_department"} & set(payload)


# --- rating with a comment -------------------------------------------------------------------------


def test_a_rating_carries_a_comment_shown_to_staff(client, team):
    case = walk(report(), team, TO_CLOSED)
    client.post(
        reverse("report:rate"), {"number": case.number, "phone": PHONE, "rating": "satisfied", "comment": "清理得很及时，谢谢！"}
    )
    case.refresh_from_db()
    assert (case.state, case.rating_comment) == (State.RATED, "清理得很及时，谢谢！")
    client.force_login(team["intake"])
    assert "清理得很及时" in client.get(reverse("cases:detail", args=[case.number])).content.decode()


def test_a_too_long_comment_is_refused_and_the_case_stays_closed(client, team):
    case = walk(report(), team, TO_CLOSED)
    response = client.post(
        reverse("report:rate"), {"number": case.number, "phone": PHONE, "rating": "satisfied", "comment": "好" * 501}
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.rating_comment == ""


# --- me too ----------------------------------------------------------------------------------------------


def test_me_too_subscribes_once_and_files_no_case(client, team):
    case = report()
    before = Case.objects.count()
    first = client.post(reverse("report:me_too"), {"number": case.number, "phone": NEIGHBOUR})
    again = client.post(reverse("report:me_too"), {"number": case.number, "phone": "139-1111-2222"})
    assert (first.status_code, first.json()["created"]) == (200, True)
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert Case.objects.count() == before
    assert Subscriber.objects.filter(case=case).count() == 1
    with connection.cursor() as cursor:  # encrypted at rest, like the reporter's phone
        cursor.execute("SELECT phone FROM cases_subscriber")
        assert NEIGHBOUR not in cursor.fetchone()[0]
    client.force_login(team["intake"])
    assert 'data-testid="me-too-count"' in client.get(reverse("cases:detail", args=[case.number])).content.decode()


def test_me_too_needs_a_phone_and_an_open_case(client, team):
    case = report()
    missing = client.post(reverse("report:me_too"), {"number": case.number, "phone": ""})
    assert missing.status_code == 400 and missing.json()["detail"]
    take_action(case.pk, "reject", team["intake"], note="不属于受理范围")
    with pytest.raises(MeTooError):
        subscribe_me_too(case.number, phone=NEIGHBOUR)
    assert client.post(reverse("report:me_too"), {"number": "nonsense", "phone": NEIGHBOUR}).status_code == 400


def test_me_too_is_rate_limited_like_intake(client, team, settings):
    settings.GRIDGOV_INTAKE_RATE = "2/h"
    case = report()
    codes = [
        client.post(reverse("report:me_too"), {"number": case.number, "phone": f"1391111222{n}"}).status_code for n in range(3)
    ]
    assert codes == [200, 200, 429]


# --- telling residents -----------------------------------------------------------------------------------


def test_reporter_and_subscribers_are_told_once_per_public_change(team, django_capture_on_commit_callbacks):
    case = report(reporter_email="res@example.org")
    subscribe_me_too(case.number, phone=NEIGHBOUR, email="neighbour@example.org")
    subscribe_me_too(case.number, phone=PHONE)  # the reporter again: told once, not twice
    with django_capture_on_commit_callbacks(execute=True):
        take_action(case.pk, "accept", team["intake"], note=INTERNAL)
    with django_capture_on_commit_callbacks(execute=True):
        take_action(case.pk, "file", team["intake"])
    with django_capture_on_commit_callbacks(execute=True):
        take_action(case.pk, "dispatch", team["dispatcher"], region=WEST_GRID, note=INTERNAL)
    with django_capture_on_commit_callbacks(execute=True):
        take_action(case.pk, "request_extension", team["grid_worker"], hours="2", note=INTERNAL)  # internal: nobody told
    with django_capture_on_commit_callbacks(execute=True):
        take_action(case.pk, "supervise", team["shift_lead"])  # internal too

    phones = sorted(phone for phone, _text in RecordingGateway.sent)
    assert phones == sorted([PHONE, NEIGHBOUR] * 3)
    assert len(mail.outbox) == 6  # reporter + neighbour, three public steps
    texts = [text for _phone, text in RecordingGateway.sent] + [m.body for m in mail.outbox]
    assert all(case.number in text and INTERNAL not in text and "钱干部" not in text for text in texts)


def test_a_notice_task_run_twice_sends_once(team):
    case = walk(report(), team, [("accept", "intake", {})])
    step = case.steps.get(action="accept")
    RecordingGateway.sent = []
    first = notifications.notify_residents_of_step(step.pk)
    second = notifications.notify_residents_of_step(step.pk)
    assert (len(RecordingGateway.sent), second.sent) == (1, 0) and first.sent >= 1


def test_nothing_is_sent_inside_the_workflow_transaction(team, django_capture_on_commit_callbacks):
    case = report()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        take_action(case.pk, "accept", team["intake"])
    # One notice, queued for after the commit (the others drop the Open311 change marks).
    queued = [callback for callback in callbacks if callback.__module__ != "gridgov.cases.selectors"]
    assert RecordingGateway.sent == [] and len(queued) == 1


def test_a_failing_gateway_does_not_stop_e_mail(team, settings):
    settings.GRIDGOV_SMS_GATEWAY = "tests.test_resident_loop.BrokenGateway"
    case = walk(report(reporter_email="res@example.org"), team, [("accept", "intake", {})])
    delivery = notifications.notify_residents_of_step(case.steps.get(action="accept").pk)
    assert (delivery.failed, len(mail.outbox)) == (1, 1)


class BrokenGateway:
    def send(self, phone: str, text: str) -> None:
        raise ConnectionError("gateway down")
