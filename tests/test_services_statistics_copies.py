"""The parts' copies of their application's receipt moment and rating (``Part.received_at``,
``Part.grade``, ``Part.first_of_department``), which the statistics' department table reads
instead of joining the applications: written where the application's are, right after a
rating, a refused second rating, a refused acceptance and a deletion, and filled for older rows
by the migration."""

import importlib
from datetime import date

import pytest
from django.apps import apps

from gridgov.services import selectors, services
from gridgov.services.models import Application, Bundle, ItemLevel, ItemType, Part, Rectification, ServiceItem, State
from gridgov.services.workflow import ServiceError

from .services_factories import pdf, png
from .test_services_workflow import _apply_for_bundle, _media, _rated, at, catalogue, people  # noqa: F401  (fixtures)

YEAR = (date(2026, 1, 1), date(2027, 1, 1))


def _departments():
    return {
        row["department__name"]: (row["rated"], row["good"], row["bad"]) for row in selectors.rating_figures_by_department(*YEAR)
    }


def test_accepted_parts_carry_the_receipt_and_a_rating_reaches_every_part(catalogue, people, network):
    application = _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0))
    services.take_action(actor=people["clerk"], application=application, action="accept", now=at(2026, 3, 2, 9, 10))
    assert {(p.received_at, p.grade, p.first_of_department) for p in application.parts.all()} == {
        (at(2026, 3, 2, 9, 0), None, True)
    }
    assert _departments() == {}  # decided or not, an unrated application is not in the table

    rated = _rated(catalogue, people, network, 4)
    assert {(p.received_at, p.grade) for p in rated.parts.all()} == {(at(2026, 3, 2, 9, 0), 4)}
    assert _departments() == {name: (1, 1, 0) for name in ("市场监管局", "公安分局", "税务局", "人民银行")}


def test_a_second_rating_is_refused_and_the_parts_keep_the_first(catalogue, people, network):
    application = _rated(catalogue, people, network, 5)
    with pytest.raises(ServiceError):
        services.rate_application(actor=people["applicant"], application=application, grade=1, reasons="改评差评")
    assert set(application.parts.values_list("grade", flat=True)) == {5}
    assert Application.objects.get(pk=application.pk).grade == 5
    assert all(counts == (1, 1, 0) for counts in _departments().values())


def test_a_department_working_two_items_of_a_bundle_counts_the_application_once(catalogue, people, network):
    departments, items = catalogue["departments"], catalogue["items"]
    second = ServiceItem.objects.create(
        code="MR-002", name="经营范围登记", item_type=ItemType.LICENCE, department=departments["MR"],
        level=ItemLevel.DISTRICT, legal_days=3, promised_days=1, by_online=True,
    )  # fmt: skip
    bundle = Bundle.objects.create(code="YJS-2", name="两项同部门", promised_days=1)
    bundle.items.set([items["MR-001"], second, items["TX-001"]])
    application = services.submit_application(
        actor=people["applicant"], bundle=bundle, applicant_name="李四", phone="13812345678",
        files={}, certificates=["licence"], now=at(2026, 3, 2, 9, 0),
    )  # fmt: skip
    services.add_materials(actor=people["applicant"], application=application, files={"id-card": png(), "lease": pdf()})
    services.take_action(actor=people["clerk"], application=application, action="accept", now=at(2026, 3, 2, 9, 10))
    marks = sorted(application.parts.values_list("department__code", "first_of_department"))
    assert marks == [("MR", False), ("MR", True), ("TX", True)]
    for part in application.parts.all():
        services.act_on_part(actor=people[part.department.code], part=part, action="grant", now=at(2026, 3, 2, 11, 0))
    services.take_action(
        actor=people["clerk"], application=application, action="deliver", delivery="post", now=at(2026, 3, 3, 9, 0)
    )
    services.rate_application(
        actor=people["applicant"], application=application, grade=1, reasons="跑了两次", now=at(2026, 3, 4, 9, 0)
    )
    assert _departments() == {"市场监管局": (1, 0, 1), "税务局": (1, 0, 1)}


def test_a_refused_or_deleted_application_leaves_nothing_in_the_department_table(catalogue, people, network):
    refused = _apply_for_bundle(catalogue, people, network, at(2026, 3, 2, 9, 0))
    refused = services.take_action(
        actor=people["clerk"], application=refused, action="not_accept", note="不属于本窗口", now=at(2026, 3, 2, 9, 5)
    )
    assert refused.state == State.NOT_ACCEPTED and not refused.parts.exists()
    rated = _rated(catalogue, people, network, 2, "等太久")
    assert set(rated.rectifications.values_list("received_at", flat=True)) == {at(2026, 3, 2, 9, 0)}
    assert len(_departments()) == 4
    assert all(row["opened"] == 1 for row in selectors.rating_figures_by_department(*YEAR))
    Application.objects.filter(pk=rated.pk).delete()  # parts go with their application
    assert _departments() == {} and not Part.objects.exists()


def test_the_migration_fills_the_copies_of_rows_written_before_them(catalogue, people, network):
    rated = _rated(catalogue, people, network, 1, "材料退回两次")
    parts = list(rated.parts.order_by("pk"))
    Part.objects.create(  # a second part of the first part's department, as a bundle may have
        application=rated, item=parts[0].item, department=parts[0].department, state=State.GRANTED
    )
    Part.objects.update(received_at=None, grade=None, first_of_department=True)
    Rectification.objects.update(received_at=None)
    migration = importlib.import_module("gridgov.services.migrations.0003_statistics_copies")
    migration.copy_to_parts(apps, None)
    copies = list(Part.objects.order_by("pk").values_list("received_at", "grade", "first_of_department"))
    assert copies == [(at(2026, 3, 2, 9, 0), 1, True)] * 4 + [(at(2026, 3, 2, 9, 0), 1, False)]
    assert set(Rectification.objects.values_list("received_at", flat=True)) == {at(2026, 3, 2, 9, 0)}
    rows = selectors.rating_figures_by_department(*YEAR)
    assert {row["department__name"]: (row["rated"], row["bad"], row["opened"]) for row in rows} == {
        name: (1, 1, 1) for name in ("市场监管局", "公安分局", "税务局", "人民银行")
    }


def test_the_page_sums_the_rating_totals_from_the_service_point_table(catalogue, people, network):
    """``period_figures`` takes the totals' rated, good and bad from the service-point table
    instead of counting them again: the same figures as counted directly, whole and scoped."""
    for grade in (5, 4, 3, 2, 1):
        _rated(catalogue, people, network, grade, "办理太慢" if grade <= 2 else "")
    _apply_for_bundle(catalogue, people, network, at(2026, 3, 3, 9, 0))  # received, not rated
    moved = Application.objects.filter(grade=4).get()
    Application.objects.filter(pk=moved.pk).update(service_point_code="999")  # another point, outside the scope below
    kept_code = Application.objects.exclude(pk=moved.pk).values_list("service_point_code", flat=True).first()
    for scope in (None, Application.objects.filter(service_point_code__startswith=kept_code)):
        figures = selectors.period_figures(*YEAR, scope)
        counted = selectors.application_figures(*YEAR, scope)
        keys = ("received", "rated", "good", "bad", "good_rate")
        assert {key: figures["figures"][key] for key in keys} == {key: counted[key] for key in keys}
        assert figures["figures"]["rated"] == sum(row["rated"] for row in figures["points"])
    assert {key: figures["figures"][key] for key in ("received", "rated", "good", "bad")} == {
        "received": 5,
        "rated": 4,
        "good": 1,
        "bad": 2,
    }
