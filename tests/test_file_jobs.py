"""Large imports and exports as queued file jobs (gridgov.ops.filejobs), for every app that has
one: the economy's monthly table (export and import), the services' catalogue (export and import)
and yearly statistics. Each runs through the task (the tests' immediate backend; one import
through the real database queue), keeps its files in the asking user's folder (another user's
token is a 404), checks permission and file before anything is queued, and an import's refusal
report names each bad row on the status page with nothing written."""

import re
from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from gridgov.accounts.models import Role
from gridgov.economy import services as economy_services
from gridgov.economy.models import MonthlyFigure
from gridgov.ops import filejobs
from gridgov.services import catalogue
from gridgov.services.models import ServiceItem

from .services_factories import build_catalogue

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _private_folder(settings, tmp_path):
    settings.GRIDGOV_EXPORT_DIR = tmp_path / "exports"


@pytest.fixture
def economy():
    economy_services.ensure_indicator(code="industrial-output", name_zh="规上工业总产值", unit="亿元")
    economy_services.ensure_district(code="210199", name="本区", is_home=True)


def _user(django_user_model, username, role, *permissions):
    user = django_user_model.objects.create_user(username, role=role)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return django_user_model.objects.get(pk=user.pk)  # forget the cached permissions


def _english(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _xlsx(*sheets: tuple[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(content: bytes, name: str = "table.xlsx"):
    return SimpleUploadedFile(name, content, content_type=XLSX)


def _token(response) -> str:
    assert response.status_code == 302 and response["Location"].startswith("/jobs/"), response
    return response["Location"].split("/")[2]


def _download(client, token) -> bytes:
    response = client.get(f"/jobs/{token}/file")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _rows(content: bytes, sheet: str | None = None) -> list[tuple]:
    book = load_workbook(BytesIO(content))
    return list((book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True))


def _files(user) -> list[str]:
    folder = filejobs.export_root() / str(user.pk)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- the economy ---------------------------------------------------------------------------------

MONTHLY_HEADER = ["指标代码", "地区代码", "年份", "月份", "当月值", "累计值"]


def test_the_economy_import_runs_as_a_task_and_its_status_page_tells_what_was_imported(client, django_user_model, economy):
    clerk = _user(django_user_model, "stats", Role.LEADER, "add_monthlyfigure")
    _english(client, clerk)
    good = _xlsx(("monthly", [MONTHLY_HEADER, ["industrial-output", "210199", 2026, 3, 10.5, 30.2]]))
    token = _token(client.post("/economy/import/", {"file": _upload(good)}))
    page = client.get(f"/jobs/{token}/").content.decode()
    assert 'data-testid="import-done"' in page and "Imported: 1 new figures, 0 updated." in page
    assert "http-equiv" not in page  # done: no more refreshing
    assert MonthlyFigure.objects.get().month_value == pytest.approx(10.5)
    assert f"{token}.upload" not in _files(clerk)  # the upload is not kept once imported
    assert client.get(f"/jobs/{token}/file").status_code == 404  # an import has no file to download

    # The export of the page's button: the same workbook the direct link builds.
    export = _token(client.post("/economy/export/", {"year": "2026"}))
    content = _download(client, export)
    assert _rows(content) == _rows(client.get("/economy/export.xlsx", {"year": "2026"}).content)
    assert _rows(content)[1][:4] == ("industrial-output", "210199", 2026, 3)

    client.force_login(_user(django_user_model, "other-leader", Role.LEADER, "add_monthlyfigure"))
    assert client.get(f"/jobs/{token}/").status_code == 404
    assert client.get(f"/jobs/{export}/").status_code == 404
    assert client.get(f"/jobs/{export}/file").status_code == 404


def test_a_bad_economy_file_is_refused_row_by_row_on_the_status_page_and_nothing_is_written(client, django_user_model, economy):
    clerk = _user(django_user_model, "stats", Role.LEADER, "add_monthlyfigure")
    _english(client, clerk)
    bad = _xlsx(
        (
            "monthly",
            [
                MONTHLY_HEADER,
                ["industrial-output", "210199", 2026, 3, 10.5, 30.2],  # good, but not written alone
                ["no-such-indicator", "210199", 2026, 3, 1, 1],
                ["industrial-output", "210199", 2026, 13, 1, 1],
            ],
        )
    )
    token = _token(client.post("/economy/import/", {"file": _upload(bad, "march.xlsx")}))
    page = client.get(f"/jobs/{token}/").content.decode()
    assert 'data-testid="refusals"' in page
    assert "Nothing from march.xlsx was imported. Correct these rows and import the file again." in page
    refusals = re.findall(r"<li>(.*?)</li>", page.split('data-testid="refusals"')[1].split("</ul>")[0])
    assert [line.split(":")[0].split(" ")[:2] for line in refusals] == [["Row", "3"], ["Row", "4"]]
    assert all(line.endswith(".") for line in refusals)  # whole sentences
    assert not MonthlyFigure.objects.exists()

    client.cookies["django_language"] = "zh-hans"  # the task writes the result in the asking user's language
    chinese = _token(client.post("/economy/import/", {"file": _upload(bad, "march.xlsx")}))
    assert "march.xlsx 中的数据均未导入。" in client.get(f"/jobs/{chinese}/").content.decode()


def test_the_economy_import_checks_permission_and_file_before_anything_is_queued(client, django_user_model, economy):
    leader = _user(django_user_model, "leader", Role.LEADER)
    _english(client, leader)
    good = _xlsx(("monthly", [MONTHLY_HEADER, ["industrial-output", "210199", 2026, 3, 1, 1]]))
    assert client.post("/economy/import/", {"file": _upload(good)}).status_code == 404
    clerk = _user(django_user_model, "stats", Role.LEADER, "add_monthlyfigure")
    _english(client, clerk)
    for upload, sentence in (
        (_upload(b"PK\x03\x04 not a workbook"), "The file is not an Excel workbook (.xlsx)."),
        (_upload(b"x" * (filejobs.MAX_UPLOAD_BYTES + 1)), "The file is larger than 10 MB."),
    ):
        page = client.post("/economy/import/", {"file": upload}, follow=True)
        assert page.redirect_chain == [("/economy/", 302)] and sentence in page.content.decode()
    assert client.post("/economy/import/", {}, follow=True).redirect_chain == [("/economy/", 302)]
    assert _files(clerk) == [] and not MonthlyFigure.objects.exists()
    resident = _user(django_user_model, "resident", Role.RESIDENT)
    client.force_login(resident)
    assert client.post("/economy/export/", {"year": "2026"}).status_code == 404
    assert _files(resident) == []


# --- the services --------------------------------------------------------------------------------


@pytest.fixture
def built(network):
    return build_catalogue()


def test_the_catalogue_export_and_import_run_as_tasks(client, django_user_model, built):
    admin = _user(django_user_model, "catalogue-admin", Role.LEADER, "add_serviceitem", "change_serviceitem", "add_material", "delete_material")  # fmt: skip
    _english(client, admin)
    page = client.get("/services/").content.decode()
    assert 'data-testid="catalogue-export"' in page and 'action="/services/catalogue/import/"' in page
    content = _download(client, _token(client.post("/services/catalogue/export/")))
    assert _rows(content, catalogue.ITEM_SHEET) == _rows(client.get("/services/catalogue.xlsx").content, catalogue.ITEM_SHEET)

    book = load_workbook(BytesIO(content))
    book[catalogue.ITEM_SHEET].append(["NEW-001", "新事项", "convenience", "MR", "Community", 5, 2, 0, "window", 0, "是", "否"])
    out = BytesIO()
    book.save(out)
    token = _token(client.post("/services/catalogue/import/", {"file": _upload(out.getvalue(), "catalogue.xlsx")}))
    page = client.get(f"/jobs/{token}/").content.decode()
    assert "Imported: 1 new items, 5 updated." in page
    assert ServiceItem.objects.filter(code="NEW-001").exists()


def test_a_bad_catalogue_is_refused_row_by_row_on_the_status_page_and_nothing_is_written(client, django_user_model, built):
    admin = _user(django_user_model, "catalogue-admin", Role.LEADER, "add_serviceitem", "change_serviceitem", "add_material", "delete_material")  # fmt: skip
    _english(client, admin)
    book = load_workbook(BytesIO(catalogue.export_catalogue()))
    book[catalogue.ITEM_SHEET].append(["BAD-1", "坏事项", "许可", "NOPE", "district", 3, 5, 0, "window", 2, "是", "否"])
    book[catalogue.MATERIAL_SHEET].append(["GHOST", "x", "幽灵", "original", 1, "否"])
    out = BytesIO()
    book.save(out)
    before = list(ServiceItem.objects.values_list("code", "name"))
    token = _token(client.post("/services/catalogue/import/", {"file": _upload(out.getvalue(), "catalogue.xlsx")}))
    page = client.get(f"/jobs/{token}/").content.decode()
    assert "Nothing from catalogue.xlsx was imported." in page
    assert "Sheet 事项, row 7:" in page and "NOPE" in page and "Sheet 材料, row 10:" in page and "GHOST" in page
    assert list(ServiceItem.objects.values_list("code", "name")) == before

    del book[catalogue.MATERIAL_SHEET]  # a missing sheet is refused as a sheet, with no "row 0"
    out = BytesIO()
    book.save(out)
    token = _token(client.post("/services/catalogue/import/", {"file": _upload(out.getvalue(), "catalogue.xlsx")}))
    page = client.get(f"/jobs/{token}/").content.decode()
    assert "Sheet 材料: The workbook has no sheet called 材料." in page and "row 0" not in page

    client.force_login(_user(django_user_model, "clerk", Role.INTAKE_CLERK))
    assert client.get(f"/jobs/{token}/").status_code == 404
    assert 'action="/services/catalogue/import/"' not in client.get("/services/").content.decode()
    assert client.post("/services/catalogue/import/", {"file": _upload(out.getvalue())}).status_code == 403


def test_the_statistics_export_runs_as_a_task_within_the_users_scope(client, django_user_model, built):
    clerk = _user(django_user_model, "clerk", Role.INTAKE_CLERK)
    _english(client, clerk)
    assert 'data-testid="statistics-export"' in client.get("/services/statistics/", {"year": "2026"}).content.decode()
    content = _download(client, _token(client.post("/services/statistics/export/", {"year": "2026"})))
    direct = client.get("/services/statistics/", {"year": "2026", "format": "xlsx"}).content
    rows = _rows(content)
    assert rows[0][0] == "Service statistics, 2026"
    assert rows[1][:2] == ("Year", 2026)
    assert rows[2][:2] == ("Statistics period", "2026-01-01 – 2026-12-31")
    assert rows[3][:2] == ("Data scope", "Whole district")
    assert rows[4][0] == "Exported at" and rows[6][0] == "Department"
    months = _rows(content, "Months")
    assert months[1][:2] == ("Year", 2026) and months[6][:2] == ("Month", "Applications")
    assert _without_export_time(rows) == _without_export_time(_rows(direct))
    resident = _user(django_user_model, "boss", Role.RESIDENT)
    client.force_login(resident)
    assert client.post("/services/statistics/export/", {"year": "2026"}).status_code == 403
    assert _files(resident) == []


def _without_export_time(rows: list[tuple]) -> list[tuple]:
    return [row for row in rows if row[0] not in ("Exported at", "导出时间")]


def test_the_statistics_export_says_its_year_and_scope_in_chinese(client, django_user_model, built):
    from gridgov.grids.models import Region

    street = Region.objects.get(code="210199001")
    clerk = django_user_model.objects.create_user("street-clerk", role=Role.STREET_STAFF, region=street)
    client.force_login(clerk)  # no language cookie: the Chinese UI
    rows = _rows(_download(client, _token(client.post("/services/statistics/export/", {"year": "2025"}))))
    assert rows[0][0] == "2025 年政务服务统计"
    assert rows[1][:2] == ("年份", 2025)
    assert rows[2][:2] == ("统计期间", "2025-01-01 – 2025-12-31")
    assert rows[3][:2] == ("数据范围", "西街道 (210199001)")
    assert rows[4][0] == "导出时间" and rows[6][0] == "部门"


# --- the hotline import, queued from its command -----------------------------------------------


def test_the_hotline_command_can_queue_its_import_for_a_staff_user_who_follows_it(client, network, tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from gridgov.cases.models import Case

    from .case_factories import make_user
    from .test_hotline import _csv, _row

    clerk = make_user(Role.INTAKE_CLERK, username="hotline-clerk")
    path = _csv(tmp_path, [_row(), _row(**{"工单编号": "GD2", "问题分类": "飞碟降落"})])
    call_command("import_hotline", str(path), "--queue", "hotline-clerk")
    url = re.search(r"/jobs/[0-9a-f]{32}/", capsys.readouterr().out)[0]
    _english(client, clerk)
    page = client.get(url).content.decode()
    assert "Work orders read: 2; imported: 1; already imported before: 0; refused: 1." in page
    assert "Row 3, work order GD2:" in page and 'data-testid="refusals"' in page
    assert Case.objects.filter(external_id="GD2025031200001").count() == 1
    client.force_login(make_user(Role.INTAKE_CLERK, username="other-clerk"))
    assert client.get(url).status_code == 404
    with pytest.raises(CommandError):
        call_command("import_hotline", str(path), "--queue", "nobody")
    with pytest.raises(CommandError):
        call_command("import_hotline", str(tmp_path / "missing.csv"), "--queue", "hotline-clerk")


# --- the real queue ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_on_the_database_queue_an_import_waits_for_the_worker(client, settings, django_user_model, economy):
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    clerk = _user(django_user_model, "stats", Role.LEADER, "add_monthlyfigure")
    _english(client, clerk)
    good = _xlsx(("monthly", [MONTHLY_HEADER, ["industrial-output", "210199", 2026, 3, 10.5, 30.2]]))
    token = _token(client.post("/economy/import/", {"file": _upload(good)}))
    pending = client.get(f"/jobs/{token}/").content.decode()
    assert '<meta http-equiv="refresh"' in pending and "Your file is being imported." in pending
    assert not MonthlyFigure.objects.exists() and f"{token}.upload" in _files(clerk)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--queue-name", "*", "--verbosity", "0")
    assert "Imported: 1 new figures, 0 updated." in client.get(f"/jobs/{token}/").content.decode()
    assert MonthlyFigure.objects.count() == 1


def test_a_job_that_cannot_be_queued_says_so_on_its_status_page_instead_of_waiting_for_ever(
    client, django_user_model, economy, monkeypatch
):
    from gridgov.ops import tasks

    class Unreachable:
        def enqueue(self, *args, **kwargs):
            raise ConnectionError("the queue's database is down")

    monkeypatch.setattr(tasks, "run_file_job", Unreachable())
    leader = _user(django_user_model, "leader", Role.LEADER)
    _english(client, leader)
    token = _token(client.post("/economy/export/", {"year": "2026"}))
    page = client.get(f"/jobs/{token}/").content.decode()
    assert "The export could not be prepared, and every retry failed." in page and 'http-equiv="refresh"' not in page
    assert "tried again" not in page  # it was never queued, so no retry follows
