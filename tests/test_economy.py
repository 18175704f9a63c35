"""Economy: ranking with ties, record months, growth rounding, the Excel import's refusals."""

from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook

from gridgov.accounts.models import AuditEvent
from gridgov.economy import selectors, services
from gridgov.economy.models import MonthlyFigure

pytestmark = pytest.mark.django_db

HEADER = ["指标代码", "地区代码", "年份", "月份", "当月值", "累计值", "当月同比(%)", "累计同比(%)"]


@pytest.fixture
def setup():
    output = services.ensure_indicator(code="ind-output", name_zh="规上工业总产值", name_en="Industrial output", unit="亿元")
    retail = services.ensure_indicator(code="retail-quota", name_zh="限额以上社会消费品零售总额", unit="亿元")
    home = services.ensure_district(code="D0", name="本区", is_home=True)
    peers = [services.ensure_district(code=f"D{i}", name=f"邻区{i}") for i in range(1, 4)]
    return output, retail, home, peers


def workbook(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("value", "expected"), [("18.85", "18.9"), ("18.849", "18.8"), ("-3.95", "-4.0"), ("6.6", "6.6"), (3.25, "3.3")]
)
def test_growth_rounds_halves_away_from_zero_to_one_decimal(value, expected):
    assert selectors.round_growth(value) == Decimal(expected)


def test_growth_rate_of_145_over_122_is_18_9():
    assert selectors.growth_rate(145, 122) == Decimal("18.9")
    assert selectors.growth_rate(5, 0) is None


def test_ranking_gives_ties_the_same_rank_and_skips_the_next(setup):
    _output, retail, home, (p1, p2, p3) = setup
    for district, growth in ((home, "6.6"), (p1, "6.6"), (p2, "5.0"), (p3, None)):
        services.record_figure(
            indicator=retail, district=district, year=2026, month=8, cumulative_growth=growth and Decimal(growth)
        )
    ranking = selectors.peer_ranking(retail, 2026, 8)
    assert [(d.code, r) for d, _v, r in ranking] == [("D0", 1), ("D1", 1), ("D2", 3)]
    assert selectors.district_rank(retail, home, 2026, 8) == (1, 3)
    assert selectors.district_rank(retail, p3, 2026, 8) is None
    [row] = [r for r in selectors.period_table(home, 2026, 8) if r.indicator == retail]
    assert (row.rank, row.ranked) == (1, 3)


def test_ranking_refuses_an_unknown_measure(setup):
    with pytest.raises(ValueError):
        selectors.peer_ranking(setup[1], 2026, 8, measure="name")


def test_a_record_month_beats_every_earlier_single_month_but_not_jan_feb_together(setup):
    output, _retail, home, _peers = setup
    for year, month, value in ((2025, 2, 300), (2025, 7, 160), (2025, 12, 170), (2026, 2, 320), (2026, 7, 165), (2026, 8, 171)):
        services.record_figure(indicator=output, district=home, year=year, month=month, month_value=Decimal(value))
    assert selectors.is_record_month(output, home, 2026, 8)  # 171 > 170, though below Jan–Feb's 320
    assert not selectors.is_record_month(output, home, 2026, 7)
    assert not selectors.is_record_month(output, home, 2026, 2)
    assert not selectors.is_record_month(output, home, 2025, 7)  # nothing earlier to beat
    assert selectors.is_record_month(output, home, 2025, 12)
    rows = {r.indicator.code: r for r in selectors.period_table(home, 2026, 8)}
    assert rows["ind-output"].record and not rows["retail-quota"].record


def test_an_equal_month_is_not_a_new_record(setup):
    output, _retail, home, _peers = setup
    services.record_figure(indicator=output, district=home, year=2026, month=3, month_value=Decimal(150))
    services.record_figure(indicator=output, district=home, year=2026, month=4, month_value=Decimal(150))
    assert not selectors.is_record_month(output, home, 2026, 4)


def test_import_writes_rows_audits_and_an_export_imports_back(setup):
    content = workbook(
        [["ind-output", "D0", 2026, 8, 171.2, 1251.3, 5.1, 3.9], ["retail-quota", "D1", 2026, 8, None, 80, None, "6.1"]]
    )
    result = services.import_monthly_table(content, source="统计局 2026年8月")
    assert (result.created, result.updated, result.refusals) == (2, 0, [])
    figure = MonthlyFigure.objects.get(indicator__code="ind-output", year=2026, month=8)
    assert figure.cumulative_value == Decimal("1251.3") and figure.cumulative_growth == Decimal("3.9")
    assert AuditEvent.objects.filter(action="economy.table_imported").exists()
    exported = services.export_monthly_table(selectors.figures_for_export())
    again = services.import_monthly_table(exported)
    assert (again.created, again.updated, again.refusals) == (0, 2, [])
    assert MonthlyFigure.objects.get(indicator__code="ind-output", year=2026, month=8).month_value == Decimal("171.2")


REFUSALS = {
    "unknown indicator": (["nope", "D0", 2026, 8, 1, 1, 1, 1], "indicator code"),
    "unknown district": (["ind-output", "XX", 2026, 8, 1, 1, 1, 1], "district code"),
    "bad year": (["ind-output", "D0", "twenty", 8, 1, 1, 1, 1], "is not a year"),
    "month 1": (["ind-output", "D0", 2026, 1, 1, 1, 1, 1], "is not 2 to 12"),
    "month 13": (["ind-output", "D0", 2026, 13, 1, 1, 1, 1], "is not 2 to 12"),
    "fractional month": (["ind-output", "D0", 2026, 8.5, 1, 1, 1, 1], "is not 2 to 12"),
    "not a number": (["ind-output", "D0", 2026, 8, "many", 1, 1, 1], "is not a number"),
    "infinite": (["ind-output", "D0", 2026, 8, "inf", 1, 1, 1], "is not a number"),
    "too large": (["ind-output", "D0", 2026, 8, 1e15, 1, 1, 1], "too large"),
    "no values": (["ind-output", "D0", 2026, 8, None, None, None, None], "no value at all"),
}


@pytest.mark.parametrize("kind", REFUSALS)
def test_each_refused_row_is_named_and_nothing_is_written(setup, kind):
    bad_row, reason = REFUSALS[kind]
    good = ["ind-output", "D0", 2026, 7, 160, 1080, 2, 3]
    result = services.import_monthly_table(workbook([good, bad_row]))
    assert result.refused
    assert [r.row for r in result.refusals] == [3]
    assert reason in result.refusals[0].reason and "Row 3" in result.refusals[0].reason
    assert MonthlyFigure.objects.count() == 0
    assert not AuditEvent.objects.filter(action="economy.table_imported").exists()


def test_a_repeated_row_is_refused_naming_the_first(setup):
    row = ["ind-output", "D0", 2026, 8, 1, 1, 1, 1]
    result = services.import_monthly_table(workbook([row, row]))
    assert [(r.row, "repeats row 2" in r.reason) for r in result.refusals] == [(3, True)]
    assert MonthlyFigure.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not a workbook", "not an Excel workbook"),
        (workbook([], header=None), "empty"),
        (workbook([["ind-output", "D0", 2026]], header=["指标代码", "地区代码", "年份"]), "月份 are missing"),
        (workbook([]), "no rows"),
    ],
)
def test_a_file_refused_as_a_whole_says_why(setup, content, reason):
    result = services.import_monthly_table(content)
    assert result.refused and reason in result.refusals[0].reason
    assert MonthlyFigure.objects.count() == 0


def test_english_headers_are_accepted_too(setup):
    content = workbook(
        [["ind-output", "D0", 2026, 8, 1, 2, 3, 4]],
        header=[
            "indicator",
            "district",
            "year",
            "month",
            "month value",
            "cumulative value",
            "month growth (%)",
            "cumulative growth (%)",
        ],
    )
    assert services.import_monthly_table(content).created == 1


def test_record_figure_refuses_month_one(setup):
    output, _retail, home, _peers = setup
    with pytest.raises(services.EconomyError):
        services.record_figure(indicator=output, district=home, year=2026, month=1, month_value=Decimal(1))
