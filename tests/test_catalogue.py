"""The seeded category catalogue, departments and working calendar (data migrations)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gridgov import workcalendar
from gridgov.accounts.models import Department
from gridgov.cases import catalogue, sla
from gridgov.cases.models import CalendarDay, CaseKind, Category, LimitUnit
from gridgov.projects.catalogue import PROBLEM_CATEGORIES
from gridgov.workcalendar import default_calendar
from gridgov.workcalendar.holidays import SCHEDULES

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_migration_seeds_every_top_class_of_both_kinds():
    seeded = {(kind, code[:2]) for kind, code in Category.objects.values_list("kind", "code")}
    for kind, tops in catalogue.TOP_CLASSES.items():
        for top in tops:
            assert (kind, top) in seeded, f"{kind} top class {top} has no sub-class"
    # The projects app adds its blocking-problem sub-classes of 06 扩展事件 through its own migration.
    assert 60 <= Category.objects.count() == len(catalogue.CATALOGUE) + len(PROBLEM_CATEGORIES)


def test_every_category_is_complete_and_names_its_top_class():
    for category in Category.objects.select_related("default_department"):
        assert category.default_department is not None, category
        assert category.filing_condition and category.closing_condition, category
        assert category.handle_limit > 0 and category.intake_hours > 0 and category.verify_hours > 0, category
        assert category.top_name == catalogue.TOP_CLASSES[category.kind][category.top_code], category
        assert len(category.code) == 4 and category.code.isdigit(), category


def test_design_examples_exposed_rubbish_and_spoil_heaps():
    rubbish = Category.objects.get(kind=CaseKind.EVENT, name="暴露垃圾")
    assert (rubbish.code, rubbish.handle_limit, rubbish.handle_unit) == ("0102", Decimal(4), LimitUnit.WORKING_HOURS)
    assert rubbish.handled_in_grid and rubbish.default_department.code == "cgj"
    spoil = Category.objects.get(kind=CaseKind.EVENT, name="积存垃圾渣土")
    assert (spoil.code, spoil.handle_limit, spoil.handle_unit) == ("0103", Decimal(2), LimitUnit.WORKING_DAYS)
    assert Category.objects.get(kind=CaseKind.COMPONENT, code="0101").name == "上水井盖"


def test_grid_solvable_and_department_only_categories_both_exist():
    assert Category.objects.filter(handled_in_grid=True).count() >= 10
    assert Category.objects.get(kind=CaseKind.EVENT, name="非法小广告").handled_in_grid
    assert not Category.objects.get(kind=CaseKind.EVENT, name="燃气管道破裂").handled_in_grid


def test_departments_are_seeded_as_real_types_not_sample_data():
    departments = {d.code: d for d in Department.objects.filter(code__in=catalogue.DEPARTMENTS)}
    assert set(departments) == set(catalogue.DEPARTMENTS) and len(departments) == 12
    assert not any(d.is_sample for d in departments.values())
    assert departments["gaj-jj"].name == "公安交警大队"


def test_reseeding_keeps_edits_and_restores_only_what_is_missing():
    rubbish = Category.objects.get(kind=CaseKind.EVENT, code="0102")
    rubbish.handle_limit, rubbish.name = Decimal(6), "暴露垃圾（本区口径）"
    rubbish.save()
    Category.objects.filter(kind=CaseKind.COMPONENT, code="0101").delete()
    Department.objects.filter(code="jd").update(name="街道")

    assert catalogue.seed_catalogue() == 1
    assert catalogue.seed_catalogue() == 0
    rubbish.refresh_from_db()
    assert (rubbish.handle_limit, rubbish.name) == (Decimal(6), "暴露垃圾（本区口径）")
    assert Category.objects.get(kind=CaseKind.COMPONENT, code="0101").default_department.code == "sw"
    assert Department.objects.get(code="jd").name == "街道"


def test_seed_runs_on_historical_models_into_an_empty_table():
    Category.objects.all().delete()
    apps = MigrationExecutor(connection).loader.project_state(("cases", "0004_seed_calendar")).apps
    created = catalogue.seed_catalogue(apps.get_model("cases", "Category"), apps.get_model("accounts", "Department"))
    assert created == Category.objects.count() == len(catalogue.CATALOGUE)


# --- the working calendar ------------------------------------------------------------------------


def _days_of(years):
    day, last = date(min(years), 1, 1), date(max(years), 12, 31)
    while day <= last:
        yield day
        day += timedelta(days=1)


def test_seeded_calendar_matches_the_official_schedules():
    edited, official = workcalendar.working_calendar(), default_calendar()
    for day in _days_of(SCHEDULES):
        assert edited.is_working_day(day) == official.is_working_day(day), day
    # Checked against the notices: 2026 National Day is off, Saturday 10 October is worked.
    assert not edited.is_working_day(date(2026, 10, 1)) and edited.is_working_day(date(2026, 10, 10))


def test_every_listed_day_has_a_named_row():
    rows = {row.date: row for row in CalendarDay.objects.all()}
    for schedule in SCHEDULES.values():
        for day in schedule.days_off:
            assert rows[day].kind == CalendarDay.Kind.DAY_OFF and rows[day].name
        for day in schedule.makeup_workdays:
            assert rows[day].kind == CalendarDay.Kind.WORKDAY


def test_reseeding_the_calendar_keeps_an_edited_day():
    CalendarDay.objects.filter(date=date(2026, 10, 7)).update(kind=CalendarDay.Kind.WORKDAY, name="区政府调整")
    CalendarDay.objects.filter(date=date(2026, 10, 10)).delete()
    assert catalogue.seed_calendar() == 1
    assert CalendarDay.objects.get(date=date(2026, 10, 7)).kind == CalendarDay.Kind.WORKDAY
    assert workcalendar.working_calendar().is_working_day(date(2026, 10, 7))


def test_a_spoil_heap_reported_before_national_day_is_due_after_it():
    spoil = Category.objects.get(kind=CaseKind.EVENT, code="0103")
    dispatched = datetime(2025, 9, 30, 9, 0, tzinfo=SHANGHAI)  # Tuesday; 1–8 October are off
    deadline = sla.handle_deadline(workcalendar.working_calendar(), spoil, dispatched)
    # Two working days: the rest of 30 September, then 9 October (Thursday), then 10 October 09:00.
    assert deadline == datetime(2025, 10, 10, 9, 0, tzinfo=SHANGHAI)
