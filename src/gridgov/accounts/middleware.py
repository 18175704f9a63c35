"""The gate every signed-in request passes (等保 level 3 authentication rules).

In order: the session ends after the idle timeout or the absolute lifetime (sessions.py); the
three administrators (and superusers) must have passed their second factor in this session,
enrolling one first if they have none; a user whose password was set by an administrator must
choose their own. Until then every page redirects to the step that is missing (the JSON API
answers 403 with the same sentence), except the pages needed to complete it.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .selectors import requires_second_factor
from .services import record_audit
from .sessions import session_expiry_reason

# Reachable before the gate is passed: the steps themselves, log-out and the language switch.
OPEN_URL_NAMES = (
    "login",
    "logout",
    "admin:logout",
    "set_language",
    "accounts:password_change",
    "accounts:otp_verify",
    "accounts:otp_enrol",
)
OPEN_PREFIXES = ("/static/", "/healthz")


def _has_confirmed_device(user) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


class SecurityGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def open_paths(self) -> frozenset[str]:
        if self._open_paths is None:
            self._open_paths = frozenset(reverse(name) for name in OPEN_URL_NAMES)
        return self._open_paths

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        reason = session_expiry_reason(request.session)
        if reason is not None:
            return self._end_session(request, reason)
        if request.path in self.open_paths():
            return self.get_response(request)
        if requires_second_factor(user) and not user.is_verified():
            if _has_confirmed_device(user):
                return self._detour(request, "accounts:otp_verify", _("Enter the code from your authenticator app to continue."))
            return self._detour(
                request, "accounts:otp_enrol", _("Your role requires a second factor: set up an authenticator app to continue.")
            )
        if user.must_change_password and not user.is_demo:
            return self._detour(
                request,
                "accounts:password_change",
                _("Your password was set by an administrator: choose your own password to continue."),
            )
        return self.get_response(request)

    def _end_session(self, request, reason: str):
        user = request.user
        record_audit(user, "accounts.session_expired", user, reason=reason)
        logout(request)
        if reason == "idle":
            text = _("You were logged out after %(minutes)s minutes without activity. Please log in again.") % {
                "minutes": settings.GRIDGOV_IDLE_TIMEOUT_MINUTES
            }
        else:
            text = _("Your session reached its maximum length of %(hours)s hours. Please log in again.") % {
                "hours": settings.GRIDGOV_SESSION_LIFETIME_HOURS
            }
        if _wants_json(request):
            return JsonResponse({"detail": text}, status=401)
        messages.info(request, text)
        return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")

    def _detour(self, request, url_name: str, text: str):
        if _wants_json(request):
            return JsonResponse({"detail": text}, status=403)
        messages.info(request, text)
        return redirect(f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}")


def _wants_json(request) -> bool:
    return request.path.startswith(("/api/", "/open311/"))
