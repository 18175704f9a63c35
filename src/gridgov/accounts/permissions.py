"""Model permissions that follow from a user's role, for the Django admin (三员分立).

Each administrator gets exactly the admin pages of their duty and nothing else; the permissions
come from the role, not from groups or per-user grants, so the security administrator (who
manages roles) cannot hand out rights outside the three duties, and nobody can quietly widen
their own. Superusers still have every permission: they exist only to bootstrap a deployment
(create the three administrators, then deactivate the superuser) and need a second factor too.
"""

from django.contrib.auth.backends import ModelBackend

from .models import Role


def _crud(label: str) -> set[str]:
    app, model = label.split(".")
    return {f"{app}.{action}_{model}" for action in ("add", "change", "delete", "view")}


# The system administrator configures: catalogue, calendar, departments, the grid network and
# Open311 keys. Not the audit log, not users, not cases or queued submissions (personal data).
SYSTEM_ADMIN_PERMISSIONS = frozenset(
    {
        *_crud("cases.category"),
        *_crud("cases.calendarday"),
        *_crud("accounts.department"),
        *_crud("grids.region"),
        *_crud("grids.gridstaff"),
        *_crud("grids.partyorganization"),
        *_crud("grids.partymember"),
        *_crud("grids.servicecentre"),
        "grids.view_networkrevision",
        *_crud("open311.apikey"),
        # Reference data of the business apps: evaluation weights and grade bands, the economy's
        # indicators and peer districts, the key industries and their chains. The business data
        # itself (projects, monthly figures) is kept by business users on the app pages.
        *_crud("evaluation.scheme"),
        *_crud("economy.indicator"),
        *_crud("economy.district"),
        *_crud("projects.industry"),
        *_crud("projects.industrychain"),
        *_crud("projects.chainnode"),
        # The one-stop services' catalogue; applications carry personal data and stay out.
        *_crud("services.serviceitem"),
        *_crud("services.material"),
        *_crud("services.bundle"),
        # Background tasks (reminders, photo sweeps) and their errors: operating the system.
        "django_tasks_database.view_dbtaskresult",
    }
)
# The security administrator manages accounts: users, roles, units and departments on users,
# password resets, lockouts (axes) and second-factor devices. Units and departments are only
# read (to pick them); users are deactivated, never deleted (their audit events keep them).
SECURITY_ADMIN_PERMISSIONS = frozenset(
    {
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "accounts.view_department",
        "grids.view_region",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
    }
)
# The audit administrator reads, searches and exports the audit log, and changes nothing.
AUDIT_ADMIN_PERMISSIONS = frozenset({"accounts.view_auditevent"})

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: SYSTEM_ADMIN_PERMISSIONS,
    Role.SECURITY_ADMIN: SECURITY_ADMIN_PERMISSIONS,
    Role.AUDIT_ADMIN: AUDIT_ADMIN_PERMISSIONS,
}


# Business permissions (who edits projects, who imports the monthly figures) are granted per user by
# the security administrator; they open nothing of the three duties above.
BUSINESS_APPS = frozenset({"projects", "economy", "evaluation", "services"})


def is_business_permission(permission: str) -> bool:
    return permission.split(".", 1)[0] in BUSINESS_APPS


class RoleBackend(ModelBackend):
    """ModelBackend whose permissions follow from the role (三员分立).

    The three administrators get exactly their duty: groups and per-user grants are ignored for
    them. Everyone else gets no administrator permission at all, only the business permissions
    (``BUSINESS_APPS``) granted to them, so a grant can never open the admin's duties."""

    def get_user_permissions(self, user_obj, obj=None):
        if user_obj.role in ROLE_PERMISSIONS:
            return set()
        return {p for p in super().get_user_permissions(user_obj, obj) if is_business_permission(p)}

    def get_group_permissions(self, user_obj, obj=None):
        if user_obj.role in ROLE_PERMISSIONS:
            return set()
        return {p for p in super().get_group_permissions(user_obj, obj) if is_business_permission(p)}

    def get_all_permissions(self, user_obj, obj=None):
        # Superusers never get here: User.has_perm answers True for them first.
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.role in ROLE_PERMISSIONS:
            return set(ROLE_PERMISSIONS[user_obj.role])
        return {*self.get_user_permissions(user_obj), *self.get_group_permissions(user_obj)}
