"""Who may do what, read by other apps: the three administrators (三员) and personal data.

The three administrators are kept apart (三员分立, DESIGN.md section 11): they configure the
system, manage accounts, or read the audit log, and none of them reads residents' cases or
reporters' personal data. Other apps ask here instead of comparing roles themselves, so the rule
has one home (cases' scope and the privacy masking use these).
"""

from .models import Role

ADMINISTRATOR_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


def is_administrator(user) -> bool:
    """One of the three administrators (system, security, audit)."""
    return getattr(user, "is_authenticated", False) and getattr(user, "role", None) in ADMINISTRATOR_ROLES


def may_see_personal_data(user) -> bool:
    """Whether the separation of duties lets this user see reporters' unmasked personal data at
    all. False for anonymous users and for the three administrators; for other staff the
    privacy rules (which roles must call back) decide on top of this."""
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and not is_administrator(user)


def may_see_cases(user) -> bool:
    """The three administrators see no cases at all (their scope is empty)."""
    return not is_administrator(user)


def requires_second_factor(user) -> bool:
    """A second factor (TOTP) is required for the three administrators and for superusers;
    everyone else may enrol one (accounts/views.py)."""
    return is_administrator(user) or bool(getattr(user, "is_superuser", False))
