"""Demo projects, renewal, an industry chain and monthly economic figures, generated so the
source article's figures come out of the selectors as computed results (DESIGN.md §10):

- January to August of the demo year: 145 projects of ≥ 100 million yuan started or restarted
  (开复工), 122 a year earlier (+23, +18.9 %), 113 signed and 67 landed;
- 121 old residential compounds in renewal;
- industrial output above designated size 1,251.3 hundred-million yuan January to August,
  +3.9 %, August the highest month on record; retail above quota +6.6 %, first of nine
  districts; vehicles 282 thousand, output value 1,082.2 hundred-million yuan.

No total is stored: the counts are stage events spread over plausible dates (a winter stop and
a spring restart, signing and landing in the same month, …), the cumulative values are sums of
the monthly values, the rank comes from the peers' figures. Growth rates are stored as the
statistics bureau publishes them (comparable basis), which is why they are given here.
Everything is written with ``bulk_create`` (hundreds of rows; the services' one-row paths
would cost seconds) and is marked as sample data.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.services import record_audit
from gridgov.economy.models import District, Indicator, MonthlyFigure
from gridgov.grids.models import Region
from gridgov.projects.catalogue import seed_industries
from gridgov.projects.models import (
    ChainNode,
    Enterprise,
    Industry,
    IndustryChain,
    InvestmentPlan,
    Milestone,
    MonthlyInvestment,
    Project,
    RenewalClass,
    RenewalCompound,
    RenewalStage,
    RenewalTarget,
    Stage,
    StageEvent,
    SupportingRate,
)

from . import DEMO_DISTRICT_CODE, DEMO_DISTRICT_NAME, SAMPLE_MARK

PARKS = ["宝马配套产业园（B园）", "汽车城产业园", "东中街商圈", "科创组团一区", "科创组团二区", "文旅融合示范区"]
INDUSTRY_PARKS = {"cars": PARKS[:2], "leisure": PARKS[2:3] + PARKS[5:], "science": PARKS[3:5]}
LEADERS = ["张副区长", "李副区长", "王副区长", "赵副区长"]
UNITS = ["区投资促进局", "区发展和改革局", "区工业和信息化局", "区商务局", "区科技局"]
NAME_PARTS = [
    "汽车零部件",
    "智能制造",
    "新工厂",
    "线束",
    "座椅",
    "电子",
    "冲压",
    "商业综合体",
    "文旅",
    "冰雪乐园",
    "研发中心",
    "产业园",
    "物流中心",
]
WORKS = ["管网改造", "屋面防水", "加装电梯", "适老适幼设施", "停车位", "外墙保温", "道路硬化"]


@dataclass(frozen=True)
class Plan:
    """A project's planned stage events: (stage, date) in order."""

    events: tuple
    investment: Decimal


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _after(rng: random.Random, day: date, start: date, end: date) -> date:
    return _day(rng, max(day, start), end)


def plan_projects(year: int, rng: random.Random) -> list[Plan]:
    """Stage histories whose January-to-August counts are the article's (see module docstring)."""
    y1, y2, y3 = year - 1, year - 2, year - 3
    plans: list[list] = []

    def major() -> Decimal:
        return Decimal(rng.choice([10_000, 12_000, 15_000, 20_000, 30_000, 50_000, 80_000, 100_000, 200_000]))

    # A1: 100 started between March and August a year earlier; 40 stopped for the winter and
    # restarted this spring (they count in both years); 20 went into production this summer.
    for i in range(100):
        signed = _day(rng, date(y2, 3, 1), date(y2, 6, 30))
        landed = _day(rng, date(y2, 7, 1), date(y2, 12, 20))
        started = _day(rng, date(y1, 3, 1), date(y1, 8, 31))
        events = [(Stage.SIGNED, signed), (Stage.LANDED, landed), (Stage.STARTED, started)]
        if i < 40:
            events += [
                (Stage.PAUSED, _day(rng, date(y1, 11, 15), date(y1, 11, 30))),
                (Stage.RESTARTED, _day(rng, date(year, 3, 10), date(year, 4, 30))),
            ]
        elif i < 60:
            events.append((Stage.PRODUCING, _day(rng, date(year, 5, 1), date(year, 8, 31))))
        plans.append(events)
    # A2: 22 started two years ago and restarted last spring; finished last December.
    for _ in range(22):
        started = _day(rng, date(y2, 4, 1), date(y2, 8, 31))
        plans.append([
            (Stage.SIGNED, _day(rng, date(y3, 3, 1), date(y3, 6, 30))), (Stage.LANDED, _day(rng, date(y3, 7, 1), date(y3, 12, 20))),
            (Stage.STARTED, started), (Stage.PAUSED, _day(rng, date(y2, 11, 15), date(y2, 11, 30))),
            (Stage.RESTARTED, _day(rng, date(y1, 3, 10), date(y1, 4, 30))), (Stage.COMPLETED, _day(rng, date(y1, 12, 1), date(y1, 12, 28))),
        ])  # fmt: skip
    # B1: 50 signed and landed last autumn, started this year.
    for _ in range(50):
        signed = _day(rng, date(y1, 9, 1), date(y1, 10, 15))
        plans.append(
            [
                (Stage.SIGNED, signed),
                (Stage.LANDED, _day(rng, date(y1, 10, 16), date(y1, 12, 20))),
                (Stage.STARTED, _day(rng, date(year, 3, 1), date(year, 8, 31))),
            ]
        )
    # B2: 30 signed last autumn, landed and started this year.
    for _ in range(30):
        landed = _day(rng, date(year, 1, 5), date(year, 4, 30))
        plans.append(
            [
                (Stage.SIGNED, _day(rng, date(y1, 9, 1), date(y1, 12, 20))),
                (Stage.LANDED, landed),
                (Stage.STARTED, _day(rng, date(year, 5, 1), date(year, 8, 31))),
            ]
        )
    # B3: 25 signed, landed (some in the same month) and started this year.
    for i in range(25):
        signed = _day(rng, date(year, 1, 5), date(year, 3, 31))
        landed = signed if i % 3 == 0 else _day(rng, date(year, 4, 1), date(year, 5, 31))
        plans.append(
            [(Stage.SIGNED, signed), (Stage.LANDED, landed), (Stage.STARTED, _day(rng, date(year, 6, 1), date(year, 8, 31)))]
        )
    # C1: 12 signed and landed this year, not started by August.
    for _ in range(12):
        signed = _day(rng, date(year, 2, 1), date(year, 6, 30))
        plans.append([(Stage.SIGNED, signed), (Stage.LANDED, _day(rng, date(year, 7, 1), date(year, 8, 31)))])
    # C2: 76 signed this year, not landed by August.
    for _ in range(76):
        plans.append([(Stage.SIGNED, _day(rng, date(year, 1, 5), date(year, 8, 31)))])
    majors = [Plan(tuple(events), major()) for events in plans]
    # Below 100 million yuan (counted nowhere) and still negotiating.
    small = [
        Plan(((Stage.SIGNED, _day(rng, date(year, 1, 5), date(year, 3, 31))), (Stage.LANDED, _day(rng, date(year, 4, 1), date(year, 5, 31))), (Stage.STARTED, _day(rng, date(year, 6, 1), date(year, 8, 31)))), Decimal(rng.randint(2_000, 9_500)))
        for _ in range(30)
    ]  # fmt: skip
    negotiating = [Plan((), major()) for _ in range(12)]
    return majors + small + negotiating


def _grid_points() -> list[tuple[int, str, float, float]]:
    rows = Region.objects.filter(level="grid", code__startswith=DEMO_DISTRICT_CODE, label_lat__isnull=False).order_by("code")
    return [
        (pk, code, lat, lng)
        for pk, code, lat, lng in rows.values_list("id", "code", "label_lat", "label_lng")
        if lat is not None and lng is not None
    ]


def _write_chain(year: int, industries: dict[str, Industry]) -> dict[str, ChainNode]:
    chain = IndustryChain.objects.create(
        code="automobile", name=f"汽车产业链{SAMPLE_MARK}", industry=industries.get("auto-assembly"), is_sample=True
    )
    layout = [
        (0, "整车制造"),
        (1, "线束"),
        (1, "座椅"),
        (1, "汽车电子"),
        (1, "冲压件"),
        (1, "动力电池"),
        (2, "物流"),
        (2, "汽车金融与服务"),
        (2, "汽车后市场"),
    ]
    nodes = {
        name: ChainNode.objects.create(chain=chain, name=name, tier=tier, display_order=i)
        for i, (tier, name) in enumerate(layout)
    }
    enterprises = [
        ("样例整车厂甲", "整车制造", True, True), ("样例整车厂乙", "整车制造", True, True), ("样例线束公司", "线束", True, False),
        ("样例座椅公司", "座椅", True, False), ("样例冲压公司", "冲压件", True, False), ("外地汽车电子公司", "汽车电子", False, False),
        ("外地电池公司", "动力电池", False, False), ("样例汽车物流公司", "物流", True, False), ("样例汽车服务公司", "汽车金融与服务", True, False),
        ("样例汽车后市场公司", "汽车后市场", True, False),
    ]  # fmt: skip
    created = Enterprise.objects.bulk_create(
        [
            Enterprise(name=f"{name}{SAMPLE_MARK}", node=nodes[node], is_local=local, is_leading=leading, is_sample=True)
            for name, node, local, leading in enterprises
        ]
    )
    rates = []
    for enterprise, base in zip([e for e in created if e.is_leading], (Decimal("38.5"), Decimal("35.2")), strict=True):
        rates += [SupportingRate(enterprise=enterprise, year=year - 2 + k, rate=base + Decimal("2.6") * k) for k in range(3)]
    SupportingRate.objects.bulk_create(rates)
    return nodes


def _write_projects(
    year: int, rng: random.Random, plans: list[Plan], points, industries: dict[str, Industry], nodes: dict[str, ChainNode]
) -> int:
    industry_list = list(industries.values())
    car_nodes = [n for name, n in nodes.items() if name in ("线束", "座椅", "冲压件", "整车制造", "物流")]
    projects = []
    for i, plan in enumerate(plans):
        grid_id, grid_code, lat, lng = points[i % len(points)]
        industry = industry_list[i % len(industry_list)]
        stage = plan.events[-1][0] if plan.events else Stage.NEGOTIATING
        projects.append(Project(
            name=f"样例{rng.choice(NAME_PARTS)}项目{i + 1:03d}{SAMPLE_MARK}", investor=f"样例投资公司{i % 40 + 1:02d}{SAMPLE_MARK}",
            stage=stage, total_investment=plan.investment, industry=industry,
            chain_node=rng.choice(car_nodes) if industry.group == "cars" else None,
            park=rng.choice(INDUSTRY_PARKS[industry.group]), lat=lat, lng=lng, grid_id=grid_id, grid_code=grid_code,
            leader=LEADERS[i % len(LEADERS)], unit=UNITS[i % len(UNITS)], is_sample=True,
        ))  # fmt: skip
    projects = Project.objects.bulk_create(projects, batch_size=500)
    events, plans_rows, investments, milestones = [], [], [], []
    for project, plan in zip(projects, plans, strict=True):
        events += [StageEvent(project=project, stage=stage, date=on, note="示例数据") for stage, on in plan.events]
        stages = {stage for stage, _on in plan.events}
        if Stage.STARTED in stages or Stage.RESTARTED in stages:
            planned = (project.total_investment * Decimal("0.3")).quantize(Decimal(1))
            plans_rows.append(InvestmentPlan(project=project, year=year, planned=planned))
            investments += [
                MonthlyInvestment(
                    project=project,
                    year=year,
                    month=m,
                    completed=(planned * Decimal(rng.randint(6, 11)) / 100).quantize(Decimal(1)),
                )
                for m in range(1, 9)
            ]
            deadline = date(year, rng.randint(3, 11), 28)
            done = deadline - timedelta(days=rng.randint(1, 20)) if rng.random() < 0.7 and deadline < date(year, 9, 1) else None
            milestones.append(Milestone(project=project, name="主体结构封顶", deadline=deadline, done_on=done))
    StageEvent.objects.bulk_create(events, batch_size=2000)
    InvestmentPlan.objects.bulk_create(plans_rows, batch_size=2000)
    MonthlyInvestment.objects.bulk_create(investments, batch_size=2000)
    Milestone.objects.bulk_create(milestones, batch_size=2000)
    return len(projects)


def _write_renewal(year: int, rng: random.Random) -> int:
    communities = list(
        Region.objects.filter(level="community", code__startswith=DEMO_DISTRICT_CODE)
        .order_by("code")
        .values_list("id", "code", "name")
    )
    stages = [RenewalStage.COMPLETED] * 46 + [RenewalStage.UNDER_WAY] * 75 + [RenewalStage.PLANNED] * 15  # 121 in renewal
    compounds = []
    for i, stage in enumerate(stages):
        community_id, code, _name = communities[i % len(communities)]
        compounds.append(RenewalCompound(
            community_id=community_id, community_code=code, name=f"样例{i + 1:03d}号小区{SAMPLE_MARK}", households=rng.randint(120, 900),
            buildings=rng.randint(3, 18), renewal_class=rng.choice(RenewalClass.values), works="、".join(rng.sample(WORKS, 3)),
            stage=stage, year=year, is_sample=True,
        ))  # fmt: skip
    RenewalCompound.objects.bulk_create(compounds)
    RenewalTarget.objects.update_or_create(
        year=year, defaults={"compounds": len(stages), "households": sum(c.households for c in compounds)}
    )
    return len([s for s in stages if s != RenewalStage.PLANNED])


# --- monthly figures -------------------------------------------------------------------------------

INDICATORS = (
    # code, Chinese, English, unit, cumulative reported
    ("industrial-output", "规模以上工业总产值", "Industrial output above designated size", "亿元", True),
    ("industrial-added-value", "规模以上工业增加值", "Industrial added value above designated size", "%", False),
    ("retail-sales", "社会消费品零售总额", "Retail sales of consumer goods", "亿元", True),
    ("retail-above-quota", "限额以上社会消费品零售总额", "Retail sales above quota", "亿元", True),
    ("fixed-asset-investment", "固定资产投资", "Fixed-asset investment", "%", False),
    ("vehicle-units", "整车产量", "Vehicle production", "万辆", True),
    ("vehicle-output-value", "整车产值", "Vehicle output value", "亿元", True),
)
PEERS = ["样例一区", "样例二区", "样例三区", "样例四区", "样例五区", "样例六区", "样例七区", "样例八区"]
# January to August of the demo year for the home district (Jan–Feb together as month 2).
# Industrial output: 290.4 + 152.4 + 150.8 + 156.9 + 161.2 + 162.9 + 176.7 = 1251.3, August highest.
HOME_MONTHS = {
    "industrial-output": [Decimal(v) for v in ("290.4", "152.4", "150.8", "156.9", "161.2", "162.9", "176.7")],
    "retail-sales": [Decimal(v) for v in ("96.2", "48.7", "47.9", "51.3", "50.6", "49.8", "52.4")],
    "retail-above-quota": [Decimal(v) for v in ("41.3", "21.0", "20.6", "22.4", "22.1", "21.7", "23.5")],
    "vehicle-units": [Decimal(v) for v in ("6.4", "3.5", "3.3", "3.6", "3.9", "3.9", "3.6")],  # 28.2; July, not August, the high
    "vehicle-output-value": [Decimal(v) for v in ("245.6", "134.8", "126.3", "138.1", "150.2", "149.6", "137.6")],  # 1082.2
}
HOME_GROWTH = {
    "industrial-output": "3.9",
    "industrial-added-value": "4.2",
    "retail-sales": "3.1",
    "retail-above-quota": "6.6",
    "fixed-asset-investment": "5.4",
}
# Peer growth January to August: retail above quota all below 6.6 (first of nine); industrial
# output with three peers above 3.9 (fourth, so the briefing names no rank, as the article).
PEER_GROWTH = {
    "industrial-output": ["5.2", "4.6", "4.1", "3.2", "2.5", "1.8", "-0.6", "2.9"],
    "industrial-added-value": ["6.1", "5.5", "4.9", "4.4", "3.0", "2.2", "1.1", "3.6"],
    "retail-sales": ["4.0", "3.8", "3.5", "2.9", "2.6", "2.0", "1.5", "3.3"],
    "retail-above-quota": ["6.1", "5.8", "5.2", "4.9", "4.3", "3.7", "2.8", "1.9"],
    "fixed-asset-investment": ["9.3", "8.1", "7.4", "6.2", "4.1", "3.3", "-2.1", "1.0"],
}


def _home_history(code: str, year: int, rng: random.Random) -> dict[tuple[int, int], Decimal]:
    """Month values for three earlier years (all months below this August's) and this year."""
    months = HOME_MONTHS[code]
    values = {(year, 2 + k): v for k, v in enumerate(months)}
    if code.startswith("vehicle"):
        return values
    ceiling = months[-1] if code == "industrial-output" else max(months[1:]) * Decimal("1.02")
    for back in (1, 2, 3):
        scale = Decimal(1) - Decimal("0.038") * back
        for month in range(2, 13):
            base = months[min(month - 2, len(months) - 1)] if month <= 8 else months[-2] * Decimal("1.03")
            value = (base * scale * Decimal(rng.randint(97, 101)) / 100).quantize(Decimal("0.1"))
            if month != 2:
                value = min(value, ceiling - Decimal("0.3") * back)
            values[(year - back, month)] = value
    if code != "industrial-output":  # only industrial output has its record month this August
        values[(year - 1, 12)] = (max(months[1:]) * Decimal("1.05")).quantize(Decimal("0.1"))
    return values


def _write_figures(year: int, rng: random.Random) -> None:
    indicators = {
        code: Indicator.objects.create(
            code=code, name_zh=zh, name_en=en, unit=unit, display_order=i, reports_cumulative=cumulative, is_sample=True
        )
        for i, (code, zh, en, unit, cumulative) in enumerate(INDICATORS)
    }
    home = District.objects.create(code=DEMO_DISTRICT_CODE, name=DEMO_DISTRICT_NAME, is_home=True, is_sample=True)
    peers = [
        District.objects.create(code=f"P{i + 1:02d}", name=f"{name}{SAMPLE_MARK}", is_sample=True) for i, name in enumerate(PEERS)
    ]
    figures = []
    for code, indicator in indicators.items():
        if code in HOME_MONTHS:
            history = _home_history(code, year, rng)
            by_year: dict[int, Decimal] = {}
            for (y, m), value in sorted(history.items()):
                by_year[y] = by_year.get(y, Decimal(0)) + value
                growth = HOME_GROWTH.get(code) if (y, m) == (year, 8) else None
                if growth is None and code in HOME_GROWTH:
                    growth = str(Decimal(HOME_GROWTH[code]) + Decimal(rng.randint(-12, 8)) / 10)
                figures.append(MonthlyFigure(
                    indicator=indicator, district=home, year=y, month=m, month_value=value, cumulative_value=by_year[y],
                    month_growth=Decimal(rng.randint(-20, 90)) / 10 if code in HOME_GROWTH else None,
                    cumulative_growth=Decimal(growth) if growth is not None else None, source="示例数据", is_sample=True,
                ))  # fmt: skip
        else:
            for m in range(2, 9):
                growth = HOME_GROWTH[code] if m == 8 else str(Decimal(HOME_GROWTH[code]) + Decimal(rng.randint(-12, 8)) / 10)
                figures.append(
                    MonthlyFigure(
                        indicator=indicator,
                        district=home,
                        year=year,
                        month=m,
                        cumulative_growth=Decimal(growth),
                        source="示例数据",
                        is_sample=True,
                    )
                )
        for peer, growth in zip(peers, PEER_GROWTH.get(code, []), strict=False):
            figures.append(
                MonthlyFigure(
                    indicator=indicator,
                    district=peer,
                    year=year,
                    month=8,
                    cumulative_growth=Decimal(growth),
                    source="示例数据",
                    is_sample=True,
                )
            )
    MonthlyFigure.objects.bulk_create(figures, batch_size=2000)


SAMPLE_PROBLEMS = (
    ("utilities", "施工用电尚未接入，临时用电方案待供电部门确认（示例）"),
    ("permit", "施工许可证办理材料已齐，待住建部门审批（示例）"),
    ("disturbance", "夜间混凝土浇筑噪声，周边居民有反映（示例）"),
)


def _raise_sample_problems() -> int:
    """A few open blocking problems, raised as cases the ordinary way, so the project office's
    list and the project pages have something to show."""
    from gridgov.projects.services import raise_problem

    started = Project.objects.filter(is_sample=True, stage__in=[Stage.STARTED, Stage.RESTARTED], lat__isnull=False).order_by("id")
    raised = 0
    for project, (kind, text) in zip(started[: len(SAMPLE_PROBLEMS)], SAMPLE_PROBLEMS, strict=False):
        raise_problem(project, kind=kind, description=text, actor=None)
        raised += 1
    return raised


@transaction.atomic
def build_projects_and_economy(seed: int, *, year: int | None = None) -> dict[str, int]:
    """Write the demo's projects, chain, renewal and monthly figures for ``year`` (default this
    year); needs the demo district's grids and communities."""
    year = year or timezone.localdate().year
    rng = random.Random(seed)
    seed_industries()
    industries = {i.code: i for i in Industry.objects.all()}
    nodes = _write_chain(year, industries)
    points = _grid_points()
    projects = _write_projects(year, rng, plan_projects(year, rng), points, industries, nodes) if points else 0
    renewal = _write_renewal(year, rng)
    _write_figures(year, rng)
    problems = _raise_sample_problems()
    record_audit(None, "demo.projects_and_economy_built", None, year=year, projects=projects, renewal=renewal)
    return {"projects": projects, "renewal": renewal, "problems": problems}


@transaction.atomic
def remove_projects_and_economy(prefix: str = DEMO_DISTRICT_CODE) -> None:
    """Delete the demo's projects and compounds (before its grids can go) and its sample figures."""
    Project.objects.filter(grid_code__startswith=prefix).delete()
    Project.objects.filter(is_sample=True).delete()
    RenewalCompound.objects.filter(community_code__startswith=prefix).delete()
    IndustryChain.objects.filter(is_sample=True).delete()
    Enterprise.objects.filter(is_sample=True).delete()
    MonthlyFigure.objects.filter(is_sample=True).delete()
    District.objects.filter(is_sample=True).delete()
    Indicator.objects.filter(is_sample=True, figures__isnull=True).delete()
