"""Demo accounts: one per role, each with the data scope that role has in a real district.

Grid workers, grid chiefs and the resident belong to one grid, community staff to a community,
street staff to a street; command-centre staff, department handlers, verifiers, leaders and the
three administrators (三员) see the whole district (no region). The 三员 get the Django admin;
only the system administrator is a superuser.
"""

from dataclasses import dataclass

from django.db import transaction

from gridgov.accounts.models import Department, Role, User
from gridgov.accounts.services import ensure_user
from gridgov.grids.codes import Level
from gridgov.grids.models import Region

from . import DEMO_DISTRICT_CODE, DEMO_PASSWORD

DEMO_DEPARTMENT = "cgj"  # 城市管理局: the department of the demo department handler

SCOPE_LEVEL = {
    Role.RESIDENT: Level.GRID,
    Role.GRID_WORKER: Level.GRID,
    Role.GRID_CHIEF: Level.GRID,
    Role.COMMUNITY_STAFF: Level.COMMUNITY,
    Role.STREET_STAFF: Level.STREET,
}
ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    role_label: str
    scope: str  # "code name" of the region, or the whole district


def demo_username(role: str) -> str:
    return f"demo_{role}"


def scope_region(level: Level | None) -> Region | None:
    """The first unit of the demo district at ``level`` in code order (001…001)."""
    if level is None:
        return None
    return Region.objects.filter(level=level, code__startswith=DEMO_DISTRICT_CODE).order_by("code").first()


@transaction.atomic
def create_demo_users(password: str = DEMO_PASSWORD, actor: User | None = None) -> list[DemoAccount]:
    """Create (or reset) one demo account per role. Needs the demo district to exist."""
    district = Region.objects.get(code=DEMO_DISTRICT_CODE)
    accounts = []
    for role in Role:
        region = scope_region(SCOPE_LEVEL.get(role))
        user = ensure_user(
            demo_username(role.value),
            role=role.value,
            region=region,
            password=password,
            first_name=str(role.label),
            is_staff=role in ADMIN_ROLES,
            is_superuser=role == Role.SYSTEM_ADMIN,
            actor=actor,
        )
        if role == Role.DEPARTMENT_HANDLER:
            _join_demo_department(user)
        scope = region or district
        accounts.append(DemoAccount(user.username, role.value, str(role.label), f"{scope.code} {scope.name}"))
    return accounts


def _join_demo_department(user: User) -> None:
    """The demo handler works for the 城市管理局, so the cases dispatched there reach them."""
    department = Department.objects.filter(code=DEMO_DEPARTMENT).first()
    if department is not None and user.department_id != department.pk:
        user.department = department
        user.save(update_fields=["department"])


def demo_users() -> "list[User]":
    return list(User.objects.filter(username__in=[demo_username(role.value) for role in Role]).order_by("username"))
