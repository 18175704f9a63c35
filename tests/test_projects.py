"""Projects: period counts from stage events, the year before, corrections, scope, problems."""

from datetime import date
from decimal import Decimal

import pytest

from gridgov.accounts.models import AuditEvent, Role
from gridgov.cases.models import Case
from gridgov.grids.models import Region
from gridgov.projects import selectors, services
from gridgov.projects.models import (
    ChainNode,
    Enterprise,
    IndustryChain,
    RenewalCompound,
    RenewalStage,
    Stage,
    StageEvent,
)

from .factories import EAST_GRID, WEST_GRID

pytestmark = pytest.mark.django_db
WEST, EAST = (41.79, 123.405), (41.79, 123.435)
JAN_AUG = selectors.Period.months(2026, 1, 8)


def project(name="项目", investment=20000, at=WEST, stages=()):
    p = services.create_project(name=name, total_investment=investment, lat=at[0], lng=at[1])
    for stage, on in stages:
        services.record_stage(p, stage=stage, on=on)
    return p


def to_started(on_signed, on_landed, on_started):
    return [(Stage.SIGNED, on_signed), (Stage.LANDED, on_landed), (Stage.STARTED, on_started)]


def test_a_project_is_placed_in_its_grid_and_outside_pins_are_refused(network):
    p = project()
    assert p.grid_code == WEST_GRID and p.is_major
    with pytest.raises(services.ProjectError, match="outside the district"):
        project(at=(10.0, 10.0))


def test_started_last_year_and_restarted_this_year_counts_in_both_years(network):
    p = project(stages=to_started(date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)))
    services.record_stage(p, stage=Stage.PAUSED, on=date(2025, 11, 20))  # the winter stop
    services.record_stage(p, stage=Stage.RESTARTED, on=date(2026, 3, 15))
    counts = selectors.period_counts(JAN_AUG)
    assert (counts["started"].current, counts["started"].previous) == (1, 1)
    assert (counts["signed"].current, counts["signed"].previous) == (0, 1)
    assert list(selectors.drill_down("started", JAN_AUG)) == [p]
    p.refresh_from_db()
    assert p.stage == Stage.RESTARTED


def test_signed_and_landed_in_the_same_month_count_once_each(network):
    p = project(stages=[(Stage.SIGNED, date(2026, 5, 6)), (Stage.LANDED, date(2026, 5, 6))])
    counts = selectors.period_counts(selectors.Period.months(2026, 5, 5))
    assert (counts["signed"].current, counts["landed"].current, counts["started"].current) == (1, 1, 0)
    assert list(selectors.drill_down("landed", selectors.Period.months(2026, 5, 5))) == [p]


def test_a_corrected_stage_date_moves_the_count_and_is_audited(network):
    p = project(stages=to_started(date(2026, 1, 5), date(2026, 2, 1), date(2026, 9, 2)))
    assert selectors.period_counts(JAN_AUG)["started"].current == 0
    event = StageEvent.objects.get(project=p, stage=Stage.STARTED)
    services.correct_stage_date(event, on=date(2026, 8, 28), reason="开工日期录入错误")
    assert selectors.period_counts(JAN_AUG)["started"].current == 1
    audit = AuditEvent.objects.get(action="projects.stage_date_corrected")
    assert (audit.detail["old"], audit.detail["new"]) == ("2026-09-02", "2026-08-28")
    with pytest.raises(services.ProjectError, match="between"):
        services.correct_stage_date(event, on=date(2026, 1, 1))


def test_year_on_year_with_a_changed_set_of_projects(network):
    # a year earlier: three starts, two of them projects that no longer start this year
    for i in range(3):
        project(f"旧{i}", stages=to_started(date(2025, 1, 10), date(2025, 2, 10), date(2025, 3, 10 + i)))
    # this year: four different projects start; one below 100 M yuan does not count
    for i in range(4):
        project(f"新{i}", stages=to_started(date(2026, 1, 10), date(2026, 2, 10), date(2026, 6, 1 + i)))
    project("小", investment=9999, stages=to_started(date(2026, 1, 10), date(2026, 2, 10), date(2026, 6, 1)))
    started = selectors.period_counts(JAN_AUG)["started"]
    assert (started.current, started.previous, started.change, started.growth) == (4, 3, 1, Decimal("33.3"))


def test_stages_must_follow_in_order_and_not_go_back_in_time(network):
    p = project()
    with pytest.raises(services.ProjectError, match="cannot move"):
        services.record_stage(p, stage=Stage.STARTED, on=date(2026, 1, 1))
    services.record_stage(p, stage=Stage.SIGNED, on=date(2026, 3, 1))
    with pytest.raises(services.ProjectError, match="before the previous"):
        services.record_stage(p, stage=Stage.LANDED, on=date(2026, 2, 1))


def test_conversion_investment_and_overdue_milestones(network):
    a = project("甲", stages=to_started(date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)))
    project("乙", stages=[(Stage.SIGNED, date(2026, 2, 1)), (Stage.LANDED, date(2026, 9, 1))])
    project("丙", stages=[(Stage.SIGNED, date(2026, 7, 1))])
    conversion = selectors.conversion(JAN_AUG)
    assert (conversion.signed, conversion.landed, conversion.started) == (3, 1, 1)
    assert conversion.landed_rate == Decimal("33.3")
    services.set_investment_plan(a, year=2026, planned=12000)
    services.record_investment(a, year=2026, month=3, completed=3000)
    services.record_investment(a, year=2026, month=9, completed=3000)
    progress = selectors.investment_progress(2026, 8)
    assert (progress.planned, progress.completed, progress.share) == (Decimal(12000), Decimal(3000), Decimal("25.0"))
    late = services.add_milestone(a, name="主体封顶", deadline=date(2026, 8, 1))
    done = services.add_milestone(a, name="桩基", deadline=date(2026, 5, 1))
    services.complete_milestone(done, on=date(2026, 4, 20))
    services.add_milestone(a, name="竣工", deadline=date(2026, 12, 1))
    assert list(selectors.overdue_milestones(date(2026, 9, 1))) == [late]


def test_a_street_sees_its_own_projects_and_compounds_only(network, django_user_model):
    west = project("西项目")
    project("东项目", at=EAST)
    street = django_user_model.objects.create_user("street", role=Role.STREET_STAFF, region=Region.objects.get(code="210199001"))
    leader = django_user_model.objects.create_user("leader", role=Role.LEADER)
    resident = django_user_model.objects.create_user("resident", role=Role.RESIDENT)
    assert list(selectors.visible_projects(street)) == [west]
    assert selectors.visible_projects(leader).count() == 2
    assert selectors.visible_projects(resident).count() == 0
    for code in ("210199001001", "210199002001"):
        RenewalCompound.objects.create(
            community=Region.objects.get(code=code), community_code=code, name=code, households=100, buildings=3,
            renewal_class="basic", stage=RenewalStage.UNDER_WAY, year=2026,
        )  # fmt: skip
    assert [c.community_code for c in selectors.visible_compounds(street)] == ["210199001001"]


def test_a_blocking_problem_becomes_a_case_in_the_projects_grid(network, django_user_model):
    officer = django_user_model.objects.create_user("office", role=Role.DISPATCHER)
    p = project("东项目", at=EAST)
    problem = services.raise_problem(p, kind="utilities", description="施工用电未接入", actor=officer)
    case = Case.objects.get(number=problem.case_number)
    assert case.grid.code == EAST_GRID and case.category.code == "0693" and "东项目" in case.description
    [view] = selectors.open_problems(officer)
    assert view.state == "reported" and view.deadline == case.deadline
    with pytest.raises(services.ProjectError):
        services.raise_problem(p, kind="weather", description="x", actor=officer)
    with pytest.raises(services.ProjectError):
        services.raise_problem(p, kind="land", description="  ", actor=officer)


def test_renewal_progress_against_the_years_target(network):
    community = Region.objects.get(code="210199001001")
    for i, (stage, households) in enumerate(
        [(RenewalStage.COMPLETED, 200), (RenewalStage.UNDER_WAY, 300), (RenewalStage.PLANNED, 50)]
    ):
        RenewalCompound.objects.create(
            community=community,
            community_code=community.code,
            name=f"小区{i}",
            households=households,
            buildings=4,
            renewal_class="basic",
            stage=stage,
            year=2026,
        )
    services.set_renewal_target(year=2026, compounds=4, households=1000)
    progress = selectors.renewal_progress(2026)
    assert (progress.in_renewal, progress.completed, progress.households, progress.compound_share, progress.household_share) == (
        2,
        1,
        500,
        Decimal("25.0"),
        Decimal("20.0"),
    )


def test_chain_gaps_are_nodes_without_a_local_enterprise(db):
    chain = IndustryChain.objects.create(code="auto", name="汽车")
    assembly = ChainNode.objects.create(chain=chain, name="整车", tier=0)
    harness = ChainNode.objects.create(chain=chain, name="线束", tier=1)
    chips = ChainNode.objects.create(chain=chain, name="芯片", tier=1)
    leader = Enterprise.objects.create(name="整车厂", node=assembly, is_leading=True)
    Enterprise.objects.create(name="线束厂", node=harness)
    Enterprise.objects.create(name="外地芯片厂", node=chips, is_local=False)
    assert list(selectors.chain_gaps(chain)) == [chips]
    tiers = selectors.chain_tiers(chain)
    assert [[n.node.name for n in tier] for tier in tiers] == [["整车"], ["线束", "芯片"]]
    assert [n.is_gap for n in tiers[1]] == [False, True]
    services.set_supporting_rate(leader, year=2026, rate="42.5")
    with pytest.raises(services.ProjectError):
        services.set_supporting_rate(leader, year=2026, rate=101)


def test_counts_by_street_and_industry_add_up_to_the_whole(network):
    from gridgov.projects.models import Industry

    cars, science = Industry.objects.get(code="auto-parts"), Industry.objects.get(code="ai-robotics")
    for at, industry in ((WEST, cars), (WEST, science), (EAST, cars)):
        p = services.create_project(name="p", total_investment=20000, lat=at[0], lng=at[1], industry=industry)
        for stage, on in to_started(date(2026, 1, 5), date(2026, 2, 5), date(2026, 3, 5)):
            services.record_stage(p, stage=stage, on=on)
    by_street = selectors.period_counts_by("street", JAN_AUG)
    assert {k: v["started"].current for k, v in by_street.items()} == {"210199001": 2, "210199002": 1}
    by_industry = selectors.period_counts_by("industry", JAN_AUG)
    assert {k: v["signed"].current for k, v in by_industry.items()} == {"auto-parts": 2, "ai-robotics": 1}
    with pytest.raises(ValueError):
        selectors.period_counts_by("colour", JAN_AUG)
