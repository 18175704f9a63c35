"""The 12345 hotline import as a queued file job (``gridgov.ops.filejobs``), for
``gridgov import-hotline PATH --queue USERNAME``: the command checks the file and queues it; the
named user follows the import on its status page, which lists each refused row."""

import tempfile
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.ops.filejobs import ImportOutcome, JobRefused, import_job

from . import hotline

SUFFIXES = (".csv", ".txt", ".xlsx")


@import_job(gettext_lazy("Import of 12345 hotline work orders"))
def import_hotline_orders(user, content: bytes, params: dict) -> ImportOutcome:
    """``hotline.import_hotline`` on the kept file, with the command's options, as ``user``."""
    name = Path(str(params.get("name") or "orders.csv")).name
    if Path(name).suffix.lower() not in SUFFIXES:
        raise JobRefused(_("Only .csv and .xlsx files can be imported."))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            result = hotline.import_hotline(path, gcj02=bool(params.get("gcj02")), strict=bool(params.get("strict")), actor=user)
        except hotline.HotlineFileError as problem:
            raise JobRefused(_("The file cannot be imported: %(reason)s.") % {"reason": problem}) from problem
    summary = _(
        "Work orders read: %(rows)d; imported: %(imported)d; already imported before: %(skipped)d; refused: %(refused)d."
    ) % {"rows": result.rows, "imported": len(result.imported), "skipped": len(result.skipped), "refused": len(result.refused)}
    lines = [
        _("Row %(row)d, work order %(order)s: %(reason)s.")
        % {"row": p.row, "order": p.external_id, "reason": p.reason.rstrip("。.")}
        for p in result.refused
    ]
    return ImportOutcome(bool(result.imported) or not result.refused, summary, lines)
