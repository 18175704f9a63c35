"""How each level of units is scored: the weight of each indicator and the grade bands.

One ``Scheme`` per level (street, community, grid, department, staff role), seeded by a data
migration with the defaults of ``indicators.DEFAULT_WEIGHTS`` and DESIGN.md section 5's bands
(A ≥ 90, B 75–90, C 60–75, D 40–60, E < 40), and edited in the admin.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class EvaluationLevel(models.TextChoices):
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    DEPARTMENT = "department", _("Department")
    ROLE = "role", _("Staff role")
    STAFF = "staff", _("Individual staff")


def _band(verbose_name, default):
    return models.DecimalField(
        verbose_name, max_digits=5, decimal_places=2, default=Decimal(default),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )  # fmt: skip


class Scheme(models.Model):
    level = models.CharField(_("level"), max_length=16, choices=EvaluationLevel.choices, unique=True)
    grade_a = _band(_("lowest score for grade A"), "90")
    grade_b = _band(_("lowest score for grade B"), "75")
    grade_c = _band(_("lowest score for grade C"), "60")
    grade_d = _band(_("lowest score for grade D"), "40")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["level"]
        verbose_name = _("evaluation scheme")
        verbose_name_plural = _("evaluation schemes")

    def __str__(self) -> str:
        return str(self.get_level_display())

    def clean(self) -> None:
        if not (self.grade_a >= self.grade_b >= self.grade_c >= self.grade_d):
            raise ValidationError(_("Grade bands must not increase from A to D."))


class Weight(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="weights")
    indicator = models.CharField(_("indicator"), max_length=32)
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        ordering = ["scheme", "indicator"]
        verbose_name = _("weight")
        verbose_name_plural = _("weights")
        constraints = [models.UniqueConstraint(fields=["scheme", "indicator"], name="weight_scheme_indicator_unique")]

    def __str__(self) -> str:
        return f"{self.scheme} {self.indicator} {self.weight}"


class CountedMonth(models.Model):
    """A finished month whose counts per unit are kept in ``MonthCount`` (filled by the
    ``count_finished_months`` task, or on the first read). ``subject`` says what was counted: the
    cases (the evaluation) or the applications (the services statistics, registered by the
    services app). Its marks are the newest step and row ids of that subject when it was counted:
    a step or row written since that may change the month (for cases: on a case reported before
    the month's end; for applications: on one received in the month) counts the month again on
    its next read (``services.month_counts``)."""

    subject = models.CharField(_("counted subject"), max_length=16, default="cases")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    step_mark = models.BigIntegerField(_("newest step counted"), null=True)
    case_mark = models.BigIntegerField(_("newest case (or application) counted"), null=True)
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        ordering = ["start"]
        verbose_name = _("counted month")
        verbose_name_plural = _("counted months")
        constraints = [models.UniqueConstraint(fields=["subject", "start", "end"], name="counted_month_unique")]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m}"


class MonthCount(models.Model):
    """Every measure of one unit for a counted month: for cases a grid, a department, or ``all``
    (the whole system); for applications a service point, a department, a (service point,
    department) pair or ``all``; as ``{measure: count}`` (sums, never averages)."""

    month = models.ForeignKey(CountedMonth, on_delete=models.CASCADE, related_name="counts")
    base = models.CharField(_("base"), max_length=16)
    unit = models.CharField(_("unit"), max_length=32)
    counts = models.JSONField(_("counts"))

    class Meta:
        ordering = ["month", "base", "unit"]
        verbose_name = _("month count")
        verbose_name_plural = _("month counts")
        constraints = [models.UniqueConstraint(fields=["month", "base", "unit"], name="month_count_unique")]

    def __str__(self) -> str:
        return f"{self.month} {self.base} {self.unit}"
