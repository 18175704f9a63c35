"""The one-stop services' large file work as queued jobs (``gridgov.ops.filejobs``): the
catalogue's export and import, and a year's statistics as Excel. The views check the user and
the file before anything is queued; the task runs as the user who asked, so a statistics export
counts exactly the applications that user's page counts."""

from datetime import date
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.ops.filejobs import ImportOutcome, JobRefused, export_job, import_job

from . import catalogue, selectors

# Importing creates and updates items and replaces their materials: the system administrator's
# rights on the catalogue (accounts/permissions.py), or a superuser's.
IMPORT_PERMISSIONS = (
    "services.add_serviceitem",
    "services.change_serviceitem",
    "services.add_material",
    "services.delete_material",
)


def can_import_catalogue(user) -> bool:
    return user.is_authenticated and user.has_perms(IMPORT_PERMISSIONS)


def _statistics_heading(sheet, context: dict) -> None:
    """The year and the data scope above each sheet's table, as the evaluation's exports write
    their period and filters: a sheet read on its own still says what it counts."""
    from openpyxl.styles import Font

    year = context["year"]
    sheet.append([_("Service statistics, %(year)s") % {"year": year}])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.append([_("Year"), year])
    sheet.append([_("Statistics period"), f"{date(year, 1, 1)} – {date(year, 12, 31)}"])
    sheet.append([_("Data scope"), context["scope_label"]])
    sheet.append([_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    sheet.append([])


def statistics_workbook(context: dict) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.worksheets[0]  # a new workbook opens with one sheet
    sheet.title = _("Departments")
    _statistics_heading(sheet, context)
    sheet.append([_("Department"), _("Rated"), _("Good"), _("Bad"), _("Rectifications"), _("Rectified"), _("Overdue")])
    for row in context["departments"]:
        sheet.append([row["department__name"], row["rated"], row["good"], row["bad"], row["opened"], row["closed"], row["late"]])
    months = workbook.create_sheet(_("Months"))
    _statistics_heading(months, context)
    months.append([_("Month"), _("Applications")])
    for row in context["figures"]["by_month"]:
        months.append([f"{row['month']:%Y-%m}", row["count"]])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


@export_job(gettext_lazy("Service statistics as Excel"))
def export_statistics(user, params: dict) -> bytes:
    if user.role not in selectors.STAFF_ROLES:  # the role was changed after the export was asked for
        raise JobRefused(_("Only staff may export the service statistics."))
    return statistics_workbook(selectors.year_statistics(user, int(params["year"])))


@export_job(gettext_lazy("Service catalogue as Excel"))
def export_catalogue(user, params: dict) -> bytes:
    return catalogue.export_catalogue()


@import_job(gettext_lazy("Import of the service catalogue"))
def import_catalogue(user, content: bytes, params: dict) -> ImportOutcome:
    """The catalogue, all or nothing (``catalogue.import_catalogue``, one transaction)."""
    if not can_import_catalogue(user):
        raise JobRefused(_("You may not import the service catalogue."))
    name = str(params.get("name", ""))[:200]
    result = catalogue.import_catalogue(content, actor=user)
    if result.refusals:
        summary = _("Nothing from %(name)s was imported. Correct these rows and import the file again.") % {"name": name}
        return ImportOutcome(False, summary, [str(refusal) for refusal in result.refusals])
    summary = _("Imported: %(created)d new items, %(updated)d updated.") % {"created": result.created, "updated": result.updated}
    return ImportOutcome(True, summary)
