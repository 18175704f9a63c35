"""The services' panels on other apps' pages: the leader's dashboard shows on-time completion,
good ratings and business opening in one working day; the grid page shows the community's
service point and its items. The statistics count a month by moments, as the page's Excel does."""

from datetime import date

import pytest
from django.urls import reverse

from gridgov.accounts.models import Role
from gridgov.services import selectors, services
from gridgov.services.models import ItemLevel, ServiceItem

from .test_services_workflow import _apply_for_bundle, _media, _rated, at, catalogue, people  # noqa: F401  (fixtures)


@pytest.fixture
def leader(django_user_model):
    return django_user_model.objects.create_user("leader", role=Role.LEADER)


def test_the_dashboard_panel_counts_the_three_rates_in_the_leaders_scope(catalogue, people, network, leader):
    _rated(catalogue, people, network, 5)  # business opening (promised in 1 working day), decided the same morning
    slow = _apply_for_bundle(catalogue, people, network, at(2026, 3, 3, 9, 0))
    services.take_action(actor=people["clerk"], application=slow, action="accept", now=at(2026, 3, 3, 9, 5))
    for part in slow.parts.all():
        services.act_on_part(actor=people[part.department.code], part=part, action="grant", now=at(2026, 3, 5, 10, 0))
    figures = selectors.dashboard_panel(leader, date(2026, 3, 1), date(2026, 4, 1))
    assert figures["received"] == 2 and figures["decided"] == 2
    assert figures["on_time"] == 1 and figures["on_time_rate"] == 0.5
    assert figures["rated"] == 1 and figures["good_rate"] == 1
    assert figures["one_day_bundles"] == 2 and figures["one_day_done"] == 1 and figures["one_day_rate"] == 0.5
    assert selectors.dashboard_panel(people["applicant"], date(2026, 3, 1), date(2026, 4, 1))["received"] == 2
    assert selectors.dashboard_panel(people["east"], date(2026, 3, 1), date(2026, 4, 1))["received"] == 0


def test_the_dashboard_page_shows_the_services_panel(client, catalogue, people, network, leader):
    _rated(catalogue, people, network, 5)
    client.force_login(leader)
    page = client.get(reverse("evaluation:dashboard") + "?period=2026-03").content.decode()
    assert 'data-testid="services-panel"' in page and 'data-kpi="services_one_day">100.0%' in page


def test_the_grid_page_shows_its_community_service_point_and_items(client, catalogue, network, django_user_model):
    grid = network["210199001001001"]
    client.force_login(django_user_model.objects.create_user("worker", role=Role.GRID_WORKER, region=grid))
    page = client.get(reverse("grids:detail", args=[grid.code])).content.decode()
    community_items = ServiceItem.objects.filter(level=ItemLevel.COMMUNITY)
    assert 'data-testid="service-point"' in page and network["210199001001"].name in page
    assert all(item.name in page for item in community_items) and community_items.exists()


def test_months_are_counted_by_the_local_day_at_their_edges(catalogue, people, network):
    # received 23:30 on 31 March local time (15:30 UTC): March, whatever the database's clock
    _apply_for_bundle(catalogue, people, network, at(2026, 3, 31, 23, 30))
    _apply_for_bundle(catalogue, people, network, at(2026, 4, 1, 0, 0))
    figures = selectors.application_figures(date(2026, 1, 1), date(2027, 1, 1))
    assert [(f"{row['month']:%Y-%m}", row["count"]) for row in figures["by_month"]] == [("2026-03", 1), ("2026-04", 1)]
    assert selectors.application_figures(date(2026, 4, 1), date(2026, 4, 2))["received"] == 1


def test_statistics_count_only_the_applications_in_the_viewers_scope(client, catalogue, people, network, leader):
    _rated(catalogue, people, network, 1, "太慢")  # received at the district hall
    year = (date(2026, 1, 1), date(2027, 1, 1))
    assert selectors.statistics_scope(leader) is None
    everyone = selectors.rating_figures_by_department(*year, applications=selectors.statistics_scope(leader))
    assert {row["department__name"] for row in everyone} == {"市场监管局", "公安分局", "税务局", "人民银行"}
    east = selectors.statistics_scope(people["east"])
    assert selectors.rating_figures_by_department(*year, applications=east) == []
    assert selectors.rating_figures_by_service_point(*year, east) == []
    client.force_login(people["east"])
    page = client.get(reverse("services:statistics") + "?year=2026").content.decode()
    assert "税务局" not in page
    client.force_login(leader)
    assert "税务局" in client.get(reverse("services:statistics") + "?year=2026").content.decode()


def test_statistics_of_an_empty_scope_are_empty_not_an_error(client, catalogue, people, network, django_user_model):
    _rated(catalogue, people, network, 1, "太慢")
    client.force_login(django_user_model.objects.create_user("nobody", role=Role.DEPARTMENT_HANDLER))
    page = client.get(reverse("services:statistics") + "?year=2026")
    assert page.status_code == 200 and "税务局" not in page.content.decode()


def test_statistics_show_a_dash_for_a_rate_with_nothing_to_divide(client, catalogue, people, network, django_user_model):
    """No bundle decided and nothing rated: the rates are unknown, shown as a dash, not left blank."""
    client.force_login(django_user_model.objects.create_user("nobody", role=Role.DEPARTMENT_HANDLER))
    client.cookies["django_language"] = "en"
    page = client.get(reverse("services:statistics") + "?year=2026")
    assert "Bundles done within one working day: —; good ratings: —;" in page.content.decode()
