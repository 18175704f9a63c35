"""Personal data encrypted at rest (issue 8, item 7): reporters' names, phones and e-mails are
ciphertext in the database, found by a blind index, re-encrypted by `gridgov rotate-data-key`,
shown masked, and revealed only to the roles that call back, each view audited."""

import importlib

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from gridgov import crypto
from gridgov.accounts.models import AuditEvent, Role
from gridgov.cases.models import Case
from gridgov.cases.selectors import case_by_number_and_phone, cases_by_reporter_phone
from gridgov.masking import mask_email, mask_id_number, mask_name, mask_phone
from gridgov.open311.models import Submission
from gridgov.open311.services import create_api_key

from .case_factories import make_category, make_team, make_user, report

pytestmark = pytest.mark.django_db
PHONE = "13800001234"
NAME = "张三丰"
EMAIL = "zhang@example.com"
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _keys(settings):
    settings.GRIDGOV_DATA_KEYS = [OLD_KEY]
    settings.GRIDGOV_INTAKE_RATE = ""
    settings.GRIDGOV_API_KEY_RATE = ""


def raw_reporter(case) -> tuple[str, str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reporter_name, reporter_phone, reporter_email, reporter_phone_index FROM cases_case WHERE id = %s", [case.pk]
        )
        return cursor.fetchone()


def test_masks():
    assert mask_phone("13800005678") == "138****5678"
    assert mask_name("张三") == "张*" and mask_name("") == ""
    assert mask_email("zhang@example.com") == "z***@example.com"
    assert mask_id_number("110101199003071234") == "110101********1234"


def test_reporter_details_are_ciphertext_in_the_database_and_plain_in_python(network):
    case = report(make_category(), reporter_name=NAME, reporter_email=EMAIL)
    name, phone, email, index = raw_reporter(case)
    for stored, plain in ((name, NAME), (phone, PHONE), (email, EMAIL)):
        assert stored.startswith(crypto.TOKEN_PREFIX) and plain not in stored
    assert PHONE not in index and len(index) == 64
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.reporter_name, fresh.reporter_phone, fresh.reporter_email) == (NAME, PHONE, EMAIL)


def test_the_phone_is_found_by_its_blind_index(network):
    case = report(make_category())
    other = report(make_category())
    other.reporter_phone = "13900000000"
    other.save()  # save() indexes the new phone
    assert case_by_number_and_phone(case.number, "138-0000-1234") == case
    assert case_by_number_and_phone(case.number, "13800001235") is None
    assert case_by_number_and_phone(case.number, "") is None
    assert list(cases_by_reporter_phone("138 0000 1234")) == [case]
    assert list(cases_by_reporter_phone("13900000000")) == [other]


def test_rotation_reencrypts_every_value_and_look_ups_work_throughout(settings, network):
    case = report(make_category(), reporter_name=NAME)
    old_name, old_phone, _, old_index = raw_reporter(case)
    settings.GRIDGOV_DATA_KEYS = [NEW_KEY, OLD_KEY]  # the new key first: old values still read
    assert Case.objects.get(pk=case.pk).reporter_name == NAME
    assert case_by_number_and_phone(case.number, PHONE) == case
    call_command("rotate_data_key", stdout=open("/dev/null", "w"))
    name, phone, _, index = raw_reporter(case)
    assert name != old_name and phone != old_phone and index != old_index
    settings.GRIDGOV_DATA_KEYS = [NEW_KEY]  # the old key dropped
    assert Case.objects.get(pk=case.pk).reporter_name == NAME
    assert case_by_number_and_phone(case.number, PHONE) == case
    Fernet(NEW_KEY.encode()).decrypt(name.encode())


def test_new_key_goes_first_in_the_key_file(settings, tmp_path, network):
    settings.GRIDGOV_DATA_KEYS = []
    settings.DATA_DIR = tmp_path
    case = report(make_category(), reporter_name=NAME)  # generates the key file
    path = tmp_path / crypto.KEY_FILE_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    [first] = crypto.read_key_file(path)
    call_command("rotate_data_key", "--new-key", stdout=open("/dev/null", "w"))
    keys = crypto.read_key_file(path)
    assert len(keys) == 2 and keys[1] == first and path.stat().st_mode & 0o777 == 0o600
    name = raw_reporter(case)[0]
    Fernet(keys[0].encode()).decrypt(name.encode())
    assert Case.objects.get(pk=case.pk).reporter_name == NAME


def test_the_migration_encrypts_rows_written_in_plain_text(network):
    case = report(make_category(), reporter_name=NAME)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET reporter_name = %s, reporter_phone = %s, reporter_phone_index = '' WHERE id = %s",
            [NAME, PHONE, case.pk],
        )
    migration = importlib.import_module("gridgov.cases.migrations.0010_encrypt_reporter_details")
    migration.encrypt_existing(apps, type("Editor", (), {"connection": connection})())
    name, phone, _, index = raw_reporter(case)
    assert crypto.is_encrypted(name) and crypto.is_encrypted(phone) and index
    assert case_by_number_and_phone(case.number, PHONE) == case


def test_a_queued_open311_request_keeps_personal_data_encrypted(client, network):
    make_category()
    key = create_api_key("city-app")[1]
    form = {"service_code": "event-0101", "lat": "41.79", "long": "123.405", "description": "路灯不亮", "api_key": key,
            "first_name": "三丰", "last_name": "张", "phone": PHONE, "email": EMAIL}  # fmt: skip
    assert client.post("/open311/v2/requests.json", form).status_code == 201
    stored = Submission.objects.get().report
    assert PHONE not in str(stored) and EMAIL not in str(stored) and "三丰" not in str(stored)
    from gridgov.open311.services import take_in_all

    take_in_all()
    case = Case.objects.get()
    assert (case.reporter_phone, case.reporter_email, case.reporter_name) == (PHONE, EMAIL, "三丰 张")


def test_the_api_masks_and_reveals_to_the_command_centre_with_an_audit_event(client, network):
    team = make_team()
    case = report(make_category(), reporter_name=NAME)
    client.force_login(team["dispatcher"])
    body = client.get(f"/api/v1/cases/{case.number}").json()
    assert (body["reporter_name"], body["reporter_phone"]) == ("张**", "138****1234")
    revealed = client.post(body["reporter_url"])
    assert revealed.status_code == 200 and revealed.json() == {"name": NAME, "phone": PHONE, "email": ""}
    assert (
        AuditEvent.objects.filter(action="cases.personal_data_viewed", actor=team["dispatcher"], target_id=str(case.pk)).count()
        == 1
    )
    client.force_login(make_user(Role.LEADER, username="leader-api"))
    body = client.get(f"/api/v1/cases/{case.number}").json()
    assert body["reporter_url"] is None and PHONE not in str(body)
    assert client.post(f"/api/v1/cases/{case.number}/reporter").status_code == 403
    for role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):  # no case at all (三员分立)
        client.force_login(make_user(role, username=f"{role}-api"))
        response = client.get(f"/api/v1/cases/{case.number}")
        assert response.status_code in (403, 404) and PHONE not in response.content.decode()
        assert client.post(f"/api/v1/cases/{case.number}/reporter").status_code in (403, 404)
    assert AuditEvent.objects.filter(action="cases.personal_data_viewed").count() == 1


def test_the_admin_shows_masks(admin_client, network):
    case = report(make_category(), reporter_name=NAME)
    page = admin_client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "138****1234" in page and PHONE not in page and NAME not in page


def test_production_never_invents_a_data_key(settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    settings.GRIDGOV_DATA_KEYS = []
    settings.DATA_DIR = tmp_path
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match="GRIDGOV_DATA_KEY"):
        crypto.encrypt("13800001234")
    assert not (tmp_path / crypto.KEY_FILE_NAME).exists()
