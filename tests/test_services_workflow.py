"""Applications on the working clock: corrections and special procedures stop it, a bundle is
decided when its last part is, shared materials are handed in once, bad ratings open a
rectification due in working days, data scope, and refused uploads that leave nothing behind."""

from datetime import datetime

import pytest

from gridgov.accounts.models import AuditEvent, Role
from gridgov.services import selectors, services
from gridgov.services.models import Application, Rectification, State, SubmittedMaterial
from gridgov.services.workflow import NotAllowed, ServiceError
from gridgov.workcalendar import SHANGHAI

from .services_factories import Upload, build_catalogue, pdf, png


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def catalogue(network):
    return build_catalogue()


@pytest.fixture
def people(catalogue, network, django_user_model):
    make = django_user_model.objects.create_user
    departments = catalogue["departments"]
    return {
        "clerk": make("clerk", role=Role.INTAKE_CLERK),
        "west": make("west_staff", role=Role.COMMUNITY_STAFF, region=network["210199001001"]),
        "east": make("east_staff", role=Role.COMMUNITY_STAFF, region=network["210199002001"]),
        "applicant": make("boss", role=Role.RESIDENT),
        **{code: make(f"handler_{code}", role=Role.DEPARTMENT_HANDLER, department=dept) for code, dept in departments.items()},
    }


def _apply_for_bundle(catalogue, people, network, now, files=None, certificates=("licence",)):
    return services.submit_application(
        actor=people["applicant"],
        bundle=catalogue["bundle"],
        applicant_kind="enterprise",
        applicant_name="张三",
        enterprise_name="样例科技有限公司",
        phone="13812345678",
        id_number="110101199003071234",
        channel="online",
        service_point=network["210199"],
        form_data={"company_name": "样例科技"},
        files=files if files is not None else {"id-card": png(), "lease": pdf()},
        certificates=certificates,
        now=now,
    )


def test_a_bundle_asks_each_shared_material_and_field_once(catalogue):
    required = services.required_materials(catalogue["bundle"])
    assert sorted(m.key for m in required) == ["id-card", "lease", "licence"]
    id_card = next(m for m in required if m.key == "id-card")
    assert id_card.item_codes == ("BK-001", "MR-001", "PS-001")
    keys = [f["key"] for f in services.combined_form(catalogue["bundle"])]
    assert keys.count("company_name") == 1 and len(keys) == 5


def test_shared_material_is_submitted_once_and_every_department_sees_it(catalogue, people, network):
    application = _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0))
    services.take_action(actor=people["clerk"], application=application, action="accept", now=at(2026, 3, 2, 9, 10))
    assert SubmittedMaterial.objects.filter(application=application, key="id-card").count() == 1
    for part in application.parts.all():
        keys = set(selectors.materials_for_part(part).values_list("key", flat=True))
        expected = set(part.item.materials.values_list("key", flat=True))
        assert keys == expected
    assert {p.department.code for p in application.parts.all()} == {"MR", "PS", "TX", "BK"}


def test_the_bundle_is_decided_only_when_its_last_part_is(catalogue, people, network):
    application = _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0))
    services.take_action(actor=people["clerk"], application=application, action="accept", now=at(2026, 3, 2, 9, 10))
    parts = {p.department.code: p for p in application.parts.all()}
    for minute, code in enumerate(["MR", "PS", "TX"], start=20):
        services.act_on_part(actor=people[code], part=parts[code], action="grant", now=at(2026, 3, 2, 10, minute))
        application.refresh_from_db()
        assert application.state == State.ACCEPTED
    services.act_on_part(actor=people["BK"], part=parts["BK"], action="grant", now=at(2026, 3, 2, 15, 0))
    application.refresh_from_db()
    assert application.state == State.DECIDED and application.granted is True
    assert application.on_time is True
    # 09:00–12:00 and 13:30–15:00 is 4.5 working hours, inside one working day
    assert application.used_working_seconds == 4.5 * 3600


def test_a_department_cannot_decide_another_departments_part(catalogue, people, network):
    application = _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0))
    services.take_action(actor=people["clerk"], application=application, action="accept", now=at(2026, 3, 2, 9, 10))
    bank_part = application.parts.get(department__code="BK")
    with pytest.raises(NotAllowed):
        services.act_on_part(actor=people["TX"], part=bank_part, action="grant", now=at(2026, 3, 2, 9, 30))
    bank_part.refresh_from_db()
    assert bank_part.state == State.REVIEW


def test_a_correction_notice_lists_what_is_missing_and_stops_the_clock(catalogue, people, network):
    application = _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0), files={"id-card": png()})
    assert application.deadline == at(2026, 3, 3, 9, 0)  # one working day
    with pytest.raises(ServiceError, match="住所使用证明|lease"):
        services.take_action(actor=people["clerk"], application=application, action="accept", now=at(2026, 3, 2, 9, 30))
    services.take_action(actor=people["clerk"], application=application, action="notify_correction", now=at(2026, 3, 2, 10, 0))
    application.refresh_from_db()
    assert application.state == State.CORRECTION and "住所使用证明" in application.correction_note
    assert application.paused_at == at(2026, 3, 2, 10, 0)
    # the applicant comes back two working days later with the lease: of the 7.5 working hours,
    # 1 was used before the notice, so 6.5 are left from the return (09:00–12:00, 13:30–17:00)
    services.add_materials(actor=people["applicant"], application=application, files={"lease": pdf()}, now=at(2026, 3, 4, 9, 0))
    application.refresh_from_db()
    assert application.state == State.RECEIVED and application.paused_at is None
    assert application.deadline == at(2026, 3, 4, 17, 0)
    assert application.paused_seconds == 2 * 7.5 * 3600 - 3600  # 10:00 on the 2nd to 09:00 on the 4th


def test_a_special_procedure_pauses_the_part_and_the_application(catalogue, people, network):
    application = services.submit_application(
        actor=people["clerk"],
        item=catalogue["items"]["MR-001"],
        applicant_name="李四",
        phone="13900001111",
        files={"id-card": png(), "lease": pdf()},
        now=at(2026, 3, 2, 9, 0),
    )
    services.take_action(actor=people["clerk"], application=application, action="accept", now=at(2026, 3, 2, 9, 0))
    part = application.parts.get()
    with pytest.raises(ServiceError):
        services.act_on_part(
            actor=people["MR"], part=part, action="start_special", special_kind="hearing", note="", now=at(2026, 3, 2, 10, 0)
        )
    services.act_on_part(
        actor=people["MR"],
        part=part,
        action="start_special",
        special_kind="inspection",
        note="现场核查",
        now=at(2026, 3, 2, 10, 0),
    )
    services.act_on_part(actor=people["MR"], part=part, action="end_special", now=at(2026, 3, 6, 10, 0))
    part.refresh_from_db()
    application.refresh_from_db()
    assert part.deadline == at(2026, 3, 9, 9, 0) == application.deadline  # 4 working days later
    services.act_on_part(actor=people["MR"], part=part, action="grant", result_document="营业执照", now=at(2026, 3, 6, 16, 0))
    application.refresh_from_db()
    assert application.on_time is True and application.used_working_seconds == 5.5 * 3600  # 09–10 and 10:00–16:00 on the 6th


def test_promised_time_skips_national_day_and_counts_the_makeup_saturday(catalogue, people, network):
    item = catalogue["items"]["TX-001"]
    item.promised_days = 3
    item.save()
    application = services.submit_application(
        actor=people["clerk"],
        item=item,
        applicant_name="王五",
        phone="13900001111",
        certificates=["licence"],
        now=at(2026, 9, 30, 9, 0),
    )
    # 30 Sep (Wed) → 8 Oct (Thu) → 9 Oct (Fri) → 10 Oct (Saturday, a make-up working day)
    assert application.deadline == at(2026, 10, 10, 9, 0)


def _rated(catalogue, people, network, grade, reasons=""):
    application = _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0))
    services.take_action(actor=people["clerk"], application=application, action="accept", now=at(2026, 3, 2, 9, 10))
    for part in application.parts.all():
        services.act_on_part(actor=people[part.department.code], part=part, action="grant", now=at(2026, 3, 2, 11, 0))
    services.take_action(
        actor=people["clerk"], application=application, action="deliver", delivery="electronic", now=at(2026, 3, 2, 11, 30)
    )
    return services.rate_application(
        actor=people["applicant"], application=application, grade=grade, reasons=reasons, now=at(2026, 9, 24, 10, 0)
    )


def test_a_bad_rating_opens_rectifications_due_in_15_working_days(catalogue, people, network):
    application = _rated(catalogue, people, network, 2, "窗口排队太久")
    rectifications = Rectification.objects.filter(application=application)
    assert rectifications.count() == 4
    # from Thu 24 Sep 2026: 28, 29, 30 Sep; 1–7 Oct off (and 25 Sep, Mid-Autumn); 8, 9 Oct,
    # Saturday 10 Oct (make-up working day), 12–16 and 19–22 Oct: the 15th is Thu 22 Oct
    assert {r.due_at for r in rectifications} == {at(2026, 10, 22, 10, 0)}
    tax = rectifications.get(department__code="TX")
    with pytest.raises(ServiceError):
        services.record_return_visit(actor=people["TX"], rectification=tax, note="满意")
    services.reply_rectification(actor=people["TX"], rectification=tax, reply="已增设窗口", now=at(2026, 10, 9, 9, 0))
    services.record_return_visit(actor=people["TX"], rectification=tax, note="申请人认可", now=at(2026, 10, 9, 10, 0))
    overdue = selectors.overdue_rectifications(at(2026, 10, 23, 9, 0))
    assert set(overdue.values_list("department__code", flat=True)) == {"MR", "PS", "BK"}


def test_a_good_rating_opens_nothing_and_bad_ratings_need_reasons(catalogue, people, network):
    application = _rated(catalogue, people, network, 5)
    assert application.state == State.RATED and not application.rectifications.exists()
    with pytest.raises(ServiceError):
        _rated(catalogue, people, network, 1, "")


def test_data_scope(catalogue, people, network, django_user_model):
    west = services.submit_application(
        actor=people["west"],
        item=catalogue["community"],
        applicant_name="赵六",
        phone="13900002222",
        service_point=network["210199001001"],
        files={"id-card": png()},
    )
    east = services.submit_application(
        actor=people["east"],
        item=catalogue["community"],
        applicant_name="钱七",
        phone="13900003333",
        service_point=network["210199002001"],
        files={"id-card": png()},
    )
    assert list(selectors.visible_applications(people["west"])) == [west]
    assert list(selectors.visible_applications(people["east"])) == [east]
    assert not selectors.visible_applications(people["MR"]).exists()
    services.take_action(actor=people["west"], application=west, action="accept")
    assert list(selectors.visible_applications(people["PS"])) == [west]
    assert [p.application for p in selectors.department_inbox(people["west"])] == [west]
    assert not selectors.department_inbox(people["east"]).exists()
    with pytest.raises(NotAllowed):
        services.take_action(actor=people["east"], application=west, action="deliver", delivery="window")
    auditor = django_user_model.objects.create_user("auditor", role=Role.AUDIT_ADMIN)
    assert not selectors.visible_applications(auditor).exists()
    assert not selectors.visible_applications(people["applicant"]).exists()


def test_personal_data_is_encrypted_and_each_unmasked_view_audited(catalogue, people, network):
    from django.db import connection

    application = _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0))
    with connection.cursor() as cursor:
        cursor.execute("select id_number, phone from services_application where id = %s", [application.pk])
        raw_id, raw_phone = cursor.fetchone()
    assert "110101199003071234" not in raw_id and "13812345678" not in raw_phone
    shown = services.reveal_applicant(actor=people["clerk"], application=application)
    assert shown["id_number"] == "110101199003071234"
    assert AuditEvent.objects.filter(action="services.reveal_applicant", actor=people["clerk"]).count() == 1
    with pytest.raises(NotAllowed):
        services.reveal_applicant(actor=people["applicant"], application=application)


@pytest.mark.parametrize(
    "upload, message",
    [
        (Upload(b"MZ\x90\x00 not a document", "licence.pdf"), "PDF"),
        (Upload(b"%PDF-1.4\n cut off", "scan.pdf"), "PDF"),
        (Upload(b"\x89PNG\r\n\x1a\n broken", "photo.png"), "image|图片|PNG"),
        (Upload(b"", "empty.pdf"), "empty|空"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_written(catalogue, people, network, _media, upload, message):
    before = Application.objects.count()
    with pytest.raises(ServiceError, match=message):
        _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0), files={"id-card": png(), "lease": upload})
    assert Application.objects.count() == before
    assert not SubmittedMaterial.objects.exists()
    assert not any(p.is_file() for p in _media.rglob("*")) if _media.exists() else True


def test_an_oversized_pdf_is_refused(catalogue, people, network, settings):
    settings.GRIDGOV_MATERIAL_MAX_BYTES = 1024 * 1024
    big = Upload(b"%PDF-1.4\n" + b"0" * (1024 * 1024) + b"\n%%EOF\n", "big.pdf")
    with pytest.raises(ServiceError, match="1 MB"):
        _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0), files={"id-card": png(), "lease": big})
    assert not Application.objects.exists()


def test_a_certificate_cannot_replace_a_material_that_must_be_handed_in(catalogue, people, network):
    with pytest.raises(ServiceError, match="身份证"):
        _apply_for_bundle(
            catalogue, people, network, at(2026, 3, 2, 9, 0), files={"lease": pdf()}, certificates=("licence", "id-card")
        )


def test_statistics_count_ratings_and_rectification_per_department(catalogue, people, network):
    from datetime import date

    application = _rated(catalogue, people, network, 1, "材料被要求提交两次")
    tax = Rectification.objects.get(application=application, department__code="TX")
    services.reply_rectification(actor=people["TX"], rectification=tax, reply="已整改", now=at(2026, 9, 28, 9, 0))
    services.record_return_visit(actor=people["TX"], rectification=tax, note="认可", now=at(2026, 9, 28, 10, 0))
    rows = {row["department__name"]: row for row in selectors.rating_figures_by_department(date(2026, 1, 1), date(2027, 1, 1))}
    assert {name: (r["rated"], r["bad"], r["opened"], r["closed"]) for name, r in rows.items()} == {
        "市场监管局": (1, 1, 1, 0),
        "公安分局": (1, 1, 1, 0),
        "税务局": (1, 1, 1, 1),
        "人民银行": (1, 1, 1, 0),
    }
    assert rows["税务局"]["rectified_rate"] == 1 and rows["市场监管局"]["rectified_rate"] == 0
    figures = selectors.application_figures(date(2026, 1, 1), date(2027, 1, 1))
    assert (figures["received"], figures["decided"], figures["on_time"], figures["bad"]) == (1, 1, 1, 1)
    assert figures["bundle_one_day_rate"] == 1 and figures["good_rate"] == 0


def test_every_row_carries_its_handler():
    from gridgov.services import steps
    from gridgov.services.workflow import APPLICATION_TRANSITIONS, PART_TRANSITIONS

    for action, row in {**APPLICATION_TRANSITIONS, **PART_TRANSITIONS}.items():
        assert row.handler is getattr(steps, action)


def test_a_correction_notice_without_words_lists_what_is_missing_and_stops_the_clock(catalogue, people, network):
    application = _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0), files={"id-card": png()})
    services.take_action(actor=people["clerk"], application=application, action="notify_correction", now=at(2026, 3, 2, 9, 5))
    application.refresh_from_db()
    assert application.state == State.CORRECTION and "住所使用证明" in application.correction_note
    assert application.paused_at == at(2026, 3, 2, 9, 5)
    with pytest.raises(ServiceError, match="Please write the reason"):
        services.take_action(actor=people["clerk"], application=application, action="not_accept", note=" ")
