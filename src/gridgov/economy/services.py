"""Changes to the economy tables: one figure entered by hand, and the monthly table imported
from Excel. Each runs in a transaction with its audit event.

An import is all or nothing: every row is checked first and, if any row is refused, the
refusal report names each refused row and its reason and nothing is written. The statistics
office fixes the sheet and imports it again, so a half-imported month never shows up on a
leader's page.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.accounts.services import record_audit

from .models import FIRST_MONTH, District, Indicator, MonthlyFigure

# (field, header in Chinese, header in English); the first four are required.
COLUMNS = (
    ("indicator", "指标代码", "indicator"),
    ("district", "地区代码", "district"),
    ("year", "年份", "year"),
    ("month", "月份", "month"),
    ("month_value", "当月值", "month value"),
    ("cumulative_value", "累计值", "cumulative value"),
    ("month_growth", "当月同比(%)", "month growth (%)"),
    ("cumulative_growth", "累计同比(%)", "cumulative growth (%)"),
)
REQUIRED = ("indicator", "district", "year", "month")
VALUES = ("month_value", "cumulative_value", "month_growth", "cumulative_growth")
MAX_ROWS = 50_000  # ten years × 40 indicators × 12 districts × 10 months is 48,000


class EconomyError(ValueError):
    """A change the economy tables refuse; the message says why."""


@dataclass(frozen=True)
class Refusal:
    row: int  # the spreadsheet's row number, header = 1
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    refusals: list[Refusal] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def _header_map(header: tuple) -> dict[str, int]:
    names = {}
    for attribute, chinese, english in COLUMNS:
        names[chinese.lower()] = attribute
        names[english.lower()] = attribute
        names[attribute] = attribute
    positions = {}
    for index, cell in enumerate(header):
        column = names.get(str(cell or "").strip().lower())
        if column and column not in positions:
            positions[column] = index
    return positions


def _number(value) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidOperation
    number = Decimal(str(value).strip().replace(",", ""))
    if not number.is_finite():
        raise InvalidOperation
    return number


def _whole(value) -> int | None:
    try:
        number = _number(value)
    except InvalidOperation:
        return None
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _check_row(number: int, cells: dict, indicators: dict, districts: dict) -> tuple[dict | None, list[Refusal]]:
    refusals = []
    indicator = indicators.get(str(cells.get("indicator") or "").strip())
    if indicator is None:
        refusals.append(
            Refusal(
                number,
                _("Row %(row)d: indicator code “%(code)s” is not in the indicator list.")
                % {"row": number, "code": cells.get("indicator") or ""},
            )
        )
    district = districts.get(str(cells.get("district") or "").strip())
    if district is None:
        refusals.append(
            Refusal(
                number,
                _("Row %(row)d: district code “%(code)s” is not in the district list.")
                % {"row": number, "code": cells.get("district") or ""},
            )
        )
    year = _whole(cells.get("year"))
    if year is None or not 1949 <= year <= 2200:
        refusals.append(
            Refusal(
                number, _("Row %(row)d: the year “%(value)s” is not a year.") % {"row": number, "value": cells.get("year") or ""}
            )
        )
    month = _whole(cells.get("month"))
    if month is None or not FIRST_MONTH <= month <= 12:
        refusals.append(
            Refusal(
                number,
                _("Row %(row)d: the month “%(value)s” is not 2 to 12 (January and February are reported together as 2).")
                % {"row": number, "value": cells.get("month") or ""},
            )
        )
    values: dict[str, Decimal | None] = {}
    for attribute in VALUES:
        try:
            values[attribute] = _number(cells.get(attribute))
        except InvalidOperation:
            refusals.append(
                Refusal(
                    number,
                    _("Row %(row)d: “%(value)s” in column %(column)s is not a number.")
                    % {"row": number, "value": cells.get(attribute), "column": attribute},
                )
            )
            values[attribute] = None
        else:
            value = values[attribute]
            if value is not None and abs(value) >= Decimal("1e12"):
                refusals.append(
                    Refusal(
                        number,
                        _("Row %(row)d: %(value)s in column %(column)s is too large.")
                        % {"row": number, "value": cells.get(attribute), "column": attribute},
                    )
                )
    if not refusals and all(value is None for value in values.values()):
        refusals.append(Refusal(number, _("Row %(row)d: the row has no value at all.") % {"row": number}))
    if refusals:
        return None, refusals
    return {"indicator": indicator, "district": district, "year": year, "month": month, **values}, []


def read_monthly_table(content: bytes) -> tuple[list[dict], list[Refusal]]:
    """The rows of an .xlsx monthly table, checked; refusals name each bad row and why."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        return [], [Refusal(0, _("The file is not an Excel workbook (.xlsx)."))]
    rows_iter = workbook.worksheets[0].iter_rows(values_only=True) if workbook.worksheets else iter(())
    header = next(rows_iter, None)
    if header is None:
        return [], [Refusal(1, _("The sheet is empty; the first row must name the columns."))]
    positions = _header_map(header)
    missing = [chinese for attribute, chinese, _english in COLUMNS if attribute in REQUIRED and attribute not in positions]
    if missing:
        return [], [Refusal(1, _("Row 1: the column(s) %(columns)s are missing.") % {"columns": "、".join(missing)})]
    indicators = {i.code: i for i in Indicator.objects.all()}
    districts = {d.code: d for d in District.objects.all()}
    checked: list[dict] = []
    refusals: list[Refusal] = []
    seen: dict[tuple, int] = {}
    for number, row in enumerate(rows_iter, start=2):
        if row is None or all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        if number - 1 > MAX_ROWS:
            refusals.append(
                Refusal(number, _("Row %(row)d: a table holds at most %(max)d rows.") % {"row": number, "max": MAX_ROWS})
            )
            break
        cells = {attribute: (row[index] if index < len(row) else None) for attribute, index in positions.items()}
        values, row_refusals = _check_row(number, cells, indicators, districts)
        refusals.extend(row_refusals)
        if values is None:
            continue
        key = (values["indicator"].pk, values["district"].pk, values["year"], values["month"])
        if key in seen:
            refusals.append(
                Refusal(
                    number,
                    _("Row %(row)d repeats row %(first)d (same indicator, district, year and month).")
                    % {"row": number, "first": seen[key]},
                )
            )
            continue
        seen[key] = number
        checked.append(values)
    workbook.close()
    if not checked and not refusals:
        refusals.append(Refusal(2, _("The sheet has a header but no rows.")))
    return checked, refusals


@transaction.atomic
def import_monthly_table(content: bytes, *, actor: User | None = None, source: str = "", is_sample: bool = False) -> ImportResult:
    """Import the monthly table; nothing is written when any row is refused."""
    rows, refusals = read_monthly_table(content)
    if refusals:
        return ImportResult(refusals=refusals)
    existing = {
        (f.indicator_id, f.district_id, f.year, f.month): f
        for f in MonthlyFigure.objects.filter(year__in={row["year"] for row in rows})
    }
    new, changed = [], []
    for row in rows:
        key = (row["indicator"].pk, row["district"].pk, row["year"], row["month"])
        current = existing.get(key)
        if current is None:
            new.append(MonthlyFigure(source=source[:200], is_sample=is_sample, **row))
            continue
        for attribute in VALUES:
            setattr(current, attribute, row[attribute])
        current.source = source[:200] or current.source
        changed.append(current)
    MonthlyFigure.objects.bulk_create(new, batch_size=2000)
    MonthlyFigure.objects.bulk_update(changed, [*VALUES, "source", "updated_at"], batch_size=500)
    record_audit(actor, "economy.table_imported", None, created=len(new), updated=len(changed), source=source[:200])
    return ImportResult(created=len(new), updated=len(changed))


@transaction.atomic
def record_figure(
    *, indicator: Indicator, district: District, year: int, month: int, actor: User | None = None,
    month_value=None, cumulative_value=None, month_growth=None, cumulative_growth=None, source: str = "", is_sample: bool = False,
) -> MonthlyFigure:  # fmt: skip
    """Enter or correct one month's figure for one district."""
    if not FIRST_MONTH <= month <= 12:
        raise EconomyError(_("The month must be 2 to 12 (January and February are reported together as 2)."))
    values = {
        "month_value": month_value,
        "cumulative_value": cumulative_value,
        "month_growth": month_growth,
        "cumulative_growth": cumulative_growth,
    }
    figure, created = MonthlyFigure.objects.update_or_create(
        indicator=indicator,
        district=district,
        year=year,
        month=month,
        defaults={**values, "source": source[:200], "is_sample": is_sample},
    )
    record_audit(
        actor, "economy.figure_recorded", figure, created=created, **{k: None if v is None else str(v) for k, v in values.items()}
    )
    return figure


@transaction.atomic
def ensure_indicator(
    *,
    code: str,
    name_zh: str,
    unit: str,
    name_en: str = "",
    display_order: int = 0,
    reports_cumulative: bool = True,
    is_sample: bool = False,
    actor: User | None = None,
) -> Indicator:
    indicator, created = Indicator.objects.update_or_create(
        code=code,
        defaults={
            "name_zh": name_zh,
            "name_en": name_en,
            "unit": unit,
            "display_order": display_order,
            "reports_cumulative": reports_cumulative,
            "is_sample": is_sample,
        },
    )
    record_audit(actor, "economy.indicator_saved", indicator, created=created)
    return indicator


@transaction.atomic
def ensure_district(
    *, code: str, name: str, is_home: bool = False, is_sample: bool = False, actor: User | None = None
) -> District:
    if is_home:
        District.objects.filter(is_home=True).exclude(code=code).update(is_home=False)
    district, created = District.objects.update_or_create(
        code=code, defaults={"name": name, "is_home": is_home, "is_sample": is_sample}
    )
    record_audit(actor, "economy.district_saved", district, created=created)
    return district


def export_monthly_table(figures) -> bytes:
    """The figures as an .xlsx in the import's own layout, so an export imports back unchanged."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("monthly")
    sheet.append([chinese for _attribute, chinese, _english in COLUMNS])
    for f in figures:
        sheet.append([
            f.indicator.code, f.district.code, f.year, f.month,
            *(getattr(f, attribute) for attribute in VALUES),
        ])  # fmt: skip
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
