"""12345 hotline work orders imported from CSV and Excel."""

import csv
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from openpyxl import Workbook

from gridgov.accounts.models import AuditEvent, Role
from gridgov.cases import hotline
from gridgov.cases.hotline import HotlineFileError, import_hotline
from gridgov.cases.models import Case, Source

from .case_factories import make_category, make_user, report
from .factories import WEST_GRID, WEST_MIDDLE_GRID

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = ["工单编号", "受理时间", "诉求内容", "诉求地址", "经度", "纬度", "问题分类", "来电人", "联系电话"]
GOOD = [
    "GD2025031200001",
    "2025-03-12 09:30:00",
    "小区门口堆放生活垃圾多日无人清理",
    "西街 1 号",
    "123.405",
    "41.79",
    "暴露垃圾",
    "张先生",
    "13800001111",
]


def _row(**changes):
    row = dict(zip(HEADER, GOOD, strict=True))
    row.update(changes)
    return [row[name] for name in HEADER]


def _csv(tmp_path, rows, encoding="utf-8-sig", header=HEADER, name="orders.csv"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding=encoding) as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_good_row_becomes_a_hotline_case(network, tmp_path):
    result = import_hotline(_csv(tmp_path, [_row()]))
    assert len(result.imported) == 1 and not result.refused
    case = Case.objects.get()
    assert (case.source, case.external_id, case.grid_code) == (Source.HOTLINE, "GD2025031200001", WEST_GRID)
    assert (case.category.kind, case.category.code) == ("event", "0102")
    assert case.created_at == datetime(2025, 3, 12, 9, 30, tzinfo=SHANGHAI)
    assert (case.reporter_name, case.reporter_phone, case.address) == ("张先生", "13800001111", "西街 1 号")
    assert result.imported[0] == (2, "GD2025031200001", case.number)
    assert AuditEvent.objects.filter(action="cases.hotline_imported", detail__imported=1).exists()


def test_bad_rows_are_refused_with_row_and_reason_and_do_not_block_good_ones(network, tmp_path):
    rows = [
        _row(),
        _row(**{"工单编号": "GD2", "受理时间": "昨天上午"}),
        _row(**{"工单编号": "GD3", "经度": "116.40", "纬度": "39.90"}),
        _row(**{"工单编号": "GD4", "问题分类": "飞碟降落"}),
        _row(**{"工单编号": "GD5", "诉求内容": ""}),
        _row(**{"工单编号": "GD2025031200001"}),
        _row(**{"工单编号": "GD7", "问题分类": "component-0101"}),
        _row(**{"工单编号": "GD8", "经度": "东经123度"}),
        _row(**{"工单编号": "GD9", "受理时间": "2999-01-01 08:00"}),
    ]
    result = import_hotline(_csv(tmp_path, rows))
    reasons = {problem.row: problem.reason for problem in result.refused}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 9, 10]
    assert "受理时间" in reasons[3] and "outside the district" in reasons[4] and "unknown category" in reasons[5]
    assert "诉求内容" in reasons[6] and "repeats row 2" in reasons[7] and "经度" in reasons[9] and "future" in reasons[10]
    assert sorted(Case.objects.values_list("external_id", flat=True)) == ["GD2025031200001", "GD7"]
    assert Case.objects.get(external_id="GD7").category.name == "上水井盖"


def test_reimporting_the_same_file_skips_what_is_already_there(network, tmp_path):
    path = _csv(tmp_path, [_row(), _row(**{"工单编号": "GD2"})])
    import_hotline(path)
    again = import_hotline(path)
    assert not again.imported and [p.external_id for p in again.skipped] == ["GD2025031200001", "GD2"]
    assert Case.objects.count() == 2


def test_strict_imports_nothing_when_one_row_is_refused(network, tmp_path):
    path = _csv(tmp_path, [_row(), _row(**{"工单编号": "GD2", "问题分类": "不存在"})])
    result = import_hotline(path, strict=True)
    assert not result.imported and len(result.refused) == 1 and not Case.objects.exists()
    good = _csv(tmp_path, [_row(), _row(**{"工单编号": "GD2"})], name="good.csv")
    assert len(import_hotline(good, strict=True).imported) == 2


def test_dry_run_writes_nothing(network, tmp_path):
    result = import_hotline(_csv(tmp_path, [_row()]), dry_run=True)
    assert len(result.imported) == 1 and not Case.objects.exists()


def test_gb18030_csv_with_english_headers_and_kind_code_categories(network, tmp_path):
    header = ["external_id", "received_at", "description", "address", "lng", "lat", "category", "caller", "phone"]
    rows = [
        _row(**{"问题分类": "事件-0103"}),
        _row(**{"工单编号": "GD2", "问题分类": "event-0201", "受理时间": "2025/03/12 10:05"}),
    ]
    import_hotline(_csv(tmp_path, rows, encoding="gb18030", header=header))
    assert sorted(Case.objects.values_list("category__name", flat=True)) == ["积存垃圾渣土", "非法小广告"]
    assert Case.objects.get(external_id="GD2025031200001").description == GOOD[2]


def test_excel_workbook(network, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([20250312001, datetime(2025, 3, 12, 14, 0), "井盖缺失", "", 123.405, 41.79, "市容环境/暴露垃圾", "", ""])
    path = tmp_path / "orders.xlsx"
    workbook.save(path)
    import_hotline(path)
    case = Case.objects.get()
    assert case.external_id == "20250312001" and case.created_at == datetime(2025, 3, 12, 14, 0, tzinfo=SHANGHAI)


def test_gcj02_coordinates_are_converted_when_asked(network, tmp_path):
    # 123.405, 41.79 (WGS84, in the west grid) as a consumer map app shows it.
    path = _csv(tmp_path, [_row(**{"经度": "123.41114734", "纬度": "41.79244604"})])
    import_hotline(path, dry_run=False, gcj02=True)
    assert Case.objects.get().grid_code == WEST_GRID
    Case.objects.all().delete()
    import_hotline(path)
    assert Case.objects.get().grid_code == WEST_MIDDLE_GRID  # read as WGS84 it lands ~1 km east


def test_a_missing_column_or_unknown_format_refuses_the_file(network, tmp_path):
    with pytest.raises(HotlineFileError, match="missing columns: 纬度, 问题分类"):
        import_hotline(_csv(tmp_path, [], header=["工单编号", "受理时间", "诉求内容", "经度"]))
    (tmp_path / "orders.json").write_text("{}")
    with pytest.raises(HotlineFileError, match="only .csv and .xlsx"):
        import_hotline(tmp_path / "orders.json")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(HotlineFileError, match="Excel"):
        import_hotline(tmp_path / "bad.xlsx")


def test_command_prints_counts_and_refused_rows_and_writes_the_report(network, tmp_path, capsys):
    path = _csv(tmp_path, [_row(), _row(**{"工单编号": "=HYPERLINK(1)", "问题分类": "飞碟降落"})])
    report = tmp_path / "refused.csv"
    call_command("import_hotline", str(path), "--report", str(report))
    out = capsys.readouterr().out
    assert "2 rows read: 1 imported, 0 skipped (already imported), 1 refused" in out
    assert "each good row was imported on its own" in out and "row     3" in out
    with open(report, encoding="utf-8-sig") as written:
        rows = list(csv.reader(written))
    assert rows[0] == ["row", "工单编号", "reason"] and rows[1][:2] == ["3", "'=HYPERLINK(1)"]
    with pytest.raises(CommandError, match="1 rows refused"):
        call_command("import_hotline", str(path), "--dry-run")


# --- one case per work order, enforced by the database ---------------------------------------------


def test_the_database_holds_one_hotline_case_per_work_order(network):
    category = make_category()
    report(category, source=Source.HOTLINE, external_id="GD1")
    with pytest.raises(IntegrityError), transaction.atomic():
        report(category, source=Source.HOTLINE, external_id="GD1")
    # Empty numbers repeat freely, and other sources may carry any external reference.
    report(category, source=Source.HOTLINE)
    report(category, source=Source.HOTLINE)
    report(category, source=Source.SUPERVISOR, external_id="GD1")
    report(category, source=Source.SUPERVISOR, external_id="GD1")
    assert Case.objects.filter(external_id="GD1").count() == 3


def _another_import_takes_in(*external_ids):
    """check_records, then another import commits these work orders before this one inserts."""

    check_records = hotline.check_records

    def check_then_lose_the_race(records, **options):
        checked = check_records(records, **options)
        for external_id in external_ids:
            report(make_category(), source=Source.HOTLINE, external_id=external_id)
        return checked

    return check_then_lose_the_race


def test_a_row_another_import_took_in_meanwhile_is_refused_not_duplicated(network, tmp_path, monkeypatch):
    path = _csv(tmp_path, [_row(), _row(**{"工单编号": "GD2"})])
    monkeypatch.setattr(hotline, "check_records", _another_import_takes_in("GD2025031200001"))
    result = import_hotline(path)
    assert [(p.row, p.external_id) for p in result.refused] == [(2, "GD2025031200001")]
    assert "another import running at the same time" in result.refused[0].reason
    assert [external_id for _row_number, external_id, _number in result.imported] == ["GD2"]
    assert Case.objects.filter(source=Source.HOTLINE, external_id="GD2025031200001").count() == 1


def test_strict_import_losing_the_race_imports_nothing(network, tmp_path, monkeypatch):
    path = _csv(tmp_path, [_row(**{"工单编号": "GD2"}), _row()])
    monkeypatch.setattr(hotline, "check_records", _another_import_takes_in("GD2025031200001"))
    result = import_hotline(path, strict=True)
    assert not result.imported and [p.row for p in result.refused] == [3]
    assert not Case.objects.filter(external_id="GD2").exists()


def test_staff_intake_of_a_work_order_already_taken_in_is_a_conflict(network, client):
    category = make_category()
    existing = report(category, source=Source.HOTLINE, external_id="GD7")
    client.force_login(make_user(Role.SHIFT_LEAD))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages and the API default to Chinese
    payload = {
        "category": category.pk,
        "lat": 41.79,
        "lng": 123.405,
        "description": "垃圾",
        "source": "hotline",
        "external_id": "GD7",
    }
    response = client.post("/api/v1/cases/", payload, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["detail"] == f"external_id: hotline work order GD7 is already case {existing.number}"
    assert Case.objects.filter(external_id="GD7").count() == 1
