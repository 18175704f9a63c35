"""Admin building blocks shared by the apps."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin

# The mixins extend ModelAdmin's methods through super(); the type checker needs to see that base.
if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class ReadOnlyAdminMixin:
    """For records that only services write (audit events, counters): view, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdminMixin(_ModelAdmin):
    """For records an administrator may edit in the admin: each save and delete is written to the
    audit log like a service's change (``<app>.admin_saved`` / ``<app>.admin_deleted``)."""

    def save_model(self, request, obj, form, change):
        from gridgov.accounts.services import record_audit

        super().save_model(request, obj, form, change)
        record_audit(request.user, f"{obj._meta.app_label}.admin_saved", obj, created=not change, fields=list(form.changed_data))

    def delete_model(self, request, obj):
        from gridgov.accounts.services import record_audit

        record_audit(request.user, f"{obj._meta.app_label}.admin_deleted", obj, name=str(obj)[:100])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        from gridgov.accounts.services import audit_event, record_audits

        record_audits(
            [audit_event(request.user, f"{obj._meta.app_label}.admin_deleted", obj, name=str(obj)[:100]) for obj in queryset]
        )
        super().delete_queryset(request, queryset)
