"""Reads over projects: data scope, period counts with the year before, conversion,
investment against plan, overdue milestones, drill-down lists, chains and renewal progress.

A period count asks which ≥ 100 million yuan projects have a stage event of a kind dated in
the period; each number is one conditional COUNT(DISTINCT project) in a single aggregate
query over the stage events (both periods at once), and the drill-down list is the same filter
returning projects, so the number and its list cannot disagree.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr

from gridgov.accounts.models import User
from gridgov.accounts.selectors import data_scope
from gridgov.economy.selectors import growth_rate, round_growth

from .models import (
    MAJOR_THRESHOLD,
    ChainNode,
    Enterprise,
    IndustryChain,
    InvestmentPlan,
    Milestone,
    MonthlyInvestment,
    Project,
    ProjectProblem,
    RenewalCompound,
    RenewalStage,
    RenewalTarget,
    Stage,
    StageEvent,
    SupportingRate,
)

# What each counted measure means in stage events. 开复工 counts a start or a restart (复工)
# dated in the period, so a project that started last year and restarted this year counts.
MEASURES = {
    "signed": (Stage.SIGNED,),
    "landed": (Stage.LANDED,),
    "started": (Stage.STARTED, Stage.RESTARTED),
    "completed": (Stage.PRODUCING, Stage.COMPLETED),
}


def percent(part, whole) -> Decimal | None:
    """``part`` as a percentage of ``whole``, one decimal; None without a whole."""
    if not whole:
        return None
    return round_growth(Decimal(part) * 100 / Decimal(whole))


def region_code(user: User | None) -> str | None:
    """The code prefix a user's project scope is limited to; "" for the whole district;
    None for no projects at all (residents, department handlers, anonymous, the three
    administrators, a unit role without its unit). The data scope of accounts.selectors decides."""
    scope = data_scope(user)
    if scope.kind == "district":
        return ""
    return scope.key if scope.kind == "unit" and isinstance(scope.key, str) else None


def visible_projects(user: User | None) -> QuerySet[Project]:
    """A street (or community, or grid) sees the projects pinned inside it; district staff all."""
    code = region_code(user)
    if code is None:
        return Project.objects.none()
    projects = Project.objects.all()
    return projects.filter(grid_code__startswith=code) if code else projects


def major(projects: QuerySet[Project]) -> QuerySet[Project]:
    return projects.filter(total_investment__gte=MAJOR_THRESHOLD)


def year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def months(cls, year: int, first: int, last: int) -> "Period":
        end = date(year + (last == 12), last % 12 + 1, 1) - timedelta(days=1)
        return cls(date(year, first, 1), end)

    def year_before(self) -> "Period":
        return Period(year_earlier(self.start), year_earlier(self.end))


@dataclass(frozen=True)
class Count_:
    measure: str
    current: int
    previous: int

    @property
    def change(self) -> int:
        return self.current - self.previous

    @property
    def growth(self) -> Decimal | None:
        return growth_rate(self.current, self.previous)


def _scoped_events(projects: QuerySet[Project]) -> QuerySet[StageEvent]:
    return StageEvent.objects.filter(project__in=major(projects).values("pk"))


def period_counts(period: Period, projects: QuerySet[Project] | None = None) -> dict[str, Count_]:
    """For each measure: ≥ 100 M projects with such a stage event in the period and in the same
    period a year earlier. One query."""
    projects = Project.objects.all() if projects is None else projects
    before = period.year_before()
    aggregates = {}
    for measure, stages in MEASURES.items():
        for key, p in (("current", period), ("previous", before)):
            aggregates[f"{measure}_{key}"] = Count(
                "project", distinct=True, filter=Q(stage__in=stages, date__range=(p.start, p.end))
            )
    totals = _scoped_events(projects).aggregate(**aggregates)
    return {m: Count_(m, totals[f"{m}_current"], totals[f"{m}_previous"]) for m in MEASURES}


GROUPINGS = {"street": Substr("grid_code", 1, 9), "industry": F("industry__code")}


def period_counts_by(by: str, period: Period, projects: QuerySet[Project] | None = None) -> dict[str, dict[str, Count_]]:
    """``period_counts`` for every street (code) or industry (code) at once: one grouped query
    from the projects joined to their events in the two periods, so the scope and the ≥ 100 M
    test are plain conditions on the projects scanned and the group is the project's own column.
    (Asked from the events with the scope as ``project IN (…)`` it took 25–30 % longer on SQLite;
    see benchmarks/README.md.)"""
    if by not in GROUPINGS:
        raise ValueError(f"by: {by!r} is not one of {', '.join(GROUPINGS)}")
    projects = Project.objects.all() if projects is None else projects
    before = period.year_before()
    aggregates = {}
    for measure, stages in MEASURES.items():
        for key, p in (("current", period), ("previous", before)):
            aggregates[f"{measure}_{key}"] = Count(
                "pk", distinct=True, filter=Q(stage_events__stage__in=stages, stage_events__date__range=(p.start, p.end))
            )
    window = Q(stage_events__date__range=(before.start, before.end)) | Q(stage_events__date__range=(period.start, period.end))
    rows = major(projects).filter(window).annotate(group=GROUPINGS[by]).values("group").annotate(**aggregates).order_by("group")
    # The Django plugin types values() rows by their literal names; it cannot follow annotate(**aggregates).
    return {row["group"] or "": {m: Count_(m, row[f"{m}_current"], row[f"{m}_previous"]) for m in MEASURES} for row in rows}  # type: ignore[literal-required]


def drill_down(measure: str, period: Period, projects: QuerySet[Project] | None = None) -> QuerySet[Project]:
    """The projects behind one period count (the same filter as the count)."""
    if measure not in MEASURES:
        raise ValueError(f"measure: {measure!r} is not one of {', '.join(MEASURES)}")
    projects = Project.objects.all() if projects is None else projects
    events = StageEvent.objects.filter(
        project=OuterRef("pk"), stage__in=MEASURES[measure], date__range=(period.start, period.end)
    )
    return major(projects).filter(Exists(events)).select_related("industry").order_by("-total_investment", "id")


@dataclass(frozen=True)
class Conversion:
    signed: int
    landed: int
    started: int

    @property
    def landed_rate(self) -> Decimal | None:
        return percent(self.landed, self.signed) if self.signed else None

    @property
    def started_rate(self) -> Decimal | None:
        return percent(self.started, self.signed) if self.signed else None


def conversion(period: Period, projects: QuerySet[Project] | None = None) -> Conversion:
    """Of the ≥ 100 M projects signed in the period, how many had landed and how many had
    started by the period's end."""
    projects = Project.objects.all() if projects is None else projects
    signed = major(projects).filter(
        Exists(StageEvent.objects.filter(project=OuterRef("pk"), stage=Stage.SIGNED, date__range=(period.start, period.end)))
    )

    def reached(stage):
        return Exists(StageEvent.objects.filter(project=OuterRef("pk"), stage=stage, date__lte=period.end))

    totals = signed.aggregate(
        signed=Count("pk"),
        landed=Count("pk", filter=Q(reached(Stage.LANDED))),
        started=Count("pk", filter=Q(reached(Stage.STARTED))),
    )
    return Conversion(totals["signed"], totals["landed"], totals["started"])


@dataclass(frozen=True)
class InvestmentProgress:
    planned: Decimal
    completed: Decimal

    @property
    def share(self) -> Decimal | None:
        return percent(self.completed, self.planned) if self.planned else None


def investment_progress(year: int, month: int, projects: QuerySet[Project] | None = None) -> InvestmentProgress:
    """Investment completed January to ``month`` against the year's plans (10,000 yuan)."""
    projects = Project.objects.all() if projects is None else projects
    ids = projects.values("pk")
    planned = InvestmentPlan.objects.filter(project__in=ids, year=year).aggregate(total=Sum("planned"))["total"] or Decimal(0)
    completed = MonthlyInvestment.objects.filter(project__in=ids, year=year, month__lte=month).aggregate(total=Sum("completed"))[
        "total"
    ] or Decimal(0)
    return InvestmentProgress(planned, completed)


def overdue_milestones(as_of: date, projects: QuerySet[Project] | None = None) -> QuerySet[Milestone]:
    projects = Project.objects.all() if projects is None else projects
    return (
        Milestone.objects.filter(project__in=projects.values("pk"), done_on__isnull=True, deadline__lt=as_of)
        .select_related("project")
        .order_by("deadline", "id")
    )


def filtered_projects(
    projects: QuerySet[Project], *, stage: str = "", industry: str = "", park: str = "", major_only: bool = False, query: str = ""
) -> QuerySet[Project]:
    if stage:
        projects = projects.filter(stage=stage)
    if industry:
        projects = projects.filter(industry__code=industry)
    if park:
        projects = projects.filter(park=park)
    if major_only:
        projects = major(projects)
    if query:
        projects = projects.filter(Q(name__icontains=query) | Q(investor__icontains=query))
    return projects.select_related("industry").order_by("-total_investment", "id")


def parks(projects: QuerySet[Project]) -> list[str]:
    return list(projects.exclude(park="").order_by("park").values_list("park", flat=True).distinct())


def project_detail(user: User, pk: int) -> Project | None:
    return visible_projects(user).select_related("industry", "chain_node__chain", "grid").filter(pk=pk).first()


def stage_history(project: Project) -> QuerySet[StageEvent]:
    return project.stage_events.order_by("date", "id")


# --- blocking problems ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemView:
    problem: ProjectProblem
    state: str
    state_label: str
    deadline: datetime | None
    is_open: bool


def problems_with_cases(user: User, problems: QuerySet[ProjectProblem]) -> list[ProblemView]:
    """Each problem with its case's state and deadline, read through the cases selectors (a case
    outside the user's case scope shows its number only)."""
    from gridgov.cases import selectors as case_selectors
    from gridgov.cases.workflow import OPEN_STATES

    problem_list = list(problems.select_related("project"))
    cases = {c.number: c for c in case_selectors.visible_cases(user).filter(number__in=[p.case_number for p in problem_list])}
    views = []
    for problem in problem_list:
        case = cases.get(problem.case_number)
        views.append(
            ProblemView(
                problem,
                case.state if case else "",
                case.get_state_display() if case else "",
                case.deadline if case else None,
                bool(case and case.state in OPEN_STATES),
            )
        )
    return views


def open_problems(user: User) -> list[ProblemView]:
    """The project office's list: every blocking problem of the user's projects still open."""
    problems = ProjectProblem.objects.filter(project__in=visible_projects(user).values("pk"))
    return [view for view in problems_with_cases(user, problems) if view.is_open]


# --- industry chains -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeView:
    node: ChainNode
    enterprises: list
    projects: list

    @property
    def is_gap(self) -> bool:
        return not any(e.is_local for e in self.enterprises)


def chains() -> QuerySet[IndustryChain]:
    return IndustryChain.objects.select_related("industry")


def chain_tiers(chain: IndustryChain) -> list[list[NodeView]]:
    """The chain's nodes as columns from upstream to downstream, each node with its enterprises
    and projects; a node without a local enterprise is a gap to attract."""
    nodes = list(chain.nodes.prefetch_related("enterprises", "projects"))
    tiers: dict[int, list[NodeView]] = {}
    for node in nodes:
        tiers.setdefault(node.tier, []).append(NodeView(node, list(node.enterprises.all()), list(node.projects.all())))
    return [tiers[t] for t in sorted(tiers)]


def chain_gaps(chain: IndustryChain) -> QuerySet[ChainNode]:
    local = Enterprise.objects.filter(node=OuterRef("pk"), is_local=True)
    return chain.nodes.exclude(Exists(local))


def supporting_rates(chain: IndustryChain) -> QuerySet[SupportingRate]:
    return (
        SupportingRate.objects.filter(enterprise__node__chain=chain, enterprise__is_leading=True)
        .select_related("enterprise")
        .order_by("enterprise__name", "-year")
    )


# --- old-community renewal -----------------------------------------------------------------------


def visible_compounds(user: User | None) -> QuerySet[RenewalCompound]:
    code = region_code(user)
    if code is None:
        return RenewalCompound.objects.none()
    compounds = RenewalCompound.objects.all()
    return compounds.filter(community_code__startswith=code) if code else compounds


@dataclass(frozen=True)
class RenewalProgress:
    year: int
    in_renewal: int  # under way or completed
    completed: int
    households: int
    completed_households: int
    target_compounds: int | None
    target_households: int | None

    @property
    def compound_share(self) -> Decimal | None:
        return percent(self.completed, self.target_compounds) if self.target_compounds else None

    @property
    def household_share(self) -> Decimal | None:
        return percent(self.completed_households, self.target_households) if self.target_households else None


def renewal_progress(year: int, compounds: QuerySet[RenewalCompound] | None = None) -> RenewalProgress:
    compounds = RenewalCompound.objects.all() if compounds is None else compounds
    active = Q(stage__in=[RenewalStage.UNDER_WAY, RenewalStage.COMPLETED])
    done = Q(stage=RenewalStage.COMPLETED)
    totals = compounds.filter(year=year).aggregate(
        in_renewal=Count("pk", filter=active),
        completed=Count("pk", filter=done),
        households_total=Sum("households", filter=active),
        completed_households=Sum("households", filter=done),
    )
    target = RenewalTarget.objects.filter(year=year).first()
    return RenewalProgress(
        year, totals["in_renewal"], totals["completed"], totals["households_total"] or 0, totals["completed_households"] or 0,
        target.compounds if target else None, target.households if target else None,
    )  # fmt: skip
