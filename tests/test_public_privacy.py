"""Public and internal text are separate (issue 8, item 2).

Personal data (a name and a phone number) is written into every internal field a case has —
the internal note of every workflow action, extension reasons, rework and escalation reasons,
a supervising leader's note — and every public response is searched for it: Open311 requests in
JSON and XML with and without extensions, single requests, servicerequestupdates, the public
look-up page, and the resident's own view in the JSON API. Staff names must not appear either.
"""

import pytest

from gridgov.accounts.models import User
from gridgov.cases.models import Case, Rating, State
from gridgov.cases.services import take_action

from .case_factories import make_category, make_team, report

pytestmark = pytest.mark.django_db

SECRET_NAME = "欧阳秘密"
SECRET_PHONE = "13987654321"
STAFF_NAME = "钱干部"
REPORTER_PHONE = "13800001234"  # what the reporter types to look the case up
PUBLIC_SUMMARY = "路边垃圾已全部清运。"


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.GRIDGOV_INTAKE_RATE = ""
    settings.GRIDGOV_LOOKUP_RATE = ""


def secret(action: str) -> str:
    return f"{action}：请联系{SECRET_NAME}，电话 {SECRET_PHONE}"


@pytest.fixture
def team(network):
    team = make_team()
    User.objects.exclude(pk=team["resident"].pk).update(first_name=STAFF_NAME)
    return {key: User.objects.get(pk=user.pk) for key, user in team.items()}


def step(case: Case, action: str, actor, **params) -> Case:
    case.refresh_from_db()
    return take_action(case.pk, action, actor, note=secret(action), **params)


@pytest.fixture
def cases(team):
    """Cases that went through every action, each step's internal note holding personal data."""
    category = make_category()
    resident = team["resident"]
    main = report(category, reporter=resident, reporter_name=SECRET_NAME)
    for action, actor, params in [
        ("accept", "intake", {}),
        ("file", "intake", {}),
        ("dispatch", "dispatcher", {"region": "210199001001001"}),
        ("supervise", "leader", {}),
        ("request_extension", "grid_worker", {"hours": "4"}),
        ("deny_extension", "shift_lead", {}),
        ("request_extension", "grid_worker", {"hours": "2"}),
        ("approve_extension", "shift_lead", {}),
        ("suspend", "shift_lead", {}),
        ("resume", "shift_lead", {}),
        ("escalate", "grid_worker", {}),
        ("whistle", "shift_lead", {"lead": "cgj"}),
        ("return", "handler", {}),
        ("dispatch", "dispatcher", {"department": "cgj"}),
        ("start", "handler", {}),
        ("finish", "handler", {}),
        ("verify", "verifier", {}),
        ("rework", "verifier", {}),
        ("start", "handler", {}),
        ("finish", "handler", {"public_note": PUBLIC_SUMMARY}),
        ("verify", "verifier", {}),
        ("pass", "verifier", {}),
        ("rate", "resident", {"rating": Rating.NOT_SATISFIED}),  # the platform reopens it
    ]:
        main = step(main, action, team[actor], **params)
    assert main.state == State.FILED and main.reopen_count == 1
    rejected = step(report(category, reporter=resident), "reject", team["intake"])
    voided = step(step(report(category, reporter=resident), "accept", team["intake"]), "void", team["intake"])
    merged = step(report(category, reporter=resident), "merge", team["intake"], into=main.number)
    closed = report(category, reporter=resident)
    for action, actor, params in [
        ("accept", "intake", {}), ("file", "intake", {}), ("dispatch", "dispatcher", {"department": "cgj"}),
        ("start", "handler", {}), ("finish", "handler", {}), ("verify", "verifier", {}), ("pass", "verifier", {}),
        ("rate", "resident", {"rating": Rating.SATISFIED}),
    ]:  # fmt: skip
        closed = step(closed, action, team[actor], **params)
    closed = step(closed, "reopen", team["shift_lead"])
    return [main, rejected, voided, merged, closed]


def assert_private(text: str, where: str) -> None:
    for needle in (SECRET_NAME, SECRET_PHONE, STAFF_NAME):
        assert needle not in text, f"{needle} in {where}"


def test_internal_notes_and_staff_names_stay_out_of_every_public_response(client, team, cases):
    numbers = ",".join(case.number for case in cases)
    responses = {}
    for fmt in ("json", "xml"):
        for extensions in ("", "true"):
            responses[f"requests.{fmt} ext={extensions}"] = client.get(
                f"/open311/v2/requests.{fmt}", {"service_request_id": numbers, "extensions": extensions}
            )
            responses[f"requests.{fmt} window ext={extensions}"] = client.get(
                f"/open311/v2/requests.{fmt}", {"extensions": extensions}
            )
            for case in cases:
                responses[f"requests/{case.number}.{fmt} ext={extensions}"] = client.get(
                    f"/open311/v2/requests/{case.number}.{fmt}", {"extensions": extensions}
                )
        responses[f"servicerequestupdates.{fmt}"] = client.get(f"/open311/v2/servicerequestupdates.{fmt}")
    for case in cases:
        responses[f"lookup {case.number}"] = client.post("/report/lookup/", {"number": case.number, "phone": REPORTER_PHONE})
    resident = team["resident"]
    client.force_login(resident)
    for case in cases:
        responses[f"api {case.number}"] = client.get(f"/api/v1/cases/{case.number}")
        responses[f"mine {case.number}"] = client.get(f"/report/mine/{case.number}/")
    for where, response in responses.items():
        assert response.status_code == 200, where
        assert_private(response.content.decode(), where)
    # The searches did look at the steps: the public summary and standard sentences are there.
    assert PUBLIC_SUMMARY in responses["servicerequestupdates.json"].content.decode()
    assert cases[0].number in responses[f"requests/{cases[3].number}.json ext="].json()[0]["status_notes"]


def test_resident_api_view_is_an_allow_list(client, team, cases):
    client.force_login(team["resident"])
    data = client.get(f"/api/v1/cases/{cases[0].number}").json()
    assert set(data) == {
        "number", "state", "state_label", "category", "created_at", "rating", "rating_label", "version", "description",
        "address", "lat", "lng", "timeline", "photos", "expected_finish", "expected_finish_at", "allowed_actions",
    }  # fmt: skip
    assert {key for entry in data["timeline"] for key in entry} == {"action", "action_label", "to_state_label", "at", "note"}
    assert {key for photo in data["photos"] for key in photo} <= {"phase", "url", "thumbnail_url"}
    assert not {"supervise", "request_extension", "suspend"} & {entry["action"] for entry in data["timeline"]}


def test_staff_still_read_internal_notes(client, team, cases):
    client.force_login(team["shift_lead"])
    data = client.get(f"/api/v1/cases/{cases[0].number}").json()
    assert secret("supervise") in [entry["note"] for entry in data["timeline"]]
    assert PUBLIC_SUMMARY in [entry["public_note"] for entry in data["timeline"]]


def test_public_summary_is_refused_on_an_internal_step(team, network):
    from gridgov.cases.workflow import WorkflowError

    case = report(make_category(), reporter=team["resident"])
    with pytest.raises(WorkflowError, match="public summary"):
        take_action(case.pk, "accept", team["intake"], public_note="已受理")


def test_status_notes_use_the_standard_sentence_without_a_public_summary(client, team, network):
    case = report(make_category(), reporter=team["resident"])
    take_action(case.pk, "reject", team["intake"], note=secret("reject"))
    [data] = client.get(f"/open311/v2/requests/{case.number}.json").json()
    assert data["status_notes"] in {"Your report was not taken up as a case.", "您的反映未立案。"}
    case = report(make_category(), reporter=team["resident"])
    take_action(case.pk, "reject", team["intake"], note=secret("reject"), public_note="不属于受理范围，请拨打12345。")
    [data] = client.get(f"/open311/v2/requests/{case.number}.json").json()
    assert data["status_notes"] == "不属于受理范围，请拨打12345。"


def test_staff_form_offers_a_public_summary_only_where_the_reporter_reads_it(client, team, network):
    case = report(make_category(), reporter=team["resident"])
    client.force_login(team["intake"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    reject_form = page[page.index('data-action="reject"') :]
    reject_form = reject_form[: reject_form.index("</form>")]
    accept_form = page[page.index('data-action="accept"') :]
    accept_form = accept_form[: accept_form.index("</form>")]
    assert 'name="public_note"' in reject_form and 'name="public_note"' not in accept_form
    response = client.post(
        f"/cases/{case.number}/act/reject/",
        {"version": case.version, "note": secret("reject"), "public_note": "重复上报，已合并处理。"},
    )
    assert response.status_code == 302
    assert case.steps.get(action="reject").public_note == "重复上报，已合并处理。"
