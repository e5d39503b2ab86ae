"""Token authentication for integration clients: ``Authorization: Token <key>``
(``Bearer`` is accepted too). ``request.auth`` is the ``ApiClient``."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from accounts.lockout import API_KEY_USERNAME, lockout_message
from api.selectors import api_client_for_key
from api.services import api_client_touch

KEYWORDS = ("token", "bearer")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("The Authorization header must be “Token <key>”."))
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("The API key is not valid.")) from None
        try:
            client = api_client_key_check(request._request, key)
        except KeyLockedOut as locked:
            raise LockedOut(str(locked)) from None
        if client is None:
            raise exceptions.AuthenticationFailed(_("The API key is not valid or was revoked."))
        api_client_touch(client=client)
        return client.user, client

    def authenticate_header(self, request):
        # Makes unauthenticated requests answer 401 (with WWW-Authenticate), not 403.
        return self.keyword


class LockedOut(exceptions.PermissionDenied):
    default_code = "locked_out"


class KeyLockedOut(Exception):
    """The client's address is locked out after too many failed keys or logins."""


def api_client_key_check(request, key: str):
    """The client of ``key``, or None; failures count towards the address's lockout
    (django-axes, as for the login page), and a locked-out address is refused first."""
    credentials = {"username": API_KEY_USERNAME}
    if AxesProxyHandler.is_locked(request, credentials):
        raise KeyLockedOut(lockout_message())
    client = api_client_for_key(key)
    if client is None:
        user_login_failed.send(sender=ApiKeyAuthentication, credentials=credentials, request=request)
    return client
