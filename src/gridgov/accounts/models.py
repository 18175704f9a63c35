"""Users, their role and their data scope, and the audit log.

The audit log is append-only: the model and its querysets refuse updates and deletes, and a
database trigger (migration 0003, kept in place by ``auditlog.install_append_only_triggers``)
refuses them for anyone who goes around the ORM. Each event carries the hash of its content and
of the previous event (a hash chain, written by ``services.record_audits`` and checked by
``gridgov audit-verify``), so a row changed or removed by someone who dropped the trigger shows.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_WORKER = "grid_worker", _("Grid worker")
    GRID_CHIEF = "grid_chief", _("Grid chief")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STREET_STAFF = "street_staff", _("Street staff")
    INTAKE_CLERK = "intake_clerk", _("Intake clerk")
    DISPATCHER = "dispatcher", _("Dispatcher")
    SHIFT_LEAD = "shift_lead", _("Shift lead")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    VERIFIER = "verifier", _("Verifier")
    LEADER = "leader", _("District leader")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


class Department(models.Model):
    """A functional department (专业部门) that handles cases dispatched to it."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.RESIDENT)
    # The org unit the user belongs to; they see that unit and everything below it.
    # Null means the whole system (district-level staff of the command centre).
    region = models.ForeignKey(
        "grids.Region",
        verbose_name=_("org unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # Department handlers belong to a department; they see the cases dispatched to it.
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    # Set when an administrator creates the account or resets its password: the user must choose
    # their own before doing anything else (accounts.middleware.SecurityGateMiddleware).
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # Demo accounts (gridgov demo) share a published password and are exempt from the forced change.
    is_demo = models.BooleanField(_("demo account"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class AppendOnlyError(Exception):
    """An attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    """One state change or sensitive read, written by the service that performed it.

    Written only through ``accounts.services.record_audits``, which chains the hashes."""

    # Stamped in Python (not auto_now_add) so the hash covers the exact value stored.
    created_at = models.DateTimeField(_("time"), default=timezone.now, editable=False, db_index=True)
    # PROTECT: an actor who has audit events cannot be deleted (deactivate them instead), since
    # SET_NULL would rewrite audit rows.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def save(self, *args, **kwargs):
        raise AppendOnlyError("write audit events through accounts.services.record_audits")

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"
