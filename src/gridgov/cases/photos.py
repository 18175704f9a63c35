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
before. The decoding and re-encoding happen in ``prepare_photos``, which the services call
before they open the step's transaction, so no lock is held while it runs.

Files are written through Django's default storage (MEDIA_ROOT) by ``store_photos``, inside the
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
from typing import cast

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
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 52_000_000
DEFAULT_MAX_DECODED_PIXELS = 16_000_000
JPEG_SCALES = (1, 2, 4, 8)  # the reductions the JPEG decoder can apply while decoding
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


def _open_checked(data: bytes) -> Image.Image:
    """Open the image, check format and pixel count from the header, then verify the data."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as error:
            raise PhotoError(_("not an image Pillow recognises; only JPEG, PNG or WebP")) from error
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


def prepare_photos(files: Sequence, already: int = 0) -> list[ValidatedPhoto]:
    """Decode, check and re-encode a step's uploads (the costly part): call it before the step's
    transaction opens, so no lock is held meanwhile, and hand the result to ``store_photos``."""
    files = [f for f in files if f]
    return validate_photos(files, already) if files else []


def save_photos(case: Case, step: Step | None, files: Sequence, phase: str) -> list[Photo]:
    """Validate and store the photos of one step (both parts at once; the services prepare
    first and store inside their transaction)."""
    already = step.photos.count() if step is not None and step.pk else 0
    return store_photos(case, step, prepare_photos(files, already), phase)


def store_photos(case: Case, step: Step | None, validated_photos: Sequence[ValidatedPhoto], phase: str) -> list[Photo]:
    """Write prepared photos' files and rows. Call inside the step's transaction."""
    if not validated_photos:
        return []
    written: list[str] = []
    try:
        return [_store_photo(case, step, phase, validated, written) for validated in validated_photos]
    except BaseException:
        _delete_files(written)
        raise


def _store_photo(case: Case, step: Step | None, phase: str, validated: ValidatedPhoto, written: list[str]) -> Photo:
    """Write one photo's files (noting each name in ``written`` as it lands) and insert its row."""
    name = uuid.uuid4().hex
    photo = Photo(
        case=case, step=step, phase=phase, content_type=validated.content_type, width=validated.width, height=validated.height
    )
    photo.image.save(f"{name}.{validated.extension}", ContentFile(validated.content), save=False)
    written.append(cast(str, photo.image.name))  # set by save()
    photo.thumbnail.save(f"{name}.jpg", ContentFile(validated.thumbnail), save=False)
    written.append(cast(str, photo.thumbnail.name))
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
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
