from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _keep_audit_triggers(sender, using, **kwargs):
    """SQLite drops a table's triggers when a migration rebuilds it; put them back."""
    from django.db import connections

    from .auditlog import install_append_only_triggers

    install_append_only_triggers(connections[using])


class AccountsConfig(AppConfig):
    default = True
    name = "gridgov.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from . import signals  # noqa: F401 (connects the login/logout/lockout audit receivers)

        post_migrate.connect(_keep_audit_triggers, sender=self)


class GridgovAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with gridgov's site (accounts/admin_site.py)."""

    default = False
    default_site = "gridgov.accounts.admin_site.GridgovAdminSite"
