"""The economy's large file work as queued jobs (``gridgov.ops.filejobs``): the monthly table's
export and its import. The views check the permission and the file before anything is queued;
the task runs the same service functions as the user who asked."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.ops.filejobs import ImportOutcome, JobRefused, export_job, import_job

from . import selectors, services


def can_import(user) -> bool:
    return user.is_superuser or user.has_perm("economy.add_monthlyfigure")


def export_year(value) -> int | None:
    """The year an export asks for (``?year=``), or None for every year."""
    text = str(value or "")
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else None


@export_job(gettext_lazy("Monthly figures as Excel"))
def export_figures(user, params: dict) -> bytes:
    return services.export_monthly_table(selectors.figures_for_export(export_year(params.get("year"))))


@import_job(gettext_lazy("Import of the monthly table"))
def import_figures(user, content: bytes, params: dict) -> ImportOutcome:
    """The monthly table, all or nothing (``services.import_monthly_table``, one transaction)."""
    if not can_import(user):  # the permission was taken away after the file was sent
        raise JobRefused(_("You may not import figures."))
    name = str(params.get("name", ""))[:200]
    result = services.import_monthly_table(content, actor=user, source=name)
    if result.refused:
        summary = _("Nothing from %(name)s was imported. Correct these rows and import the file again.") % {"name": name}
        return ImportOutcome(False, summary, [refusal.reason for refusal in result.refusals])
    summary = _("Imported: %(created)d new figures, %(updated)d updated.") % {
        "created": result.created,
        "updated": result.updated,
    }
    return ImportOutcome(True, summary)
