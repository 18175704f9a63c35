"""The admin pages of the security administrator (users, lockouts) and of the audit
administrator (the audit log: read, search, export); departments belong to the system
administrator. Who sees which page follows from the role (permissions.py)."""

import csv
import io
import json
import re
from datetime import UTC

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Permission
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gridgov.admin_mixins import ReadOnlyAdminMixin

from . import services
from .models import AuditEvent, Department, User
from .permissions import BUSINESS_APPS
from .selectors import ADMINISTRATOR_ROLES


class ResetPasswordForm(AdminPasswordChangeForm):
    """A password set by an administrator is temporary: its owner must replace it."""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.must_change_password = not user.is_demo
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "role", "region", "department", "is_active", "must_change_password", "is_demo")
    list_filter = ("role", "is_active", "must_change_password", "is_demo", "department")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("region",)
    list_select_related = ("region", "department")
    change_password_form = ResetPasswordForm
    # No superuser flag or groups: rights come from the role, plus business permissions
    # (projects, economy, ...) granted per user; see permissions.RoleBackend.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Role and scope"), {"fields": ("role", "region", "department", "user_permissions")}),
        (_("Status"), {"fields": ("is_active", "must_change_password", "is_demo", "last_login", "date_joined")}),
    )
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (_("Role and scope"), {"fields": ("role", "region", "department")}))
    readonly_fields = ("is_demo", "last_login", "date_joined")
    actions = ["unlock_accounts"]

    filter_horizontal = ("user_permissions",)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "user_permissions":  # only business permissions can be granted
            kwargs["queryset"] = Permission.objects.filter(content_type__app_label__in=BUSINESS_APPS).select_related(
                "content_type"
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if not request.user.is_superuser:
            users = users.filter(is_superuser=False)  # a superuser's account is not the security admin's to reset
        return users

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.pk == request.user.pk:
            fields = (*fields, "role", "region", "department", "user_permissions", "is_active")  # nobody widens their own rights
        return fields

    def save_model(self, request, obj, form, change):
        obj.is_staff = obj.is_superuser or obj.role in ADMINISTRATOR_ROLES
        if not change:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)
        if change and "role" in form.changed_data:
            services.record_audit(request.user, "accounts.role_changed", obj, old=form.initial.get("role"), new=obj.role)

    @admin.action(description=_("Unlock the selected accounts (failed log-ins)"), permissions=["change"])
    def unlock_accounts(self, request, queryset):
        usernames = list(queryset.values_list("username", flat=True))
        services.unlock_accounts(actor=request.user, usernames=usernames)
        count = len(usernames)
        self.message_user(
            request,
            ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_sample")
    list_filter = ("is_sample",)
    search_fields = ("code", "name")


EXPORT_COLUMNS = ("id", "created_at", "actor", "action", "target_type", "target_id", "detail", "prev_hash", "hash")


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # refused by the xlsx format


def _cell(text: str) -> str:
    """Text as a spreadsheet shows it, never run: the log holds what strangers typed (failed
    log-in usernames), and a leading = + - @ would make Excel or openpyxl treat it as a formula."""
    text = CONTROL_CHARACTERS.sub("", text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _export_rows(queryset):
    for event in queryset.select_related("actor").order_by("id").iterator(chunk_size=2000):
        yield [
            event.pk,
            event.created_at.astimezone(UTC).isoformat(),
            _cell(event.actor.username if event.actor else ""),
            _cell(event.action),
            _cell(event.target_type),
            _cell(event.target_id),
            _cell(json.dumps(event.detail, ensure_ascii=False, sort_keys=True)),
            event.prev_hash,
            event.hash,
        ]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor", "action", "target_type", "target_id")
    list_filter = ("action", "target_type")
    search_fields = ("action", "target_id", "actor__username")
    date_hierarchy = "created_at"
    list_select_related = ("actor",)
    readonly_fields = ("created_at", "actor", "action", "target_type", "target_id", "detail", "prev_hash", "hash")
    actions = ["export_csv", "export_xlsx"]

    def _exported(self, request, queryset, fmt: str) -> None:
        services.record_audit(request.user, "accounts.audit_exported", format=fmt, count=queryset.count())

    def _filename(self, extension: str) -> str:
        return f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.{extension}"

    @admin.action(description=_("Export the selected events as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        self._exported(request, queryset, "csv")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows(_export_rows(queryset))
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")  # BOM: Excel reads UTF-8
        response["Content-Disposition"] = f'attachment; filename="{self._filename("csv")}"'
        return response

    @admin.action(description=_("Export the selected events as Excel"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        from openpyxl import Workbook

        self._exported(request, queryset, "xlsx")
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("audit")
        sheet.append(list(EXPORT_COLUMNS))
        for row in _export_rows(queryset):
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{self._filename("xlsx")}"'
        return response
