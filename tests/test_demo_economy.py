"""The demo's projects, renewal and figures give the source article's numbers through the
selectors (nothing stored as a total), and the briefing states them."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from gridgov.demo.economy import build_projects_and_economy, remove_projects_and_economy
from gridgov.economy import selectors as economy
from gridgov.economy.briefing import monthly_briefing
from gridgov.projects import selectors as projects
from gridgov.projects.models import Project

YEAR = 2026


@pytest.fixture
def demo(network):
    build_projects_and_economy(20240901, year=YEAR)


def test_project_counts_are_the_articles(demo):
    counts = projects.period_counts(projects.Period.months(YEAR, 1, 8))
    started = counts["started"]
    assert (started.current, started.previous, started.change, started.growth) == (145, 122, 23, Decimal("18.9"))
    assert (counts["signed"].current, counts["landed"].current) == (113, 67)
    assert projects.drill_down("started", projects.Period.months(YEAR, 1, 8)).count() == 145
    assert Project.objects.filter(is_sample=True).count() == Project.objects.count()


def test_renewal_and_figures_are_the_articles(demo):
    assert projects.renewal_progress(YEAR).in_renewal == 121
    home = economy.home_district()
    rows = {row.indicator.code: row for row in economy.period_table(home, YEAR, 8)}
    output = rows["industrial-output"]
    assert (output.figure.cumulative_value, output.cumulative_growth, output.record) == (Decimal("1251.3"), Decimal("3.9"), True)
    assert sum(f.month_value for f in economy.trend(output.indicator, home, since_year=YEAR)) == Decimal("1251.3")
    retail = rows["retail-above-quota"]
    assert (retail.cumulative_growth, retail.rank, retail.ranked) == (Decimal("6.6"), 1, 9)
    assert rows["vehicle-units"].figure.cumulative_value == Decimal("28.2")
    assert rows["vehicle-output-value"].figure.cumulative_value == Decimal("1082.2")
    assert [code for code, row in rows.items() if row.record] == ["industrial-output"]


def test_the_briefing_states_the_figures_with_sources(demo, tmp_path):
    briefing = monthly_briefing(YEAR, 8)
    text = briefing.chinese
    for phrase in (
        "1月至8月", "完成规模以上工业总产值1251.3亿元，同比增长3.9%，其中，8月份当月值创历史新高",
        "限额以上社会消费品零售总额", "同比增长6.6%，位列九城区第一", "121个老旧小区改造扎实推进",
        "开复工亿元以上项目145个，同比增加23个，同比增长18.9%", "113个亿元以上项目签约，67个亿元以上项目落地",
        "整车产量28.2万辆", "整车产值1082.2亿元",
    ):  # fmt: skip
        assert phrase in text, phrase
    assert "first of 9 districts" in briefing.english and "145 projects" in briefing.english
    sources = {fact.label: fact for fact in briefing.facts}
    assert sources["规模以上工业总产值 1-8月累计"].source.startswith("economy.MonthlyFigure #")
    assert "measure=started" in sources["开复工亿元以上项目"].source
    markdown = tmp_path / "b.md"
    call_command("briefing", "--month", f"{YEAR}-08", "--output", str(markdown))
    assert "1251.3亿元" in markdown.read_text(encoding="utf-8")
    docx = tmp_path / "b.docx"
    call_command("briefing", "--month", f"{YEAR}-08", "--format", "docx", "--output", str(docx))
    from docx import Document

    assert any("145" in p.text for p in Document(str(docx)).paragraphs)


def test_the_demo_has_open_problems_raised_as_cases(demo, django_user_model):
    leader = django_user_model.objects.create_user("leader", role="leader")
    assert len(projects.open_problems(leader)) == 3


def test_removal_leaves_no_sample_rows(demo):
    remove_projects_and_economy()
    assert Project.objects.count() == 0 and economy.home_district() is None
