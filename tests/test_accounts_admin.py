"""三员分立 in the admin: a role × admin page matrix, the audit administrator's read and export,
the security administrator's user management, and every admin change in the audit log."""

import csv
import io

import pytest
from django.contrib import admin
from django.urls import reverse

from gridgov.accounts.models import AuditEvent, Department, Role
from gridgov.accounts.selectors import may_see_personal_data, requires_second_factor
from gridgov.cases.selectors import visible_cases

from .auth_helpers import login_verified
from .case_factories import make_category

SYSTEM, SECURITY, AUDIT = Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN
ADMINS = (SYSTEM, SECURITY, AUDIT)

# Which administrator may open each admin page (its changelist). Every registered model is listed,
# so a newly registered one fails this test until someone decides who may see it.
VIEWERS = {
    "accounts.auditevent": {AUDIT},
    "accounts.department": {SYSTEM, SECURITY},
    "accounts.user": {SECURITY},
    "auth.group": set(),
    "axes.accessattempt": {SECURITY},
    "axes.accessfailurelog": {SECURITY},
    "axes.accesslog": {SECURITY},
    "cases.calendarday": {SYSTEM},
    "cases.case": set(),  # reporters' personal data: none of the three
    "django_tasks_database.dbtaskresult": {SYSTEM},  # parked tasks and their errors
    "cases.category": {SYSTEM},
    "cases.extensionrequest": set(),
    "cases.notification": set(),
    "cases.photo": set(),
    "cases.step": set(),
    "grids.gridstaff": {SYSTEM},
    "grids.networkrevision": {SYSTEM},
    "grids.partymember": {SYSTEM},
    "grids.partyorganization": {SYSTEM},
    "grids.region": {SYSTEM, SECURITY},  # the security administrator picks units for users
    "grids.servicecentre": {SYSTEM},
    "open311.apikey": {SYSTEM},
    "open311.submission": set(),  # queued reports carry personal data
    "otp_totp.totpdevice": {SECURITY},
    # Business reference data is configuration; business data is the business users' (app pages).
    "evaluation.scheme": {SYSTEM},
    "economy.indicator": {SYSTEM},
    "economy.district": {SYSTEM},
    "economy.monthlyfigure": set(),
    "projects.industry": {SYSTEM},
    "projects.industrychain": {SYSTEM},
    "projects.chainnode": {SYSTEM},
    "projects.enterprise": set(),
    "projects.investmentplan": set(),
    "projects.monthlyinvestment": set(),
    "projects.project": set(),
    "projects.projectproblem": set(),
    "projects.renewalcompound": set(),
    "projects.renewaltarget": set(),
    "projects.supportingrate": set(),
    "services.serviceitem": {SYSTEM},
    "services.material": {SYSTEM},
    "services.bundle": {SYSTEM},
    "services.application": set(),  # applicants' personal data: none of the three
    "services.part": set(),
    "services.applicationstep": set(),
    "services.submittedmaterial": set(),
    "services.rectification": set(),
}
# Who may add records on a page (the rest of the three get 403 on the add page).
ADDERS = {
    "accounts.department": {SYSTEM},
    "accounts.user": {SECURITY},
    "cases.category": {SYSTEM},
    "cases.calendarday": {SYSTEM},
    "grids.region": {SYSTEM},
    "grids.gridstaff": {SYSTEM},
    "grids.partyorganization": {SYSTEM},
    "grids.partymember": {SYSTEM},
    "grids.servicecentre": {SYSTEM},
    "evaluation.scheme": {SYSTEM},
    "economy.indicator": {SYSTEM},
    "economy.district": {SYSTEM},
    "projects.industry": {SYSTEM},
    "projects.industrychain": {SYSTEM},
    "projects.chainnode": {SYSTEM},
    "services.serviceitem": {SYSTEM},
    "services.material": {SYSTEM},
    "services.bundle": {SYSTEM},
}


@pytest.fixture
def administrators(db, django_user_model):
    return {
        role: django_user_model.objects.create_user(f"the_{role}", password="Pw-for-tests-1", role=role, is_staff=True)
        for role in ADMINS
    }


def _url(label: str, page: str) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_{page}")


def test_every_admin_page_is_in_the_matrix():
    assert {model._meta.label_lower for model in admin.site._registry} == set(VIEWERS)


@pytest.mark.parametrize("role", ADMINS)
def test_each_administrator_opens_exactly_the_pages_of_their_duty(client, administrators, role):
    login_verified(client, administrators[role])
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    for label, viewers in VIEWERS.items():
        status = client.get(_url(label, "changelist")).status_code
        assert status == (200 if role in viewers else 403), (role, label, status)
        add_status = client.get(_url(label, "add")).status_code
        assert add_status == (200 if role in ADDERS.get(label, set()) else 403), (role, label, "add", add_status)
    listed = {model["object_name"].lower() for app in index.context["app_list"] for model in app["models"]}
    assert listed == {label.split(".")[1] for label, viewers in VIEWERS.items() if role in viewers}


@pytest.mark.parametrize("role", ADMINS)
def test_no_administrator_sees_cases_or_personal_data(administrators, role, network):
    from .case_factories import report

    report(make_category())
    user = administrators[role]
    assert not may_see_personal_data(user)
    assert requires_second_factor(user)
    assert list(visible_cases(user)) == []
    assert visible_cases(administrators[role].__class__.objects.create_user("leader", role=Role.LEADER)).count() == 1


def test_other_staff_may_see_personal_data(staff_user):
    assert may_see_personal_data(staff_user) and not requires_second_factor(staff_user)


def test_the_audit_administrator_reads_everyones_events_and_changes_none(client, administrators):
    system = administrators[SYSTEM]
    login_verified(client, system)
    client.post(_url("accounts.department", "add"), {"code": "sjj", "name": "水务局"})
    department = Department.objects.get(code="sjj")
    assert AuditEvent.objects.filter(actor=system, action="admin.added", target_id=str(department.pk)).exists()

    auditor = administrators[AUDIT]
    login_verified(client, auditor)
    listing = client.get(_url("accounts.auditevent", "changelist"), {"q": "admin.added"})
    assert listing.status_code == 200
    assert [e.actor for e in listing.context["cl"].result_list] == [system]
    event = AuditEvent.objects.get(action="admin.added")
    change = reverse("admin:accounts_auditevent_change", args=[event.pk])
    assert client.get(change).status_code == 200  # read-only view
    assert client.post(change, {"action": "changed"}).status_code == 403
    assert client.post(reverse("admin:accounts_auditevent_delete", args=[event.pk])).status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_audit_administrator_exports_the_log(client, administrators, fmt):
    from openpyxl import load_workbook

    security = administrators[SECURITY]
    login_verified(client, security)  # writes the security administrator's log-in event
    client.post(reverse("login"), {"username": '=HYPERLINK("x")', "password": "nope"})
    login_verified(client, administrators[AUDIT])
    response = client.post(
        _url("accounts.auditevent", "changelist"),
        {
            "action": f"export_{fmt}",
            "select_across": "1",
            "index": "0",
            "_selected_action": list(AuditEvent.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [[("" if cell is None else str(cell)) for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["id", "created_at", "actor", "action"]
    assert any(row[2] == security.username and row[3] == "accounts.login" for row in rows[1:])
    failed = next(row for row in rows[1:] if row[3] == "accounts.login_failed")
    assert failed[6].startswith("{")  # JSON text, not a formula
    assert AuditEvent.objects.filter(action="accounts.audit_exported", actor=administrators[AUDIT], detail__format=fmt).exists()


def test_the_security_administrator_creates_users_who_must_change_their_password(client, administrators, network):
    security = administrators[SECURITY]
    login_verified(client, security)
    response = client.post(
        _url("accounts.user", "add"),
        {
            "username": "new_worker",
            "password1": "Temp-Password-9",
            "password2": "Temp-Password-9",
            "usable_password": "true",
            "role": Role.GRID_WORKER,
            "region": network["210199001001001"].pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    from gridgov.accounts.models import User

    user = User.objects.get(username="new_worker")
    assert user.must_change_password and not user.is_staff and user.region.code == "210199001001001"
    assert AuditEvent.objects.filter(actor=security, action="admin.added", target_id=str(user.pk)).exists()

    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    data = {
        "username": "new_worker",
        "role": Role.AUDIT_ADMIN,
        "region": "",
        "department": "",
        "is_active": "on",
        "first_name": "",
        "last_name": "",
        "email": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    assert page.status_code == 200
    changed = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert changed.status_code == 302, changed.context["adminform"].form.errors if changed.context else ""
    user.refresh_from_db()
    assert user.role == Role.AUDIT_ADMIN and user.is_staff  # an administrator gets the admin
    role_change = AuditEvent.objects.get(action="accounts.role_changed", target_id=str(user.pk))
    assert role_change.actor == security and role_change.detail == {"old": Role.GRID_WORKER, "new": Role.AUDIT_ADMIN}

    user.must_change_password = False
    user.save()
    reset = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "Reset-Password-8", "password2": "Reset-Password-8", "usable_password": "true"},
    )
    assert reset.status_code == 302
    user.refresh_from_db()
    assert user.must_change_password and user.check_password("Reset-Password-8")


def test_the_security_administrator_cannot_touch_superusers_or_their_own_role(client, administrators, admin_user):
    security = administrators[SECURITY]
    login_verified(client, security)
    assert client.get(reverse("admin:accounts_user_change", args=[admin_user.pk])).status_code == 302  # not found → index
    own = client.get(reverse("admin:accounts_user_change", args=[security.pk]))
    assert "role" not in own.context["adminform"].form.fields


def test_the_security_administrator_unlocks_a_locked_account(client, administrators, staff_user):
    for _attempt in range(5):
        client.post(reverse("login"), {"username": "dispatcher", "password": "wrong"}, REMOTE_ADDR="10.1.1.1")
    assert (
        client.post(
            reverse("login"), {"username": "dispatcher", "password": "pw-for-tests-only"}, REMOTE_ADDR="10.1.1.2"
        ).status_code
        == 429
    )

    security = administrators[SECURITY]
    login_verified(client, security)
    response = client.post(
        _url("accounts.user", "changelist"), {"action": "unlock_accounts", "_selected_action": [staff_user.pk]}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(actor=security, action="accounts.unlocked", detail__username="dispatcher").exists()
    client.logout()
    assert (
        client.post(
            reverse("login"), {"username": "dispatcher", "password": "pw-for-tests-only"}, REMOTE_ADDR="10.1.1.2"
        ).status_code
        == 302
    )
