"""Token authentication for integration clients: ``Authorization: Token <key>``
(``Bearer`` is accepted too). ``request.auth`` is the ``ApiClient``."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

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
        client = api_client_for_key(key)
        if client is None:
            raise exceptions.AuthenticationFailed(_("The API key is not valid or was revoked."))
        api_client_touch(client=client)
        return client.user, client

    def authenticate_header(self, request):
        # Makes unauthenticated requests answer 401 (with WWW-Authenticate), not 403.
        return self.keyword
