from django.contrib import admin

from gridgov.admin_mixins import AuditedAdminMixin

from .models import (
    ChainNode,
    Enterprise,
    Industry,
    IndustryChain,
    InvestmentPlan,
    Milestone,
    MonthlyInvestment,
    Project,
    ProjectProblem,
    RenewalCompound,
    RenewalTarget,
    StageEvent,
    SupportingRate,
)


@admin.register(Industry)
class IndustryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "group", "display_order")
    list_filter = ("group",)


class ChainNodeInline(admin.TabularInline):
    model = ChainNode
    extra = 0


@admin.register(IndustryChain)
class IndustryChainAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "industry", "is_sample")
    inlines = [ChainNodeInline]


@admin.register(ChainNode)
class ChainNodeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "chain", "tier", "display_order")
    list_filter = ("chain",)


@admin.register(Enterprise)
class EnterpriseAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "node", "is_local", "is_leading", "is_sample")
    list_filter = ("is_local", "is_leading", "node__chain")
    search_fields = ("name",)


@admin.register(SupportingRate)
class SupportingRateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("enterprise", "year", "rate")


class StageEventInline(admin.TabularInline):
    model = StageEvent
    extra = 0
    readonly_fields = ("recorded_by", "recorded_at")


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Project)
class ProjectAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "investor", "stage", "total_investment", "industry", "park", "grid_code", "is_sample")
    list_filter = ("stage", "industry", "park")
    search_fields = ("name", "investor")
    raw_id_fields = ("grid", "chain_node")
    inlines = [StageEventInline, MilestoneInline]


@admin.register(InvestmentPlan)
class InvestmentPlanAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("project", "year", "planned")
    raw_id_fields = ("project",)


@admin.register(MonthlyInvestment)
class MonthlyInvestmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("project", "year", "month", "completed")
    raw_id_fields = ("project",)


@admin.register(ProjectProblem)
class ProjectProblemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("project", "kind", "case_number", "raised_at")
    raw_id_fields = ("project",)
    readonly_fields = ("raised_by", "raised_at")


@admin.register(RenewalCompound)
class RenewalCompoundAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "community_code", "households", "buildings", "renewal_class", "stage", "year", "is_sample")
    list_filter = ("year", "renewal_class", "stage")
    raw_id_fields = ("community",)


@admin.register(RenewalTarget)
class RenewalTargetAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("year", "compounds", "households")
