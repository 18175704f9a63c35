"""Users, their role and their data scope, and the audit log."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
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

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class AuditEvent(models.Model):
    """One state change or sensitive read, written by the service that performed it."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"
