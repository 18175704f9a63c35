"""Admin of cases: categories and the calendar are editable, case records are read-only."""

from datetime import date

import pytest
from django.urls import reverse

from gridgov.cases.models import CalendarDay, Case, ExtensionRequest, Notification, Photo, Step

from .case_factories import make_category, report

pytestmark = pytest.mark.django_db


def test_category_list_filters_and_search(admin_client, network):
    category = make_category("0101")
    url = reverse("admin:cases_category_changelist")
    assert admin_client.get(url).status_code == 200
    found = admin_client.get(url, {"q": category.name}).context["cl"].result_list
    assert category in found
    events = admin_client.get(url, {"kind__exact": "component"}).context["cl"].result_list
    assert events and all(c.kind == "component" for c in events)


def test_a_category_is_edited_in_admin(admin_client, network):
    category = make_category("0101")
    page = admin_client.get(reverse("admin:cases_category_change", args=[category.pk]))
    data = {name: value for name, value in page.context["adminform"].form.initial.items() if value is not None}
    data.update({"handle_limit": "6", "duplicate_radius_m": "300", "default_department": category.default_department_id})
    data = {k: v for k, v in data.items() if k != "id"}
    response = admin_client.post(reverse("admin:cases_category_change", args=[category.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    category.refresh_from_db()
    assert (category.handle_limit, category.duplicate_radius_m) == (6, 300)


def test_calendar_days_are_editable(admin_client, network):
    response = admin_client.post(
        reverse("admin:cases_calendarday_add"), {"date": "2031-10-01", "kind": "day_off", "name": "国庆节"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=date(2031, 10, 1)).name == "国庆节"


@pytest.mark.parametrize("model", [Case, Step, Photo, ExtensionRequest, Notification])
def test_case_records_are_read_only(admin_client, network, model):
    name = model._meta.model_name
    assert admin_client.get(reverse(f"admin:cases_{name}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:cases_{name}_add")).status_code == 403


def test_a_case_can_be_viewed_but_not_changed(admin_client, network):
    case = report(description="只读")
    url = reverse("admin:cases_case_change", args=[case.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "只读" in page.content.decode()
    assert admin_client.post(url, {"state": "closed"}).status_code == 403
    case.refresh_from_db()
    assert case.state == "reported"


@pytest.mark.parametrize("field", ["intake_hours", "dispatch_hours", "handle_limit", "verify_hours"])
def test_the_admin_refuses_a_negative_time_limit(admin_client, network, field):
    category = make_category("0101")
    url = reverse("admin:cases_category_change", args=[category.pk])
    data = {name: value for name, value in admin_client.get(url).context["adminform"].form.initial.items() if value is not None}
    data = {**{k: v for k, v in data.items() if k != "id"}, "default_department": category.default_department_id, field: "-1"}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == ["时限不能为负数。"]  # the admin speaks Chinese by default
    category.refresh_from_db()
    assert getattr(category, field) >= 0
