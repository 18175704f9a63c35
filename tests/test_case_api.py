"""The cases JSON API at /api/v1/cases/: scope, filters, intake, actions and their errors."""

import pytest

from gridgov.cases.models import Case, Source, State
from gridgov.cases.services import take_action

from .case_factories import WEST_POINT, make_category, make_team, report
from .factories import EAST_GRID, WEST_GRID

pytestmark = pytest.mark.django_db

BASE = "/api/v1/cases/"
EAST_POINT = (41.79, 123.435)


@pytest.fixture
def team(network):
    return make_team()


def as_user(client, user):
    client.force_login(user)
    return client


def act(client, case, action, version=None, note="", **params):
    body = {"version": case.version if version is None else version, "note": note, "params": params}
    return client.post(f"{BASE}{case.number}/actions/{action}", body, content_type="application/json")


def test_the_api_needs_a_session(client, network):
    assert client.get(BASE).status_code == 401


def test_list_is_limited_to_the_users_scope(client, team):
    west, east = report(), report(point=EAST_POINT)
    everything = as_user(client, team["intake"]).get(BASE).json()
    assert everything["count"] == 2
    west_only = as_user(client, team["grid_worker"]).get(BASE).json()
    assert [row["number"] for row in west_only["results"]] == [west.number]
    assert east.number not in str(west_only)


def test_list_filters_search_and_pages(client, team):
    west = report(description="井盖缺失")
    east = report(point=EAST_POINT, description="垃圾满溢")
    take_action(west.pk, "accept", team["intake"])
    as_user(client, team["intake"])

    def numbers(**query):
        return {row["number"] for row in client.get(BASE, query).json()["results"]}

    assert numbers(state="accepted") == {west.number}
    assert numbers(state="open") == {west.number, east.number}
    assert numbers(region=EAST_GRID[:12]) == {east.number}
    assert numbers(q="井盖") == {west.number}
    assert numbers(source=Source.HOTLINE) == set()
    first = client.get(BASE, {"page_size": 1}).json()
    second = client.get(BASE, {"page_size": 1, "page": 2}).json()
    assert first["count"] == 2 and {first["results"][0]["number"], second["results"][0]["number"]} == {west.number, east.number}
    assert client.get(BASE, {"region": "abc"}).status_code == 400


def test_detail_has_the_timeline_and_the_allowed_actions(client, team):
    case = report(reporter_name="李四")
    take_action(case.pk, "accept", team["intake"], note="核实属实")
    body = as_user(client, team["intake"]).get(f"{BASE}{case.number}").json()
    assert [step["action"] for step in body["timeline"]] == ["report", "accept"]
    assert body["timeline"][1]["note"] == "核实属实" and body["timeline"][1]["actor"] == team["intake"].username
    assert set(body["allowed_actions"]) == {"file", "void", "merge"}
    assert body["version"] == 2


def test_detail_outside_scope_is_not_found(client, team):
    east = report(point=EAST_POINT)
    assert as_user(client, team["grid_worker"]).get(f"{BASE}{east.number}").status_code == 404


def test_staff_intake_creates_a_case(client, team):
    category = make_category()
    lat, lng = WEST_POINT
    payload = {
        "category": category.pk,
        "lat": lat,
        "lng": lng,
        "description": "热线来电：路灯不亮",
        "source": "hotline",
        "reporter_phone": "13800009999",
    }
    response = as_user(client, team["intake"]).post(BASE, payload, content_type="application/json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    assert (case.source, case.grid_code, case.reporter) == (Source.HOTLINE, WEST_GRID, team["intake"])


def test_a_retry_with_the_same_idempotency_key_gets_the_same_case(client, team):
    category = make_category()
    lat, lng = WEST_POINT
    payload = {"category": category.pk, "lat": lat, "lng": lng, "description": "井盖缺失", "reporter_phone": "13800001234"}
    as_user(client, team["resident"])

    def post(key: str, body: dict = payload):
        return client.post(BASE, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)

    first = post("8e03978e-40d5-43e8-bc93-6894a57f9324")
    assert first.status_code == 201, first.content and "Idempotent-Replayed" not in first
    number = first.json()["number"]
    for retry in (post("8e03978e-40d5-43e8-bc93-6894a57f9324"), post('"8e03978e-40d5-43e8-bc93-6894a57f9324"')):
        assert retry.status_code == 200 and retry["Idempotent-Replayed"] == "true"
        assert retry.json()["number"] == number and retry.json() == first.json()
    assert Case.objects.count() == 1

    # The same key with another report is another report; without a key every POST is one.
    other = post("8e03978e-40d5-43e8-bc93-6894a57f9324", {**payload, "description": "路灯不亮"})
    assert other.status_code == 201 and other.json()["number"] != number
    assert client.post(BASE, payload, content_type="application/json").status_code == 201
    assert Case.objects.count() == 3


def test_another_users_same_idempotency_key_never_gets_someone_elses_case(client, team):
    category = make_category()
    lat, lng = WEST_POINT
    payload = {"category": category.pk, "lat": lat, "lng": lng, "description": "井盖缺失", "reporter_phone": "13800001234"}
    key = {"HTTP_IDEMPOTENCY_KEY": "shared-key-0001"}
    mine = as_user(client, team["resident"]).post(BASE, payload, content_type="application/json", **key)
    theirs = as_user(client, team["intake"]).post(BASE, payload, content_type="application/json", **key)
    assert mine.status_code == theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert theirs.json()["number"] != mine.json()["number"]
    assert Case.objects.get(number=theirs.json()["number"]).reporter == team["intake"]
    assert Case.objects.get(number=mine.json()["number"]).reporter == team["resident"]


def test_an_idempotency_key_too_long_is_a_400_in_a_sentence(client, team):
    category = make_category()
    lat, lng = WEST_POINT
    payload = {"category": category.pk, "lat": lat, "lng": lng, "description": "井盖缺失", "reporter_phone": "13800001234"}
    response = as_user(client, team["resident"]).post(
        BASE, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    assert response.status_code == 400 and "255" in response.json()["detail"]
    assert not Case.objects.exists()


def test_the_openapi_describes_the_idempotency_key(client, team):
    document = as_user(client, team["intake"]).get("/api/openapi.json").json()
    operation = document["paths"]["/api/v1/cases/"]["post"]
    [header] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and "retry" in header["description"]
    assert {"200", "201"} <= set(operation["responses"]) and "Idempotent-Replayed" in operation["description"]


def test_intake_outside_the_district_is_a_400(client, team):
    category = make_category()
    payload = {"category": category.pk, "lat": 41.9, "lng": 123.5, "description": "x"}
    response = as_user(client, team["intake"]).post(BASE, payload, content_type="application/json")
    assert response.status_code == 400 and "outside the district" in response.json()["detail"]


def test_an_action_returns_the_moved_case(client, team):
    case = report()
    response = act(as_user(client, team["intake"]), case, "accept")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["version"]) == (State.ACCEPTED, 2)


def test_dispatch_with_params(client, team):
    case = report()
    take_action(case.pk, "accept", team["intake"])
    case = take_action(case.pk, "file", team["intake"])
    response = act(as_user(client, team["dispatcher"]), case, "dispatch", region=WEST_GRID)
    assert response.status_code == 200 and response.json()["assigned_region"] == WEST_GRID


def test_a_stale_version_is_a_409(client, team):
    case = report()
    stale = case.version
    take_action(case.pk, "accept", team["intake"])
    response = act(as_user(client, team["shift_lead"]), case, "file", version=stale)
    assert response.status_code == 409
    assert "在您打开后已被他人更改" in response.json()["detail"]  # a whole sentence in the user's language
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED


def test_acting_outside_scope_answers_as_a_missing_case(client, team):
    east = report(point=EAST_POINT)
    take_action(east.pk, "accept", team["intake"])
    take_action(east.pk, "file", team["intake"])
    east = take_action(east.pk, "dispatch", team["dispatcher"], region=EAST_GRID)
    response = act(as_user(client, team["grid_worker"]), east, "start")
    # 404 with the body of a case that does not exist: no telling which numbers exist.
    missing = client.post("/api/v1/cases/20000101999999/actions/start", {"version": 1}, content_type="application/json")
    assert response.status_code == missing.status_code == 404
    assert response.json()["detail"].replace(east.number, "N") == missing.json()["detail"].replace("20000101999999", "N")
    assert Case.objects.get(pk=east.pk).state == State.DISPATCHED


def test_a_role_that_may_not_act_is_a_403_and_an_illegal_step_a_400(client, team):
    case = report()
    assert act(as_user(client, team["verifier"]), case, "accept").status_code == 403
    illegal = act(as_user(client, team["dispatcher"]), case, "dispatch", region=WEST_GRID)
    assert illegal.status_code == 400 and "“已上报”" in illegal.json()["detail"]
    assert act(client, case, "fly").status_code == 400
    assert Case.objects.get(pk=case.pk).version == case.version


def test_duplicates_lists_open_cases_nearby(client, team):
    category = make_category()
    existing = report(category)
    lat, lng = WEST_POINT
    found = (
        as_user(client, team["intake"]).get(f"{BASE}duplicates", {"category": category.pk, "lat": lat, "lng": lng + 0.001}).json()
    )
    assert [c["number"] for c in found] == [existing.number]
    assert client.get(f"{BASE}duplicates", {"category": category.pk, "lat": lat, "lng": lng + 0.01}).json() == []


def test_open_geojson_holds_open_cases_in_scope(client, team):
    open_case = report()
    rejected = report()
    take_action(rejected.pk, "reject", team["intake"], note="重复")
    report(point=EAST_POINT)
    collection = as_user(client, team["grid_worker"]).get(f"{BASE}open.geojson").json()
    assert [f["id"] for f in collection["features"]] == [open_case.number]
    feature = collection["features"][0]
    assert feature["geometry"]["coordinates"] == [open_case.lng, open_case.lat]
    assert {"overdue", "due_soon", "url"} <= set(feature["properties"])


def test_categories_list_active_ones(client, team):
    category = make_category()
    ids = {c["id"] for c in as_user(client, team["intake"]).get(f"{BASE}categories").json()}
    assert category.pk in ids
    category.is_active = False
    category.save()
    assert category.pk not in {c["id"] for c in client.get(f"{BASE}categories").json()}


# --- each action's parameters are a typed schema ------------------------------------------------


@pytest.fixture
def filed(team):
    case = report()
    take_action(case.pk, "accept", team["intake"])
    return take_action(case.pk, "file", team["intake"])


@pytest.mark.parametrize(
    "action, params, named",
    [
        ("accept", {"actor": "x"}, "actor"),  # an action that takes none
        ("dispatch", {"region": WEST_GRID, "urgent": True}, "urgent"),  # unknown
        ("dispatch", {"region": ["a", "b"]}, "region"),  # wrong type
        ("merge", {}, "into"),  # missing
        ("rate", {"rating": "great"}, "rating"),
        ("request_extension", {"hours": "many"}, "hours"),
        ("request_extension", {"hours": "NaN"}, "hours"),
        ("whistle", {"lead": "cgj", "co": "cgj"}, "co"),
        ("dispatch", {"expected_version": 1, "region": WEST_GRID}, "expected_version"),  # no way into take_action's own arguments
    ],
)
def test_action_parameters_that_do_not_fit_the_action_are_a_422_naming_the_parameter(client, team, filed, action, params, named):
    response = act(as_user(client, team["shift_lead"]), filed, action, **params)
    assert response.status_code == 422, response.content
    [problem] = response.json()["detail"]
    assert problem["loc"][-1] == named.split(".")[0] or named in problem["loc"]
    assert f"“{named}”" in problem["msg"] and f"“{action}”" in problem["msg"]
    assert Case.objects.get(pk=filed.pk).version == filed.version  # nothing was taken


def test_typed_parameters_reach_the_step(client, team, filed):
    from gridgov.cases.models import ExtensionRequest

    as_user(client, team["dispatcher"])
    case = Case.objects.get(pk=filed.pk)
    assert act(client, case, "dispatch", department="cgj").status_code == 200
    case = Case.objects.get(pk=filed.pk)
    response = act(as_user(client, team["handler"]), case, "request_extension", note="材料未到", hours=1.5)
    assert response.status_code == 200, response.content
    assert ExtensionRequest.objects.get(case=case).hours == 1.5


def test_a_programming_error_inside_a_step_is_not_answered_as_bad_input(client, team, filed, monkeypatch):
    """TypeError used to be mapped to 400, which hid mistakes in the code as the caller's."""
    import dataclasses

    from gridgov.cases import workflow

    def broken(ctx):
        raise TypeError("a bug")

    monkeypatch.setitem(workflow.TRANSITIONS, "dispatch", dataclasses.replace(workflow.TRANSITIONS["dispatch"], handler=broken))
    client.raise_request_exception = True
    with pytest.raises(TypeError, match="a bug"):
        act(as_user(client, team["dispatcher"]), filed, "dispatch", region=WEST_GRID)
