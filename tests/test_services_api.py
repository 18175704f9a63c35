"""Applying through the JSON API: the applicant submits the business-opening bundle with a
certificate in place of one material, hands the files in as multipart, and the window accepts;
bad input gets a whole sentence and writes nothing."""

import pytest

from gridgov.accounts.models import AuditEvent, Role
from gridgov.services.models import Application, State, SubmittedMaterial

from .services_factories import Upload, pdf, png
from .test_services_workflow import _media, catalogue, people  # noqa: F401  (fixtures)

BODY = {
    "bundle": "YJS-KB",
    "applicant_kind": "enterprise",
    "applicant_name": "张三",
    "enterprise_name": "样例科技",
    "phone": "13812345678",
    "id_number": "110101199003071234",
    "form": {"company_name": "样例科技", "not_asked": "ignored"},
    "certificates": ["licence"],
}


def _post(client, body):
    return client.post("/api/v1/services/applications", body, content_type="application/json")


def test_apply_hand_in_materials_and_accept_through_the_api(client, catalogue, people):
    client.force_login(people["applicant"])
    created = _post(client, BODY)
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    assert created.json()["applicant_phone"] == "138****5678" and created.json()["state"] == State.RECEIVED
    application = Application.objects.get(number=number)
    assert application.channel == "online" and application.applicant_user == people["applicant"]
    assert application.form_data == {"company_name": "样例科技"} | {k: "" for k in application.form_data if k != "company_name"}
    refused = client.post(
        f"/api/v1/services/applications/{number}/materials", {"material_lease": Upload(b"GIF89a not a pdf", "lease.pdf")}
    )
    assert refused.status_code == 400 and not SubmittedMaterial.objects.filter(application=application, key="lease").exists()
    handed = client.post(
        f"/api/v1/services/applications/{number}/materials", {"material_id-card": png(), "material_lease": pdf()}
    )
    assert handed.status_code == 200
    assert set(application.submitted.values_list("key", flat=True)) == {"id-card", "lease", "licence"}
    client.force_login(people["clerk"])
    accepted = client.post(
        f"/api/v1/services/applications/{number}/actions", {"action": "accept"}, content_type="application/json"
    )
    assert accepted.status_code == 200 and len(accepted.json()["parts"]) == 4
    assert AuditEvent.objects.filter(action="services.submit").count() == 1


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"item": "MR-001"}, 400),  # an item and a bundle at once
        ({"bundle": "NO-SUCH"}, 404),
        ({"applicant_kind": "robot"}, 400),
        ({"applicant_name": "  "}, 400),
        ({"certificates": ["lease"]}, 400),  # a material no certificate replaces
        ({"applicant_name": "长" * 101}, 422),
    ],
)
def test_bad_applications_are_refused_with_a_sentence_and_write_nothing(client, catalogue, people, change, status):
    client.force_login(people["applicant"])
    answer = _post(client, BODY | change)
    assert answer.status_code == status
    assert not Application.objects.exists()
    if status == 400:
        assert answer.json()["detail"].endswith("。")  # a whole sentence, in Chinese by default


def test_roles_that_do_not_apply_are_refused(client, catalogue, people, django_user_model):
    client.force_login(django_user_model.objects.create_user("worker", role=Role.GRID_WORKER))
    assert _post(client, BODY).status_code == 403
    client.force_login(people["applicant"])
    number = _post(client, BODY).json()["number"]
    assert client.post(f"/api/v1/services/applications/{number}/materials", {}).status_code == 400
    client.force_login(people["east"])
    assert client.post(f"/api/v1/services/applications/{number}/materials", {"material_lease": pdf()}).status_code == 404
