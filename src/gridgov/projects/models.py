"""Major investment projects, their stage history, milestones and investment; industry chains;
old-community renewal.

A project's stage is a history of dated events, not one field overwritten: period counts ask
"how many projects started in January to August", which a current-stage field cannot answer
once a project has moved on, and a stage date entered wrongly is corrected on its event (the
correction audited) so every count that used it changes with it. ``Project.stage`` is the latest
event's stage, kept for filtering.

Money is in 10,000 yuan (万元), as the investment bureau's tables are; the "≥ 100 million
yuan" flag is total_investment ≥ 10,000 and is derived, never stored.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

MAJOR_THRESHOLD = Decimal(10_000)  # 10,000 × 10,000 yuan = 100 million yuan (亿元)


class IndustryGroup(models.TextChoices):
    CARS = "cars", _("Cars")
    LEISURE = "leisure", _("Consumption and leisure")
    SCIENCE = "science", _("Science and technology")


class Industry(models.Model):
    """A key industry of the district (the article's twelve, in three groups); editable."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    group = models.CharField(_("group"), max_length=16, choices=IndustryGroup.choices)
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        ordering = ["display_order", "code"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")

    def __str__(self) -> str:
        return self.name


class IndustryChain(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.SET_NULL, related_name="chains"
    )
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("industry chain")
        verbose_name_plural = _("industry chains")

    def __str__(self) -> str:
        return self.name


class ChainNode(models.Model):
    """One link of a chain; ``tier`` orders them upstream (0) to downstream."""

    chain = models.ForeignKey(IndustryChain, verbose_name=_("industry chain"), on_delete=models.CASCADE, related_name="nodes")
    name = models.CharField(_("name"), max_length=100)
    tier = models.PositiveSmallIntegerField(_("tier (upstream first)"), default=0)
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        ordering = ["chain", "tier", "display_order", "id"]
        verbose_name = _("chain node")
        verbose_name_plural = _("chain nodes")

    def __str__(self) -> str:
        return f"{self.chain} · {self.name}"


class Enterprise(models.Model):
    name = models.CharField(_("name"), max_length=200)
    node = models.ForeignKey(
        ChainNode, verbose_name=_("chain node"), null=True, blank=True, on_delete=models.SET_NULL, related_name="enterprises"
    )
    is_local = models.BooleanField(_("in the district"), default=True)
    is_leading = models.BooleanField(_("leading enterprise"), default=False)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name


class SupportingRate(models.Model):
    """A leading enterprise's local supporting rate (配套率) for a year: the share of its
    purchasing bought from suppliers in the district, as the enterprise reports it."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="supporting_rates"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    rate = models.DecimalField(
        _("local supporting rate (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["enterprise", "-year"]
        verbose_name = _("local supporting rate")
        verbose_name_plural = _("local supporting rates")
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="projects_one_rate_per_year")]


class Stage(models.TextChoices):
    NEGOTIATING = "negotiating", _("Negotiating")
    SIGNED = "signed", _("Signed")
    LANDED = "landed", _("Landed")
    STARTED = "started", _("Started")
    PAUSED = "paused", _("Paused")
    RESTARTED = "restarted", _("Restarted")
    PRODUCING = "producing", _("In production")
    COMPLETED = "completed", _("Completed")


class Project(models.Model):
    name = models.CharField(_("name"), max_length=200)
    investor = models.CharField(_("investor"), max_length=200, blank=True)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.NEGOTIATING, db_index=True)
    total_investment = models.DecimalField(
        _("total investment (10,000 yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    chain_node = models.ForeignKey(
        ChainNode, verbose_name=_("chain node"), null=True, blank=True, on_delete=models.SET_NULL, related_name="projects"
    )
    park = models.CharField(_("park"), max_length=100, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    grid = models.ForeignKey(
        "grids.Region", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grid_code = models.CharField(_("grid code"), max_length=15, blank=True, db_index=True)
    leader = models.CharField(_("responsible leader"), max_length=50, blank=True)
    unit = models.CharField(_("responsible unit"), max_length=100, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-total_investment", "id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.name

    @property
    def is_major(self) -> bool:
        return self.total_investment >= MAJOR_THRESHOLD


class StageEvent(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="stage_events")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    date = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["project", "date", "id"]
        verbose_name = _("stage event")
        verbose_name_plural = _("stage events")
        indexes = [models.Index(fields=["stage", "date"], name="projects_event_stage_date")]


class Milestone(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(_("name"), max_length=200)
    deadline = models.DateField(_("deadline"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["project", "deadline", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")


class InvestmentPlan(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="plans")
    year = models.PositiveSmallIntegerField(_("year"))
    planned = models.DecimalField(
        _("planned investment (10,000 yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("annual investment plan")
        verbose_name_plural = _("annual investment plans")
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="projects_one_plan_per_year")]


class MonthlyInvestment(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="investments")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    completed = models.DecimalField(
        _("completed investment (10,000 yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("monthly completed investment")
        verbose_name_plural = _("monthly completed investments")
        constraints = [models.UniqueConstraint(fields=["project", "year", "month"], name="projects_one_investment_per_month")]


class ProblemKind(models.TextChoices):
    LAND = "land", _("Land")
    PERMIT = "permit", _("Permits")
    UTILITIES = "utilities", _("Utilities")
    DISTURBANCE = "disturbance", _("Construction disturbance")
    OTHER = "other", _("Other")


class ProjectProblem(models.Model):
    """A blocking problem of a project, handled as a case; the case itself lives in ``cases``
    and is read through its selectors by number."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="problems")
    kind = models.CharField(_("kind"), max_length=16, choices=ProblemKind.choices)
    case_number = models.CharField(_("case number"), max_length=20, unique=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("raised by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("blocking problem")
        verbose_name_plural = _("blocking problems")


class RenewalClass(models.TextChoices):
    BASIC = "basic", _("Basic")
    IMPROVEMENT = "improvement", _("Improvement")
    UPGRADE = "upgrade", _("Upgrade")


class RenewalStage(models.TextChoices):
    PLANNED = "planned", _("Planned")
    UNDER_WAY = "under_way", _("Under way")
    COMPLETED = "completed", _("Completed")


class RenewalCompound(models.Model):
    """One old residential compound (老旧小区) in the year's renewal programme."""

    community = models.ForeignKey("grids.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    community_code = models.CharField(_("community code"), max_length=15, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    households = models.PositiveIntegerField(_("households"))
    buildings = models.PositiveIntegerField(_("buildings"))
    renewal_class = models.CharField(_("class"), max_length=16, choices=RenewalClass.choices)
    works = models.CharField(
        _("works"),
        max_length=300,
        blank=True,
        help_text=_("e.g. pipes, roofs, lifts, elderly- and child-friendly spaces, parking"),
    )
    stage = models.CharField(_("stage"), max_length=16, choices=RenewalStage.choices, default=RenewalStage.PLANNED)
    year = models.PositiveSmallIntegerField(_("programme year"), db_index=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["-year", "community_code", "name"]
        verbose_name = _("renewal compound")
        verbose_name_plural = _("renewal compounds")


class RenewalTarget(models.Model):
    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    compounds = models.PositiveIntegerField(_("compounds"))
    households = models.PositiveIntegerField(_("households"))

    class Meta:
        ordering = ["-year"]
        verbose_name = _("renewal target")
        verbose_name_plural = _("renewal targets")
