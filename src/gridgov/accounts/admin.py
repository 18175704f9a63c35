from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from gridgov.admin_mixins import ReadOnlyAdminMixin

from .models import AuditEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "role", "region", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff")
    autocomplete_fields = ("region",)
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Role and scope"), {"fields": ("role", "region")}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Role and scope"), {"fields": ("role", "region")}))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "target_type", "target_id")
    list_filter = ("action", "target_type")
    search_fields = ("target_id", "actor__username")
    readonly_fields = ("created_at", "actor", "action", "target_type", "target_id", "detail")
