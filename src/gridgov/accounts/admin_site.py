"""The admin site of gridgov: every change audited, administrators behind their second factor.

Django's admin writes its own LogEntry table, which anyone with database rights can edit and
which the audit administrator's log does not include. Every ModelAdmin registered here (the
apps', django-axes' and django-otp's) is given ``AuditedAdminMixin`` at registration, so each
addition, change and deletion made in the admin also lands in the append-only audit log.
"""

from typing import TYPE_CHECKING, Any

from django.contrib import admin

# The mixin extends ModelAdmin's log methods through super(); the type checker needs to see that base.
if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class AuditedAdminMixin(_ModelAdmin):
    def log_addition(self, request, obj, message):
        from .services import record_admin_change

        record_admin_change(request.user, "added", obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        from .services import record_admin_change

        record_admin_change(request.user, "changed", obj, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        from .services import record_admin_change

        for obj in queryset:
            record_admin_change(request.user, "deleted", obj, "")
        return super().log_deletions(request, queryset)


class GridgovAdminSite(admin.AdminSite):
    def has_permission(self, request):
        """Staff, and for the administrators a second factor passed in this session (the
        middleware sends them to it first; this holds even without the middleware)."""
        from .selectors import requires_second_factor

        if not super().has_permission(request):
            return False
        user = request.user
        return not requires_second_factor(user) or bool(getattr(user, "is_verified", lambda: False)())

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(admin_class.__name__, (AuditedAdminMixin, admin_class), {"__module__": admin_class.__module__})
        return super().register(model_or_iterable, admin_class, **options)
