"""The case ledger as Excel, built in the request for a small ledger (the direct link) or by a
background task for a large one (the cases page's button, through ``gridgov.ops.filejobs``, which
keeps the file in the asking user's private folder and offers it on its status page).

The parameters are those of the ledger link (``measure``/``period``/``unit``/``level`` for the
cases behind one figure, or any filter of the case list); ``ledger_request`` checks them and
raises ``LedgerRequestError`` with a whole sentence, so the page refuses bad parameters before a
task is queued.
"""

from dataclasses import dataclass

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.cases import presenters as case_presenters
from gridgov.cases import selectors as case_selectors
from gridgov.cases.forms import CaseFilter
from gridgov.ops.filejobs import JobRefused, export_job

from . import selectors
from .exporting import LEDGER_LIMIT, ledger_workbook
from .indicators import MEASURES
from .periods import period_from_query


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


# --- the ledger as a queued export ----------------------------------------------------------------


@export_job(gettext_lazy("Case ledger"))
def ledger_job(user, params: dict) -> bytes:
    """The ledger ``params["query"]`` (the link's query string) asks for, as ``user`` sees it: the
    task's part of the cases page's button (``gridgov.ops.filejobs``)."""
    try:
        return ledger_bytes(user, QueryDict(params.get("query", "")))
    except LedgerRequestError as problem:
        raise JobRefused(_("The export was not started: %(reason)s") % {"reason": problem}) from problem
