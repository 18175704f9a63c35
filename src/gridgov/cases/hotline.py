"""Import 12345 hotline work orders (工单) from CSV or Excel as cases.

The file is read and every row checked first; each row then becomes a case or is reported back
with its row number and the reason. Rows already imported (same work-order number) are skipped,
so importing the same export twice creates nothing new; the database holds one case per work
order, so when two imports of the same file run at once, the rows the other one took in first are
refused with that reason (nothing is duplicated). By default each good row is imported in
its own transaction, so one bad row never blocks the others; ``strict`` imports all rows in one
transaction and only when no row was refused.

Columns (first row; Chinese headers as hotline systems export them, English aliases accepted):
工单编号 (external id), 受理时间, 诉求内容, 诉求地址, 经度, 纬度 (WGS84, or GCJ-02 with
``gcj02``), 问题分类 ("event-0102", "事件-0102" or the sub-class name), 来电人, 联系电话.
CSV may be UTF-8 (with or without BOM) or GB18030.
"""

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.services import record_audit
from gridgov.grids import selectors as grid_selectors
from gridgov.grids.gcj02 import gcj02_to_wgs84

from . import selectors
from .models import Case, CaseKind, Category, Source
from .services import HOTLINE, IntakeError, Report, check_text_lengths, clean_description, report_case

COLUMNS = {
    "external_id": ("工单编号", "工单号", "编号", "external_id", "order_id", "id"),
    "received_at": ("受理时间", "来电时间", "登记时间", "received_at", "time"),
    "description": ("诉求内容", "问题描述", "内容", "description"),
    "address": ("诉求地址", "地址", "事发地址", "address"),
    "lng": ("经度", "lng", "lon", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "category": ("问题分类", "分类", "category"),
    "caller": ("来电人", "姓名", "caller", "name"),
    "phone": ("联系电话", "电话", "phone"),
}
REQUIRED = ("external_id", "received_at", "description", "lng", "lat", "category")
KIND_WORDS = {"event": CaseKind.EVENT, "事件": CaseKind.EVENT, "component": CaseKind.COMPONENT, "部件": CaseKind.COMPONENT}
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
)
FUTURE_TOLERANCE = timedelta(minutes=10)


class HotlineFileError(ValueError):
    """The file as a whole cannot be read (format, encoding, missing columns)."""


@dataclass
class RowProblem:
    row: int  # the row number as the spreadsheet shows it (header is row 1)
    external_id: str
    reason: str


@dataclass
class ImportResult:
    rows: int = 0
    imported: list[tuple[int, str, str]] = field(default_factory=list)  # (row, external id, case number)
    skipped: list[RowProblem] = field(default_factory=list)
    refused: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    strict: bool = False

    def summary(self) -> str:
        verb = _("would be imported") if self.dry_run else _("imported")
        return _("%(rows)d rows read: %(imported)d %(verb)s, %(skipped)d skipped (already imported), %(refused)d refused") % {
            "rows": self.rows,
            "imported": len(self.imported),
            "verb": verb,
            "skipped": len(self.skipped),
            "refused": len(self.refused),
        }


@dataclass
class _Valid:
    row: int
    report: Report
    received_at: datetime


# --- reading ----------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise HotlineFileError(_("the CSV file is neither UTF-8 nor GB18030 text"))


def _read_csv(path: Path) -> list[list]:
    text = _decode(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    return [row for row in csv.reader(io.StringIO(text), dialect)]


def _read_xlsx(path: Path) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises zipfile/KeyError/InvalidFileException variously
        raise HotlineFileError(
            _("cannot read %(name)s as an Excel workbook: %(error)s") % {"name": path.name, "error": error}
        ) from error
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_rows(path) -> list[list]:
    path = Path(path)
    if not path.exists():
        raise HotlineFileError(_("no file at %(path)s") % {"path": path})
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    raise HotlineFileError(_("%(name)s: only .csv and .xlsx files can be imported") % {"name": path.name})


def _header_map(header: Iterable) -> dict[str, int]:
    names = [str(cell).strip().lower() if cell is not None else "" for cell in header]
    found = {}
    for field_name, aliases in COLUMNS.items():
        for alias in aliases:
            if alias.lower() in names:
                found[field_name] = names.index(alias.lower())
                break
    missing = [COLUMNS[name][0] for name in REQUIRED if name not in found]
    if missing:
        raise HotlineFileError(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
    return found


def _records(rows: list[list]) -> list[tuple[int, dict]]:
    if not rows:
        raise HotlineFileError(_("the file is empty"))
    columns = _header_map(rows[0])
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell not in (None, "") and str(cell).strip() for cell in row):
            continue  # blank lines between blocks of an export
        records.append((number, {name: (row[index] if index < len(row) else None) for name, index in columns.items()}))
    return records


# --- checking one row ---------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel gives work-order numbers as floats
    return str(value).strip()


def parse_received_at(value) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        text = _text(value)
        moment = None
        for fmt in DATE_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(_("受理时间 %(value)r is not a date and time like 2026-03-05 09:30") % {"value": text}) from None
    assert moment is not None  # every branch above parsed a moment or raised
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _coordinate(value, name: str, low: float, high: float) -> float:
    try:
        number = float(_text(value))
    except ValueError:
        raise ValueError(_("%(name)s %(value)r is not a number") % {"name": name, "value": _text(value)}) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(_("%(name)s %(value)s is out of range") % {"name": name, "value": number})
    return number


class _CategoryLookup:
    def __init__(self):
        self.categories = list(selectors.active_categories().select_related("default_department"))
        self.by_code = {(c.kind, c.code): c for c in self.categories}
        self.by_name: dict[str, list[Category]] = {}
        for category in self.categories:
            self.by_name.setdefault(category.name, []).append(category)
            self.by_name.setdefault(f"{category.top_name}/{category.name}", []).append(category)

    def find(self, text: str) -> Category:
        text = text.strip()
        for separator in ("-", "－", ":", " "):
            kind_word, _sep, code = text.partition(separator)
            if code and kind_word.strip().lower() in KIND_WORDS:
                category = self.by_code.get((KIND_WORDS[kind_word.strip().lower()], code.strip()))
                if category is None:
                    raise ValueError(_("unknown category %(value)r") % {"value": text})
                return category
        matches = self.by_name.get(text.replace("／", "/"), [])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValueError(
                _("category %(value)r is both an event and a component; write it as event-CODE or component-CODE")
                % {"value": text}
            )
        raise ValueError(_("unknown category %(value)r") % {"value": text})


def _check_row(record: dict, categories: _CategoryLookup, now: datetime, gcj02: bool) -> tuple[Report, datetime, float, float]:
    external_id = _text(record["external_id"])
    if not external_id:
        raise ValueError(_("工单编号 is empty"))
    if len(external_id) > 64:
        raise ValueError(_("工单编号 is longer than 64 characters"))
    received_at = parse_received_at(record["received_at"])
    if received_at > now + FUTURE_TOLERANCE:
        raise ValueError(_("受理时间 %(value)s is in the future") % {"value": received_at.isoformat()})
    lng = _coordinate(record["lng"], "经度", -180, 180)
    lat = _coordinate(record["lat"], "纬度", -90, 90)
    if gcj02:
        lngs, lats = gcj02_to_wgs84([lng], [lat])
        lng, lat = float(lngs[0]), float(lats[0])
    try:
        description = clean_description(_text(record["description"]))
    except IntakeError as error:
        raise ValueError(_("诉求内容: %(problem)s") % {"problem": error}) from None
    report = Report(
        category=categories.find(_text(record["category"])),
        lat=lat,
        lng=lng,
        description=description,
        source=Source.HOTLINE,
        address=_text(record.get("address")),
        reporter_name=_text(record.get("caller")),
        reporter_phone=_text(record.get("phone")),
        external_id=external_id,
    )
    check_text_lengths(report)  # so that a dry run refuses what the import would
    return report, received_at, lat, lng


def check_records(records: list[tuple[int, dict]], *, gcj02: bool = False, now: datetime | None = None):
    """Sort every row into valid, skipped (already imported) and refused, writing nothing."""
    now = now or timezone.now()
    categories = _CategoryLookup()
    candidates: list[_Valid] = []
    refused: list[RowProblem] = []
    skipped: list[RowProblem] = []
    seen: dict[str, int] = {}
    for number, record in records:
        external_id = _text(record["external_id"])
        try:
            report, received_at, lat, lng = _check_row(record, categories, now, gcj02)
        except ValueError as error:
            refused.append(RowProblem(number, external_id, str(error)))
            continue
        if external_id in seen:
            refused.append(
                RowProblem(number, external_id, _("工单编号 repeats row %(row)d of this file") % {"row": seen[external_id]})
            )
            continue
        seen[external_id] = number
        candidates.append(_Valid(number, report, received_at))
    imported_before = selectors.imported_work_orders([v.report.external_id for v in candidates])
    fresh = []
    for checked in candidates:
        if checked.report.external_id in imported_before:
            skipped.append(RowProblem(checked.row, checked.report.external_id, _("already imported")))
        else:
            fresh.append(checked)
    grid_codes = grid_selectors.locate_points([v.report.lat for v in fresh], [v.report.lng for v in fresh]) if fresh else []
    valid = []
    for candidate, grid_code in zip(fresh, grid_codes, strict=True):
        if grid_code is None:
            refused.append(
                RowProblem(
                    candidate.row,
                    candidate.report.external_id,
                    _("point %(lng).6f, %(lat).6f is outside the district")
                    % {"lng": candidate.report.lng, "lat": candidate.report.lat},
                )
            )
        else:
            valid.append(candidate)
    refused.sort(key=lambda problem: problem.row)
    return valid, skipped, refused


# --- importing ------------------------------------------------------------------------------------


def _import_one(valid: _Valid) -> Case:
    """Take one checked row in as a case.

    Rows already imported were skipped when the file was checked, but another import of the same
    work order may commit between that check and this insert. The database then refuses the
    second case (constraint ``case_hotline_external_id_unique``); that row is refused with the
    reason instead of the import crashing. Any other integrity error is a bug and propagates.
    """
    try:
        return report_case(valid.report, at=valid.received_at, channel=HOTLINE)
    except IntegrityError:
        # report_case is its own (inner) transaction, rolled back by now, so the database can be asked.
        if selectors.hotline_case(valid.report.external_id) is None:
            raise
        raise IntakeError(_("imported meanwhile by another import running at the same time")) from None


def import_hotline(
    path, *, gcj02: bool = False, dry_run: bool = False, strict: bool = False, actor=None, now=None
) -> ImportResult:
    records = _records(read_rows(path))
    valid, skipped, refused = check_records(records, gcj02=gcj02, now=now)
    result = ImportResult(rows=len(records), skipped=skipped, refused=refused, dry_run=dry_run, strict=strict)
    if dry_run or (strict and refused):
        if dry_run:
            result.imported = [(v.row, v.report.external_id, "") for v in valid]
        return result
    if strict:
        try:
            with transaction.atomic():
                for item in valid:
                    try:
                        result.imported.append((item.row, item.report.external_id, _import_one(item).number))
                    except IntakeError as error:
                        result.refused.append(RowProblem(item.row, item.report.external_id, str(error)))
                        raise
                _record(actor, path, result)
        except IntakeError:
            result.imported = []  # rolled back: all or nothing
        return result
    for item in valid:
        try:
            case = _import_one(item)  # report_case is its own transaction
        except IntakeError as error:  # e.g. the category was switched off meanwhile
            result.refused.append(RowProblem(item.row, item.report.external_id, str(error)))
            continue
        result.imported.append((item.row, item.report.external_id, case.number))
    result.refused.sort(key=lambda problem: problem.row)
    with transaction.atomic():
        _record(actor, path, result)
    return result


def _record(actor, path, result: ImportResult) -> None:
    record_audit(
        actor,
        "cases.hotline_imported",
        None,
        file=Path(path).name,
        rows=result.rows,
        imported=len(result.imported),
        skipped=len(result.skipped),
        refused=len(result.refused),
        strict=result.strict,
    )


def _spreadsheet_safe(value: str) -> str:
    """Text that a spreadsheet will not run as a formula (values come from the imported file)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_refused_csv(result: ImportResult, path) -> None:
    """Refused rows as CSV (UTF-8 with BOM, so Excel opens it with the Chinese intact)."""
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "工单编号", "reason"])
        for problem in result.refused:
            writer.writerow([problem.row, _spreadsheet_safe(problem.external_id), _spreadsheet_safe(problem.reason)])
