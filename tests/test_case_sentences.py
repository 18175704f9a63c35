"""Sentences with values in them are translated whole, with named placeholders, so that Chinese
can put the values where Chinese grammar wants them (not English fragments glued together)."""

import html
import re

import pytest
from django.urls import reverse

from gridgov.accounts.models import Department
from gridgov.cases.services import take_action

from .case_factories import make_category, make_department, make_team, report
from .factories import WEST_GRID

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(network):
    return make_team()


def in_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def attribute(page: str, element_id: str, name: str) -> str:
    tag = re.search(rf'<[^>]*\bid="{element_id}"[^>]*>', page).group(0)
    return html.unescape(re.search(rf'\b{name}="([^"]*)"', tag).group(1))


def test_the_report_page_hands_the_script_whole_sentences_with_placeholders(client, network):
    chinese = client.get(reverse("report:new")).content.decode()
    assert attribute(chinese, "pin-status", "data-set") == "已标注位置：纬度 {lat}，经度 {lng}"
    assert attribute(chinese, "similar-list", "data-item") == "{number} · {state} · 相距 {distance} 米 — {description}"

    english = in_english(client).get(reverse("report:new")).content.decode()
    assert attribute(english, "pin-status", "data-set") == "Pin set at {lat}, {lng}"
    assert attribute(english, "similar-list", "data-item") == "{number} · {state} · {distance} m away — {description}"
    assert "m away" not in english.split('id="similar-list"')[0]  # no loose fragment left for the script


def filed_case(team):
    case = report()
    take_action(case.pk, "accept", team["intake"])
    return take_action(case.pk, "file", team["intake"])


def test_co_departments_are_one_sentence_with_a_chinese_list(client, team):
    make_department("sw", "水务局")
    make_department("jt", "交通局")
    case = filed_case(team)
    take_action(case.pk, "whistle", team["street"], lead="sw", co=["jt", "cgj"], note="多部门联合处置")
    client.force_login(team["street"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    line = re.search(r'data-testid="co-departments">([^<]*)<', page).group(1)
    names = [d.name for d in case.co_departments.all()]
    assert sorted(names) == sorted(["交通局", Department.objects.get(code="cgj").name])
    assert line == f"会同{'、'.join(names)}办理"

    english = in_english(client).get(reverse("cases:detail", args=[case.number])).content.decode()
    line = re.search(r'data-testid="co-departments">([^<]*)<', english).group(1)
    assert line == f"with {', '.join(names)}"


def test_the_case_title_the_extension_and_the_timeline_deadlines_are_whole_sentences(client, team):
    case = filed_case(team)
    case = take_action(case.pk, "dispatch", team["dispatcher"], region=WEST_GRID)
    take_action(case.pk, "request_extension", team["grid_worker"], hours=8, note="需要协调物业")
    client.force_login(team["dispatcher"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert f"<title>案件 {case.number} · gridgov</title>" in page
    assert "8 个工作小时：需要协调物业" in page
    deadlines = re.findall(r"时限设为 (\d{4}-\d\d-\d\d \d\d:\d\d)", page)
    assert len(deadlines) >= 2  # accept/file and dispatch each set one

    english = in_english(client).get(reverse("cases:detail", args=[case.number])).content.decode()
    assert f"<title>Case {case.number} · gridgov</title>" in english
    assert "8 working hours: 需要协调物业" in english
    assert re.findall(r"deadline set to (\d{4}-\d\d-\d\d \d\d:\d\d)", english) == deadlines


def test_the_extension_reason_is_escaped_inside_the_sentence(client, team):
    case = take_action(filed_case(team).pk, "dispatch", team["dispatcher"], region=WEST_GRID)
    take_action(case.pk, "request_extension", team["grid_worker"], hours=4, note="<b>急</b>")
    client.force_login(team["dispatcher"])
    page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "4 个工作小时：&lt;b&gt;急&lt;/b&gt;" in page and "<b>急</b>" not in page


def test_similar_reports_feed_the_sentence_the_script_fills(client, network):
    existing = report(make_category("0101"))
    response = client.get(
        reverse("report:similar"), {"category": existing.category_id, "lat": existing.lat + 0.0005, "lng": existing.lng}
    )
    item = response.json()["results"][0]
    assert {"number", "state_label", "distance_m", "description"} <= item.keys()
