"""Authentication as 等保 level 3 expects: lockout, session limits, password rules, forced
change of administrator-set passwords and a second factor for the three administrators."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.oath import totp

from gridgov.accounts.models import AuditEvent, Role
from gridgov.accounts.sessions import LAST_SEEN_KEY, STARTED_KEY

from .auth_helpers import login_verified, second_factor

PASSWORD = "Right-Password-1"


@pytest.fixture
def clerk(db, django_user_model):
    return django_user_model.objects.create_user("clerk", password=PASSWORD, role=Role.INTAKE_CLERK)


def log_in(client, username, password, address="127.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


# --- lockout ---------------------------------------------------------------------------------


def test_an_account_is_locked_after_five_failures_and_stays_locked(client, clerk):
    for _attempt in range(5):
        response = log_in(client, "clerk", "wrong-password")
    assert response.status_code in (200, 429)
    assert AuditEvent.objects.filter(action="accounts.login_failed", detail__username="clerk").count() == 5

    response = log_in(client, "clerk", PASSWORD)

    assert response.status_code == 429
    text = response.content.decode()
    assert "登录失败次数过多" in text and "安全管理员" in text and "30 分钟" in text
    assert SESSION_KEY not in client.session
    # From another address too: the lock is per account.
    assert log_in(client, "clerk", PASSWORD, address="10.0.0.9").status_code == 429
    assert AuditEvent.objects.filter(action="accounts.locked_out").exists()


def test_an_address_is_locked_after_five_failures_on_any_accounts(client, clerk):
    for n in range(5):
        log_in(client, f"guess{n}", "wrong-password", address="10.0.0.7")
    assert log_in(client, "clerk", PASSWORD, address="10.0.0.7").status_code == 429
    assert log_in(client, "clerk", PASSWORD, address="10.0.0.8").status_code == 302


def test_the_lockout_message_in_english(client, clerk):
    client.cookies["django_language"] = "en"
    for _attempt in range(6):
        response = log_in(client, "clerk", "wrong-password")
    assert "Too many failed log-ins: this account or this address is locked for 30 minutes." in response.content.decode()


def test_a_good_login_is_audited_and_clears_earlier_failures(client, clerk):
    for _attempt in range(4):
        log_in(client, "clerk", "wrong-password")
    assert log_in(client, "clerk", PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(action="accounts.login", actor=clerk).exists()
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(action="accounts.logout", actor=clerk).exists()
    for _attempt in range(4):
        log_in(client, "clerk", "wrong-password")
    assert log_in(client, "clerk", PASSWORD).status_code == 302  # the count started again


# --- session limits --------------------------------------------------------------------------


def _age_session(client, *, idle_seconds=0, age_seconds=0):
    session = client.session
    now = time.time()
    session[STARTED_KEY] = now - age_seconds
    session[LAST_SEEN_KEY] = now - idle_seconds
    session.save()


def test_a_session_ends_after_the_idle_timeout(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("cases:inbox")).status_code == 200
    _age_session(client, idle_seconds=31 * 60, age_seconds=31 * 60)

    response = client.get(reverse("cases:inbox"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.filter(action="accounts.session_expired", detail__reason="idle").exists()


def test_activity_within_the_idle_timeout_keeps_the_session(client, clerk):
    client.force_login(clerk)
    _age_session(client, idle_seconds=29 * 60, age_seconds=5 * 3600)
    assert client.get(reverse("cases:inbox")).status_code == 200
    assert time.time() - client.session[LAST_SEEN_KEY] < 60  # the clock moved on


def test_a_session_ends_after_its_lifetime_even_when_active(client, clerk, settings):
    settings.GRIDGOV_SESSION_LIFETIME_HOURS = 12
    client.force_login(clerk)
    _age_session(client, idle_seconds=10, age_seconds=12 * 3600 + 60)
    response = client.get(reverse("cases:inbox"))
    assert response.status_code == 302 and SESSION_KEY not in client.session


def test_the_idle_timeout_is_configurable(client, clerk, settings):
    settings.GRIDGOV_IDLE_TIMEOUT_MINUTES = 5
    client.force_login(clerk)
    _age_session(client, idle_seconds=6 * 60, age_seconds=6 * 60)
    assert client.get(reverse("cases:inbox")).status_code == 302


# --- passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Short-1a", "alllowercaseletters", "ALLUPPER123456", "1234567890123"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize("password", ["Grid-network-7", "网格化管理Grid2026", "Correct horse 9"])
def test_passwords_with_three_kinds_of_characters_pass(password):
    validate_password(password)


def test_a_password_set_by_an_administrator_must_be_changed_first(client, clerk):
    clerk.must_change_password = True
    clerk.save()
    client.force_login(clerk)

    response = client.get(reverse("cases:inbox"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:password_change"))
    assert client.get("/api/v1/cases").status_code == 403

    weak = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "simplesimple", "new_password2": "simplesimple"},
    )
    assert weak.status_code == 200 and "至少 3 种" in weak.content.decode()

    strong = "Another-Password-2"
    done = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong, "next": reverse("cases:inbox")},
    )
    assert done.status_code == 302 and done.url == reverse("cases:inbox")
    clerk.refresh_from_db()
    assert not clerk.must_change_password and clerk.check_password(strong)
    assert client.get(reverse("cases:inbox")).status_code == 200  # still signed in
    assert AuditEvent.objects.filter(action="accounts.password_changed", actor=clerk).exists()


def test_demo_accounts_are_exempt_from_the_forced_change(client, clerk):
    clerk.must_change_password = True
    clerk.is_demo = True
    clerk.save()
    client.force_login(clerk)
    assert client.get(reverse("cases:inbox")).status_code == 200


# --- second factor ---------------------------------------------------------------------------


@pytest.fixture
def system_admin(db, django_user_model):
    return django_user_model.objects.create_user("sysadmin", password=PASSWORD, role=Role.SYSTEM_ADMIN, is_staff=True)


def current_code(device) -> str:
    return f"{totp(device.bin_key):06d}"


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_administrators_cannot_reach_anything_without_their_second_factor(client, django_user_model, role):
    admin = django_user_model.objects.create_user(f"a-{role}", password=PASSWORD, role=role, is_staff=True)
    client.force_login(admin)
    for url in (reverse("admin:index"), reverse("grids:map"), reverse("cases:list")):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:otp_enrol")), url
    second_factor(admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:otp_verify"))
    assert client.get("/api/v1/cases").status_code == 403


def test_the_admin_site_itself_refuses_an_unverified_administrator(rf, system_admin):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = system_admin
    system_admin.is_verified = lambda: False
    assert not admin.site.has_permission(request)
    system_admin.is_verified = lambda: True
    assert admin.site.has_permission(request)


def test_a_code_from_the_authenticator_opens_the_admin(client, system_admin, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp makes a wrong code cost a second's wait
    device = second_factor(system_admin)
    log_in(client, "sysadmin", PASSWORD)

    wrong = client.post(reverse("accounts:otp_verify"), {"token": "000000"})
    assert wrong.status_code == 200 and "验证码错误" in wrong.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302

    right = client.post(reverse("accounts:otp_verify"), {"token": current_code(device), "next": reverse("admin:index")})
    assert right.status_code == 302 and right.url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.filter(action="accounts.otp_failed", actor=system_admin).exists()
    assert AuditEvent.objects.filter(action="accounts.otp_verified", actor=system_admin).exists()


def test_an_administrator_without_a_device_enrols_one(client, system_admin):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    log_in(client, "sysadmin", PASSWORD)
    page = client.get(reverse("accounts:otp_enrol"))
    assert page.status_code == 200
    assert page.context["qr_data_uri"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=system_admin, confirmed=False)
    assert page.context["secret"].replace(" ", "")  # typed by hand when the camera cannot scan

    response = client.post(reverse("accounts:otp_enrol"), {"token": current_code(device), "next": reverse("admin:index")})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.filter(action="accounts.otp_enrolled", actor=system_admin).exists()


def test_a_second_factor_is_optional_for_other_staff(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("cases:inbox")).status_code == 200
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200 and reverse("accounts:otp_enrol") in page.content.decode()
    assert client.get(reverse("accounts:otp_enrol")).status_code == 200


def test_a_confirmed_device_cannot_be_replaced_without_its_code(client, clerk):
    second_factor(clerk)
    client.force_login(clerk)
    response = client.get(reverse("accounts:otp_enrol"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:otp_verify"))


def test_a_verified_administrator_passes(client, system_admin):
    login_verified(client, system_admin)
    assert client.get(reverse("admin:index")).status_code == 200


def test_behind_a_trusted_proxy_the_lockout_counts_the_real_client(client, clerk, settings):
    settings.GRIDGOV_TRUSTED_PROXIES = 1
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": f"guess{n}", "password": "x"},
            REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR="203.0.113.5",
        )
    proxied = {"REMOTE_ADDR": "10.9.9.9"}
    assert (
        client.post(
            reverse("login"), {"username": "clerk", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxied
        ).status_code
        == 429
    )
    assert (
        client.post(
            reverse("login"), {"username": "clerk", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxied
        ).status_code
        == 302
    )
    # five failures and the refused attempt while locked
    assert AuditEvent.objects.filter(action="accounts.login_failed", detail__ip="203.0.113.5").count() == 6


def test_after_a_wrong_code_the_page_says_how_long_to_wait(client, system_admin):
    device = second_factor(system_admin)
    log_in(client, "sysadmin", PASSWORD)
    client.post(reverse("accounts:otp_verify"), {"token": "000000"})
    response = client.post(reverse("accounts:otp_verify"), {"token": current_code(device)})
    assert response.status_code == 200 and "错误次数过多" in response.content.decode()
