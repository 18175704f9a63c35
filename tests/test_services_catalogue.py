"""The catalogue workbook: export → import round trip, and a refusal report naming each bad row
with nothing written."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from gridgov.services import catalogue
from gridgov.services.models import ServiceItem

from .services_factories import build_catalogue


@pytest.fixture
def built(db):
    return build_catalogue()


def _workbook(content: bytes):
    return load_workbook(BytesIO(content))


def _save(workbook) -> bytes:
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_export_then_import_updates_and_creates(built):
    workbook = _workbook(catalogue.export_catalogue())
    items = workbook[catalogue.ITEM_SHEET]
    assert items.max_row == 6 and workbook[catalogue.MATERIAL_SHEET].max_row == 9
    items.append(["NEW-001", "新事项", "convenience", "MR", "Community", 5, 2, 0, "window、online", 0, "是", "否"])
    workbook[catalogue.MATERIAL_SHEET].append(["NEW-001", "id-card", "身份证", "copy", 2, "否"])
    result = catalogue.import_catalogue(_save(workbook))
    assert not result.refusals and (result.created, result.updated) == (1, 5)
    new = ServiceItem.objects.get(code="NEW-001")
    assert new.level == "community" and new.item_type == "convenience" and new.channels == ["window", "online"]
    assert new.visits == 0 and new.anywhere and not new.one_go
    assert list(new.materials.values_list("key", "form", "copies")) == [("id-card", "copy", 2)]


def test_a_refused_workbook_names_each_bad_row_and_writes_nothing(built):
    workbook = _workbook(catalogue.export_catalogue())
    items = workbook[catalogue.ITEM_SHEET]
    items.append(["BAD-1", "坏事项", "许可", "NOPE", "district", 3, 5, 0, "window", 2, "是", "否"])
    items.append(["MR-001", "重复", "licence", "MR", "district", 3, 1, 0, "fax", 1, "maybe", "否"])
    workbook[catalogue.MATERIAL_SHEET].append(["GHOST", "x", "幽灵", "original", 1, "否"])
    before = list(ServiceItem.objects.values_list("code", "name"))
    result = catalogue.import_catalogue(_save(workbook))
    text = "\n".join(str(r) for r in result.refusals)
    assert {(r.sheet, r.row) for r in result.refusals} == {("事项", 7), ("事项", 8), ("材料", 10)}
    assert "NOPE" in text and "GHOST" in text
    assert list(ServiceItem.objects.values_list("code", "name")) == before


def test_a_file_that_is_not_a_workbook_is_refused(built):
    result = catalogue.import_catalogue(b"PK\x03\x04 not really")
    assert len(result.refusals) == 1 and "Excel" in result.refusals[0].reason
