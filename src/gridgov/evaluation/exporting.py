"""The evaluation table as an Excel workbook (.xlsx, openpyxl): Chinese (or English) headers in
the user's language, the period, level, scope and filters written above the table, numbers as
numbers (rates in percent, two decimals) so the sheet can be sorted and summed."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
MAX_SHEET_TITLE = 31  # Excel's limit


def table_workbook(payload: dict, *, scope_label: str, level_label: str, parent: str = "") -> bytes:
    workbook = Workbook()
    sheet = workbook.worksheets[0]  # a new workbook opens with one sheet
    sheet.title = _("Evaluation")[:MAX_SHEET_TITLE]
    period = payload["period"]
    sheet.append([_("Evaluation of %(level)s, %(period)s") % {"level": level_label, "period": period["label"]}])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("Period"), f"{period['first']} – {period['last']}", period["key"]])
    sheet.append([_("Level"), level_label, payload["level"]])
    sheet.append([_("Data scope"), scope_label, _("Units under %(code)s") % {"code": parent} if parent else ""])
    sheet.append([_("Compared with"), payload["previous"]["label"], payload["year_earlier"]["label"]])
    sheet.append([_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    sheet.append([])
    columns = payload["columns"]
    headers = [_("Rank"), _("Code"), _("Unit"), _("Score"), _("Grade"), _("Score change on the previous period"),
               _("Score change on a year earlier")]  # fmt: skip
    headers += [c["label"] + (" (%)" if c["kind"] == "rate" else "") for c in columns]
    sheet.append(headers)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in payload["rows"]:
        values = [
            row["rank"],
            row["code"],
            row["name"],
            row["score"],
            row["grade"],
            row["score_change"],
            row["score_change_year"],
        ]
        values += [row["counts"].get(c["key"]) if c["kind"] == "count" else row["rates"].get(c["key"]) for c in columns]
        sheet.append(values)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=4).coordinate
    sheet.column_dimensions["B"].width = 18
    sheet.column_dimensions["C"].width = 16
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


HEADER_ROW = 8  # where table_workbook writes the column headers (read back by tests and tools)


LEDGER_LIMIT = 100_000  # rows per workbook; a larger ledger is exported in parts by period


def ledger_workbook(rows, *, title: str, filters: list[tuple[str, str]], now) -> bytes:
    """The case ledger (台账): one row per case with its state, clock and outcome; no reporter's
    name or phone (the ledger travels by e-mail and on paper)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Case ledger")[:MAX_SHEET_TITLE])
    sheet.append([title])
    for label, value in filters:
        sheet.append([label, value])
    sheet.append([_("Exported at"), timezone.localtime(now).strftime("%Y-%m-%d %H:%M")])
    sheet.append([])
    sheet.append([_("Case number"), _("Category"), _("State"), _("Source"), _("Grid code"), _("Reported at"), _("Filed at"),
                  _("Deadline"), _("Handled at"), _("Closed at"), _("Solved at"), _("Reworks"), _("Returns"), _("Rating"),
                  _("Overdue"), _("Supervised")])  # fmt: skip
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
