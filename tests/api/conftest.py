import pytest
from rest_framework.test import APIClient

from api.services import api_client_create


@pytest.fixture
def api():
    """An API client without credentials."""
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def as_user():
    """An API client calling with a fresh integration key bound to ``user``."""

    def make(user, **options):
        _client, key = api_client_create(actor=None, name=f"client of {user.username}", user=user, **options)
        http = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        http.key = key
        return http

    return make
