"""The type of a request behind a sign-in, for the type checker.

The JSON API (``django_auth``) and the ``login_required`` views only run for a signed-in user, so
their ``request.user`` is a ``User``, never the ``AnonymousUser`` of a plain ``HttpRequest``.
"""

from django.http import HttpRequest

from .models import User


class AuthenticatedRequest(HttpRequest):
    user: User
