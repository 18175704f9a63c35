"""The catalogue as an Excel workbook: export, and import all or nothing.

Two sheets: 事项 items (one row per item) and 材料 materials (one row per material of an item).
Headers may be the Chinese or the English column names. An import checks every row of both
sheets first; if any is refused, nothing is written and the report names each bad row with its
sheet, row number and reason. Items are matched on their implementation code: existing ones are
updated (their materials replaced by the sheet's), new ones created.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department, User
from gridgov.accounts.services import record_audit

from .models import Channel, ItemLevel, ItemType, Material, ServiceItem

MAX_ROWS = 20_000
ITEM_COLUMNS = [
    ("code", "实施编码"),
    ("name", "事项名称"),
    ("item_type", "事项类型"),
    ("department", "实施部门编码"),
    ("level", "办理层级"),
    ("legal_days", "法定时限"),
    ("promised_days", "承诺时限"),
    ("fee", "收费"),
    ("channels", "办理渠道"),
    ("visits", "跑动次数"),
    ("anywhere", "全区通办"),
    ("one_go", "一次办"),
]
MATERIAL_COLUMNS = [
    ("item", "实施编码"),
    ("key", "材料编码"),
    ("name", "材料名称"),
    ("form", "原件或复印件"),
    ("copies", "份数"),
    ("certificate_replaces", "可用证照替代"),
]
ITEM_SHEET, MATERIAL_SHEET = "事项", "材料"
TRUE, FALSE = {"是", "yes", "y", "true", "1", "√"}, {"否", "no", "n", "false", "0", ""}
CHANNEL_FIELDS = {
    Channel.WINDOW: "by_window",
    Channel.ONLINE: "by_online",
    Channel.MOBILE: "by_mobile",
    Channel.SELF_SERVICE: "by_self_service",
}


@dataclass(frozen=True)
class Refusal:
    sheet: str
    row: int
    reason: str

    def __str__(self) -> str:
        if self.row == 0:  # the refusal is of the whole sheet, or of the whole file ("-"): it has no row to name
            if self.sheet == "-":
                return self.reason
            return _("Sheet %(sheet)s: %(reason)s") % {"sheet": self.sheet, "reason": self.reason}
        return _("Sheet %(sheet)s, row %(row)d: %(reason)s") % {"sheet": self.sheet, "row": self.row, "reason": self.reason}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    refusals: list[Refusal] = field(default_factory=list)


def _choice(value, choices) -> str | None:
    """A choice by its key or its label in Chinese or English (whatever language is active)."""
    text = str(value or "").strip().lower()
    for key, label in choices:
        names = {key, str(label).lower()}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names.add(str(label).lower())
        if text in names:
            return key
    return None


def _labels(choices) -> str:
    return "、".join(f"{key}" for key, _label in choices)


def _boolean(value) -> bool | None:
    text = str(value if value is not None else "").strip().lower()
    return True if text in TRUE else False if text in FALSE else None


def _whole(value) -> int | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return int(number) if number == number.to_integral_value() and 0 <= number <= 3650 else None


def _rows(workbook, sheet_name: str, columns) -> tuple[list[tuple[int, dict]], list[Refusal]]:
    if sheet_name not in workbook.sheetnames:
        return [], [Refusal(sheet_name, 0, _("The workbook has no sheet called %(sheet)s.") % {"sheet": sheet_name})]
    rows = workbook[sheet_name].iter_rows(values_only=True)
    header = next(rows, None) or ()
    names = {n.lower(): attribute for attribute, chinese in columns for n in (attribute, chinese)}
    positions = {}
    for index, cell in enumerate(header):
        attribute = names.get(str(cell or "").strip().lower())
        if attribute and attribute not in positions:
            positions[attribute] = index
    missing = [chinese for attribute, chinese in columns if attribute not in positions]
    if missing:
        return [], [Refusal(sheet_name, 1, _("The column(s) %(columns)s are missing.") % {"columns": "、".join(missing)})]
    result: list[tuple[int, dict]] = []
    for number, row in enumerate(rows, start=2):
        if number > MAX_ROWS:
            return result, [Refusal(sheet_name, number, _("A sheet holds at most %(max)d rows.") % {"max": MAX_ROWS})]
        if row is None or all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        result.append((number, {a: (row[i] if i < len(row) else None) for a, i in positions.items()}))
    return result, []


def _check_item(number: int, cells: dict, departments: dict) -> tuple[dict | None, list[str]]:
    problems: list[str] = []
    values: dict[str, Any] = {}
    values["code"] = str(cells["code"] or "").strip()
    values["name"] = str(cells["name"] or "").strip()
    if not values["code"] or len(values["code"]) > 40:
        problems.append(_("the implementation code is empty or longer than 40 characters"))
    if not values["name"] or len(values["name"]) > 200:
        problems.append(_("the name is empty or longer than 200 characters"))
    values["item_type"] = _choice(cells["item_type"], ItemType.choices)
    if values["item_type"] is None:
        problems.append(_("the type must be one of %(choices)s") % {"choices": _labels(ItemType.choices)})
    values["level"] = _choice(cells["level"], ItemLevel.choices)
    if values["level"] is None:
        problems.append(_("the level must be one of %(choices)s") % {"choices": _labels(ItemLevel.choices)})
    values["department"] = departments.get(str(cells["department"] or "").strip())
    if values["department"] is None:
        problems.append(_("no department has the code %(code)s") % {"code": cells["department"]})
    values["legal_days"], values["promised_days"] = _whole(cells["legal_days"]), _whole(cells["promised_days"])
    if values["legal_days"] is None or values["promised_days"] is None:
        problems.append(_("time limits must be whole numbers of working days"))
    elif values["promised_days"] > values["legal_days"]:
        problems.append(_("the promised time limit is longer than the legal one"))
    try:
        values["fee"] = Decimal(str(cells["fee"] if cells["fee"] not in (None, "") else 0))
        if values["fee"] < 0 or not values["fee"].is_finite() or values["fee"] >= Decimal("1e8"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems.append(_("the fee must be an amount in yuan"))
    channels = [c.strip() for c in str(cells["channels"] or "").replace("，", ",").replace("、", ",").split(",") if c.strip()]
    picked = [_choice(c, Channel.choices) for c in channels]
    if not picked or None in picked:
        problems.append(_("channels must be one or more of %(choices)s") % {"choices": _labels(Channel.choices)})
    else:
        values.update({attribute: channel in picked for channel, attribute in CHANNEL_FIELDS.items()})
    values["visits"] = _whole(cells["visits"])
    if values["visits"] not in (0, 1):
        problems.append(_("visits must be 0 or 1"))
    for attribute in ("anywhere", "one_go"):
        values[attribute] = _boolean(cells[attribute])
        if values[attribute] is None:
            problems.append(_("%(column)s must be 是 or 否") % {"column": dict(ITEM_COLUMNS)[attribute]})
    return (None if problems else values), problems


def read_catalogue(content: bytes) -> tuple[list[dict], dict[str, list[dict]], list[Refusal]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        return [], {}, [Refusal("-", 0, _("The file is not an Excel workbook (.xlsx)."))]
    item_rows, refusals = _rows(workbook, ITEM_SHEET, ITEM_COLUMNS)
    material_rows, material_refusals = _rows(workbook, MATERIAL_SHEET, MATERIAL_COLUMNS)
    refusals += material_refusals
    departments = {d.code: d for d in Department.objects.all()}
    items: list[dict] = []
    seen: dict[str, int] = {}
    for number, cells in item_rows:
        values, problems = _check_item(number, cells, departments)
        if values and values["code"] in seen:
            problems = [_("it repeats the code of row %(row)d") % {"row": seen[values["code"]]}]
        refusals += [Refusal(ITEM_SHEET, number, problem) for problem in problems]
        if values and not problems:
            seen[values["code"]] = number
            items.append(values)
    known = set(seen) | set(ServiceItem.objects.values_list("code", flat=True))
    materials: dict[str, list[dict]] = {}
    for number, cells in material_rows:
        code, key, name = (str(cells[a] or "").strip() for a in ("item", "key", "name"))
        form = _choice(cells["form"] or "original", Material.Form.choices)
        copies, replaces = (
            _whole(cells["copies"] if cells["copies"] not in (None, "") else 1),
            _boolean(cells["certificate_replaces"]),
        )
        problems = []
        if code not in known:
            problems.append(_("no item has the code %(code)s") % {"code": code})
        if not key or not name or len(key) > 60 or len(name) > 200 or not all(ch.isalnum() or ch in "-_" for ch in key):
            problems.append(_("a material needs a key (letters, digits, - or _) and a name"))
        if form is None or copies is None or copies < 1 or replaces is None:
            problems.append(_("form must be original or copy, count a whole number from 1, and certificate 是 or 否"))
        if any(m["key"] == key for m in materials.get(code, [])):
            problems.append(_("the item already lists the material %(key)s") % {"key": key})
        refusals += [Refusal(MATERIAL_SHEET, number, problem) for problem in problems]
        if not problems:
            materials.setdefault(code, []).append(
                {"key": key, "name": name, "form": form, "copies": copies, "certificate_replaces": replaces}
            )
    workbook.close()
    return items, materials, refusals


def import_catalogue(content: bytes, *, actor: User | None = None) -> ImportResult:
    items, materials, refusals = read_catalogue(content)
    if refusals:
        return ImportResult(refusals=refusals)
    result = ImportResult()
    with transaction.atomic():
        for values in items:
            code = values.pop("code")
            item, created = ServiceItem.objects.update_or_create(code=code, defaults=values)
            result.created += created
            result.updated += not created
            if code in materials:
                item.materials.all().delete()
                Material.objects.bulk_create([Material(item=item, **m) for m in materials.pop(code)])
        for code, rows in materials.items():  # materials of items already in the catalogue
            item = ServiceItem.objects.get(code=code)
            item.materials.all().delete()
            Material.objects.bulk_create([Material(item=item, **m) for m in rows])
        record_audit(actor, "services.catalogue_imported", None, created=result.created, updated=result.updated)
    return result


def export_catalogue(items=None) -> bytes:
    from openpyxl import Workbook

    items = (items if items is not None else ServiceItem.objects.all()).select_related("department").prefetch_related("materials")
    workbook = Workbook()
    sheet = workbook.worksheets[0]  # a new workbook opens with one sheet
    sheet.title = ITEM_SHEET
    sheet.append([chinese for _attribute, chinese in ITEM_COLUMNS])
    materials = workbook.create_sheet(MATERIAL_SHEET)
    materials.append([chinese for _attribute, chinese in MATERIAL_COLUMNS])
    yes_no = {True: "是", False: "否"}
    for item in items.order_by("code"):
        sheet.append(
            [
                item.code,
                item.name,
                item.item_type,
                item.department.code,
                item.level,
                item.legal_days,
                item.promised_days,
                float(item.fee),
                ",".join(item.channels),
                item.visits,
                yes_no[item.anywhere],
                yes_no[item.one_go],
            ]
        )
        for m in item.materials.all():
            materials.append([item.code, m.key, m.name, m.form, m.copies, yes_no[m.certificate_replaces]])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()
