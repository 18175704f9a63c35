"""Back-office editing of cases' reference data.

Categories and the working calendar are edited here. Cases and everything recorded about them
are read-only: their state changes only through ``services.take_action``.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gridgov.admin_mixins import ReadOnlyAdminMixin

from .models import CalendarDay, Case, Category, ExtensionRequest, Notification, Photo, Step
from .privacy import masked_reporter


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "code",
        "top_name",
        "name",
        "default_department",
        "handled_in_grid",
        "handle_limit",
        "handle_unit",
        "is_active",
    )
    list_display_links = ("code", "name")
    list_filter = ("kind", "top_name", "default_department", "handled_in_grid", "is_active")
    search_fields = ("code", "name", "top_name")
    ordering = ("kind", "code")
    list_select_related = ("default_department",)
    fieldsets = (
        (None, {"fields": ("kind", "code", "top_name", "name", "default_department", "handled_in_grid", "is_active")}),
        (_("Conditions"), {"fields": ("filing_condition", "closing_condition")}),
        (_("Time limits"), {"fields": ("intake_hours", "dispatch_hours", ("handle_limit", "handle_unit"), "verify_hours")}),
        (_("Duplicate suggestions"), {"fields": ("duplicate_radius_m", "duplicate_window_hours")}),
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"


class StepInline(admin.TabularInline):
    model = Step
    fields = ("at", "action", "from_state", "to_state", "actor", "actor_role", "note", "deadline")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("number", "category", "state", "source", "grid_code", "deadline", "supervised", "created_at")
    list_filter = ("state", "source", "supervised", "category__kind", "escalation_level")
    search_fields = ("number", "external_id", "grid_code", "description")
    date_hierarchy = "created_at"
    list_select_related = ("category",)
    raw_id_fields = ("grid", "reporter", "assigned_region", "duplicate_of")
    inlines = [StepInline]
    # The reporter's details are encrypted and shown masked here too (cases/privacy.py): the
    # administrators may not read them; the command centre reveals them, audited, on the case page.
    exclude = ("reporter_name", "reporter_phone", "reporter_email", "reporter_phone_index", "reporter_name_index")
    readonly_fields = ("masked_reporter_name", "masked_reporter_phone", "masked_reporter_email")

    @admin.display(description=_("reporter name"))
    def masked_reporter_name(self, case):
        return masked_reporter(case)["name"]

    @admin.display(description=_("reporter phone"))
    def masked_reporter_phone(self, case):
        return masked_reporter(case)["phone"]

    @admin.display(description=_("reporter e-mail"))
    def masked_reporter_email(self, case):
        return masked_reporter(case)["email"]


@admin.register(Step)
class StepAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case", "action", "from_state", "to_state", "actor", "actor_role", "at")
    list_filter = ("action", "to_state")
    search_fields = ("case__number",)
    list_select_related = ("case", "actor")


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case", "phase", "status", "content_type", "width", "height", "created_at")
    list_filter = ("status", "phase", "content_type")
    search_fields = ("case__number",)
    exclude = ("original",)  # a name in the private folder of pending uploads


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("case", "hours", "status", "requested_by", "decided_by", "created_at")
    list_filter = ("status",)
    search_fields = ("case__number",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "case", "kind", "text", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("case__number", "user__username")
