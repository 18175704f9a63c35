"""Account security pages: forced password change, second factor (verify and enrol), lockout.

The middleware (middleware.py) sends users here when a step is missing; the account security
page lets anyone enrol a second factor or change their password on their own.
"""

import base64
import math
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .forms import TokenForm
from .selectors import requires_second_factor

DEVICE_NAME = "authenticator"


def _next_url(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def lockout_message() -> str:
    minutes = settings.GRIDGOV_LOCKOUT_MINUTES
    if minutes:
        return _(
            "Too many failed log-ins: this account or this address is locked for %(minutes)s minutes. "
            "Try again later or ask the security administrator to unlock it."
        ) % {"minutes": minutes}
    return _("Too many failed log-ins: this account or this address is locked until the security administrator unlocks it.")


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer: the log-in page again, with the reason as a whole sentence."""
    # Unbound: a bound form would check the password again, i.e. count another failure.
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")[:150]})
    context = {"form": form, "next": _next_url(request, ""), "lockout_message": lockout_message()}
    return render(request, "registration/login.html", context, status=429)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        services.password_changed_by_owner(user=user)
        messages.success(request, _("Your password has been changed."))
        return redirect(_next_url(request))
    forced = request.user.must_change_password and not request.user.is_demo
    return render(request, "accounts/password_change.html", {"form": form, "forced": forced, "next": _next_url(request, "")})


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    """The second step of logging in for users with a confirmed authenticator."""
    if not user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('accounts:otp_enrol')}?{urlencode({'next': _next_url(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = _throttled_seconds(request.user)
        if wait:
            form.add_error(
                "token", _("Too many wrong codes: wait %(seconds)s seconds, then enter the current code.") % {"seconds": wait}
            )
            return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request, "")})
        device = _matching_device(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            services.record_audit(request.user, "accounts.otp_verified", request.user)
            return redirect(_next_url(request))
        services.record_audit(request.user, "accounts.otp_failed", request.user)
        form.add_error("token", _("The code is wrong or has expired. Enter the current code from your authenticator app."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request, "")})


def _throttled_seconds(user) -> int:
    """Seconds until django-otp accepts another code (it doubles the wait after each wrong one),
    or 0; telling the user beats answering "wrong code" to a right one."""
    waits = []
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        allowed, detail = device.verify_is_allowed()
        if allowed:
            return 0
        locked_until = (detail or {}).get("locked_until")
        waits.append(max(1, math.ceil((locked_until - timezone.now()).total_seconds())) if locked_until else 1)
    return min(waits, default=0)


def _matching_device(user, token: str):
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None


@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request):
    """Set up an authenticator app: scan the code (or type the key), then prove it with a code."""
    user = request.user
    if user_has_device(user, confirmed=True) and not user.is_verified():
        # A new device would replace the second factor: prove the current one first.
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': reverse('accounts:otp_enrol')})}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
        user=user, name=DEVICE_NAME, confirmed=False
    )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
            services.confirm_second_factor(user=user, device=device)
            otp_login(request, device)
            messages.success(request, _("Your authenticator app is set up: you will be asked for a code at every log-in."))
            return redirect(_next_url(request))
        form.add_error("token", _("The code is wrong or has expired. Enter the current code from your authenticator app."))
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr_data_uri": qr.svg_data_uri(scale=4, border=2),
        "required": requires_second_factor(user),
        "next": _next_url(request, ""),
    }
    return render(request, "accounts/otp_enrol.html", context)


@login_required
def security(request):
    """The user's own account security: second factor and password."""
    context = {
        "has_device": user_has_device(request.user, confirmed=True),
        "required": requires_second_factor(request.user),
        "idle_minutes": settings.GRIDGOV_IDLE_TIMEOUT_MINUTES,
    }
    return render(request, "accounts/security.html", context)
