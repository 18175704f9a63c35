"""Case photos: what is accepted, how it is cleaned, where it is stored.

Accepted: JPEG, PNG and WebP, recognised by their content (Pillow), never by file name or the
client's content type. Each photo is re-encoded from its pixels, so EXIF (GPS position, camera,
time), XMP, ICC and text chunks are all dropped; the EXIF orientation is applied first, so the
picture still stands the right way up. A thumbnail (320 px on the long side, JPEG) goes with it.

Bounded cost per upload (a phone photo fits; anything that costs more is refused before it is
decoded):

- ``GRIDGOV_PHOTO_MAX_BYTES`` (default 20 MiB): a 50-megapixel phone JPEG is 10–20 MB;
- ``GRIDGOV_PHOTO_MAX_PIXELS`` (default 52 million, read from the header before any pixel is
  decoded): the 50 MP modes of phone cameras (8160 × 6144 = 50.1 million) fit;
- ``GRIDGOV_PHOTO_MAX_DECODED_PIXELS`` (default 16 million): what is actually decoded. A JPEG
  larger than that is decoded at 1/2, 1/4 or 1/8 scale by the JPEG decoder itself
  (``Image.draft``, which skips most of the work), so a 50 MP photo is decoded and kept at
  4080 × 3072. PNG and WebP have no such shortcut: one over the budget is refused with a
  message asking for a JPEG (a screenshot or a 12 MP photo saved as PNG fits).

With those defaults the worst accepted file costs about 1.5 s of CPU and 300 MB at peak
(``gridgov bench upload``; figures and files in benchmarks/README.md), against 8.9 s and 720 MB
before.

Two halves, so that a report or a step is answered without waiting for the pixels:

- **in the request** (``prepare_photos``, before the step's transaction opens): the cheap checks
  only: the size, the format from the content, the header's pixel count (the decompression-bomb
  guard) and the container's own integrity check, so a bad photo is refused at once with a
  sentence; then the upload, as received, is written to the private folder of pending photos
  (``GRIDGOV_PHOTO_PENDING_DIR``, outside MEDIA_ROOT: never served, since it may carry the
  GPS position). ``store_photos``, inside the step's transaction, inserts the Photo rows as
  ``pending`` and queues ``tasks.process_photo`` for each (on the database queue the task's row
  commits with them: an acknowledged report never loses its photos);
- **in the task** (``process_pending_photo``): the full decode, the clean re-encoding and the
  thumbnail, written under MEDIA_ROOT; then one UPDATE makes the row ``ready`` with its files,
  and the original is deleted. A photo the decoder refuses is marked ``failed`` with the reason
  (staff see it in its place) and its original deleted; any other error marks it failed for now,
  keeps the original and raises, so the task is retried with back-off. The row never points at
  half-written files: the files are written first, the row changed last, and files whose row
  update did not happen are deleted.

Until a photo is ready no page, API or Open311 answer offers it (the staff page shows a
placeholder; the public never sees it), and its original is served to no one.

Storage is not transactional: when a step's transaction rolls back, the Photo rows go but the
files stay (originals written before it, or the processed files of a task that ran inside it on
the immediate backend). ``sweep_orphan_files`` (the daily ``sweep_photos`` task, or
``gridgov sweep-photos``) deletes every photo file and every pending original that no Photo row
refers to once it is older than a grace period. Django has ``transaction.on_commit`` but no
rollback hook, and the transaction that rolls back is usually not ours (``services.report_case``
/ ``take_action``, or an outer block around them), so no code here runs when it does; nor would
any hook run when the process is killed between writing the files and committing. The sweep only
asks what the database says after the fact, so it also catches those, and the files of cases
deleted later (rows cascade, files do not). The grace period (default 24 hours) keeps it away
from files whose transaction has not committed yet. The same sweep queues again the photos still
pending after the grace period (a task lost with a queue outside the database).
"""

import io
import posixpath
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from . import selectors
from .models import Case, Photo, Step
from .presenters import is_public_once_ready

MAX_PHOTOS_PER_STEP = 3
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 52_000_000
DEFAULT_MAX_DECODED_PIXELS = 16_000_000
JPEG_SCALES = (1, 2, 4, 8)  # the reductions the JPEG decoder can apply while decoding
THUMBNAIL_SIDE = 320
ACCEPTED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
ACCEPTED_EXTENSIONS = dict(ACCEPTED.values())  # content type → file name extension
# Where Photo.image and Photo.thumbnail store their files (their upload_to start with it).
PHOTO_DIRECTORY = "cases"
ORPHAN_GRACE = timedelta(hours=24)
FORMAT_NAMES = {"GIF": "GIF", "BMP": "BMP", "TIFF": "TIFF", "ICO": "ICO", "MPO": "JPEG (multi-picture)"}


class PhotoError(ValueError):
    """A photo that cannot be accepted; the message says which one and why, for the user."""


@dataclass(frozen=True)
class ValidatedPhoto:
    content: bytes  # the re-encoded image, without metadata
    thumbnail: bytes  # JPEG
    format: str  # JPEG, PNG or WEBP
    content_type: str
    extension: str
    width: int
    height: int


@dataclass(frozen=True)
class PendingPhoto:
    """An upload that passed the request's checks, kept as received in the pending folder."""

    original: str  # its name in ``pending_storage()``
    content_type: str


def max_bytes() -> int:
    return int(getattr(settings, "GRIDGOV_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "GRIDGOV_PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def max_decoded_pixels() -> int:
    return int(getattr(settings, "GRIDGOV_PHOTO_MAX_DECODED_PIXELS", DEFAULT_MAX_DECODED_PIXELS))


def _millions(pixels: int) -> str:
    return f"{pixels / 1_000_000:g}"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _read_limited(uploaded_file, limit: int) -> bytes:
    """The file's bytes, refusing anything over the limit without reading all of a huge upload."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise PhotoError(
            _("%(size)s is larger than the %(limit)s allowed") % {"size": _megabytes(size), "limit": _megabytes(limit)}
        )
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise PhotoError(_("the file is larger than the %(limit)s allowed") % {"limit": _megabytes(limit)})
    if not data:
        raise PhotoError(_("the file is empty"))
    return data


def _open_header(data: bytes) -> Image.Image:
    """Open the image and check it from its header alone: the format, the pixel count, and the
    container's own integrity check (PNG chunk checksums; nothing is decoded). This is what the
    request does before it accepts a photo; the decoding is left to ``_open_checked``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as error:
            raise PhotoError(_("not an image that can be read; only JPEG, PNG or WebP")) from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise PhotoError(
                _("The picture has far too many pixels to be opened safely; send a photo of at most %(limit)s million pixels.")
                % {"limit": _millions(max_pixels())}
            ) from error
        except Exception as error:  # truncated or corrupt headers raise OSError, SyntaxError, ...
            raise PhotoError(_("the image data is damaged or incomplete")) from error
    if image.format not in ACCEPTED:
        name = FORMAT_NAMES.get(image.format or "", image.format or "unknown")
        raise PhotoError(_("a %(format)s image; only JPEG, PNG or WebP") % {"format": name})
    _check_pixel_count(image)
    try:
        image.verify()
    except Exception as error:  # Pillow raises many types for corrupt data
        raise PhotoError(_("the image data is damaged or incomplete")) from error
    return image


def _open_checked(data: bytes) -> Image.Image:
    """Check the image from its header, then open it again for decoding within the budget."""
    _open_header(data)
    image = Image.open(io.BytesIO(data))  # verify() leaves the image unusable; open again
    _decode_within_budget(image)
    return image


def _check_pixel_count(image: Image.Image) -> None:
    """Refuse, from the header alone, what would cost too much to decode."""
    width, height = image.size
    values = {"width": width, "height": height, "format": image.format}
    if width * height > max_pixels():
        raise PhotoError(
            _("The picture has %(width)d × %(height)d pixels; at most %(limit)s million pixels are accepted.")
            % {**values, "limit": _millions(max_pixels())}
        )
    if image.format != "JPEG" and width * height > max_decoded_pixels():
        raise PhotoError(
            _(
                "The %(format)s picture has %(width)d × %(height)d pixels; at most %(limit)s million are accepted in "
                "that format. Send the photo as a JPEG."
            )
            % {**values, "limit": _millions(max_decoded_pixels())}
        )


def _decode_within_budget(image: Image.Image) -> None:
    """Have a JPEG over the decoding budget decoded at the smallest reduction that fits it: the
    decoder then skips most of the work and memory a full-size decode would take."""
    width, height = image.size
    if image.format != "JPEG" or width * height <= max_decoded_pixels():
        return
    scale = next((s for s in JPEG_SCALES if (width // s) * (height // s) <= max_decoded_pixels()), JPEG_SCALES[-1])
    image.draft(image.mode, (width // scale, height // scale))


def _clean_pixels(image: Image.Image) -> Image.Image:
    """Upright pixels and nothing else: orientation applied, every metadata field left behind."""
    try:
        upright = ImageOps.exif_transpose(image)
        upright.load()
    except Exception as error:
        raise PhotoError(_("the image data is damaged or incomplete")) from error
    if upright.mode == "P":
        upright = upright.convert("RGBA" if "transparency" in upright.info else "RGB")
    # exif_transpose returned a new image (a copy when there was nothing to turn): emptying its
    # info leaves the encoders no EXIF, XMP, ICC profile or text chunk to copy (JPEG and WebP
    # write only what save() is given; PNG would copy the ICC profile from info). Rebuilding it
    # from its raw bytes did the same with two more copies of the pixels (96 MB at 16 MP).
    upright.info = {}
    return upright


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90, optimize=True)
    elif image_format == "PNG":
        # Speed over size: on a 16 MP photo saved as PNG, optimize=True took 8.9 s of CPU, the
        # default level 6.8 s and level 1 2.0 s for a file 17 % larger; screenshots, the usual
        # PNG, compress well at any level.
        image.save(out, "PNG", compress_level=1)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
        # method 0: 0.7 s to encode a noisy 16 MP picture against 2.4 s at the default 4, for a
        # file 2 % smaller.
        image.save(out, "WEBP", quality=85, method=0)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    # Resized first (reducing by whole factors, then resampling), converted once small: no
    # full-size copy of the photo is made for its thumbnail.
    scale = min(1.0, THUMBNAIL_SIDE / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    thumb = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    thumb = thumb.convert("RGBA") if thumb.mode in ("LA", "RGBA") else thumb.convert("RGB")
    if thumb.mode == "RGBA":
        background = Image.new("RGB", thumb.size, "white")
        background.paste(thumb, mask=thumb.getchannel("A"))
        thumb = background
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def validate_photo(uploaded_file) -> ValidatedPhoto:
    """Check one upload and return it cleaned, or raise PhotoError saying why not."""
    data = _read_limited(uploaded_file, max_bytes())
    image = _open_checked(data)
    image_format = image.format or ""  # one of ACCEPTED: _open_checked refused any other
    clean = _clean_pixels(image)
    content_type, extension = ACCEPTED[image_format]
    return ValidatedPhoto(
        content=_encode(clean, image_format),
        thumbnail=_thumbnail(clean),
        format=image_format,
        content_type=content_type,
        extension=extension,
        width=clean.width,
        height=clean.height,
    )


def _numbered(files: Sequence, already: int, check: Callable) -> list:
    """Check every file, numbering them for the user ("photo 2: ..."); all or nothing."""
    if already + len(files) > MAX_PHOTOS_PER_STEP:
        raise PhotoError(
            _("%(count)d photos; at most %(limit)d per step") % {"count": already + len(files), "limit": MAX_PHOTOS_PER_STEP}
        )
    checked = []
    for number, uploaded_file in enumerate(files, start=1):
        try:
            checked.append(check(uploaded_file))
        except PhotoError as error:
            raise PhotoError(_("photo %(number)d: %(problem)s") % {"number": number, "problem": error}) from error
    return checked


def validate_photos(files: Sequence, already: int = 0) -> list[ValidatedPhoto]:
    """Validate and re-encode every file at once (the photo work of a request before the
    ``process_photo`` task took it over; ``gridgov bench intake --parts photos`` compares them)."""
    return _numbered(files, already, validate_photo)


def check_upload(uploaded_file) -> tuple[bytes, str]:
    """The request's checks of one upload (no pixel decoded): its bytes and content type, or
    PhotoError saying why it is refused."""
    data = _read_limited(uploaded_file, max_bytes())
    image_format = _open_header(data).format or ""  # one of ACCEPTED: _open_header refused any other
    return data, ACCEPTED[image_format][0]


def pending_storage() -> FileSystemStorage:
    """The private folder of uploads waiting for ``process_photo`` (``GRIDGOV_PHOTO_PENDING_DIR``):
    outside MEDIA_ROOT, served by nothing, readable by the server's user only."""
    # The default (DATA_DIR/pending-photos, beside MEDIA_ROOT) is the setting's, in settings.py; ops/backup.py reads it too.
    return FileSystemStorage(
        location=str(settings.GRIDGOV_PHOTO_PENDING_DIR), file_permissions_mode=0o600, directory_permissions_mode=0o700
    )


def prepare_photos(files: Sequence, already: int = 0) -> list[PendingPhoto]:
    """Check a step's uploads (cheap: nothing is decoded) and keep them as received in the pending
    folder. Call it before the step's transaction opens and hand the result to ``store_photos``;
    ``discard_photos`` deletes them again when the step is not taken."""
    files = [f for f in files if f]
    checked = _numbered(files, already, check_upload) if files else []
    storage = pending_storage()
    pending: list[PendingPhoto] = []
    try:
        for data, content_type in checked:
            name = storage.save(f"{uuid.uuid4().hex}.{ACCEPTED_EXTENSIONS[content_type]}", ContentFile(data))
            pending.append(PendingPhoto(original=name, content_type=content_type))
    except BaseException:
        discard_photos(pending)
        raise
    return pending


def discard_photos(pending: Sequence[PendingPhoto]) -> None:
    """Delete the originals of photos whose step was not taken (the sweep catches what this misses)."""
    storage = pending_storage()
    for photo in pending:
        storage.delete(photo.original)


def save_photos(case: Case, step: Step | None, files: Sequence, phase: str) -> list[Photo]:
    """Check and store the photos of one step (both parts at once; the services prepare first
    and store inside their transaction)."""
    already = step.photos.count() if step is not None and step.pk else 0
    pending = prepare_photos(files, already)
    try:
        return store_photos(case, step, pending, phase)
    except BaseException:
        discard_photos(pending)
        raise


def store_photos(case: Case, step: Step | None, pending: Sequence[PendingPhoto], phase: str) -> list[Photo]:
    """Insert the rows of prepared photos, pending, and queue their processing. Call inside the
    step's transaction."""
    photos = [
        Photo.objects.create(
            case=case,
            step=step,
            phase=phase,
            status=Photo.Status.PENDING,
            original=photo.original,
            content_type=photo.content_type,
        )
        for photo in pending
    ]
    if photos:
        from gridgov.background import enqueue_with_transaction

        from .tasks import process_photo

        language = translation.get_language() or settings.LANGUAGE_CODE
        for photo in photos:
            enqueue_with_transaction(process_photo, photo.pk, language)
    return photos


# --- the processing task ---------------------------------------------------------------------------


def process_pending_photo(photo_id: int, *, retried: bool = True) -> str:
    """Decode, clean and re-encode one pending photo, write its files and make it ready (see the
    module docstring); return its status ("gone" for a row that no longer exists)."""
    photo = Photo.objects.select_related("step").filter(pk=photo_id).first()
    if photo is None or photo.status == Photo.Status.READY or not photo.original:
        return photo.status if photo is not None else "gone"
    original = photo.original
    try:
        try:
            with pending_storage().open(original, "rb") as upload:
                validated = validate_photo(upload)
        except FileNotFoundError as error:
            raise PhotoError(_("the uploaded file is missing")) from error
    except PhotoError as error:
        _mark_failed(photo_id, str(error))
        pending_storage().delete(original)  # nothing more can come of it
        return Photo.Status.FAILED
    except Exception:
        _mark_failed(photo_id, _server_error(retried), original=original)
        raise
    written: list[str] = []
    try:
        _write_processed(photo, validated, written)
        with transaction.atomic():
            updated = (
                Photo.objects.filter(pk=photo_id)
                .exclude(status=Photo.Status.READY)
                .update(
                    status=Photo.Status.READY,
                    image=photo.image.name,
                    thumbnail=photo.thumbnail.name,
                    original="",
                    failure="",
                    content_type=validated.content_type,
                    width=validated.width,
                    height=validated.height,
                )
            )
            if updated and is_public_once_ready(photo):
                # The case's public face changed (Open311's media_urls, the look-up page): its
                # updated_at is what their caches and ``updated_after`` clients watch.
                Case.objects.filter(pk=photo.case_id).update(updated_at=timezone.now())
                selectors.forget_change_marks()  # an update() sends no signal; other processes see it within the marks' bound
    except BaseException:
        _delete_files(written)
        _mark_failed(photo_id, _server_error(retried), original=original)
        raise
    if not updated:  # deleted meanwhile, or made ready by another run of the task
        _delete_files(written)
        return "gone"
    pending_storage().delete(original)  # not needed any more; should this fail, the sweep takes it
    return Photo.Status.READY


def _server_error(retried: bool) -> str:
    """What staff read in place of a photo the task could not process for a server fault."""
    if retried:
        return _("a server error stopped the processing; it is tried again")
    return _("a server error stopped the processing and every retry failed; an administrator finds the error in the task results")


def _mark_failed(photo_id: int, reason: str, *, original: str = "") -> None:
    """Mark a photo failed with the reason staff read; keep its original when a retry may use it."""
    Photo.objects.filter(pk=photo_id).exclude(status=Photo.Status.READY).update(
        status=Photo.Status.FAILED, failure=reason[: Photo._meta.get_field("failure").max_length], original=original
    )


def _write_processed(photo: Photo, validated: ValidatedPhoto, written: list[str]) -> None:
    """Write a processed photo's files into MEDIA_ROOT (noting each name in ``written`` as it
    lands) and set them on ``photo``, which is not saved."""
    name = uuid.uuid4().hex
    photo.image.save(f"{name}.{validated.extension}", ContentFile(validated.content), save=False)
    written.append(cast(str, photo.image.name))  # set by save()
    photo.thumbnail.save(f"{name}.jpg", ContentFile(validated.thumbnail), save=False)
    written.append(cast(str, photo.thumbnail.name))


def store_processed_photo(case: Case, step: Step | None, validated: ValidatedPhoto, phase: str) -> Photo:
    """Write an already processed photo and its ready row at once: the photo work of a request
    before ``process_photo`` (``gridgov bench intake --parts photos`` measures it against the task)."""
    photo = Photo(
        case=case, step=step, phase=phase, status=Photo.Status.READY, content_type=validated.content_type,
        width=validated.width, height=validated.height,
    )  # fmt: skip
    written: list[str] = []
    try:
        _write_processed(photo, validated, written)
        photo.save()
    except BaseException:
        _delete_files(written)
        raise
    return photo


def requeue_stalled_photos(*, older_than: timedelta = ORPHAN_GRACE, now: datetime | None = None) -> list[int]:
    """Queue again the photos still pending after ``older_than``: with a queue outside the
    database (the task is queued once the step commits), a process killed in between loses the
    task but not the photo. Another run of a task still waiting does no harm."""
    from .tasks import process_photo

    cutoff = (now or timezone.now()) - older_than
    stalled = list(Photo.objects.filter(status=Photo.Status.PENDING, created_at__lt=cutoff).values_list("pk", flat=True))
    for pk in stalled:
        process_photo.enqueue(pk)
    return stalled


def _photo_storage() -> Storage:
    return Photo._meta.get_field("image").storage


def _delete_files(names: Sequence[str]) -> None:
    storage = _photo_storage()
    for name in names:
        storage.delete(name)


# --- sweeping files no photo refers to -----------------------------------------------------------


def _stored_files(storage: Storage, directory: str) -> Iterator[str]:
    """Every file under ``directory`` of the storage, as the names Photo rows store."""
    if not storage.exists(directory):
        return
    subdirectories, files = storage.listdir(directory)
    for file_name in files:
        yield posixpath.join(directory, file_name)
    for subdirectory in subdirectories:
        yield from _stored_files(storage, posixpath.join(directory, subdirectory))


def sweep_orphan_files(*, older_than: timedelta = ORPHAN_GRACE, now: datetime | None = None, dry_run: bool = False) -> list[str]:
    """Delete the photo files (images and thumbnails) and the pending originals no Photo row
    refers to and that were last written before ``now - older_than``; return their names (the
    originals' prefixed with ``pending/``). See the module docstring for why this, not a
    rollback hook, is how rolled-back photos are removed."""
    cutoff = (now or timezone.now()) - older_than
    storage = _photo_storage()
    referenced = selectors.photo_file_names()
    orphans = [
        name
        for name in sorted(_stored_files(storage, PHOTO_DIRECTORY))
        if name not in referenced and storage.get_modified_time(name) < cutoff
    ]
    pending = pending_storage()
    kept_originals = selectors.photo_originals()
    orphan_originals = [
        name
        for name in sorted(_stored_files(pending, ""))
        if name not in kept_originals and pending.get_modified_time(name) < cutoff
    ]
    if not dry_run:
        _delete_files(orphans)
        for name in orphan_originals:
            pending.delete(name)
    return orphans + [posixpath.join("pending", name) for name in orphan_originals]
