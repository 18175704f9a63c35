"""Categories, departments and role users for case tests, over the small network of factories.py."""

from decimal import Decimal

from gridgov.accounts.models import Department, Role, User
from gridgov.cases.models import Category, LimitUnit, Source
from gridgov.cases.services import Report, report_case
from gridgov.grids.models import Region

from .factories import WEST_GRID

# Inside WEST_GRID (lng 123.40–123.41, lat 41.78–41.80).
WEST_POINT = (41.79, 123.405)


def make_department(code: str = "cgj", name: str = "城管局") -> Department:
    return Department.objects.get_or_create(code=code, defaults={"name": name})[0]


def make_category(
    code: str = "0101", *, handled_in_grid: bool = True, hours: str = "4", unit: str = LimitUnit.WORKING_HOURS
) -> Category:
    # update_or_create: the data migration seeds the real catalogue, whose row for this code
    # must take the values the test asks for.
    return Category.objects.update_or_create(
        kind="event",
        code=code,
        defaults={
            "top_name": "市容环境",
            "name": "暴露垃圾",
            "default_department": make_department(),
            "handled_in_grid": handled_in_grid,
            "handle_limit": Decimal(hours),
            "handle_unit": unit,
        },
    )[0]


def make_user(
    role: str, region_code: str | None = None, department: Department | None = None, username: str | None = None
) -> User:
    region = Region.objects.get(code=region_code) if region_code else None
    return User.objects.create_user(
        username or f"{role}-{region_code or 'all'}-{department.code if department else ''}",
        password="pw-for-tests-only",
        role=role,
        region=region,
        department=department,
    )


def make_team() -> dict[str, User]:
    """One user per role that the workflow needs."""
    department = make_department()
    return {
        "resident": make_user(Role.RESIDENT, WEST_GRID),
        "intake": make_user(Role.INTAKE_CLERK),
        "dispatcher": make_user(Role.DISPATCHER),
        "shift_lead": make_user(Role.SHIFT_LEAD),
        "verifier": make_user(Role.VERIFIER),
        "leader": make_user(Role.LEADER),
        "grid_worker": make_user(Role.GRID_WORKER, WEST_GRID),
        "other_grid_worker": make_user(Role.GRID_WORKER, "210199002001001"),
        "community": make_user(Role.COMMUNITY_STAFF, "210199001001"),
        "street": make_user(Role.STREET_STAFF, "210199001"),
        "handler": make_user(Role.DEPARTMENT_HANDLER, department=department),
    }


def report(category: Category | None = None, *, reporter: User | None = None, point=WEST_POINT, at=None, **fields):
    category = category or make_category()
    lat, lng = point
    values = {"description": "路边堆放生活垃圾", "source": Source.RESIDENT, **fields}
    return report_case(
        Report(category=category, lat=lat, lng=lng, reporter=reporter, reporter_phone="13800001234", **values), at=at
    )
