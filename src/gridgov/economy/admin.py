from django.contrib import admin

from gridgov.admin_mixins import AuditedAdminMixin

from .models import District, Indicator, MonthlyFigure


@admin.register(Indicator)
class IndicatorAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "unit", "display_order", "reports_cumulative", "is_sample")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(District)
class DistrictAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "is_home", "is_sample")


@admin.register(MonthlyFigure)
class MonthlyFigureAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "indicator",
        "district",
        "year",
        "month",
        "month_value",
        "cumulative_value",
        "month_growth",
        "cumulative_growth",
    )
    list_filter = ("indicator", "district", "year")
    list_select_related = ("indicator", "district")
