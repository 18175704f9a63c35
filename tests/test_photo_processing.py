"""Photos processed as a task (issue 9): the request checks an upload and keeps it, pending, in a
private folder; the ``process_photo`` task cleans and re-encodes it. Until it is ready no page,
API or Open311 answer offers it, and the original (GPS position and all) is served to no one,
before or after; a photo the task cannot process is marked failed with its reason, and the case
stays."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gridgov.cases import photos as photo_module
from gridgov.cases.errors import WorkflowError
from gridgov.cases.models import Case, Photo
from gridgov.cases.photos import ORPHAN_GRACE, PhotoError, pending_storage, process_pending_photo, sweep_orphan_files
from gridgov.cases.presenters import public_photos
from gridgov.cases.services import Report, report_case, take_action

from .case_factories import make_category, make_team

GPS_IFD, MAKE = 0x8825, 0x010F
PHONE = "13800001234"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GRIDGOV_INTAKE_RATE = ""
    settings.GRIDGOV_LOOKUP_RATE = ""


@pytest.fixture
def database_queue(settings):
    """The real queue: a task waits in the database until ``run_worker``."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", "--verbosity", "0")


def gps_jpeg(size=(40, 20)) -> bytes:
    exif = Image.Exif()
    exif[MAKE] = "TestCam"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (41.0, 47.0, 24.0), 3: "E", 4: (123.0, 24.0, 18.0)})
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def upload(data: bytes, name="p.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def reported(team, data: bytes) -> Case:
    return report_case(
        Report(
            category=make_category(), lat=41.79, lng=123.405, description="井盖缺失", source="resident",
            reporter=team["resident"], reporter_phone=PHONE,
        ),
        photos=[upload(data)],
    )  # fmt: skip


def pending_files() -> list[str]:
    root = pending_storage().location
    return sorted(path.relative_to(root).as_posix() for path in Path(root).rglob("*") if path.is_file())


def carries_gps(data: bytes) -> bool:
    return b"TestCam" in data or bool(Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD))


def public_answers(client, team, case: Case) -> list[bytes]:
    """Everything the public and the reporter read about the case: Open311 with extensions, the
    look-up page, the resident's JSON."""
    answers = [client.get(f"/open311/v2/requests/{case.number}.json", {"extensions": "true"}).content]
    answers.append(client.post(reverse("report:lookup"), {"number": case.number, "phone": PHONE}).content)
    client.force_login(team["resident"])
    answers.append(client.get(f"/api/v1/cases/{case.number}").content)
    client.logout()
    return answers


@pytest.mark.django_db(transaction=True)
def test_a_pending_photo_is_a_placeholder_for_staff_absent_for_the_public_and_never_served_with_gps(
    client, network, database_queue
):
    team = make_team()
    case = reported(team, gps_jpeg())
    photo = case.photos.get()

    # Answered with the photo pending: kept as received in the private folder, nothing in MEDIA_ROOT.
    assert (photo.status, photo.image.name, photo.thumbnail.name) == ("pending", "", "")
    assert pending_files() == [photo.original] and carries_gps(pending_storage().open(photo.original).read())
    assert not photo_module._photo_storage().exists("cases")

    # Staff see a placeholder and no link; the photo's own address has nothing to serve.
    client.force_login(team["dispatcher"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'data-testid="photo-pending"' in page and "/cases/photos/" not in page
    assert client.get(reverse("cases:photo", args=[photo.pk, "full"])).status_code == 404
    assert client.get(reverse("cases:photo", args=[photo.pk, "thumb"])).status_code == 404
    api = client.get(f"/api/v1/cases/{case.number}").json()
    [listed] = [p for step in api["timeline"] for p in step["photos"]]
    assert (listed["status"], listed["url"], listed["thumbnail_url"]) == ("pending", None, None)
    client.logout()

    # The public: no photo at all, not even a link that would work later.
    assert public_photos(case) == []
    for answer in public_answers(client, team, case):
        assert b"/report/photo/" not in answer

    run_worker()

    photo.refresh_from_db()
    assert (photo.status, photo.original, photo.failure) == ("ready", "", "")
    assert pending_files() == []  # the original is gone once the clean copy is written
    client.force_login(team["dispatcher"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'data-testid="photo-pending"' not in page and reverse("cases:photo", args=[photo.pk, "thumb"]) in page
    for size in ("full", "thumb"):
        served = b"".join(client.get(reverse("cases:photo", args=[photo.pk, size])).streaming_content)
        assert Image.open(io.BytesIO(served)).format == "JPEG" and not carries_gps(served)
    client.logout()
    [lookup, *_] = [answer.decode() for answer in public_answers(client, team, case)[1:]]
    [link] = re.findall(r'href="(/report/photo/[^"]+/)"', lookup)
    assert not carries_gps(b"".join(client.get(link).streaming_content))
    assert b"/report/photo/" in public_answers(client, team, case)[0]  # Open311's media_urls


@pytest.mark.django_db(transaction=True)
def test_a_photo_the_task_cannot_decode_is_marked_failed_and_the_case_stays(client, network, database_queue):
    """Half a JPEG passes the request's header checks; the task's full decode refuses it."""
    team = make_team()
    whole = gps_jpeg(size=(400, 300))
    case = reported(team, whole[: len(whole) // 2])
    run_worker()

    photo = Photo.objects.get(case=case)
    assert photo.status == "failed" and photo.failure == "the image data is damaged or incomplete"
    assert photo.original == "" and pending_files() == []  # nothing more can come of it
    assert Case.objects.filter(pk=case.pk).exists() and case.steps.filter(action="report").exists()
    client.cookies["django_language"] = "en"
    client.force_login(team["dispatcher"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'data-testid="photo-failed"' in page and "This photo could not be processed." in page
    assert "the image data is damaged or incomplete" in page
    assert client.get(reverse("cases:photo", args=[photo.pk, "full"])).status_code == 404
    assert public_photos(case) == []


@pytest.mark.django_db(transaction=True)
def test_a_server_error_in_the_task_keeps_the_original_and_the_retry_makes_it_ready(network, database_queue, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    team = make_team()
    case = reported(team, gps_jpeg())
    real_validate = photo_module.validate_photo
    monkeypatch.setattr(photo_module, "validate_photo", lambda upload: (_ for _ in ()).throw(OSError("disk unavailable")))
    run_worker()

    photo = Photo.objects.get(case=case)
    assert photo.status == "failed" and "tried again" in photo.failure and photo.original in pending_files()
    attempts = DBTaskResult.objects.filter(task_path="gridgov.cases.tasks.process_photo").order_by("enqueued_at")
    assert [a.status for a in attempts] == ["FAILED", "READY"]  # the retry waits its back-off

    monkeypatch.setattr(photo_module, "validate_photo", real_validate)
    assert process_pending_photo(photo.pk) == "ready"  # what the retry does
    photo.refresh_from_db()
    assert (photo.status, photo.failure, photo.original) == ("ready", "", "") and pending_files() == []
    assert process_pending_photo(photo.pk) == "ready"  # a second run changes nothing


@pytest.mark.django_db
def test_the_request_refuses_at_once_what_the_header_shows_and_keeps_nothing(network):
    team = make_team()
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(PhotoError, match="^photo 2: a GIF image; only JPEG, PNG or WebP$"):
        reported_with = [upload(gps_jpeg()), upload(gif.getvalue(), "x.jpg")]
        report_case(
            Report(category=make_category(), lat=41.79, lng=123.405, description="x", source="resident"), photos=reported_with
        )
    assert not Case.objects.exists() and pending_files() == []
    # A step refused after its photos were kept (here: the action is not open to the actor)
    # deletes them again.
    case = report_case(Report(category=make_category(), lat=41.79, lng=123.405, description="x", source="resident"))
    with pytest.raises(WorkflowError):
        take_action(case.pk, "finish", team["resident"], photos=[upload(gps_jpeg())])
    assert pending_files() == [] and not Photo.objects.exists()


@pytest.mark.django_db
def test_the_sweep_deletes_pending_originals_no_photo_keeps_and_requeues_stalled_photos(network, settings):
    from gridgov.cases.photos import requeue_stalled_photos

    team = make_team()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # nothing runs by itself
    kept = reported(team, gps_jpeg()).photos.get()

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        reported(team, gps_jpeg())
        raise RolledBack  # e.g. a later step of an outer transaction failed
    [orphan] = [name for name in pending_files() if name != kept.original]

    assert sweep_orphan_files() == []  # within the grace period: its transaction might still commit
    later = timezone.now() + ORPHAN_GRACE + timedelta(minutes=1)
    assert sweep_orphan_files(now=later) == [f"pending/{orphan}"]
    assert pending_files() == [kept.original]  # a pending photo's original stays

    # A pending photo whose task was lost (a queue outside the database, the process killed
    # between the commit and the queueing) is queued again by the daily sweep task.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert requeue_stalled_photos(now=later) == [kept.pk]
    kept.refresh_from_db()
    assert kept.status == "ready" and pending_files() == []


@pytest.mark.django_db
def test_steps_and_reports_keep_their_photos_through_the_task(network):
    """With the tests' immediate backend the task runs at once: the step's photo is ready."""
    team = make_team()
    case = reported(team, gps_jpeg())
    case = take_action(case.pk, "accept", team["intake"], photos=[upload(gps_jpeg())])
    assert list(case.photos.values_list("status", flat=True)) == ["ready", "ready"]
    assert pending_files() == []


def test_a_server_error_on_the_last_attempt_says_no_retry_follows(network, monkeypatch):
    """``background.retried`` tells the task its last attempt; the photo's reason then says the
    retries are used up instead of promising another."""
    team = make_team()
    case = reported(team, gps_jpeg())
    photo = Photo.objects.get(case=case)
    Photo.objects.filter(pk=photo.pk).update(status="pending", original="waiting.jpg")
    pending_storage().save("waiting.jpg", io.BytesIO(gps_jpeg()))
    monkeypatch.setattr(photo_module, "validate_photo", lambda upload: (_ for _ in ()).throw(OSError("disk unavailable")))
    with pytest.raises(OSError):
        process_pending_photo(photo.pk, retried=False)
    photo.refresh_from_db()
    assert photo.status == "failed" and "every retry failed" in photo.failure and "tried again" not in photo.failure


def test_retried_tells_a_task_that_asks_whether_its_attempt_is_the_last():
    from gridgov.background import retried

    seen = []

    def job(value, last_attempt=False):
        seen.append((value, last_attempt))
        return value

    wrapped = retried(attempts=3)(job)
    assert [wrapped("a"), wrapped("b", attempt=2), wrapped("c", attempt=3)] == ["a", "b", "c"]
    assert seen == [("a", False), ("b", False), ("c", True)]
