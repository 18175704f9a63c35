"""The demo's one-stop services: a catalogue whose counts are the source article's (603 items
done "in one go", 115 items handed down to the communities), four "one thing" bundles, and a
year of applications with ratings, some bad ratings rectified and some overdue.

The figures are computed results: the statistics selectors count them from these rows. The
business-opening bundle's applications are decided within one working day. Everything is
written with the bulk writer (gridgov/bulk.py), which encrypts applicants' data on the way.
"""

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import Department
from gridgov.accounts.services import record_audit
from gridgov.bulk import insert_objects, insert_rows
from gridgov.grids.codes import Level
from gridgov.grids.models import Region
from gridgov.services import clock
from gridgov.services.models import (
    BAD_GRADES,
    Application,
    Bundle,
    Channel,
    Delivery,
    Grade,
    ItemLevel,
    ItemType,
    Part,
    Rectification,
    ServiceItem,
    State,
)
from gridgov.services.services import RECTIFICATION_DAYS

from . import DEMO_DISTRICT_CODE, SAMPLE_MARK

ITEMS, ONE_GO, COMMUNITY_ITEMS, STREET_ITEMS = 720, 603, 115, 60
APPLICATIONS = 2400  # a year at a district hall of this size, kept small so the demo builds fast
DEPARTMENTS = {
    "svc-scjg": "市场监督管理局",
    "svc-gafj": "公安分局",
    "svc-swj": "税务局",
    "svc-yh": "开户银行",
    "svc-rsj": "人力资源和社会保障局",
    "svc-ybj": "医疗保障局",
    "svc-wjj": "卫生健康局",
    "svc-bdc": "不动产登记中心",
    "svc-mzj": "民政局",
    "svc-zjj": "住房和城乡建设局",
}
BUNDLES = [
    ("YJS-KBQY", "开办企业一件事", 1, ["svc-scjg", "svc-gafj", "svc-swj", "svc-yh"]),
    ("YJS-XSR", "新生儿出生一件事", 5, ["svc-wjj", "svc-gafj", "svc-ybj", "svc-rsj"]),
    ("YJS-TX", "退休一件事", 5, ["svc-rsj", "svc-ybj"]),
    ("YJS-ESF", "二手房转移登记一件事", 3, ["svc-bdc", "svc-swj", "svc-zjj"]),
]
GRADE_WEIGHTS = [
    (Grade.VERY_SATISFIED, 70),
    (Grade.SATISFIED, 20),
    (Grade.BASIC, 6),
    (Grade.DISSATISFIED, 3),
    (Grade.VERY_DISSATISFIED, 1),
]


def _departments() -> dict[str, Department]:
    for code, name in DEPARTMENTS.items():
        Department.objects.get_or_create(code=code, defaults={"name": f"{name}{SAMPLE_MARK}", "is_sample": True})
    return {d.code: d for d in Department.objects.filter(code__in=DEPARTMENTS)}


def _catalogue(rng: random.Random, departments: dict[str, Department]) -> tuple[list[ServiceItem], list[Bundle]]:
    codes = list(DEPARTMENTS)
    bundle_items = [(code, dept) for code, _name, _days, depts in BUNDLES for dept in depts for code in [code]]
    items = []
    for n in range(ITEMS):
        if n < len(bundle_items):
            department = bundle_items[n][1]
        else:
            department = codes[n % len(codes)]
        level = (
            ItemLevel.COMMUNITY
            if ITEMS - COMMUNITY_ITEMS <= n
            else ItemLevel.STREET
            if ITEMS - COMMUNITY_ITEMS - STREET_ITEMS <= n
            else ItemLevel.DISTRICT
        )
        legal = rng.choice([5, 10, 15, 20])
        items.append(
            ServiceItem(
                code=f"SVC-{n + 1:04d}",
                name=f"服务事项{n + 1:03d}{SAMPLE_MARK}",
                item_type=ItemType.CONVENIENCE if level == ItemLevel.COMMUNITY else rng.choice(ItemType.values),
                department_id=departments[department].pk,
                level=level,
                legal_days=legal,
                promised_days=1 if n < len(bundle_items) else max(1, legal // rng.choice([2, 3, 4])),
                fee=0,
                by_window=True,
                by_online=rng.random() < 0.85,
                by_mobile=rng.random() < 0.6,
                by_self_service=rng.random() < 0.3,
                visits=0 if rng.random() < 0.55 else 1,
                anywhere=rng.random() < 0.4,
                one_go=n < ONE_GO,
                form_fields=[{"key": "applicant", "label": "申请人"}, {"key": f"f{n}", "label": f"事项{n + 1}信息"}],
                is_active=True,
                is_sample=True,
            )
        )
    insert_objects(ServiceItem, items)
    saved = list(ServiceItem.objects.filter(code__startswith="SVC-").order_by("code"))
    insert_rows(
        ServiceItem.materials.rel.related_model,
        ["item_id", "key", "name", "form", "copies", "certificate_replaces"],
        [
            row
            for item in saved
            for row in [
                (item.pk, "id-card", "身份证", "original", 1, False),
                (item.pk, f"form-{item.code.lower()}", "申请表", "original", 1, False),
            ]
        ],
    )
    bundles, cursor = [], 0
    for code, name, days, depts in BUNDLES:
        bundle = Bundle.objects.create(code=code, name=f"{name}{SAMPLE_MARK}", promised_days=days, is_sample=True)
        bundle.items.set(saved[cursor : cursor + len(depts)])
        cursor += len(depts)
        bundles.append(bundle)
    return saved, bundles


def _working_moment(rng, cal, day):
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    start = clock.deadline_after(datetime.combine(day, time.min, tzinfo=cal.tz), 0, cal)
    return cal.add_working_hours(start, rng.uniform(0, 6))


def _applications(rng, cal, items: list[ServiceItem], bundles: list[Bundle], points, today) -> int:
    day_seconds = clock.day_seconds(cal)
    business = bundles[0]
    rows, plans = [], []
    for n in range(APPLICATIONS):
        received = _working_moment(rng, cal, today - timedelta(days=rng.randint(2, 365)))
        bundle = business if n % 40 == 0 else rng.choice(bundles) if n % 9 == 0 else None
        item: ServiceItem | None
        if bundle:
            item, subject_items, promised = None, list(bundle.items.all()), bundle.promised_days
        else:
            item = rng.choice(items)
            subject_items, promised = [item], item.promised_days
        point = (
            points["community"][n % len(points["community"])]
            if item is not None and item.level == ItemLevel.COMMUNITY
            else points["district"]
        )
        deadline = clock.deadline_after(received, promised, cal)
        share = rng.uniform(0.1, 0.9) if bundle is business else rng.uniform(0.1, 1.25)
        decided = cal.add_working_seconds(received, share * promised * day_seconds)
        grade = rng.choices([g for g, _w in GRADE_WEIGHTS], [w for _g, w in GRADE_WEIGHTS])[0]
        rated = cal.add_working_hours(decided, 2)
        rows.append(
            Application(
                number=f"SV{received:%Y%m%d}D{n:06d}",
                item=item,
                bundle=bundle,
                state=State.RATED,
                applicant_kind="enterprise" if bundle is business else "person",
                applicant_name=f"申请人{n}{SAMPLE_MARK}",
                phone=f"139{rng.randint(0, 99_999_999):08d}",
                id_number=f"210199{rng.randint(1950, 2005)}0101{rng.randint(0, 9999):04d}",
                enterprise_name=f"样例企业{n}{SAMPLE_MARK}" if bundle is business else "",
                channel=rng.choice(Channel.values),
                service_point=point,
                service_point_code=point.code,
                promised_days=promised,
                legal_days=max(i.legal_days for i in subject_items),
                received_at=received,
                accepted_at=received,
                deadline=deadline,
                decided_at=decided,
                granted=True,
                used_working_seconds=cal.working_seconds_between(received, decided),
                on_time=decided <= deadline,
                delivery=Delivery.ELECTRONIC,
                delivered_at=decided,
                grade=int(grade),
                rating_reasons="办理很快" if grade not in BAD_GRADES else "等待时间过长",
                rated_at=rated,
                is_sample=True,
            )
        )
        plans.append((subject_items, deadline, decided, grade, rated))
    insert_objects(Application, rows)
    ids = dict(Application.objects.filter(number__in=[r.number for r in rows]).values_list("number", "id"))
    parts, rectifications = [], []
    now = timezone.now()
    for row, (subject_items, deadline, decided, grade, rated) in zip(rows, plans, strict=True):
        pk = ids[row.number]
        # The parts carry their application's receipt moment and rating, the first of each
        # department marked, as the services write them (``Part.received_at`` …).
        parts += [
            (pk, i.pk, i.department_id, State.GRANTED, deadline, 0.0, "", decided, f"{i.name}批准文书", "", row.received_at,
             int(grade), all(j.department_id != i.department_id for j in subject_items[:k]))
            for k, i in enumerate(subject_items)
        ]  # fmt: skip
        if grade in BAD_GRADES:
            due = clock.deadline_after(rated, RECTIFICATION_DAYS, cal)
            closed = rng.random() < 0.7 and due < now
            for department_id in sorted({i.department_id for i in subject_items}):
                reply_at = cal.add_working_hours(rated, 20) if closed else None
                rectifications.append(
                    (
                        pk,
                        department_id,
                        rated,
                        due,
                        "已整改并向申请人说明" if closed else "",
                        reply_at,
                        "申请人认可" if closed else "",
                        reply_at,
                        reply_at,
                        row.received_at,
                    )
                )
    insert_rows(
        Part,
        [
            "application_id",
            "item_id",
            "department_id",
            "state",
            "deadline",
            "paused_seconds",
            "special_kind",
            "decided_at",
            "result_document",
            "refusal_reasons",
            "received_at",
            "grade",
            "first_of_department",
        ],
        parts,
    )
    insert_rows(
        Rectification,
        [
            "application_id",
            "department_id",
            "opened_at",
            "due_at",
            "reply",
            "replied_at",
            "return_visit",
            "visited_at",
            "closed_at",
            "received_at",
        ],
        rectifications,
    )
    return len(rows)


@transaction.atomic
def build_services(seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    cal = clock.calendar()
    departments = _departments()
    items, bundles = _catalogue(rng, departments)
    district = Region.objects.filter(code=DEMO_DISTRICT_CODE).first() or Region.objects.filter(level=Level.DISTRICT).first()
    assert district is not None, "the demo district is built before its services"
    points = {
        "district": district,
        "community": list(Region.objects.filter(level=Level.COMMUNITY, code__startswith=district.code)),
    }
    applications = (
        _applications(rng, cal, items, bundles, points, timezone.localdate()) if district and points["community"] else 0
    )
    record_audit(None, "demo.services_built", None, items=len(items), applications=applications)
    return {"items": len(items), "bundles": len(bundles), "applications": applications}


def remove_services() -> None:
    from gridgov.evaluation.services import forget_counted_months
    from gridgov.services.selectors import APPLICATIONS

    Application.objects.filter(is_sample=True).delete()
    forget_counted_months(APPLICATIONS)  # deletions write no step: the statistics' kept months would not see them
    Bundle.objects.filter(is_sample=True).delete()
    ServiceItem.objects.filter(is_sample=True).delete()
    Department.objects.filter(is_sample=True, code__in=DEPARTMENTS).delete()
