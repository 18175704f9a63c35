"""Role × route matrix (issue 8): every URL pattern and every /api/v1 operation, for every role.

The routes are ENUMERATED (a walk of the URL resolver, and the operations of the API's OpenAPI
document) and each must be classified in ``ROUTES`` / ``API_ROUTES`` below: a new route that
nobody classified fails ``test_every_route_is_classified``. Each classified route is requested
once per role (plus a unit role without its unit and a department handler without its
department, whose scope is closed), and:

- routes about one case are asked for a case inside the role's scope, a case outside it and a
  case that does not exist: outside and missing answer the same (same status, same body once the
  number is blanked out), so no one learns which case numbers exist;
- case lists show the case inside the scope and never the one outside;
- every other route answers the status its access rule says (public, signed in, staff).

The whole matrix shares one small world, built once per module inside a transaction that is
rolled back at the end (each test's own writes roll back with the test).
"""

import re
import tempfile
from copy import deepcopy
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from gridgov.accounts.models import Role
from gridgov.accounts.selectors import DISTRICT_WIDE_ROLES
from gridgov.api import api
from gridgov.cases.models import Case, Photo
from gridgov.cases.services import take_action
from gridgov.projects import services as project_services

from .auth_helpers import second_factor
from .case_factories import make_category, make_department, make_user, report
from .factories import WEST_GRID, build_small_network

pytestmark = pytest.mark.django_db
MISSING = "20000101999999"
EAST_POINT = (41.79, 123.435)
ADMINS = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)
ROLES = [
    *(role.value for role in Role),
    "anonymous",
    "grid_worker_without_grid",
    "community_staff_without_unit",
    "department_handler_without_department",
]
WEST_ROLES = {Role.RESIDENT, Role.GRID_WORKER, Role.GRID_CHIEF, Role.COMMUNITY_STAFF, Role.STREET_STAFF}
SCOPELESS = {
    *ADMINS,
    "anonymous",
    "grid_worker_without_grid",
    "community_staff_without_unit",
    "department_handler_without_department",
}


# --- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    west: Case
    east: Case
    photo: Photo
    project_id: int
    clients: dict[str, Client] = field(default_factory=dict)

    def inside(self, role: str) -> Case | None:
        """A case inside the role's scope (None: the role sees none)."""
        if role in SCOPELESS:
            return None
        return self.east if role == Role.DEPARTMENT_HANDLER else self.west

    def outside(self, role: str) -> Case | None:
        """A case outside the role's scope (None: district-wide roles see every case)."""
        if role in DISTRICT_WIDE_ROLES:
            return None
        return self.west if role == Role.DEPARTMENT_HANDLER or role in SCOPELESS else self.east


def _tiny_png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), (200, 50, 50)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    media = tempfile.TemporaryDirectory()
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media.name,
            GRIDGOV_PHOTO_PENDING_DIR=f"{media.name}/pending",
            GRIDGOV_INTAKE_RATE="",
            GRIDGOV_LOOKUP_RATE="",
            GRIDGOV_LOOKUP_FAILURES="",
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},  # the photo made ready
        ),  # fmt: skip
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.cleanup()


def _build_world() -> World:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.cases.photos import prepare_photos, store_photos

    build_small_network()
    category = make_category()
    department = make_department()
    users = {
        role.value: make_user(role, _unit(role), department if role == Role.DEPARTMENT_HANDLER else None, username=role.value)
        for role in Role
    }
    users["grid_worker_without_grid"] = make_user(Role.GRID_WORKER, username="grid_worker_without_grid")
    users["community_staff_without_unit"] = make_user(Role.COMMUNITY_STAFF, username="community_staff_without_unit")
    users["department_handler_without_department"] = make_user(
        Role.DEPARTMENT_HANDLER, username="department_handler_without_department"
    )
    west = report(category, reporter=users[Role.RESIDENT])
    east = report(category, point=EAST_POINT)
    for action in ("accept", "file"):
        take_action(east.pk, action, users[Role.INTAKE_CLERK])
    take_action(east.pk, "dispatch", users[Role.DISPATCHER], department=department.code)
    photo = store_photos(
        west, None, prepare_photos([SimpleUploadedFile("p.png", _tiny_png(), content_type="image/png")]), phase="before"
    )[0]
    project = project_services.create_project(name="矩阵项目", total_investment=15000, lat=41.79, lng=123.405)
    world = World(Case.objects.get(pk=west.pk), Case.objects.get(pk=east.pk), photo, project.pk)
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        if user.role in ADMINS:
            from django_otp import DEVICE_ID_SESSION_KEY

            session = client.session
            session[DEVICE_ID_SESSION_KEY] = second_factor(user).persistent_id
            session.save()
        world.clients[name] = client
    world.clients["anonymous"] = Client()
    return world


def _unit(role: Role) -> str | None:
    return {
        Role.RESIDENT: WEST_GRID, Role.GRID_WORKER: WEST_GRID, Role.GRID_CHIEF: WEST_GRID,
        Role.COMMUNITY_STAFF: "210199001001", Role.STREET_STAFF: "210199001",
    }.get(role)  # fmt: skip


# --- the classification ------------------------------------------------------------------------
#
# kind: "public" (anyone), "signed_in" (any account), "staff" (any account but residents, who are
# sent to the look-up), "case" (about one case: inside / outside / missing), "list" (lists cases),
# "admin" (the Django admin, the three administrators' by their model permissions).


@dataclass(frozen=True)
class Route:
    kind: str
    method: str = "GET"
    path: str = ""  # with {case} / {photo} / {project} / {west_grid} placeholders
    data: dict | None = None
    json: bool = False
    # statuses a role inside / not signed in may get (None: the kind's default)
    ok: frozenset = frozenset({200})


def _r(kind, method="GET", path="", data=None, json=False, ok=(200,)):
    return Route(kind, method, path, data, json, frozenset(ok))


STAFF_PAGE = (200,)
ROUTES = {
    "healthz": _r("public", path="/healthz"),
    "bench-write": _r("public", "POST", "/bench/write", ok=(200, 201, 204, 403, 404)),
    "home": _r("public", path="/", ok=(200, 302)),
    "login": _r("public", path="/login/", ok=(200, 302)),
    "logout": _r("public", "POST", "/logout/", ok=(200, 302)),
    "set_language": _r("public", "POST", "/i18n/setlang/", {"language": "en", "next": "/"}, ok=(302,)),
    "accounts:security": _r("signed_in", path="/account/security/", ok=(200, 302)),
    "accounts:password_change": _r("signed_in", path="/account/password/", ok=(200,)),
    "accounts:otp_verify": _r("signed_in", path="/account/otp/", ok=(200, 302)),
    "accounts:otp_enrol": _r("signed_in", path="/account/otp/enrol/", ok=(200, 302)),
    "api:openapi-json": _r("public", path="/api/openapi.json", ok=(200,)),
    "api:openapi-view": _r("public", path="/api/docs", ok=(200,)),
    "api:api-root": _r("public", path="/api/", ok=(404,)),
    "grids:map": _r("signed_in", path="/grids/", ok=(200,)),
    "grids:detail": _r("signed_in", path="/grids/{west_grid}/", ok=(200,)),
    "cases:list": _r("list", path="/cases/"),
    "cases:inbox": _r("staff", path="/cases/inbox/"),
    "cases:map": _r("staff", path="/cases/map/"),
    "cases:photo": _r("case", path="/cases/photos/{photo}/thumb/"),
    "cases:detail": _r("case", path="/cases/{case}/"),
    "cases:act": _r("case", "POST", "/cases/{case}/act/accept/", {"version": "0"}, ok=(409,)),
    "cases:reveal_reporter": _r("case", "POST", "/cases/{case}/reporter/", ok=(200, 403)),
    "cases:place": _r("case", "POST", "/cases/{case}/place/", {"version": "0"}, ok=(400,)),
    "evaluation:table": _r("staff", path="/evaluation/", ok=(200, 403, 404)),
    "evaluation:cases": _r("staff", path="/evaluation/cases/?measure=reported&period=2026-03", ok=(200, 400, 403, 404)),
    "evaluation:export": _r("staff", path="/evaluation/export.xlsx", ok=(200, 400, 403, 404)),
    "evaluation:report": _r("staff", path="/evaluation/report/", ok=(200, 403, 404)),
    "evaluation:dashboard": _r("staff", path="/evaluation/dashboard/", ok=(200, 302, 403, 404)),
    "evaluation:big": _r("staff", path="/evaluation/dashboard/big/", ok=(200, 302, 403, 404)),
    "report:new": _r("public", path="/report/"),
    "report:done": _r("public", path="/report/done/", ok=(302,)),
    "report:similar": _r("public", path="/report/similar/?category=0&lat=0&lng=0", ok=(400,)),
    "report:lookup": _r("case", "POST", "/report/lookup/", {"number": "{case}", "phone": "00000000"}, ok=(400,)),
    "report:rate": _r(
        "case", "POST", "/report/rate/", {"number": "{case}", "phone": "00000000", "rating": "satisfied"}, ok=(400,)
    ),
    "report:mine": _r("case", path="/report/mine/{case}/"),
    "open311:root": _r("public", path="/open311/v2/", ok=(200, 302, 404)),
    "open311:openapi": _r("public", path="/open311/v2/openapi.json"),
    "open311:discovery": _r("public", path="/open311/v2/discovery.json"),
    "open311:services": _r("public", path="/open311/v2/services.json"),
    "open311:service": _r("public", path="/open311/v2/services/event-0101.json"),
    "open311:requests": _r("public", path="/open311/v2/requests.json"),
    "open311:request": _r("case", path="/open311/v2/requests/{case}.json"),
    "open311:token": _r("public", path="/open311/v2/tokens/0123456789abcdef.json", ok=(404,)),
    "open311:updates": _r("public", path="/open311/v2/servicerequestupdates.json"),
    "open311:": _r("public", path="/open311/v2/nothing-here.json", ok=(404,)),
    "projects:list": _r("staff", path="/projects/", ok=(200, 404)),
    "projects:detail": _r("staff", path="/projects/{project}/", ok=(200, 404)),
    "projects:raise-problem": _r(
        "staff", "POST", "/projects/{project}/problems/", {"kind": "", "description": ""}, ok=(400, 404)
    ),
    "projects:record-stage": _r("staff", "POST", "/projects/{project}/stages/", {}, ok=(404,)),
    "projects:correct-stage": _r("staff", "POST", "/projects/{project}/stages/correct/", {}, ok=(404,)),
    "projects:problems": _r("staff", path="/projects/problems/", ok=(200, 404)),
    "projects:chains": _r("staff", path="/projects/chains/", ok=(200, 404)),
    "projects:chain": _r("staff", path="/projects/chains/nothing/", ok=(404,)),
    "projects:renewal": _r("staff", path="/projects/renewal/", ok=(200, 404)),
    "economy:index": _r("staff", path="/economy/", ok=(200,)),
    "economy:import": _r("staff", "POST", "/economy/import/", {}, ok=(200, 302, 400, 403, 404)),
    "economy:export": _r("staff", path="/economy/export.xlsx", ok=(200, 400, 404)),
    "economy:prepare-export": _r("staff", "POST", "/economy/export/", {"year": "2026"}, ok=(302,)),
    "economy:briefing": _r("staff", path="/economy/briefing/", ok=(200, 400, 404)),
    "cases:dispatch_batch": _r("staff", "POST", "/cases/inbox/dispatch/", {}, ok=(302, 400, 403)),
    "cases:patrol": _r("staff", path="/cases/patrol/", ok=(200, 302)),  # grid staff's; others go to the inbox
    "evaluation:ledger": _r("staff", path="/evaluation/ledger.xlsx", ok=(200, 400, 403, 404)),
    "evaluation:prepare_ledger": _r("staff", "POST", "/evaluation/ledger/prepare/", {}, ok=(302, 400, 403, 404)),
    "jobs:status": _r("signed_in", path="/jobs/nothing/", ok=(404,)),  # a job's page is its owner's only
    "jobs:download": _r("signed_in", path="/jobs/nothing/file", ok=(404,)),
    "report:me_too": _r("public", "POST", "/report/metoo/", {}, ok=(400,)),
    "report:sw": _r("public", path="/report/sw.js"),
    "report:photo": _r("public", path="/report/photo/not-a-token/", ok=(404,)),  # signed, expiring links only
    "services:catalogue": _r("public", path="/services/", ok=(200, 302)),
    "services:catalogue-export": _r("public", path="/services/catalogue.xlsx", ok=(200, 302, 403)),
    "services:prepare-catalogue-export": _r("signed_in", "POST", "/services/catalogue/export/", ok=(302,)),
    "services:catalogue-import": _r("signed_in", "POST", "/services/catalogue/import/", {}, ok=(302,)),  # 403 without the rights
    "services:prepare-statistics-export": _r("staff", "POST", "/services/statistics/export/", {"year": "2026"}, ok=(302, 403)),
    "services:apply": _r("public", path="/services/apply/item/nothing/", ok=(302, 404)),
    "services:mine": _r("signed_in", path="/services/mine/", ok=(200, 302)),
    "services:window": _r("staff", path="/services/window/", ok=(200, 403)),
    "services:inbox": _r("staff", path="/services/inbox/", ok=(200, 403)),
    "services:statistics": _r("staff", path="/services/statistics/", ok=(200, 403)),
    "services:detail": _r("signed_in", path="/services/a/nothing/", ok=(404,)),
    "services:rectifications": _r("staff", path="/services/rectifications/", ok=(200, 403)),
    "services:rectification": _r("signed_in", path="/services/rectifications/0/", ok=(404,)),
}
# The /api/v1 operations (from the OpenAPI document), by "METHOD path". All need a session (401 without).
API_ROUTES = {
    "GET /api/v1/regions": _r("signed_in"),
    "GET /api/v1/regions/{code}": _r("signed_in", path="/api/v1/regions/210199001"),
    "GET /api/v1/regions/{code}/children.geojson": _r("signed_in", path="/api/v1/regions/210199001/children.geojson"),
    "GET /api/v1/regions/{code}/boundary.geojson": _r("signed_in", path="/api/v1/regions/210199001/boundary.geojson"),
    "GET /api/v1/grids/{code}": _r("signed_in", path="/api/v1/grids/{west_grid}"),
    "GET /api/v1/locate": _r("signed_in", path="/api/v1/locate?lat=41.79&lng=123.405"),
    "GET /api/v1/search": _r("signed_in", path="/api/v1/search?q=西"),
    "GET /api/v1/outlines.geojson": _r("public"),
    "GET /api/v1/cases/": _r("list"),
    "POST /api/v1/cases/": _r(
        "signed_in", data={"category": 0, "lat": 41.79, "lng": 123.405, "description": "x"}, json=True, ok=(400,)
    ),
    "GET /api/v1/cases/categories": _r("signed_in"),
    "GET /api/v1/cases/duplicates": _r("signed_in", path="/api/v1/cases/duplicates?category=0&lat=41.79&lng=123.405", ok=(404,)),
    "GET /api/v1/cases/open.geojson": _r("list"),
    "GET /api/v1/cases/{number}": _r("case", path="/api/v1/cases/{case}"),
    "POST /api/v1/cases/{number}/reporter": _r("case", path="/api/v1/cases/{case}/reporter", ok=(200, 403)),
    "POST /api/v1/cases/{number}/actions/{action}": _r(
        "case", path="/api/v1/cases/{case}/actions/accept", data={"version": 0}, json=True, ok=(409,)
    ),
    "POST /api/v1/cases/{number}/location": _r(
        "case", path="/api/v1/cases/{case}/location", data={"lat": 41.79, "lng": 123.405, "version": 0}, json=True, ok=(403, 409)
    ),
    "GET /api/v1/evaluation/indicators": _r("signed_in", ok=(200, 403)),
    "GET /api/v1/evaluation/table": _r(
        "signed_in", path="/api/v1/evaluation/table?level=street&period=2026-03", ok=(200, 400, 403)
    ),
    "GET /api/v1/evaluation/dashboard": _r("signed_in", ok=(200, 403)),
    "GET /api/v1/projects/": _r("signed_in", ok=(200,)),
    "GET /api/v1/projects/counts": _r("signed_in", ok=(200,)),
    "GET /api/v1/projects/renewal": _r("signed_in", ok=(200,)),
    "GET /api/v1/projects/chains/{code}": _r("signed_in", path="/api/v1/projects/chains/nothing", ok=(404,)),
    "GET /api/v1/projects/{project_id}": _r("signed_in", path="/api/v1/projects/{project}", ok=(200, 404)),
    "GET /api/v1/economy/indicators": _r("signed_in", ok=(200, 403)),
    "GET /api/v1/economy/table": _r("signed_in", ok=(200, 400, 403, 422)),
    "GET /api/v1/economy/ranking/{code}": _r("signed_in", path="/api/v1/economy/ranking/nothing", ok=(400, 403, 404, 422)),
    "GET /api/v1/economy/trend/{code}": _r("signed_in", path="/api/v1/economy/trend/nothing", ok=(400, 403, 404)),
    "GET /api/v1/economy/briefing": _r("signed_in", ok=(200, 400, 403, 422)),
    "GET /api/v1/evaluation/open-by-grid.geojson": _r("signed_in", ok=(200, 403)),
    "GET /api/v1/services/items": _r("signed_in"),
    "GET /api/v1/services/bundles": _r("signed_in"),
    "GET /api/v1/services/statistics": _r("signed_in", ok=(200, 403)),
    "GET /api/v1/services/applications": _r("signed_in", ok=(200, 403)),
    "GET /api/v1/services/applications/{number}": _r("signed_in", path="/api/v1/services/applications/nothing", ok=(404,)),
    "POST /api/v1/services/applications/{number}/actions": _r(
        "signed_in", path="/api/v1/services/applications/nothing/actions", data={"action": "accept"}, json=True, ok=(404,)
    ),
    "POST /api/v1/services/applications": _r("signed_in", data={"bundle": "nothing"}, json=True, ok=(403, 404, 422)),
    "POST /api/v1/services/applications/{number}/materials": _r(
        "signed_in", path="/api/v1/services/applications/nothing/materials", ok=(404,)
    ),
    "GET /api/v1/services/rectifications": _r("signed_in", ok=(200, 403)),
    "GET /api/v1/services/rectifications/{task_id}": _r("signed_in", path="/api/v1/services/rectifications/0", ok=(403, 404)),
    "POST /api/v1/services/rectifications/{task_id}/reply": _r(
        "signed_in", path="/api/v1/services/rectifications/0/reply", data={"reply": "x"}, json=True, ok=(403, 404)
    ),
    "POST /api/v1/services/rectifications/{task_id}/return-visit": _r(
        "signed_in", path="/api/v1/services/rectifications/0/return-visit", data={"note": "x"}, json=True, ok=(403, 404)
    ),
}


# --- enumeration -------------------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace + (pattern.name or "")


def url_names() -> set[str]:
    """Every named URL pattern (the API's operations are checked through its OpenAPI document)."""
    return {name for route, name in _walk(get_resolver().url_patterns) if not route.startswith("api/v1/")}


def api_operations() -> set[str]:
    schema = api.get_openapi_schema(path_prefix="/api/")
    return {f"{method.upper()} {path}" for path, operations in schema["paths"].items() for method in operations}


def test_every_route_is_classified():
    unclassified = {name for name in url_names() if not name.startswith("admin:")} - set(ROUTES)
    assert not unclassified, f"classify these routes in tests/test_scope_matrix.py ROUTES: {sorted(unclassified)}"
    assert not set(ROUTES) - url_names(), "ROUTES names routes that no longer exist"
    operations = api_operations()
    assert not operations - set(API_ROUTES), (
        f"classify these API operations in API_ROUTES: {sorted(operations - set(API_ROUTES))}"
    )
    assert not set(API_ROUTES) - operations, "API_ROUTES names operations that no longer exist"


# --- the requests ------------------------------------------------------------------------------


def _fill(text: str, world: World, number: str) -> str:
    return (
        text.replace("{case}", number).replace("{photo}", str(world.photo.pk if number == world.west.number else 999999999))
        .replace("{project}", str(world.project_id)).replace("{west_grid}", WEST_GRID)
    )  # fmt: skip


# Routes that change the client's session or cookies are asked with a copy of the client.
SESSION_CHANGING = ("/logout/", "/i18n/setlang/")


def _request(client: Client, route: Route, path: str, world: World, number: str = MISSING):
    if path in SESSION_CHANGING:
        copy = Client()
        copy.cookies = deepcopy(client.cookies)
        client = copy
    path = _fill(path, world, number)
    data = {key: _fill(value, world, number) if isinstance(value, str) else value for key, value in (route.data or {}).items()}
    if route.method == "GET":
        return client.get(path)
    if route.json:
        return client.post(path, data, content_type="application/json")
    return client.post(path, data)


def _blank(response, number: str) -> str:
    body = response.content.decode(errors="replace").replace(number, "N")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def _not_signed_in(route: Route, key: str) -> set[int]:
    return {401} if key.startswith(("GET /api", "POST /api")) else {302}


def _check(world: World, role: str, key: str, route: Route, path: str) -> None:
    client = world.clients[role]
    resident = role == Role.RESIDENT
    if route.kind == "public":
        answer = _request(client, route, path, world)
        assert answer.status_code in route.ok, (role, key, answer.status_code)
    elif route.kind in ("signed_in", "staff", "list") and role == "anonymous":
        answer = _request(client, route, path, world)
        assert answer.status_code in _not_signed_in(route, key), (role, key, answer.status_code)
    elif route.kind == "staff" and resident:
        answer = _request(client, route, path, world)
        assert answer.status_code in {302, 403, 404, 405}, (role, key, answer.status_code)
    elif route.kind == "signed_in":
        answer = _request(client, route, path, world)
        assert answer.status_code in route.ok | {403}, (role, key, answer.status_code)  # 403: a role the route refuses
    elif route.kind == "staff":
        answer = _request(client, route, path, world)
        assert answer.status_code in route.ok, (role, key, answer.status_code)
    elif route.kind == "list":
        _check_list(world, role, key, route, path)
    else:
        _check_case(world, role, key, route, path)


def _check_list(world: World, role: str, key: str, route: Route, path: str) -> None:
    answer = _request(world.clients[role], route, path, world)
    if role == Role.RESIDENT and not key.startswith("GET /api"):
        assert answer.status_code == 302, (role, key)
        return
    assert answer.status_code == 200, (role, key, answer.status_code)
    body = answer.content.decode()
    inside, outside = world.inside(role), world.outside(role)
    if inside is not None:
        assert inside.number in body, (role, key, "the case inside the scope is missing")
    if outside is not None:
        assert outside.number not in body, (role, key, "a case outside the scope is listed")
    if role in DISTRICT_WIDE_ROLES:
        assert world.east.number in body and world.west.number in body


def _check_case(world: World, role: str, key: str, route: Route, path: str) -> None:
    client = world.clients[role]
    missing = _request(client, route, path, world, MISSING)
    public = key in ("report:lookup", "report:rate", "open311:request")
    for case in (world.inside(role), world.outside(role)):
        if case is None or (key == "cases:photo" and case is not world.west):  # only the west case has a photo
            continue
        answer = _request(client, route, path, world, case.number)
        if public and role == Role.RESIDENT and case is world.west:
            # A signed-in resident's own case answers without the phone (the look-up and rating of one's own case).
            assert answer.status_code in {200, 400}, (role, key, answer.status_code)
            continue
        if public or case is world.outside(role) or _refused_before_scope(role, key):
            if public and key == "open311:request":  # Open311 publishes every request (public fields only)
                assert answer.status_code == 200 and missing.status_code == 404
                continue
            assert answer.status_code == missing.status_code, (role, key, answer.status_code, missing.status_code)
            if key == "cases:photo":  # keyed by photo id, which is blanked out with the number
                continue
            if _blank(answer, case.number) != _blank(missing, MISSING):
                import difflib

                diff = "\n".join(
                    difflib.unified_diff(
                        _blank(answer, case.number).splitlines(), _blank(missing, MISSING).splitlines(), lineterm="", n=1
                    )
                )
                raise AssertionError(f"{role} {key}: outside and missing answer differently:\n{diff[:3000]}")
        else:
            assert answer.status_code in route.ok, (role, key, answer.status_code)
            assert missing.status_code == 404 or (key == "report:mine" and missing.status_code == 404), (role, key)
    if world.inside(role) is None and world.outside(role) is None:
        assert missing.status_code in {302, 401, 403, 404}


def _refused_before_scope(role: str, key: str) -> bool:
    """Roles a route turns away whatever the case (not signed in; residents on staff pages)."""
    if role == "anonymous":
        return True
    if role == Role.RESIDENT and key.startswith("cases:") and key != "cases:photo":
        return True
    return key == "report:mine" and role != Role.RESIDENT


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_page_route_for_every_role(world, key):
    route = ROUTES[key]
    for role in ROLES:
        _check(world, role, key, route, route.path)


@pytest.mark.parametrize("key", sorted(API_ROUTES))
def test_api_operation_for_every_role(world, key):
    route = API_ROUTES[key]
    method, path = key.split(" ", 1)
    route = Route(route.kind, method, route.path or path, route.data, route.json, route.ok)
    for role in ROLES:
        _check(world, role, key, route, route.path)


def test_the_admin_site_is_the_three_administrators(world):
    """Every admin URL (classified by its namespace) sits behind the admin site, which lets in
    only staff accounts: the three administrators, whose pages follow their model permissions
    (tests/test_accounts_admin.py); no case data is reachable from it by any role."""
    for role in ROLES:
        answer = world.clients[role].get("/admin/cases/case/")
        assert answer.status_code in {302, 403, 404}, (role, answer.status_code)
