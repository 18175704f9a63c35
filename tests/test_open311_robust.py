"""Open311 under hostile and third-party input: no 5xx from any parameter or body, errors in the
caller's format (XML for .xml paths), the specification's 90-day window, api_key in the query
string, requests that name only an address, refused uploads, and text refused, never cut."""

import xml.etree.ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.cases.models import Case, Step
from gridgov.open311.models import Submission
from gridgov.open311.services import create_api_key, take_in_all

from .case_factories import make_category

BASE = "/open311/v2/"
FORM = {"service_code": "event-0101", "lat": "41.79", "long": "123.405", "description": "路边堆放生活垃圾"}


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.GRIDGOV_INTAKE_RATE = ""


@pytest.fixture
def category(network):
    return make_category()


@pytest.fixture
def key(category):
    return create_api_key("city-app")[1]


def error_of(response) -> tuple[int, str]:
    if response["Content-Type"].startswith("text/xml"):
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        return int(root.findtext("error/code")), root.findtext("error/description")
    [error] = response.json()
    return error["code"], error["description"]


def assert_error(response, status: int, fmt: str, words: str = "") -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("text/xml" if fmt == "xml" else "application/json")
    code, description = error_of(response)
    assert code == status and words in description
    return description


# --- no 5xx from dates and numbers -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "path, params",
    [
        ("requests", {"start_date": "0001-01-01"}),
        ("requests", {"end_date": "9999-12-31"}),
        ("requests", {"start_date": "9999-12-31T23:59:59-10:00"}),
        ("requests", {"updated_after": "0001-01-01"}),
        ("requests", {"updated_before": "9999-12-31T23:59:59-12:00"}),
        ("servicerequestupdates", {"start_date": "0001-01-01"}),
        ("servicerequestupdates", {"end_date": "9999-12-31T23:59:59-10:00"}),
    ],
)
def test_dates_outside_the_held_range_are_400(client, category, fmt, path, params):
    [name] = params
    assert_error(client.get(BASE + f"{path}.{fmt}", params), 400, fmt, name)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["page", "page_size"])
def test_numbers_of_any_length_are_400(client, category, name):
    assert_error(client.get(BASE + "requests.json", {name: "1" * 5000}), 400, "json", name)
    assert_error(client.get(BASE + "requests.xml", {name: "٣"}), 400, "xml", name)  # non-ASCII digit


@pytest.mark.django_db
def test_start_and_end_may_span_at_most_90_days(client, category):
    params = {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-04-02T00:00:00+08:00"}
    assert_error(client.get(BASE + "requests.xml", params), 400, "xml", "90 days")
    params["end_date"] = "2026-03-31T00:00:00+08:00"
    assert client.get(BASE + "requests.json", params).status_code == 200


# --- errors in the caller's format, bodies Django refuses ---------------------------------------


@pytest.mark.django_db
def test_unknown_xml_path_answers_xml(client, category):
    assert_error(client.get(BASE + "nothing/here.xml"), 404, "xml")
    assert_error(client.get(BASE + "requests.XML"), 404, "xml")
    assert_error(client.get(BASE + "nothing/here.json"), 404, "json")


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bodies_django_refuses_get_open311_errors(client, key, fmt, settings):
    url = BASE + f"requests.{fmt}"
    form = "application/x-www-form-urlencoded"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    assert_error(client.post(url, "description=" + "x" * 20_000, content_type=form), 413, fmt)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
    many = "&".join(f"field{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    assert_error(client.post(url, many, content_type=form), 400, fmt, "fields")
    # rot13 is a codec Python knows but cannot decode bytes with: Django raised LookupError (500).
    bad_charset = client.generic("POST", url, b"description=%FF", content_type=form + "; charset=rot13")
    assert_error(bad_charset, 400, fmt, "charset")
    part = b'--b\r\nContent-Disposition: form-data; name="description"\r\n\r\n\xff1\r\n--b--\r\n'
    bad_charset = client.generic("POST", url, part, content_type="multipart/form-data; boundary=b; charset=hex")
    assert_error(bad_charset, 400, fmt, "charset")
    broken = b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'  # never closed
    response = client.post(url, broken, content_type="multipart/form-data; boundary=b")
    assert response.status_code in (400, 403) and response["Content-Type"].startswith(("text/xml", "application/json"))
    assert Submission.objects.count() == 0


# --- third-party clients ------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_key_in_the_query_string_is_accepted(client, key):
    response = client.post(BASE + f"requests.json?api_key={key}", FORM)
    assert response.status_code == 201, response.content
    assert_error(client.post(BASE + "requests.json?api_key=wrong", FORM), 403, "json")


@pytest.mark.django_db
@pytest.mark.parametrize("field, value", [("address_string", "和平路1号菜市场门口"), ("address_id", "210199-0001")])
def test_request_with_only_an_address_is_taken_in_for_placing(client, key, field, value):
    response = client.post(BASE + "requests.json", {**FORM, "lat": "", "long": "", field: value, "api_key": key})
    assert response.status_code == 201, response.content
    [queued] = response.json()
    take_in_all()
    case = Case.objects.get()
    assert value in case.address and case.grid_id is not None
    assert Step.objects.get(case=case, action="report").data["location_unconfirmed"] is True
    [public] = client.get(BASE + f"requests/{case.number}.json", {"extensions": "true"}).json()
    assert public["lat"] is None and public["long"] is None  # the stand-in point is no one's location
    assert public["extended_attributes"]["location_unconfirmed"] is True
    assert client.get(BASE + f"tokens/{queued['token']}.json").json()[0]["service_request_id"] == case.number


@pytest.mark.django_db
def test_address_only_requests_go_to_the_configured_intake_point(client, key, settings):
    settings.GRIDGOV_OPEN311_INTAKE_POINT = (41.79, 123.405)
    client.post(BASE + "requests.json", {**FORM, "lat": "", "long": "", "address_string": "西街", "api_key": key})
    take_in_all()
    case = Case.objects.get()
    assert (case.lat, case.lng) == (41.79, 123.405)


@pytest.mark.django_db
def test_located_requests_are_not_flagged(client, key):
    client.post(BASE + "requests.json", {**FORM, "api_key": key})
    take_in_all()
    [public] = client.get(BASE + f"requests/{Case.objects.get().number}.json").json()
    assert public["lat"] == 41.79 and public["long"] == 123.405


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_media_upload_is_refused_clearly(client, key, fmt):
    photo = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff\xe0 not really", content_type="image/jpeg")
    response = client.post(BASE + f"requests.{fmt}", {**FORM, "api_key": key, "media": photo})
    assert "media_url" in assert_error(response, 400, fmt, "media")
    assert Submission.objects.count() == 0


# --- text refused, not cut ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, word",
    [
        ({"phone": "1" * 21}, "reporter_phone"),
        ({"first_name": "名" * 30, "last_name": "姓" * 30}, "reporter_name"),
        ({"address_string": "路" * 201}, "address"),
        ({"device_id": "d" * 101}, "device_id"),
        ({"account_id": "a" * 101}, "account_id"),
    ],
)
def test_over_long_text_is_refused_not_cut(client, key, fields, word):
    response = client.post(BASE + "requests.xml", {**FORM, **fields, "api_key": key})
    assert_error(response, 400, "xml", word)
    assert Submission.objects.count() == 0


@pytest.mark.django_db
def test_the_openapi_document_is_served(client):
    document = client.get(BASE + "openapi.json").json()
    assert document["openapi"].startswith("3.") and f"{BASE}requests.xml" in document["paths"]
    assert "text/xml" in document["paths"][f"{BASE}requests.xml"]["get"]["responses"]["400"]["content"]


@pytest.mark.django_db
def test_intake_staff_place_an_address_only_request(client, key):
    from .case_factories import make_team

    team = make_team()
    client.post(BASE + "requests.json", {**FORM, "lat": "", "long": "", "address_string": "东街菜市场", "api_key": key})
    take_in_all()
    case = Case.objects.get()
    url = f"/api/v1/cases/{case.number}/location"
    body = {"version": case.version, "lat": 41.79, "lng": 123.435}
    client.force_login(team["dispatcher"])
    assert client.post(url, body, content_type="application/json").status_code == 403  # intake roles only
    client.force_login(team["intake"])
    assert client.post(url, {**body, "version": case.version + 5}, content_type="application/json").status_code == 409
    assert client.post(url, {**body, "lat": 41.9, "lng": 123.5}, content_type="application/json").status_code == 400  # outside
    placed = client.post(url, body, content_type="application/json")
    assert placed.status_code == 200, placed.content
    case.refresh_from_db()
    assert (case.lat, case.lng) == (41.79, 123.435) and case.grid_code == placed.json()["grid_code"]
    client.logout()
    [public] = client.get(BASE + f"requests/{case.number}.json").json()
    assert (public["lat"], public["long"]) == (41.79, 123.435)
    client.force_login(team["intake"])
    again = client.post(url, {**body, "version": case.version}, content_type="application/json")
    assert again.status_code == 400 and "已确认" in again.json()["detail"]  # the API answers in the UI language (Chinese)


@pytest.mark.django_db
def test_the_case_page_asks_intake_staff_to_place_an_address_only_request(client, key):
    from .case_factories import make_team

    team = make_team()
    client.post(BASE + "requests.json", {**FORM, "lat": "", "long": "", "address_string": "东街菜市场", "api_key": key})
    take_in_all()
    case = Case.objects.get()
    client.force_login(team["intake"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="location-unconfirmed"' in page and 'data-testid="place-case"' in page
    refused = client.post(f"/cases/{case.number}/place/", {"version": case.version, "lat": "north", "lng": "123.435"})
    assert refused.status_code == 400 and 'value="north"' in refused.content.decode()  # keeps what was typed
    placed = client.post(f"/cases/{case.number}/place/", {"version": case.version, "lat": "41.79", "lng": "123.435"})
    assert placed.status_code == 302
    case.refresh_from_db()
    assert (case.lat, case.lng) == (41.79, 123.435)
    assert 'data-testid="location-unconfirmed"' not in client.get(f"/cases/{case.number}/").content.decode()
