"""Audit events for authentication: log-ins, failed log-ins, log-outs and lockouts.

Django and django-axes announce these with signals; each becomes one event in the audit log
(the failed ones without an actor, with the username that was tried). The session's start is
stamped here too, for the absolute session lifetime (middleware.py).
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .services import client_address, record_audit
from .sessions import start_session_clock

USERNAME_KEPT = 150  # the username column's length; anything longer was not a username


@receiver(user_logged_in, dispatch_uid="gridgov-audit-login")
def _logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        start_session_clock(request.session)
    record_audit(user, "accounts.login", user, ip=client_address(request))


@receiver(user_login_failed, dispatch_uid="gridgov-audit-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:USERNAME_KEPT]
    record_audit(None, "accounts.login_failed", username=username, ip=client_address(request))


@receiver(user_logged_out, dispatch_uid="gridgov-audit-logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record_audit(user, "accounts.logout", user, ip=client_address(request))


@receiver(user_locked_out, dispatch_uid="gridgov-audit-locked-out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    record_audit(None, "accounts.locked_out", username=str(username or "")[:USERNAME_KEPT], ip=ip_address or "")
