"""Open311 GeoReport v2 GET endpoints in JSON and XML: discovery, services, service definitions,
requests (filters, paging, extensions), tokens, servicerequestupdates, errors and privacy."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from gridgov.cases.models import Category, Photo, State
from gridgov.cases.presenters import read_public_photo_token
from gridgov.cases.services import take_action
from gridgov.open311.models import Submission
from gridgov.open311.selectors import open311_status
from gridgov.open311.services import create_api_key, take_in_all

from .case_factories import make_category, make_team, report
from .factories import WEST_GRID

pytestmark = pytest.mark.django_db
BASE = "/open311/v2/"
W3C_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
EAST_POINT = (41.79, 123.435)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.GRIDGOV_INTAKE_RATE = ""


@pytest.fixture
def team(network):
    return make_team()


@pytest.fixture
def category(network):
    return make_category()


def get_json(client, path, expect=200, **params):
    response = client.get(BASE + path, params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def get_xml(client, path, expect=200, **params):
    response = client.get(BASE + path, params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b"<?xml")
    return ET.fromstring(response.content)


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def act(case, action, actor, **params):
    return take_action(case.pk, action, actor, **params)


def closed_case(team, category):
    case = report(category, reporter=team["resident"], at=ago(days=2))
    for action, actor, params in [
        ("accept", "intake", {}),
        ("file", "intake", {}),
        ("dispatch", "dispatcher", {"region": WEST_GRID}),
        ("start", "grid_worker", {}),
        ("finish", "grid_worker", {"note": "内部：已通知环卫班组", "public_note": "垃圾已清运"}),
        ("verify", "verifier", {}),
        ("pass", "verifier", {"note": "内部：现场照片齐全", "public_note": "核查通过"}),
    ]:
        case = act(case, action, team[actor], **params)
    return case


# --- discovery, services, service definitions -------------------------------------------------


def test_discovery_in_both_formats(client, network):
    data = get_json(client, "discovery.json")
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert W3C_WITH_OFFSET.match(data["changeset"])
    root = get_xml(client, "discovery.xml")
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == endpoint["formats"]
    assert root.findtext("endpoints/endpoint/type") == "production"


def test_services_list_active_categories(client, category):
    inactive = make_category("0199")
    inactive.is_active = False
    inactive.save()
    services = get_json(client, "services.json")
    codes = [s["service_code"] for s in services]
    assert codes == [f"{c.kind}-{c.code}" for c in Category.objects.filter(is_active=True).order_by("kind", "code")]
    assert f"{inactive.kind}-{inactive.code}" not in codes
    mine = next(s for s in services if s["service_code"] == "event-0101")
    assert mine["service_name"] == category.name
    assert mine["metadata"] is False and mine["type"] == "batch"  # POST answers with a token
    assert mine["group"] == category.top_name
    assert category.name in mine["keywords"]

    root = get_xml(client, "services.xml")
    assert root.tag == "services"
    xml_codes = [service.findtext("service_code") for service in root.findall("service")]
    assert xml_codes == codes
    first = root.find("service")
    assert [child.tag for child in first] == [
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
    ]  # fmt: skip
    assert first.findtext("metadata") == "false"


def test_service_definition_has_no_attributes(client, category):
    assert get_json(client, "services/event-0101.json") == {"service_code": "event-0101", "attributes": []}
    root = get_xml(client, "services/event-0101.xml")
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "event-0101"
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0


@pytest.mark.parametrize("code", ["event-9999", "nonsense", "component-0101x"])
def test_unknown_service_definition_is_404(client, category, code):
    errors = get_json(client, f"services/{code}.json", expect=404)
    assert errors[0]["code"] == 404 and code in errors[0]["description"]
    root = get_xml(client, f"services/{code}.xml", expect=404)
    assert root.tag == "errors" and root.findtext("error/code") == "404"


@pytest.mark.parametrize(
    "path", ["services.csv", "discovery.html", "requests.txt", "services/event-0101.yaml", "requests/1.pdf", "nothing-here"]
)
def test_unknown_format_or_path_is_404_error_list(client, category, path):
    response = client.get(BASE + path)
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


def test_wrong_method_is_405(client, category):
    response = client.post(BASE + "services.xml")
    assert response.status_code == 405
    assert ET.fromstring(response.content).findtext("error/code") == "405"
    assert client.delete(BASE + "requests.json").status_code == 405
    assert client.put(BASE + "requests/1.json").status_code == 405
    assert client.head(BASE + "services.json").status_code == 200


# --- single request, status map, privacy ------------------------------------------------------


def test_status_map_covers_every_state():
    closed = {state for state in State if open311_status(state) == "closed"}
    assert closed == {State.CLOSED, State.RATED, State.REJECTED, State.VOIDED, State.MERGED}
    assert {open311_status(state) for state in State} == {"open", "closed"}


def test_single_request_fields_json_and_xml(client, team, category):
    case = report(category, reporter=team["resident"], at=ago(hours=3), address="和平路1号")
    case = act(case, "accept", team["intake"])
    case = act(case, "file", team["intake"])
    case = act(case, "dispatch", team["dispatcher"], department="cgj", note="请城管局处理")
    [data] = get_json(client, f"requests/{case.number}.json")
    assert data["service_request_id"] == case.number
    assert data["status"] == "open"
    # The dispatch note is internal: the public reads the standard sentence (in the response's language).
    assert data["status_notes"] in {"The case has been passed to the unit that handles it.", "案件已派遣至处置单位。"}
    assert data["service_code"] == "event-0101" and data["service_name"] == category.name
    assert data["agency_responsible"] == case.assigned_department.name != ""
    assert data["description"] == case.description
    assert data["address"] == "和平路1号" and data["zipcode"] == ""
    assert (data["lat"], data["long"]) == (case.lat, case.lng)
    for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C_WITH_OFFSET.match(data[field]), field
    assert data["expected_datetime"] == timezone.localtime(case.deadline).isoformat(timespec="seconds")
    assert data["requested_datetime"].endswith("+08:00")
    assert "extended_attributes" not in data

    root = get_xml(client, f"requests/{case.number}.xml")
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [child.tag for child in request] == list(data)
    assert request.findtext("service_request_id") == case.number
    assert request.findtext("agency_responsible") == case.assigned_department.name
    assert float(request.findtext("lat")) == case.lat and float(request.findtext("long")) == case.lng


def test_closed_case_reads_closed_without_deadline(client, team, category):
    case = closed_case(team, category)
    [data] = get_json(client, f"requests/{case.number}.json")
    assert data["status"] == "closed"
    assert data["status_notes"] == "核查通过"
    assert data["expected_datetime"] is None
    assert data["agency_responsible"] == "西一网格"
    request = get_xml(client, f"requests/{case.number}.xml").find("request")
    assert request.findtext("status") == "closed" and request.find("expected_datetime").text is None


def test_expected_datetime_is_the_expected_finish_the_residents_look_up_shows(client, team, category):
    """One notion of "when it should be handled": cases.presenters.expected_finish_at, the
    handling deadline while the case is with a handler and its clock runs, not the current step's."""

    def expected() -> str | None:
        return get_json(client, f"requests/{case.number}.json")[0]["expected_datetime"]

    def residents() -> str | None:
        client.force_login(team["resident"])
        moment = client.get(f"/api/v1/cases/{case.number}").json()["expected_finish_at"]
        client.logout()
        return moment and timezone.localtime(datetime.fromisoformat(moment.replace("Z", "+00:00"))).isoformat(timespec="seconds")

    case = report(category, reporter=team["resident"], at=ago(hours=3))
    case = act(case, "accept", team["intake"])
    case = act(case, "file", team["intake"])
    assert case.deadline is not None  # the filing step's own deadline: not when it will be handled
    assert expected() is None and residents() is None

    case = act(case, "dispatch", team["dispatcher"], department="cgj")
    assert expected() == timezone.localtime(case.deadline).isoformat(timespec="seconds") == residents()

    case = act(case, "suspend", team["shift_lead"], note="等待管线单位")
    assert expected() is None and residents() is None  # the handling clock is paused
    case = act(case, "resume", team["shift_lead"])
    assert expected() == timezone.localtime(case.deadline).isoformat(timespec="seconds") == residents()


def test_unknown_request_is_404(client, category):
    errors = get_json(client, "requests/20990101000001.json", expect=404)
    assert errors == [{"code": 404, "description": "service_request_id '20990101000001' was not found"}]
    assert (
        get_xml(client, "requests/20990101000001.xml", expect=404).findtext("error/description").startswith("service_request_id")
    )


def test_reporter_identity_never_appears_in_get_responses(client, team, category):
    api_key = create_api_key("privacy-client")[1]
    response = client.post(
        BASE + "requests.json",
        {
            "api_key": api_key, "service_code": "event-0101", "lat": "41.79", "long": "123.405",
            "description": "井盖缺失", "first_name": "Zhangsan", "last_name": "Lisi", "phone": "13912345678",
            "email": "zhang.private@example.com", "device_id": "DEVICE-XYZ-123", "account_id": "ACCOUNT-987",
        },
    )  # fmt: skip
    assert response.status_code == 201
    token = response.json()[0]["token"]
    take_in_all()
    number = Submission.objects.get(token=token).case.number
    act(closed_case(team, category), "rate", team["resident"], rating="satisfied")
    secrets_ = [
        "Zhangsan",
        "Lisi",
        "13912345678",
        "zhang.private",
        "DEVICE-XYZ",
        "ACCOUNT-987",
        "13800001234",
        team["resident"].username,
    ]
    for fmt in ("json", "xml"):
        for path, params in [
            (f"requests.{fmt}", {}),
            (f"requests.{fmt}", {"extensions": "true"}),
            (f"requests/{number}.{fmt}", {"extensions": "true"}),
            (f"servicerequestupdates.{fmt}", {}),
            (f"tokens/{token}.{fmt}", {}),
        ]:
            body = client.get(BASE + path, params).content.decode()
            assert number in body or "servicerequestupdates" in path
            leaked = [secret for secret in secrets_ if secret in body]
            assert not leaked, (path, leaked)


# --- GET requests: filters, paging, extensions ------------------------------------------------


@pytest.fixture
def mixed_cases(team, category):
    other = make_category("0102")
    return {
        "old": report(category, at=ago(days=100)),
        "west": report(category, at=ago(days=5)),
        "east": report(other, point=EAST_POINT, at=ago(days=4)),
        "closed": closed_case(team, category),
        "new": report(other, at=ago(hours=1)),
    }


def numbers(data):
    return [item["service_request_id"] for item in data]


def test_default_window_is_90_days_newest_first(client, mixed_cases):
    c = mixed_cases
    expected = [c["new"].number, c["closed"].number, c["east"].number, c["west"].number]
    assert numbers(get_json(client, "requests.json")) == expected
    root = get_xml(client, "requests.xml")
    assert [r.findtext("service_request_id") for r in root.findall("request")] == expected


def test_date_filters(client, mixed_cases):
    c = mixed_cases
    # start_date alone opens the 90 days from it (specification: a window of at most 90 days).
    since = get_json(client, "requests.json", start_date=ago(days=120).isoformat())
    assert numbers(since) == [c["old"].number]
    window = get_json(
        client, "requests.json", start_date=ago(days=6).isoformat(timespec="seconds"), end_date=ago(days=3).isoformat()
    )
    assert numbers(window) == [c["east"].number, c["west"].number]
    assert numbers(get_json(client, "requests.json", end_date=ago(days=50).isoformat())) == [c["old"].number]
    utc_z = timezone.now().astimezone(UTC) - timedelta(days=4, hours=12)
    assert numbers(get_json(client, "requests.json", start_date=utc_z.strftime("%Y-%m-%dT%H:%M:%SZ")))[-1] == c["east"].number


def test_status_and_service_code_filters(client, mixed_cases):
    c = mixed_cases
    assert numbers(get_json(client, "requests.json", status="closed")) == [c["closed"].number]
    assert c["closed"].number not in numbers(get_json(client, "requests.json", status="open"))
    assert len(get_json(client, "requests.json", status="open,closed")) == 4
    assert numbers(get_json(client, "requests.json", service_code="event-0102")) == [c["new"].number, c["east"].number]
    both = get_json(client, "requests.json", service_code="event-0101,event-0102")
    assert len(both) == 4
    xml = get_xml(client, "requests.xml", service_code="event-0102", status="open")
    assert [r.findtext("service_code") for r in xml.findall("request")] == ["event-0102", "event-0102"]


def test_service_request_id_list_overrides_other_filters(client, mixed_cases):
    c = mixed_cases
    ids = f"{c['old'].number},{c['closed'].number}"
    data = get_json(client, "requests.json", service_request_id=ids, status="open", service_code="event-0102")
    assert numbers(data) == [c["closed"].number, c["old"].number]


def test_updated_after_and_before(client, mixed_cases):
    c = mixed_cases
    cutoff = ago(days=3)
    after = numbers(get_json(client, "requests.json", updated_after=cutoff.isoformat()))
    assert after == [c["new"].number, c["closed"].number]
    before = numbers(get_json(client, "requests.json", updated_before=cutoff.isoformat()))
    assert set(before) == {c["old"].number, c["west"].number, c["east"].number}


def test_paging(client, mixed_cases):
    everything = numbers(get_json(client, "requests.json"))
    pages = [numbers(get_json(client, "requests.json", page=page, page_size=3)) for page in (1, 2, 3)]
    assert pages[0] == everything[:3] and pages[1] == everything[3:] and pages[2] == []
    assert len(get_xml(client, "requests.xml", page_size=2).findall("request")) == 2


@pytest.mark.parametrize(
    "params, word",
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-01T00:00:00Z"}, "end_date"),
        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "after"),
        ({"updated_after": "soon"}, "updated_after"),
        ({"status": "pending"}, "status"),
        ({"page": "0"}, "page"),
        ({"page": "99999999999999999999999"}, "page"),
        ({"service_code": ",".join(f"event-{n:04d}" for n in range(101))}, "at most"),
        ({"page_size": "1001"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
    ],
)
def test_bad_parameters_are_400(client, category, params, word):
    errors = get_json(client, "requests.json", expect=400, **params)
    assert errors[0]["code"] == 400 and word in errors[0]["description"]
    root = get_xml(client, "requests.xml", expect=400, **params)
    assert root.tag == "errors" and root.findtext("error/code") == "400"


def test_unknown_service_code_filter_is_404(client, category):
    assert get_json(client, "requests.json", expect=404, service_code="event-9999")[0]["code"] == 404


def test_extensions_add_detailed_status_grid_notes_and_photos(client, team, category):
    case = closed_case(team, category)
    finish = case.steps.get(action="finish")
    photo = Photo.objects.create(
        case=case, step=finish, phase="after", image="cases/2026/11/after.jpg", thumbnail="cases/2026/11/thumbs/after.jpg"
    )
    Photo.objects.create(case=case, step=case.steps.get(action="verify"), phase="after", image="cases/2026/11/check.jpg")
    [plain] = get_json(client, f"requests/{case.number}.json")
    [data] = get_json(client, f"requests/{case.number}.json", extensions="true")
    assert "extended_attributes" not in plain
    extra = data["extended_attributes"]
    assert extra["detailed_status"] == "closed" and extra["grid_code"] == WEST_GRID
    assert extra["channel"] == "resident"
    # The public photos only (not the verifier's), through the look-up page's signed links.
    [url] = extra["media_urls"]
    prefix = "http://testserver/report/photo/"
    assert url.startswith(prefix) and read_public_photo_token(url[len(prefix) : -1]) == (photo.pk, "full")
    assert [note["summary"] for note in data["notes"]] == [
        "report", "accept", "file", "dispatch", "start", "finish", "verify", "pass",
    ]  # fmt: skip
    assert data["notes"][0]["type"] == "opened"
    assert data["notes"][5]["description"] == "垃圾已清运"
    assert all(W3C_WITH_OFFSET.match(note["datetime"]) for note in data["notes"])

    request = get_xml(client, "requests.xml", extensions="true").find("request")
    assert request.findtext("extended_attributes/detailed_status") == "closed"
    assert request.findtext("extended_attributes/grid_code") == WEST_GRID
    assert request.findtext("extended_attributes/media_urls/media_url").startswith("http://testserver/report/photo/")
    assert [n.findtext("summary") for n in request.findall("notes/note")] == [n["summary"] for n in data["notes"]]


# --- servicerequestupdates (mySociety extension) ------------------------------------------------


def test_service_request_updates(client, team, category):
    case = closed_case(team, category)
    updates = get_json(client, "servicerequestupdates.json")
    steps = list(case.steps.exclude(action="report").order_by("at", "id"))
    assert [u["update_id"] for u in updates] == [str(step.pk) for step in steps]
    assert {u["service_request_id"] for u in updates} == {case.number}
    assert updates[-1]["status"] == "CLOSED" and updates[0]["status"] == "OPEN"
    assert updates[-1]["external_status_code"] == "closed"
    assert updates[-1]["description"] == "核查通过"
    assert all(W3C_WITH_OFFSET.match(u["updated_datetime"]) for u in updates)

    root = get_xml(client, "servicerequestupdates.xml")
    assert root.tag == "service_request_updates"
    assert [u.findtext("update_id") for u in root.findall("request_update")] == [u["update_id"] for u in updates]

    later = timezone.now() + timedelta(minutes=1)
    assert get_json(client, "servicerequestupdates.json", start_date=later.isoformat()) == []
    assert len(get_json(client, "servicerequestupdates.json", page_size=2, page=2)) == 2
    get_json(client, "servicerequestupdates.json", expect=400, start_date="never")


def test_xml_drops_characters_xml_cannot_carry(client, team, category):
    case = report(category, description="垃圾\x0b堆放\x01")
    request = get_xml(client, f"requests/{case.number}.xml").find("request")
    assert request.findtext("description") == "垃圾堆放"
    assert get_json(client, f"requests/{case.number}.json")[0]["description"] == "垃圾\x0b堆放\x01"
    assert json.loads(client.get(BASE + "services.json").content)  # the catalogue renders too
