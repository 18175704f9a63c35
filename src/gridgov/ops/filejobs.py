"""Large imports and exports as background tasks, with private files for the user who asked:
the one mechanism every app uses (the evaluation's case ledger, the economy's monthly table, the
services' catalogue and yearly statistics).

An app declares a job once, with ``@export_job(title)`` on ``function(user, params) -> bytes`` or
``@import_job(title)`` on ``function(user, content, params) -> ImportOutcome``; the function runs
as the user who asked (their scope, in their language). The app's own view checks the user's
permission and the parameters (and, for an import, ``read_upload`` checks the file is a readable
.xlsx within the size limit) and then calls ``start_export`` / ``start_import``, which write the
job's files and queue ``gridgov.ops.tasks.run_file_job`` (retried with back-off). The view then
sends the user to the one status page (``/jobs/<token>/``), which refreshes itself until the
task is done and then offers the file, or shows the import's result (the refusal report naming
each bad row, or what was imported).

Files, not rows: everything of a job lies under ``GRIDGOV_EXPORT_DIR/<user id>/`` (default
``DATA_DIR/exports``, outside MEDIA_ROOT, so the web server never serves it):

- ``<token>.job``: what the job is (the job function's path, the download's file name, the page to
  go back to); while it is alone, the job is waiting or running;
- ``<token>.upload``: an import's file, kept until the import has run;
- ``<token>.<ext>``: an export's file (written under another name and renamed, so the page never
  offers half a file); ``<token>.result.json``: an import's result;
- ``<token>.failed``: the attempt failed; it holds a whole sentence saying why, and a retry that
  succeeds removes it.

The status page and the download look only in the asking user's folder, so another user's token is
a 404. ``sweep`` (an hourly task) removes every job whose newest file is older than a day.
"""

import json
import logging
import re
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

KEEP_SECONDS = 24 * 3600  # a day to fetch the file; the sweep runs every hour
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
TOKEN = re.compile(r"^[0-9a-f]{32}$")
EXPORT, IMPORT = "export", "import"


class JobRefused(ValueError):
    """A job that cannot be done as asked; the message is a whole sentence for the user. Raised
    before anything is queued, or by a job function (then the attempt is not retried)."""


@dataclass
class ImportOutcome:
    """What an import did: ``done`` (something was imported) or not, a summary sentence, and the
    refusal report's lines (one per bad row)."""

    done: bool
    summary: str
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class JobKind:
    kind: str  # EXPORT or IMPORT
    title: Any  # a lazy translation: the status page shows it in the reader's language
    extension: str = "xlsx"


@dataclass
class JobStatus:
    token: str
    state: str  # "pending", "ready" (an export's file), "done" (an import's result), "failed"
    title: str
    kind: str
    filename: str = ""
    back: str = ""
    reason: str = ""
    outcome: ImportOutcome | None = None
    extension: str = "xlsx"  # an export's file


def export_job(title, extension: str = "xlsx") -> Callable:
    """Declare ``function(user, params) -> bytes`` an export the task may run."""

    def declare(function: Callable) -> Callable:
        function.file_job = JobKind(EXPORT, title, extension)  # type: ignore[attr-defined]
        return function

    return declare


def import_job(title) -> Callable:
    """Declare ``function(user, content, params) -> ImportOutcome`` an import the task may run."""

    def declare(function: Callable) -> Callable:
        function.file_job = JobKind(IMPORT, title)  # type: ignore[attr-defined]
        return function

    return declare


def _path_of(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def job_function(path: str) -> Callable:
    """The declared job function at ``path``; anything else is refused (a task's argument never
    names an arbitrary function)."""
    function = import_string(path)
    if not isinstance(getattr(function, "file_job", None), JobKind):
        raise ValueError(f"{path} is not a declared import or export job")
    return function


# --- the private folder --------------------------------------------------------------------------


def export_root() -> Path:
    return Path(getattr(settings, "GRIDGOV_EXPORT_DIR", None) or Path(settings.DATA_DIR) / "exports")


def _folder(user_id: int) -> Path:
    return export_root() / str(int(user_id))


def _write_atomically(path: Path, body: bytes) -> None:
    partial = path.with_name(f"{path.name}.partial")
    partial.write_bytes(body)
    partial.replace(path)  # the status page never sees half a file


def _meta(user_id: int, token: str) -> dict | None:
    if not TOKEN.match(token):
        return None
    try:
        return json.loads((_folder(user_id) / f"{token}.job").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _new_job(user_id: int, function: Callable, *, filename: str, back: str) -> str:
    token = uuid.uuid4().hex
    folder = _folder(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"job": _path_of(function), "filename": filename, "back": back}
    _write_atomically(folder / f"{token}.job", json.dumps(meta, ensure_ascii=False).encode())
    return token


def _enqueue(user_id: int, function: Callable, token: str, params: dict) -> None:
    from .tasks import run_file_job

    try:
        run_file_job.enqueue(_path_of(function), int(user_id), token, params, translation.get_language() or "zh-hans")
    except Exception:  # a backend that runs the task in the caller, or a queue that cannot be reached
        logger.exception("The job %s (%s) failed", token, _path_of(function))
        folder = _folder(user_id)
        if not (folder / f"{token}.failed").exists():  # never queued: the page would wait for ever
            _mark_failed(folder, token, _failure_sentence(function.file_job, last=True))  # type: ignore[attr-defined]


def start_export(user, function: Callable, params: dict | None = None, *, filename: str, back: str = "") -> str:
    """Queue the export ``function`` (declared with ``export_job``) for ``user``; return its token.
    The caller has checked the user may have it and that ``params`` are good."""
    token = _new_job(user.pk, function, filename=filename, back=back)
    _enqueue(user.pk, function, token, dict(params or {}))
    return token


def read_upload(upload, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """The uploaded file's bytes when it is a readable .xlsx within ``limit``; else ``JobRefused``."""
    if upload is None:
        raise JobRefused(_("Choose an Excel file (.xlsx) to import."))
    if upload.size > limit:
        raise JobRefused(_("The file is larger than %(size)d MB.") % {"size": limit // (1024 * 1024)})
    content = upload.read()
    from openpyxl import load_workbook

    try:
        load_workbook(BytesIO(content), read_only=True).close()  # reads the workbook's index, not its rows
    except Exception as problem:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        raise JobRefused(_("The file is not an Excel workbook (.xlsx).")) from problem
    return content


def start_import(
    user, function: Callable, content: bytes, params: dict | None = None, *, filename: str = "", back: str = ""
) -> str:
    """Keep ``content`` in the user's private folder and queue the import ``function`` (declared
    with ``import_job``) on it; return the token."""
    token = _new_job(user.pk, function, filename=filename, back=back)
    _write_atomically(_folder(user.pk) / f"{token}.upload", content)
    _enqueue(user.pk, function, token, dict(params or {}))
    return token


# --- the task's part -----------------------------------------------------------------------------


def run(path: str, user_id: int, token: str, params: dict, language: str, last_attempt: bool = False) -> str:
    """Do one job as the user who asked and leave its file or result. A job that refuses leaves
    its sentence and is done; any other error leaves a general sentence (saying whether a retry
    follows, ``last_attempt``) and is raised, so the task is retried."""
    from django.contrib.auth import get_user_model

    function = job_function(path)
    kind: JobKind = function.file_job  # type: ignore[attr-defined]
    folder = _folder(user_id)
    with translation.override(language):
        try:
            user = get_user_model().objects.get(pk=user_id, is_active=True)
            if kind.kind == EXPORT:
                _write_atomically(folder / f"{token}.{kind.extension}", function(user, params))
            else:
                outcome = function(user, (folder / f"{token}.upload").read_bytes(), params)
                result = {"done": outcome.done, "summary": str(outcome.summary), "lines": [str(line) for line in outcome.lines]}
                _write_atomically(folder / f"{token}.result.json", json.dumps(result, ensure_ascii=False).encode())
                (folder / f"{token}.upload").unlink(missing_ok=True)
        except JobRefused as refusal:
            _mark_failed(folder, token, str(refusal))
            return token
        except Exception:
            _mark_failed(folder, token, _failure_sentence(kind, last=last_attempt))
            raise
    (folder / f"{token}.failed").unlink(missing_ok=True)
    return token


def _failure_sentence(kind: JobKind, *, last: bool = False) -> str:
    if last and kind.kind == IMPORT:
        return _(
            "The import could not be done, and every retry failed. Import the file again; if it fails again, tell the system administrator."
        )
    if last:
        return _(
            "The export could not be prepared, and every retry failed. Start the export again; if it fails again, tell the system administrator."
        )
    if kind.kind == IMPORT:
        return _(
            "The import could not be done. It is tried again a few times; if this page still says so in an hour, import the file again."
        )
    return _(
        "The export could not be prepared. It is tried again a few times; if this page still says so in an hour, start the export again."
    )


def _mark_failed(folder: Path, token: str, reason: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{token}.failed").write_text(reason, encoding="utf-8")


# --- the status page's part ----------------------------------------------------------------------


def status(user_id: int, token: str) -> JobStatus | None:
    """Where the user's job ``token`` stands, or None when the user has no such job (or it expired)."""
    meta = _meta(user_id, token)
    if meta is None:
        return None
    try:
        kind: JobKind = job_function(meta["job"]).file_job  # type: ignore[attr-defined]
    except (ImportError, ValueError, KeyError):
        return None
    folder = _folder(user_id)
    found = JobStatus(
        token, "pending", str(kind.title), kind.kind, meta.get("filename", ""), meta.get("back", ""), extension=kind.extension
    )
    result = folder / f"{token}.result.json"
    if kind.kind == EXPORT and (folder / f"{token}.{kind.extension}").exists():
        found.state = "ready"
    elif kind.kind == IMPORT and result.exists():
        found.state = "done"
        found.outcome = ImportOutcome(**json.loads(result.read_text(encoding="utf-8")))
    elif (folder / f"{token}.failed").exists():
        found.state = "failed"
        found.reason = (folder / f"{token}.failed").read_text(encoding="utf-8").strip()
    return found


def export_file(user_id: int, token: str) -> tuple[Path, str] | None:
    """The finished export's file and its download name, for the user who asked only."""
    found = status(user_id, token)
    if found is None or found.state != "ready":
        return None
    return _folder(user_id) / f"{token}.{found.extension}", found.filename or f"export-{token[:8]}.{found.extension}"


# --- the sweep -----------------------------------------------------------------------------------


def sweep(now: float | None = None) -> list[str]:
    """Remove every job whose newest file is older than ``KEEP_SECONDS``; return them as
    ``<user id>/<token>``."""
    root = export_root()
    if not root.exists():
        return []
    limit = (now or time.time()) - KEEP_SECONDS
    newest: dict[tuple[Path, str], float] = {}
    for path in root.glob("*/*"):
        if path.is_file():
            key = (path.parent, path.name.split(".", 1)[0])
            newest[key] = max(newest.get(key, 0.0), path.stat().st_mtime)
    removed = []
    for (folder, token), moment in newest.items():
        if moment < limit:
            for path in folder.glob(f"{token}.*"):
                path.unlink(missing_ok=True)
            removed.append(f"{folder.name}/{token}")
    for folder in root.iterdir():
        if folder.is_dir() and not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)
    return sorted(removed)
