"""The case ledger as Excel, built in the request for a small ledger or by a background task for
a large one, and the private files the task leaves for the user who asked.

The parameters are those of the ledger link (``measure``/``period``/``unit``/``level`` for the
cases behind one figure, or any filter of the case list); ``ledger_request`` checks them and
raises ``LedgerRequestError`` with a whole sentence, so the page refuses bad parameters before a
task is queued. A task writes ``<user id>/<token>.xlsx`` under ``GRIDGOV_EXPORT_DIR`` (default
``DATA_DIR/exports``, outside MEDIA_ROOT: nothing there is served by the web server); the status
page and the download look only in the asking user's folder, so another user's token is a 404.
A failed attempt leaves ``<token>.failed`` until a retry succeeds. ``sweep_expired_exports``
(a periodic task) removes files older than ``EXPORT_KEEP_SECONDS``.
"""

import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.cases import presenters as case_presenters
from gridgov.cases import selectors as case_selectors
from gridgov.cases.forms import CaseFilter

from . import selectors
from .exporting import LEDGER_LIMIT, ledger_workbook
from .indicators import MEASURES
from .periods import period_from_query

EXPORT_KEEP_SECONDS = 24 * 3600  # a day to fetch the file; the sweep runs every hour
TOKEN = re.compile(r"^[0-9a-f]{32}$")


class LedgerRequestError(ValueError):
    """Parameters a ledger cannot be built from; the message is a whole sentence for the user."""


@dataclass
class LedgerRequest:
    cases: object  # a queryset of cases within the user's scope
    title: str
    filters: list[tuple[str, str]]


def ledger_request(user, params: QueryDict) -> LedgerRequest:
    """The cases, title and filter lines of the ledger ``params`` ask for, within ``user``'s scope."""
    measure = str(params.get("measure") or "")
    if measure:
        period, _picker, error = period_from_query(params)
        if error:
            raise LedgerRequestError(error)
        unit, level = params.get("unit", "").strip()[:32], params.get("level", "street")
        try:
            cases = selectors.cases_behind(user, measure, period, unit=unit, level=level)
        except selectors.EvaluationError as problem:
            raise LedgerRequestError(str(problem)) from problem
        title = _("Cases behind “%(figure)s”, %(period)s") % {"figure": MEASURES[measure].label, "period": period.label}
        filters = [(_("Period"), f"{period.first} – {period.last}"), (_("Unit"), unit or _("Whole scope"))]
    else:
        form = CaseFilter(params)
        if not form.is_valid():
            raise LedgerRequestError(
                "; ".join(f"{form.fields[name].label}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())
            )
        cases = form.apply(case_selectors.visible_cases(user))
        title = _("Case ledger")
        filters = [
            (str(form.fields[name].label), str(value))
            for name, value in form.cleaned_data.items()
            if value not in ("", None, False)
        ]
    filters.insert(0, (_("Data scope"), selectors.scope_label(user)))
    return LedgerRequest(cases=cases, title=str(title), filters=filters)


def ledger_bytes(user, params: QueryDict, now=None) -> bytes:
    now = now or timezone.now()
    request = ledger_request(user, params)
    return ledger_workbook(_ledger_rows(request.cases, now), title=request.title, filters=request.filters, now=now)


def _ledger_rows(cases, now):
    def local(moment):
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""

    for case in cases.select_related("category").order_by("created_at", "id")[:LEDGER_LIMIT].iterator(chunk_size=2000):
        flags = case_presenters.clock_flags(case, now)
        yield [case.number, case_presenters.category_label(case.category), str(case.get_state_display()), str(case.get_source_display()),
               case.grid_code, local(case.created_at), local(case.filed_at), local(case.deadline), local(case.handled_at),
               local(case.closed_at), str(case.get_solved_level_display()) if case.solved_level else "", case.rework_count,
               case.return_count, str(case.get_rating_display()) if case.rating else "", _("yes") if flags.get("overdue") else "",
               _("yes") if case.supervised else ""]  # fmt: skip


# --- the private files of queued exports ---------------------------------------------------------


def export_root() -> Path:
    return Path(getattr(settings, "GRIDGOV_EXPORT_DIR", None) or Path(settings.DATA_DIR) / "exports")


def _folder(user_id: int) -> Path:
    return export_root() / str(int(user_id))


def start_export(user_id: int) -> str:
    """A new token, marked as pending in the user's folder (the status page's "being prepared")."""
    token = uuid.uuid4().hex
    folder = _folder(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{token}.pending").touch()
    return token


def write_export(user_id: int, token: str, body: bytes) -> None:
    folder = _folder(user_id)
    partial = folder / f"{token}.partial"
    partial.write_bytes(body)
    partial.replace(folder / f"{token}.xlsx")  # the status page never sees half a file
    for marker in ("pending", "failed"):
        (folder / f"{token}.{marker}").unlink(missing_ok=True)


def mark_failed(user_id: int, token: str) -> None:
    (_folder(user_id) / f"{token}.failed").touch()


def export_state(user_id: int, token: str) -> str | None:
    """ "ready", "failed", "pending", or None when the user has no such export (or it expired)."""
    if not TOKEN.match(token):
        return None
    folder = _folder(user_id)
    for state, suffix in (("ready", "xlsx"), ("failed", "failed"), ("pending", "pending")):
        if (folder / f"{token}.{suffix}").exists():
            return state
    return None


def export_file(user_id: int, token: str) -> Path | None:
    path = _folder(user_id) / f"{token}.xlsx"
    return path if TOKEN.match(token) and path.exists() else None


def sweep_expired_exports(now: float | None = None) -> list[str]:
    """Remove every export file older than ``EXPORT_KEEP_SECONDS``; return their names."""
    root = export_root()
    if not root.exists():
        return []
    limit = (now or time.time()) - EXPORT_KEEP_SECONDS
    removed = []
    for path in root.glob("*/*"):
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed.append(f"{path.parent.name}/{path.name}")
    return sorted(removed)
