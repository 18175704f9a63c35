"""Checks on uploaded materials, by content, never by file name.

Images go through the case photo checks (``cases/photos.py``: size, pixel limits, decoded and
re-encoded without metadata). PDFs are accepted when the bytes are a PDF (``%PDF-`` header and an
``%%EOF`` trailer) within ``GRIDGOV_MATERIAL_MAX_BYTES``; anything else is refused. All files of
a submission are checked before anything is written, so a refusal leaves nothing behind.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from gridgov.cases.photos import PhotoError, validate_photo

from .workflow import ServiceError

DEFAULT_MATERIAL_MAX_BYTES = 10 * 1024 * 1024  # a scanned 20-page A4 PDF at 200 dpi is 3–8 MB
PDF_TRAILER_WINDOW = 1024  # %%EOF must appear in the last kilobyte (incremental saves append)


@dataclass(frozen=True)
class CheckedFile:
    key: str
    content: bytes
    content_type: str
    extension: str


def max_bytes() -> int:
    return int(getattr(settings, "GRIDGOV_MATERIAL_MAX_BYTES", DEFAULT_MATERIAL_MAX_BYTES))


def _read(uploaded, limit: int) -> bytes:
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise ServiceError(_("The file is larger than the %(limit)d MB allowed.") % {"limit": limit // (1024 * 1024)})
    uploaded.seek(0)
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(_("The file is larger than the %(limit)d MB allowed.") % {"limit": limit // (1024 * 1024)})
    if not data:
        raise ServiceError(_("The file is empty."))
    return data


def check_file(key: str, uploaded) -> CheckedFile:
    data = _read(uploaded, max_bytes())
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-PDF_TRAILER_WINDOW:]:
            raise ServiceError(_("The PDF is incomplete or damaged."))
        return CheckedFile(key, data, "application/pdf", "pdf")
    uploaded.seek(0)
    try:
        photo = validate_photo(uploaded)
    except PhotoError as error:
        if data[:4] in (b"\x89PNG", b"RIFF") or data[:3] == b"\xff\xd8\xff":
            raise ServiceError(_("The image cannot be accepted: %(problem)s.") % {"problem": error}) from error
        raise ServiceError(_("Only PDF files and JPEG, PNG or WebP images are accepted.")) from error
    return CheckedFile(key, photo.content, photo.content_type, photo.extension)


def check_files(files: dict, names: dict[str, str]) -> list[CheckedFile]:
    """Check every file of a submission; the first refusal names the material."""
    checked = []
    for key, uploaded in files.items():
        if not uploaded:
            continue
        try:
            checked.append(check_file(key, uploaded))
        except ServiceError as error:
            raise ServiceError(_("%(material)s: %(problem)s") % {"material": names.get(key, key), "problem": error}) from error
    return checked
