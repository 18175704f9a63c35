"""Who may do what, read by other apps: the three administrators (三员) and personal data.

The three administrators are kept apart (三员分立, DESIGN.md section 11): they configure the
system, manage accounts, or read the audit log, and none of them reads residents' cases or
reporters' personal data. Other apps ask here instead of comparing roles themselves, so the rule
has one home (cases' scope and the privacy masking use these).
"""

from dataclasses import dataclass

from .models import Role

ADMINISTRATOR_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# Roles whose work covers the whole district by definition: the command centre (intake, dispatch,
# the shift lead, verification) and the district's leaders. Without a unit they see the whole
# district; every other role sees nothing until it is given a unit (grid staff, community and
# street staff) or a department (department handlers): data scope is closed by default.
DISTRICT_WIDE_ROLES = frozenset({Role.INTAKE_CLERK, Role.DISPATCHER, Role.SHIFT_LEAD, Role.VERIFIER, Role.LEADER})


@dataclass(frozen=True)
class DataScope:
    """What part of the district's data a user sees, the one rule every app reads (cases,
    evaluation, projects): ``kind`` is one of

    - ``"none"``: nothing (anonymous, the three administrators, a role without its unit or department);
    - ``"district"``: everything (a district-wide role without a unit);
    - ``"unit"``: the unit ``key`` (a region code) and everything below it;
    - ``"department"``: the cases of the department ``key`` (its id);
    - ``"own"``: the user's own reports (residents; ``key`` is the user's id).

    The pair is hashable, so caches of figures are keyed on it."""

    kind: str
    key: str | int | None = None


NO_SCOPE = DataScope("none")
WHOLE_DISTRICT = DataScope("district")


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


def data_scope(user) -> DataScope:
    """The user's data scope (see ``DataScope``); closed unless something opens it."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or is_administrator(user):
        return NO_SCOPE
    if user.role == Role.RESIDENT:
        return DataScope("own", user.pk)
    if user.role == Role.DEPARTMENT_HANDLER:
        return DataScope("department", user.department_id) if user.department_id is not None else NO_SCOPE
    if user.region_id is not None:
        return DataScope("unit", user.region.code)
    return WHOLE_DISTRICT if user.role in DISTRICT_WIDE_ROLES else NO_SCOPE


def requires_second_factor(user) -> bool:
    """A second factor (TOTP) is required for the three administrators and for superusers;
    everyone else may enrol one (accounts/views.py)."""
    return is_administrator(user) or bool(getattr(user, "is_superuser", False))
