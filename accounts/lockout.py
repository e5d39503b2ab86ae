"""Login throttling with django-axes (docs/security.md): the hooks axes calls.

Failures count per user name and, separately, per client address; after
``LOGIN_FAILURE_LIMIT`` of either the login page, the admin login and API key
authentication refuse that user name or address for ``LOGIN_LOCKOUT_MINUTES``.
A wrong API key has no user name: it counts for the address only. Admins unlock in the
admin (Axes → access attempts: delete the row) or with ``manage.py axes_reset_username``
/ ``axes_reset_ip``. Axes logs every failure and lockout (logger ``axes.watch_login``).
"""

import math

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from events.ratelimit import client_address as _client_address

# The user name recorded for a failed API key (the key itself is never stored).
API_KEY_USERNAME = "(api key)"


def client_address(request: HttpRequest) -> str | None:
    """The address failures are counted for: the same as the public report's rate limit
    (None when the request has none, e.g. a test client's login)."""
    address = _client_address(request)
    return None if address == "unknown" else address


def attempted_username(request: HttpRequest, credentials: dict | None) -> str | None:
    username = (credentials or {}).get("username")
    if username is None:
        username = getattr(request, "POST", {}).get("username")
    return username.strip()[:150] if isinstance(username, str) else username


def lockout_parameters(request_or_attempt, credentials: dict | None = None) -> list:
    """Per user name and per address; a failed API key only per address."""
    username = (credentials or {}).get("username") if credentials else getattr(request_or_attempt, "username", None)
    if username == API_KEY_USERNAME:
        return ["ip_address"]
    return ["username", "ip_address"]


def lockout_message() -> str:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME * 60)
    return _("Too many failed sign-in attempts. Signing in is blocked for %(minutes)d minutes; "
             "an administrator can unlock it sooner.") % {"minutes": minutes}


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None):
    """403 in the surface's own shape: JSON for the API, the login page otherwise."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "locked_out", "message": message, "detail": {}}, status=403)
    if request.path.startswith("/open311/"):
        return JsonResponse([{"code": 403, "description": message}], status=403, safe=False)
    return render(request, "registration/locked_out.html", {"message": message}, status=403)
