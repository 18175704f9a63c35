"""The monthly briefing's card on the leader's dashboard, and the chart data the projects and
economy pages hand to their scripts (json_script)."""

import json
import re

import pytest
from django.urls import reverse

from gridgov.accounts.models import Department, Role
from gridgov.demo.economy import build_projects_and_economy
from gridgov.economy import selectors as economy_selectors
from gridgov.grids.models import Region
from gridgov.projects import selectors as project_selectors

YEAR = 2026
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(network):
    build_projects_and_economy(20240901, year=YEAR)


def _login(client, django_user_model, username, **fields):
    client.force_login(django_user_model.objects.create_user(username, **fields))
    return client


def _json_script(body: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body, re.DOTALL)
    assert match, element_id
    return json.loads(match[1])


def test_the_leader_sees_the_last_published_month_with_links(client, django_user_model, demo):
    leader = _login(client, django_user_model, "leader", role=Role.LEADER)
    year, month = economy_selectors.latest_period(economy_selectors.home_district())
    body = leader.get(reverse("evaluation:dashboard")).content.decode()
    card = body[body.index('data-testid="briefing-card"') :]
    card = card[: card.index("</section>")]
    assert f"?month={year}-{month:02d}&amp;format=docx" in card and f"?month={year}-{month:02d}&amp;format=md" in card
    counts = project_selectors.period_counts(project_selectors.Period.months(year, 1, month))
    assert f"{counts['started'].current}" in card and 'data-testid="briefing-projects"' in card
    if (year, month) == (YEAR, 8):  # the article's figures, as the demo places them
        assert "1251.3" in card and "3.9%" in card and "145" in card and "122" in card
    assert leader.get(reverse("economy:briefing"), {"month": f"{year}-{month:02d}", "format": "md"}).status_code == 200


def test_a_street_sees_the_district_economy_but_only_its_own_projects(client, django_user_model, demo):
    street = Region.objects.filter(level="street", code__startswith="210199").order_by("code").first()
    user = django_user_model.objects.create_user("street", role=Role.STREET_STAFF, region=street)
    client.force_login(user)
    headline = economy_selectors.briefing_headline(user)
    own = project_selectors.period_counts(
        project_selectors.Period.months(headline.year, 1, headline.month), project_selectors.visible_projects(user)
    )
    everyone = project_selectors.period_counts(project_selectors.Period.months(headline.year, 1, headline.month))
    assert {m: c.current for m, c in headline.project_counts.items()} == {m: c.current for m, c in own.items()}
    assert own["started"].current < everyone["started"].current
    assert (
        headline.rows == economy_selectors.briefing_headline(django_user_model.objects.create_user("l2", role=Role.LEADER)).rows
    )
    body = client.get(reverse("evaluation:dashboard")).content.decode()
    assert 'data-testid="briefing-card"' in body


def test_without_a_project_scope_the_card_has_no_project_counts(client, django_user_model, demo):
    department = Department.objects.first()
    handler = _login(client, django_user_model, "handler", role=Role.DEPARTMENT_HANDLER, department=department)
    body = handler.get(reverse("evaluation:dashboard")).content.decode()
    assert 'data-testid="briefing-card"' in body and 'data-testid="briefing-projects"' not in body


def test_no_card_without_figures(client, django_user_model, network):
    leader = _login(client, django_user_model, "leader", role=Role.LEADER)
    body = leader.get(reverse("evaluation:dashboard")).content.decode()
    assert 'data-testid="briefing-card"' not in body


def test_the_pages_hand_their_charts_the_figures_they_show(client, django_user_model, demo):
    leader = _login(client, django_user_model, "leader", role=Role.LEADER)
    counts = _json_script(
        leader.get(reverse("projects:list"), {"year": YEAR, "first": 1, "last": 8}).content.decode(), "counts-data"
    )
    assert counts["keys"] == ["signed", "landed", "started", "completed"]
    assert counts["current"][:3] == [113, 67, 145] and counts["previous"][2] == 122
    chain = _json_script(leader.get(reverse("projects:chain", args=["automobile"])).content.decode(), "chain-data")
    tiers = {node["tier"] for node in chain["nodes"]}
    assert tiers == set(range(len(tiers))) and len(tiers) > 1
    assert any(node["gap"] for node in chain["nodes"]) and not all(node["gap"] for node in chain["nodes"])
    ids = {node["id"] for node in chain["nodes"]}
    assert chain["links"] and all(link["source"] in ids and link["target"] in ids for link in chain["links"])
    trend = _json_script(
        leader.get(reverse("economy:index"), {"month": f"{YEAR}-08", "indicator": "industrial-output"}).content.decode(),
        "trend-data",
    )
    assert trend["months"][-1] == f"{YEAR}-08" and trend["months"][0].startswith(str(YEAR - 2))
    assert len(trend["values"]) == len(trend["months"]) == len(trend["cumulativeGrowth"])
    assert trend["cumulativeGrowth"][-1] == 3.9
