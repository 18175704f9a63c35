"""The monthly briefing: the period's figures as a paragraph in the style of the source
article's opening ("最新数据显示，1月至8月，大东区完成规模以上工业总产值1251.3亿元，同比增长3.9%，
其中，8月份产值创历史新高；……"), in Chinese and English, with every figure traceable.

Each figure in the text is a ``Fact`` that names where it came from: the monthly-figure row
(model and id), or the selector and period behind a project or renewal count with the page that
lists the rows. The Markdown and Word versions print the text and then those sources.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from django.urls import reverse

from . import selectors

CHINESE_NUMERALS = "零一二三四五六七八九十"
UNITS_EN = {
    "亿元": "hundred million yuan",
    "万元": "ten thousand yuan",
    "万辆": "ten thousand vehicles",
    "辆": "vehicles",
    "%": "%",
}


def _name_en(indicator) -> str:
    name = indicator.name_en or indicator.name_zh
    return name[:1].lower() + name[1:]


def chinese_number(n: int) -> str:
    """一 … 十九 for the ranks and peer counts bulletins write in characters; digits above."""
    if 0 <= n <= 10:
        return CHINESE_NUMERALS[n]
    if n < 20:
        return "十" + CHINESE_NUMERALS[n - 10]
    return str(n)


def plain(value: Decimal | None) -> str:
    """A stored value as printed: no trailing zeros (1251.3000 → 1251.3, 145.0 → 145)."""
    if value is None:
        return "—"
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    source: str


@dataclass
class Briefing:
    district: str
    year: int
    month: int
    chinese: str
    english: str
    facts: list[Fact] = field(default_factory=list)

    @property
    def period_zh(self) -> str:
        return f"{self.year}年1月至{self.month}月"

    def markdown(self) -> str:
        lines = [
            f"# {self.district}经济运行简报（{self.period_zh}） / Monthly briefing, January to {self.month}/{self.year}",
            "",
            self.chinese,
            "",
            self.english,
            "",
            "## 数据来源 / Sources",
            "",
            "| 指标 / figure | 数值 / value | 来源 / source |",
            "|---|---|---|",
        ]
        lines += [f"| {f.label} | {f.value} | {f.source} |" for f in self.facts]
        return "\n".join(lines) + "\n"

    def docx(self) -> bytes:
        from docx import Document

        document = Document()
        document.add_heading(f"{self.district}经济运行简报（{self.period_zh}）", level=1)
        document.add_paragraph(self.chinese)
        document.add_paragraph(self.english)
        document.add_heading("数据来源 / Sources", level=2)
        table = document.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("指标 / figure", "数值 / value", "来源 / source"), strict=True):
            cell.text = text
        for fact in self.facts:
            for cell, text in zip(table.add_row().cells, (fact.label, fact.value, fact.source), strict=True):
                cell.text = text
        buffer = BytesIO()
        document.save(buffer)
        return buffer.getvalue()


def _growth_zh(growth: Decimal) -> str:
    return f"同比增长{growth}%" if growth >= 0 else f"同比下降{-growth}%"


def _growth_en(growth: Decimal) -> str:
    return f"up {growth}% year on year" if growth >= 0 else f"down {-growth}% year on year"


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def _indicator_clauses(district, year: int, month: int, facts: list[Fact]) -> tuple[list[str], list[str]]:
    zh, en = [], []
    for row in selectors.period_table(district, year, month):
        figure = row.figure
        if figure is None or (figure.cumulative_value is None and figure.cumulative_growth is None):
            continue
        indicator = row.indicator
        source = f"economy.MonthlyFigure #{figure.pk} ({indicator.code}, {district.code}, {year}-{month:02d})"
        growth = row.cumulative_growth
        if figure.cumulative_value is not None:
            value = plain(figure.cumulative_value)
            facts.append(Fact(f"{indicator.name_zh} 1-{month}月累计", f"{value}{indicator.unit}", source))
            clause_zh = f"完成{indicator.name_zh}{value}{indicator.unit}"
            clause_en = f"{_name_en(indicator)} reached {value} {UNITS_EN.get(indicator.unit, indicator.unit)}"
            if growth is not None:
                clause_zh += f"，{_growth_zh(growth)}"
                clause_en += f", {_growth_en(growth)}"
        else:
            clause_zh = f"{indicator.name_zh}增速{growth}%"
            clause_en = f"{_name_en(indicator)} grew {growth}%"
        if growth is not None:
            facts.append(Fact(f"{indicator.name_zh} 累计同比", f"{growth}%", source))
        if row.rank is not None and row.ranked > 1 and row.rank <= 3:
            clause_zh += f"，位列{chinese_number(row.ranked)}城区第{chinese_number(row.rank)}"
            clause_en += f", {_ordinal(row.rank)} of {row.ranked} districts"
            facts.append(
                Fact(
                    f"{indicator.name_zh} 排名",
                    f"{row.rank}/{row.ranked}",
                    f"economy peer ranking by cumulative growth, {indicator.code} {year}-{month:02d}",
                )
            )
        if row.record:
            clause_zh += f"，其中，{month}月份当月值创历史新高"
            clause_en += f"; {_month_name(month)} was the highest month on record"
            facts.append(
                Fact(f"{indicator.name_zh} {month}月当月值（历史新高）", f"{plain(figure.month_value)}{indicator.unit}", source)
            )
        zh.append(clause_zh)
        en.append(clause_en)
    return zh, en


def _month_name(month: int) -> str:
    return (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )[month - 1]


def _project_clauses(year: int, month: int, facts: list[Fact]) -> tuple[list[str], list[str]]:
    from gridgov.projects import selectors as project_selectors

    period = project_selectors.Period.months(year, 1, month)
    counts = project_selectors.period_counts(period)
    started, signed, landed = counts["started"], counts["signed"], counts["landed"]
    if not (started.current or started.previous or signed.current or landed.current):
        return [], []
    base = reverse("projects:list") + f"?year={year}&first=1&last={month}&measure="
    facts += [
        Fact(
            "开复工亿元以上项目",
            str(started.current),
            f"projects.selectors.period_counts, started+restarted {period.start}–{period.end}: {base}started",
        ),
        Fact(
            "上年同期开复工亿元以上项目", str(started.previous), f"same, {period.year_before().start}–{period.year_before().end}"
        ),
        Fact("签约亿元以上项目", str(signed.current), f"{base}signed"),
        Fact("落地亿元以上项目", str(landed.current), f"{base}landed"),
    ]
    change_zh = f"同比增加{started.change}个" if started.change >= 0 else f"同比减少{-started.change}个"
    zh = f"开复工亿元以上项目{started.current}个，{change_zh}"
    en = f"{started.current} projects of 100 million yuan or more started or restarted, {abs(started.change)} {'more' if started.change >= 0 else 'fewer'} than a year earlier"
    if started.growth is not None:
        zh += f"，{_growth_zh(started.growth)}"
        en += f" ({'+' if started.growth >= 0 else ''}{started.growth}%)"
    zh += f"；{signed.current}个亿元以上项目签约，{landed.current}个亿元以上项目落地"
    en += f"; {signed.current} were signed and {landed.current} landed"
    return [zh], [en]


def _renewal_clauses(year: int, facts: list[Fact]) -> tuple[list[str], list[str]]:
    from gridgov.projects import selectors as project_selectors

    progress = project_selectors.renewal_progress(year)
    if not progress.in_renewal:
        return [], []
    facts.append(
        Fact(
            "改造中的老旧小区",
            str(progress.in_renewal),
            f"projects.selectors.renewal_progress({year}): {reverse('projects:renewal')}?year={year}",
        )
    )
    return [f"{progress.in_renewal}个老旧小区改造扎实推进"], [
        f"{progress.in_renewal} old residential compounds are being renewed"
    ]


def monthly_briefing(year: int, month: int) -> Briefing | None:
    """The briefing for January to ``month`` of ``year``; None without a home district."""
    district = selectors.home_district()
    if district is None:
        return None
    facts: list[Fact] = []
    economy_zh, economy_en = _indicator_clauses(district, year, month, facts)
    projects_zh, projects_en = _project_clauses(year, month, facts)
    renewal_zh, renewal_en = _renewal_clauses(year, facts)
    span_zh = "1月至2月" if month == 2 else f"1月至{month}月"
    span_en = f"January to {_month_name(month)} {year}"
    parts_zh = economy_zh + renewal_zh
    chinese = f"最新数据显示，{span_zh}，{district.name}" + ("；".join(parts_zh) if parts_zh else "暂无统计数据") + "。"
    if projects_zh:
        chinese += f"{span_zh}，{district.name}" + projects_zh[0] + "。"
    parts_en = economy_en + renewal_en + projects_en
    english = (
        f"The latest figures show that from {span_en}, in {district.name}, "
        + ("; ".join(parts_en) if parts_en else "no figures were reported")
        + "."
    )
    return Briefing(district.name, year, month, chinese, english, facts)
