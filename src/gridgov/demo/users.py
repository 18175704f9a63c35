"""Demo accounts: one per role, each with the data scope that role has in a real district.

Grid workers, grid chiefs and the resident belong to one grid, community staff to a community,
street staff to a street; command-centre staff, department handlers, verifiers, leaders and the
three administrators (三员) see the whole district (no region). The 三员 get the Django admin,
each with the pages of their duty only (accounts/permissions.py); none is a superuser.

Demo accounts are marked ``is_demo``: their password is published, so they are exempt from the
forced change. The administrators need a second factor; theirs is a TOTP secret derived from the
username (the same in every demo, printed with the account table), so a tester can add it to an
authenticator app or print the current code with ``python -m gridgov.demo.totp`` (totp.py).
"""

from dataclasses import dataclass

from django.db import transaction

from gridgov.accounts.models import Department, Role, User
from gridgov.accounts.selectors import ADMINISTRATOR_ROLES
from gridgov.accounts.services import ensure_user
from gridgov.grids.codes import Level
from gridgov.grids.models import Region

from . import DEMO_DISTRICT_CODE, DEMO_PASSWORD
from .totp import demo_totp_key, demo_totp_secret

DEMO_DEPARTMENT = "cgj"  # 城市管理局: the department of the demo department handler

SCOPE_LEVEL = {
    Role.RESIDENT: Level.GRID,
    Role.GRID_WORKER: Level.GRID,
    Role.GRID_CHIEF: Level.GRID,
    Role.COMMUNITY_STAFF: Level.COMMUNITY,
    Role.STREET_STAFF: Level.STREET,
}
ADMIN_ROLES = ADMINISTRATOR_ROLES


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    role_label: str
    scope: str  # "code name" of the region, or the whole district
    totp_secret: str = ""  # base32, for the administrators' second factor


def demo_username(role: str) -> str:
    return f"demo_{role}"


def _give_demo_second_factor(user: User) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    key = demo_totp_key(user.username).hex()
    TOTPDevice.objects.filter(user=user).exclude(key=key).delete()
    TOTPDevice.objects.get_or_create(user=user, key=key, defaults={"name": "demo", "confirmed": True})


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
            is_superuser=False,
            is_demo=True,
            actor=actor,
        )
        if role == Role.DEPARTMENT_HANDLER:
            _join_demo_department(user)
        secret = ""
        if role in ADMIN_ROLES:
            _give_demo_second_factor(user)
            secret = demo_totp_secret(user.username)
        scope = region or district
        accounts.append(DemoAccount(user.username, role.value, str(role.label), f"{scope.code} {scope.name}", secret))
    return accounts


def _join_demo_department(user: User) -> None:
    """The demo handler works for the 城市管理局, so the cases dispatched there reach them."""
    department = Department.objects.filter(code=DEMO_DEPARTMENT).first()
    if department is not None and user.department_id != department.pk:
        user.department = department
        user.save(update_fields=["department"])


def demo_users() -> "list[User]":
    return list(User.objects.filter(username__in=[demo_username(role.value) for role in Role]).order_by("username"))
