"""The system administrator configures the catalogue (items, materials, bundles). Applications
carry applicants' personal data, so none of the three administrators opens them (see
accounts/permissions.py); a superuser sees them read-only, personal fields left out."""

from django.contrib import admin

from gridgov.admin_mixins import AuditedAdminMixin, ReadOnlyAdminMixin

from .models import (
    Application,
    ApplicationStep,
    Bundle,
    Material,
    Part,
    Rectification,
    ServiceItem,
    SubmittedMaterial,
)


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0


@admin.register(ServiceItem)
class ServiceItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "item_type",
        "department",
        "level",
        "legal_days",
        "promised_days",
        "visits",
        "one_go",
        "is_active",
    )
    list_filter = ("level", "item_type", "one_go", "visits", "by_online", "department")
    search_fields = ("code", "name")
    inlines = [MaterialInline]


@admin.register(Material)
class MaterialAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("item", "key", "name", "form", "copies", "certificate_replaces")
    search_fields = ("key", "name", "item__code")


@admin.register(Bundle)
class BundleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "promised_days", "is_active")
    filter_horizontal = ("items",)


class _ReadOnly(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(Application)
class ApplicationAdmin(_ReadOnly):
    list_display = ("number", "state", "channel", "received_at", "deadline", "grade")
    list_filter = ("state", "channel")
    search_fields = ("number",)
    exclude = ("applicant_name", "id_number", "id_number_index", "phone", "phone_index")


@admin.register(Part)
class PartAdmin(_ReadOnly):
    list_display = ("application", "item", "department", "state", "deadline")
    list_filter = ("state", "department")


@admin.register(ApplicationStep)
class ApplicationStepAdmin(_ReadOnly):
    list_display = ("application", "action", "from_state", "to_state", "at")


@admin.register(SubmittedMaterial)
class SubmittedMaterialAdmin(_ReadOnly):
    list_display = ("application", "key", "name", "content_type", "size", "by_certificate")


@admin.register(Rectification)
class RectificationAdmin(_ReadOnly):
    list_display = ("application", "department", "opened_at", "due_at", "closed_at")
