"""Monthly economic indicators of the district and its peer districts.

Figures are stored as the statistics bureau publishes them: the month's value, the cumulative
January-to-month value and the year-on-year growth on a comparable basis (可比口径). Growth is
never derived from last year's totals: the bureau's comparable basis adjusts for enterprises
entering and leaving the survey, so subtracting last year's published total gives another figure.
January and February are published together; they are stored as month 2 and month 1 never exists.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

FIRST_MONTH = 2  # January and February are reported together, as month 2


class Indicator(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=32)
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    reports_cumulative = models.BooleanField(
        _("cumulative reported"), default=True, help_text=_("Whether the January-to-month value is published.")
    )
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["display_order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh


class District(models.Model):
    """The district itself (``is_home``) and the peer districts it is ranked against."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_home = models.BooleanField(_("this district"), default=False)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["-is_home", "code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [
            models.UniqueConstraint(fields=["is_home"], condition=models.Q(is_home=True), name="economy_one_home_district")
        ]

    def __str__(self) -> str:
        return self.name


class MonthlyFigure(models.Model):
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="figures")
    district = models.ForeignKey(District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="figures")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(1949), MaxValueValidator(2200)])
    month = models.PositiveSmallIntegerField(
        _("month"),
        validators=[MinValueValidator(FIRST_MONTH), MaxValueValidator(12)],
        help_text=_("2 means January and February together."),
    )
    month_value = models.DecimalField(_("month value"), max_digits=16, decimal_places=4, null=True, blank=True)
    cumulative_value = models.DecimalField(_("January-to-month value"), max_digits=16, decimal_places=4, null=True, blank=True)
    month_growth = models.DecimalField(_("month growth (%)"), max_digits=8, decimal_places=2, null=True, blank=True)
    cumulative_growth = models.DecimalField(_("cumulative growth (%)"), max_digits=8, decimal_places=2, null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["indicator", "district", "year", "month"]
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "district", "year", "month"], name="economy_one_figure_per_month"),
            models.CheckConstraint(condition=models.Q(month__gte=FIRST_MONTH, month__lte=12), name="economy_month_2_to_12"),
        ]
        indexes = [models.Index(fields=["indicator", "year", "month"], name="economy_fig_period")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.district} {self.year}-{self.month:02d}"
