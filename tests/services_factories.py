"""A small catalogue for the services tests: four departments, the business-opening bundle
(licence, seal, invoice, bank account) sharing the ID card and the licence, and one community item."""

import io

from PIL import Image

from gridgov.accounts.models import Department
from gridgov.services.models import Bundle, ItemLevel, ItemType, Material, ServiceItem

DEPARTMENTS = {"MR": "市场监管局", "PS": "公安分局", "TX": "税务局", "BK": "人民银行"}


def build_catalogue() -> dict:
    departments = {code: Department.objects.create(code=code, name=name) for code, name in DEPARTMENTS.items()}
    items = {}
    specs = [
        (
            "MR-001",
            "企业设立登记",
            "MR",
            ItemType.LICENCE,
            3,
            1,
            [("id-card", "身份证", False), ("lease", "住所使用证明", False)],
        ),
        ("PS-001", "公章刻制备案", "PS", ItemType.OTHER, 3, 1, [("id-card", "身份证", False), ("licence", "营业执照", True)]),
        ("TX-001", "发票申领", "TX", ItemType.PUBLIC_SERVICE, 5, 1, [("licence", "营业执照", True)]),
        (
            "BK-001",
            "银行开户",
            "BK",
            ItemType.PUBLIC_SERVICE,
            5,
            1,
            [("licence", "营业执照", True), ("id-card", "身份证", False)],
        ),
    ]
    for code, name, dept, kind, legal, promised, materials in specs:
        item = ServiceItem.objects.create(
            code=code,
            name=name,
            item_type=kind,
            department=departments[dept],
            level=ItemLevel.DISTRICT,
            legal_days=legal,
            promised_days=promised,
            by_online=True,
            one_go=True,
            visits=0,
            form_fields=[{"key": "company_name", "label": "企业名称"}, {"key": f"{code}-extra", "label": f"{name}事项"}],
        )
        for key, mname, replaces in materials:
            Material.objects.create(item=item, key=key, name=mname, certificate_replaces=replaces)
        items[code] = item
    bundle = Bundle.objects.create(code="YJS-KB", name="开办企业一件事", promised_days=1)
    bundle.items.set(items.values())
    community = ServiceItem.objects.create(
        code="CM-001",
        name="居住证明",
        item_type=ItemType.CONVENIENCE,
        department=departments["PS"],
        level=ItemLevel.COMMUNITY,
        legal_days=5,
        promised_days=2,
        visits=1,
    )
    Material.objects.create(item=community, key="id-card", name="身份证")
    return {"departments": departments, "items": items, "bundle": bundle, "community": community}


class Upload(io.BytesIO):
    def __init__(self, data: bytes, name: str = "file.bin"):
        super().__init__(data)
        self.name, self.size = name, len(data)


def png(name: str = "scan.png") -> Upload:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, "PNG")
    return Upload(buffer.getvalue(), name)


def pdf(name: str = "scan.pdf") -> Upload:
    return Upload(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", name)
