"""Photo checks with images made by Pillow at test time."""

import io
import struct
import zlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from PIL import Image, PngImagePlugin

from gridgov.accounts.models import Role
from gridgov.cases.models import Case, Photo
from gridgov.cases.photos import ORPHAN_GRACE, PhotoError, save_photos, sweep_orphan_files, validate_photo

from .case_factories import make_category, make_user, report

pytestmark = pytest.mark.django_db
GPS_IFD, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _image_bytes(fmt="JPEG", size=(40, 20), colour=(200, 30, 30), **save):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **save)
    return out.getvalue()


def _jpeg_with_exif(orientation=6, size=(40, 20)):
    exif = Image.Exif()
    exif[MAKE] = "TestCam"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (41.0, 47.0, 24.0), 3: "E", 4: (123.0, 24.0, 18.0)})
    return _image_bytes("JPEG", size, exif=exif.tobytes())


def _upload(data, name="photo.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _png_claiming(width, height):
    """A PNG whose header claims a huge size (the pixel data is never decoded)."""
    png = bytearray(_image_bytes("PNG", (1, 1)))
    ihdr = struct.pack(">II", width, height) + bytes(png[24:29])
    png[16:29] = ihdr
    png[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(png)


def test_jpeg_loses_exif_and_gps_but_keeps_its_orientation():
    original = _jpeg_with_exif(orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture really has GPS
    photo = validate_photo(_upload(original))
    saved = Image.open(io.BytesIO(photo.content))
    assert saved.format == "JPEG" and photo.content_type == "image/jpeg"
    assert len(saved.getexif()) == 0 and not saved.getexif().get_ifd(GPS_IFD)
    assert b"Exif" not in photo.content and b"TestCam" not in photo.content
    assert saved.size == (20, 40) == (photo.width, photo.height)  # orientation 6: turned upright


def test_png_text_chunks_are_dropped_and_webp_is_accepted():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address 幸福路 1 号")
    out = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    png = validate_photo(_upload(out.getvalue(), "a.png"))
    assert png.format == "PNG" and Image.open(io.BytesIO(png.content)).mode == "RGBA"
    assert "幸福路".encode() not in png.content and b"Comment" not in png.content
    webp = validate_photo(_upload(_image_bytes("WEBP"), "b.webp"))
    assert (webp.format, webp.extension) == ("WEBP", "webp")


def test_the_thumbnail_is_a_small_jpeg():
    photo = validate_photo(_upload(_image_bytes("PNG", (1000, 500)), "wide.png"))
    thumb = Image.open(io.BytesIO(photo.thumbnail))
    assert thumb.format == "JPEG" and thumb.size == (320, 160)


@pytest.mark.parametrize(
    "data, name, message",
    [
        (_image_bytes("GIF"), "cat.jpg", "a GIF image; only JPEG, PNG or WebP"),
        (_image_bytes("BMP"), "x.png", "a BMP image; only JPEG, PNG or WebP"),
        ("这不是图片，只是文字".encode(), "notes.jpg", "not an image"),
        (b"", "empty.jpg", "empty"),
        (_image_bytes("JPEG")[:200], "cut.jpg", "damaged or incomplete"),
    ],
)
def test_content_decides_not_the_name(data, name, message):
    with pytest.raises(PhotoError, match=message):
        validate_photo(_upload(data, name))


def test_an_oversized_file_is_refused_naming_its_size(settings):
    settings.GRIDGOV_PHOTO_MAX_BYTES = 1024 * 1024
    data = _image_bytes("PNG", (300, 300)) + b"\0" * (1536 * 1024)
    with pytest.raises(PhotoError, match=r"1\.\d MB is larger than the 1\.0 MB allowed"):
        validate_photo(_upload(data))


def test_a_huge_pixel_header_is_refused_before_decoding():
    with pytest.raises(
        PhotoError,
        match=r"^The picture has far too many pixels to be opened safely; send a photo of at most 52 million pixels\.$",
    ):
        validate_photo(_upload(_png_claiming(100_000, 100_000), "bomb.png"))
    with pytest.raises(PhotoError, match=r"^The picture has 9000 × 6000 pixels; at most 52 million pixels are accepted\.$"):
        validate_photo(_upload(_png_claiming(9000, 6000), "big.png"))


def test_a_png_or_webp_over_the_decoding_budget_is_refused_from_its_header():
    """The 116 KB PNG of 40 megapixels that cost 5.6 s of CPU to accept is refused unopened."""
    with pytest.raises(
        PhotoError,
        match=r"^The PNG picture has 8000 × 5000 pixels; at most 16 million are accepted in that format\. Send the photo as a JPEG\.$",
    ):
        validate_photo(_upload(_png_claiming(8000, 5000), "flat.png"))


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_within_the_budget(settings):
    """A JPEG over the decoding budget (a 50 MP phone photo against 16 MP) is decoded by the
    JPEG decoder at 1/2, 1/4 or 1/8 scale, and kept at that size."""
    settings.GRIDGOV_PHOTO_MAX_DECODED_PIXELS = 10_000
    photo = validate_photo(_upload(_image_bytes("JPEG", (400, 200))))  # 80,000 pixels: 1/4 fits
    assert (photo.width, photo.height) == (100, 50)
    assert Image.open(io.BytesIO(photo.content)).size == (100, 50)
    settings.GRIDGOV_PHOTO_MAX_DECODED_PIXELS = 20_000
    assert validate_photo(_upload(_image_bytes("JPEG", (200, 100)))).width == 200  # within the budget: full size


def test_save_photos_stores_image_and_thumbnail_under_media_root(network, _media):
    case = report()
    step = case.steps.get()
    photos = save_photos(case, step, [_upload(_jpeg_with_exif()), _upload(_image_bytes("WEBP"), "b.webp")], phase="before")
    for photo in photos:
        photo.refresh_from_db()  # processed by the process_photo task (run at once in tests)
    assert [(p.content_type, p.status) for p in photos] == [("image/jpeg", "ready"), ("image/webp", "ready")]
    for photo in photos:
        stored = _media / photo.image.name
        assert Image.open(stored).format == photo.content_type.split("/")[1].upper()
        assert Image.open(_media / photo.thumbnail.name).format == "JPEG"
        assert photo.image.name.startswith("cases/") and "photo" not in photo.image.name  # no client file name
    assert b"TestCam" not in (_media / photos[0].image.name).read_bytes()


def test_at_most_three_photos_per_step_counting_those_already_saved(network):
    case = report()
    step = case.steps.get()
    with pytest.raises(PhotoError, match="4 photos; at most 3 per step"):
        save_photos(case, step, [_upload(_image_bytes()) for _ in range(4)], phase="before")
    save_photos(case, step, [_upload(_image_bytes()) for _ in range(2)], phase="before")
    with pytest.raises(PhotoError, match="4 photos; at most 3 per step"):
        save_photos(case, step, [_upload(_image_bytes()) for _ in range(2)], phase="before")
    assert Photo.objects.filter(step=step).count() == 2


def test_a_bad_photo_names_its_number_and_the_report_is_not_taken(network):
    from gridgov.cases.services import Report, report_case

    files = [_upload(_image_bytes()), _upload(_image_bytes("GIF"), "2.jpg")]
    with pytest.raises(PhotoError, match="^photo 2: a GIF image; only JPEG, PNG or WebP$"):
        report_case(Report(category=make_category(), lat=41.79, lng=123.405, description="x", source="resident"), photos=files)
    assert not Case.objects.exists() and not Photo.objects.exists()


def test_report_case_keeps_before_photos(network):
    from gridgov.cases.services import Report, report_case

    category = make_category()
    case = report_case(
        Report(category=category, lat=41.79, lng=123.405, description="井盖缺失", source="resident"),
        photos=[_upload(_jpeg_with_exif())],
    )
    assert [(p.phase, p.step.action) for p in case.photos.all()] == [("before", "report")]


def test_photos_are_served_to_staff_who_may_see_the_case_only(network, _media):
    """The one route that serves case photos (``cases:photo``): staff in the case's scope, never
    a resident, a visitor or one of the three administrators (三员分立)."""
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404

    from gridgov.cases.views import photo as photo_view

    case = report()
    photo = save_photos(case, case.steps.get(), [_upload(_image_bytes())], phase="before")[0]
    rf = RequestFactory()

    def get(user, size="full", pk=photo.pk):
        request = rf.get(f"/cases/photos/{pk}/{size}")
        request.user = user
        return photo_view(request, pk, size)

    assert get(AnonymousUser()).status_code == 302  # sent to sign in
    for outsider in (
        make_user(Role.RESIDENT, username="resident-a"),
        *(make_user(role, username=f"admin-{role}") for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)),
    ):
        with pytest.raises(Http404):
            get(outsider)
    staff = make_user(Role.DISPATCHER, username="dispatcher-a")
    for size in ("full", "thumb"):
        response = get(staff, size)
        assert response.status_code == 200 and response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # the processed JPEG
    with pytest.raises(Http404):
        get(staff, pk=photo.pk + 1000)


# --- files left behind by a transaction that rolled back ----------------------------------------


class _RolledBack(Exception):
    pass


def _files_under(root) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def _report_with_photos(count=1):
    from gridgov.cases.services import Report, report_case

    report_ = Report(category=make_category(), lat=41.79, lng=123.405, description="井盖缺失", source="resident")
    return report_case(report_, photos=[_upload(_image_bytes()) for _ in range(count)])


def test_a_rolled_back_report_leaves_no_photo_files_after_the_sweep(network, _media):
    kept = _report_with_photos()
    kept_files = {name for photo in kept.photos.all() for name in (photo.image.name, photo.thumbnail.name)}
    with pytest.raises(_RolledBack), transaction.atomic():
        _report_with_photos(count=2)
        raise _RolledBack  # e.g. a later step of the same transaction failed
    assert Case.objects.count() == 1 and Photo.objects.count() == 1
    assert len(_files_under(_media) - kept_files) == 4  # storage is not transactional: 2 images, 2 thumbnails

    removed = sweep_orphan_files(older_than=timedelta(0))

    assert len(removed) == 4 and _files_under(_media) == kept_files


def test_the_sweep_leaves_files_younger_than_the_grace_period(network, _media):
    with pytest.raises(_RolledBack), transaction.atomic():
        _report_with_photos()
        raise _RolledBack
    orphans = _files_under(_media)
    assert len(orphans) == 2
    assert sweep_orphan_files() == [] and _files_under(_media) == orphans  # their transaction might still commit
    a_day_later = timezone.now() + ORPHAN_GRACE + timedelta(minutes=1)
    assert sweep_orphan_files(now=a_day_later, dry_run=True) == sorted(orphans) and _files_under(_media) == orphans
    assert sweep_orphan_files(now=a_day_later) == sorted(orphans) and _files_under(_media) == set()


def test_save_photos_deletes_the_files_it_wrote_when_it_fails_part_way(network, _media, monkeypatch):
    case = report()
    saves = []

    def fail_on_second_row(photo, *args, **kwargs):
        saves.append(photo)
        if len(saves) == 2:
            raise OSError("disk full")
        return original_save(photo, *args, **kwargs)

    original_save = Photo.save
    monkeypatch.setattr(Photo, "save", fail_on_second_row)
    with pytest.raises(OSError, match="disk full"), transaction.atomic():
        save_photos(case, case.steps.get(), [_upload(_image_bytes()), _upload(_image_bytes())], phase="before")
    assert _files_under(_media) == set()


def test_sweep_photos_command_reports_what_it_deleted(network, _media):
    with pytest.raises(_RolledBack), transaction.atomic():
        _report_with_photos()
        raise _RolledBack
    out = StringIO()
    call_command("sweep_photos", "--older-than", "0", "--dry-run", stdout=out)
    assert "2 unreferenced photo files would be deleted." in out.getvalue() and len(_files_under(_media)) == 2
    out = StringIO()
    call_command("sweep_photos", "--older-than", "0", stdout=out)
    assert "2 unreferenced photo files deleted." in out.getvalue() and _files_under(_media) == set()
    with pytest.raises(CommandError, match="--older-than must be zero or a positive number"):
        call_command("sweep_photos", "--older-than", "-1")


@pytest.mark.django_db(transaction=True)
def test_the_request_only_checks_photos_and_the_task_decodes_them_outside_any_transaction(network, monkeypatch, settings):
    """Decoding and re-encoding take up to a second or so per photo: done in the request, the
    reporter waited for them (and before that, inside the intake transaction, every other report
    did). On the database queue the report and the step are answered with their photos pending,
    nothing decoded; the worker decodes them afterwards, outside any transaction."""
    from django.db import connection

    from gridgov.cases import photos as photo_module
    from gridgov.cases.services import Report, report_case, take_action

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    decoded_inside_a_transaction = []
    real_validate = photo_module.validate_photo

    def watched(uploaded_file):
        decoded_inside_a_transaction.append(connection.in_atomic_block)
        return real_validate(uploaded_file)

    monkeypatch.setattr(photo_module, "validate_photo", watched)
    case = report_case(
        Report(category=make_category(), lat=41.79, lng=123.405, description="井盖缺失", source="resident"),
        photos=[_upload(_image_bytes()), _upload(_image_bytes("PNG"), "b.png")],
    )
    take_action(case.pk, "accept", make_user(Role.INTAKE_CLERK), photos=[_upload(_image_bytes())])
    assert decoded_inside_a_transaction == []
    assert list(Photo.objects.filter(case=case).values_list("status", "image")) == [("pending", "")] * 3

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", "--verbosity", "0")

    assert decoded_inside_a_transaction == [False, False, False]
    assert set(Photo.objects.filter(case=case).values_list("status", "original")) == {("ready", "")}
