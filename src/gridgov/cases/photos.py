"""Case photos: what is accepted, how it is cleaned, where it is stored.

Accepted: JPEG, PNG and WebP, recognised by their content (Pillow), never by file name or the
client's content type. Each photo is re-encoded from its pixels, so EXIF (GPS position, camera,
time), XMP, ICC and text chunks are all dropped; the EXIF orientation is applied first, so the
picture still stands the right way up. A thumbnail (320 px on the long side, JPEG) goes with it.

Settings: ``GRIDGOV_PHOTO_MAX_BYTES`` (default 8 MiB), ``GRIDGOV_PHOTO_MAX_PIXELS`` (default
40 million; a decompression-bomb guard checked from the header before any pixel is decoded).

Files are written through Django's default storage (MEDIA_ROOT) by ``save_photos``, inside the
caller's transaction (a report or a workflow step). Storage is not transactional: when that
transaction rolls back, the Photo rows go but the files stay. Two things clean up after it:

- ``save_photos`` deletes the files it wrote when it fails itself (a storage or database error
  part-way through a step's photos);
- ``sweep_orphan_files`` (``gridgov sweep-photos``, for cron) deletes every photo file that no
  Photo row refers to once it is older than a grace period.

The sweep is what guarantees a clean MEDIA_ROOT; deleting "on rollback" cannot. Django has
``transaction.on_commit`` but no rollback hook, and the transaction that rolls back is usually
not ours (``services.report_case`` / ``take_action``, or an outer block around them), so no code
here runs when it does; nor would any hook run when the process is killed between writing the
files and committing. The sweep only asks what the database says after the fact, so it also
catches those, and the files of cases deleted later (rows cascade, files do not). The grace period
(default 24 hours) keeps it away from files whose transaction has not committed yet.
"""

import io
import posixpath
import uuid
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.decorators import user_passes_test
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.static import serve
from PIL import Image, ImageOps, UnidentifiedImageError

from . import selectors
from .models import Case, Photo, Step

MAX_PHOTOS_PER_STEP = 3
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
THUMBNAIL_SIDE = 320
ACCEPTED = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
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


def max_bytes() -> int:
    return int(getattr(settings, "GRIDGOV_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "GRIDGOV_PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _read_limited(uploaded_file, limit: int) -> bytes:
    """The file's bytes, refusing anything over the limit without reading all of a huge upload."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise PhotoError(_("%(size)s is larger than the %(limit)s allowed") % {"size": _megabytes(size), "limit": _megabytes(limit)})
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise PhotoError(_("the file is larger than the %(limit)s allowed") % {"limit": _megabytes(limit)})
    if not data:
        raise PhotoError(_("the file is empty"))
    return data


def _open_checked(data: bytes) -> Image.Image:
    """Open the image, check format and pixel count from the header, then verify the data."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as error:
            raise PhotoError(_("not an image Pillow recognises; only JPEG, PNG or WebP")) from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise PhotoError(_("the image has too many pixels to be processed safely")) from error
        except Exception as error:  # truncated or corrupt headers raise OSError, SyntaxError, ...
            raise PhotoError(_("the image data is damaged or incomplete")) from error
    if image.format not in ACCEPTED:
        name = FORMAT_NAMES.get(image.format, image.format or "unknown")
        raise PhotoError(_("a %(format)s image; only JPEG, PNG or WebP") % {"format": name})
    width, height = image.size
    if width * height > max_pixels():
        raise PhotoError(
            _("%(width)d × %(height)d pixels is more than the %(limit)d million allowed")
            % {"width": width, "height": height, "limit": max_pixels() // 1_000_000}
        )
    try:
        image.verify()
    except Exception as error:  # Pillow raises many types for corrupt data
        raise PhotoError(_("the image data is damaged or incomplete")) from error
    return Image.open(io.BytesIO(data))  # verify() leaves the image unusable; open again


def _clean_pixels(image: Image.Image) -> Image.Image:
    """Upright pixels and nothing else: orientation applied, every metadata field left behind."""
    try:
        upright = ImageOps.exif_transpose(image)
        upright.load()
    except Exception as error:
        raise PhotoError(_("the image data is damaged or incomplete")) from error
    if upright.mode == "P":
        upright = upright.convert("RGBA" if "transparency" in upright.info else "RGB")
    # A new image built from the raw pixels carries no info, EXIF, ICC or text chunks.
    return Image.frombytes(upright.mode, upright.size, upright.tobytes())


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90, optimize=True)
    elif image_format == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
        image.save(out, "WEBP", quality=85)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    thumb = image.convert("RGBA") if image.mode in ("P", "LA", "RGBA", "PA") else image.convert("RGB")
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
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
    image_format = image.format
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


def validate_photos(files: Sequence, already: int = 0) -> list[ValidatedPhoto]:
    """Validate every file, numbering them for the user ("photo 2: ..."); all or nothing."""
    if already + len(files) > MAX_PHOTOS_PER_STEP:
        raise PhotoError(
            _("%(count)d photos; at most %(limit)d per step") % {"count": already + len(files), "limit": MAX_PHOTOS_PER_STEP}
        )
    validated = []
    for number, uploaded_file in enumerate(files, start=1):
        try:
            validated.append(validate_photo(uploaded_file))
        except PhotoError as error:
            raise PhotoError(_("photo %(number)d: %(problem)s") % {"number": number, "problem": error}) from error
    return validated


def save_photos(case: Case, step: Step | None, files: Sequence, phase: str) -> list[Photo]:
    """Validate and store the photos of one step. Call inside the step's transaction."""
    files = [f for f in files if f]
    if not files:
        return []
    already = step.photos.count() if step is not None and step.pk else 0
    validated_photos = validate_photos(files, already)
    written: list[str] = []
    try:
        return [_store_photo(case, step, phase, validated, written) for validated in validated_photos]
    except BaseException:
        _delete_files(written)
        raise


def _store_photo(case: Case, step: Step | None, phase: str, validated: ValidatedPhoto, written: list[str]) -> Photo:
    """Write one photo's files (noting each name in ``written`` as it lands) and insert its row."""
    name = uuid.uuid4().hex
    photo = Photo(case=case, step=step, phase=phase, content_type=validated.content_type, width=validated.width, height=validated.height)
    photo.image.save(f"{name}.{validated.extension}", ContentFile(validated.content), save=False)
    written.append(photo.image.name)
    photo.thumbnail.save(f"{name}.jpg", ContentFile(validated.thumbnail), save=False)
    written.append(photo.thumbnail.name)
    photo.save()
    return photo


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
    """Delete the photo files (images and thumbnails) no Photo row refers to and that were last
    written before ``now - older_than``; return their names. See the module docstring for why
    this, not a rollback hook, is how rolled-back photos are removed."""
    storage = _photo_storage()
    cutoff = (now or timezone.now()) - older_than
    referenced = selectors.photo_file_names()
    orphans = [
        name
        for name in sorted(_stored_files(storage, PHOTO_DIRECTORY))
        if name not in referenced and storage.get_modified_time(name) < cutoff
    ]
    if not dry_run:
        _delete_files(orphans)
    return orphans


def _is_staff_member(user) -> bool:
    """Staff who work cases; not residents, and not the three administrators (三员分立)."""
    from gridgov.accounts.selectors import may_see_cases

    return user.is_authenticated and getattr(user, "role", "resident") != "resident" and may_see_cases(user)


@user_passes_test(_is_staff_member)
def media_view(request, path: str):
    """Uploaded files for signed-in staff only (residents and visitors are sent to sign in).

    ``django.views.static.serve`` refuses paths that leave MEDIA_ROOT. Production should
    serve MEDIA_ROOT from the reverse proxy behind the same sign-in, or keep this view.
    """
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
