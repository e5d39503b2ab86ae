"""Integration clients: keys shown once and stored hashed, 401 without or with a bad
key, immediate revocation, last-used time at most once a minute, throttling per key,
the create_api_client command, and browser sessions."""

import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from api.models import ApiClient
from api.services import api_client_create, api_client_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


def test_without_credentials_the_api_answers_401_in_the_error_shape(api, tree):
    response = api.get("/api/v1/events/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"code": "not_authenticated", "message": "Authentication credentials were not provided.",
                               "detail": {}}


def test_a_wrong_key_is_refused(api, cast):
    client, key = api_client_create(actor=None, name="12345 hotline", user=cast["dispatcher"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {client.prefix}.not-the-secret")
    response = api.get("/api/v1/events/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/events/").status_code == 200


def test_a_key_of_a_deactivated_user_or_an_unknown_prefix_is_refused(api, cast):
    """The key is looked up by a statement composed once (api.selectors): it still reads
    the client's state and its user's at every request."""
    client, key = api_client_create(actor=None, name="hotline", user=cast["dispatcher"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/events/").status_code == 200
    cast["dispatcher"].is_active = False
    cast["dispatcher"].save(update_fields=["is_active"])
    assert api.get("/api/v1/events/").status_code == 401
    cast["dispatcher"].is_active = True
    cast["dispatcher"].save(update_fields=["is_active"])
    assert api.get("/api/v1/events/").status_code == 200
    for prefix in ("~prefix-marker~", "0" * 40):  # with the deactivated user's: 3 failures, under the lockout's 5
        api.credentials(HTTP_AUTHORIZATION=f"Token {prefix}.{key.split('.', 1)[1]}")
        assert api.get("/api/v1/events/").status_code == 401


def test_the_key_is_stored_only_as_a_hash(cast):
    client, key = api_client_create(actor=None, name="hotline", user=cast["dispatcher"])
    stored = ApiClient.objects.filter(pk=client.pk).values().get()
    assert key not in [str(value) for value in stored.values()]
    assert key.startswith(stored["prefix"] + ".") and len(stored["key_hash"]) == 64


def test_revocation_takes_effect_at_once(as_user, cast):
    http = as_user(cast["dispatcher"])
    assert http.get("/api/v1/events/").status_code == 200
    api_client_revoke(actor=None, client=ApiClient.objects.get(user=cast["dispatcher"]))
    response = http.get("/api/v1/events/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_key_of_a_deactivated_user_is_refused(as_user, cast):
    http = as_user(cast["dispatcher"])
    cast["dispatcher"].is_active = False
    cast["dispatcher"].save(update_fields=["is_active"])
    assert http.get("/api/v1/events/").status_code == 401


def test_last_used_time_is_written_at_most_once_a_minute(as_user, cast):
    http = as_user(cast["dispatcher"])
    client = ApiClient.objects.get(user=cast["dispatcher"])
    assert client.last_used_at is None
    http.get("/api/v1/categories/")
    first = ApiClient.objects.get(pk=client.pk).last_used_at
    assert first is not None
    http.get("/api/v1/categories/")
    assert ApiClient.objects.get(pk=client.pk).last_used_at == first
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    http.get("/api/v1/categories/")
    assert ApiClient.objects.get(pk=client.pk).last_used_at > first - timedelta(seconds=1)


def test_throttling_counts_per_key(as_user, cast):
    limited = as_user(cast["dispatcher"], throttle_rate="3/minute")
    other = as_user(cast["dispatcher"])
    assert [limited.get("/api/v1/categories/").status_code for _ in range(3)] == [200, 200, 200]
    refused = limited.get("/api/v1/categories/")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and refused.json()["detail"]["retry_after"] > 0
    assert int(refused["Retry-After"]) > 0
    assert other.get("/api/v1/categories/").status_code == 200


def test_command_prints_a_working_key_once(cast):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_client", "12345 hotline", "--user", "s1_dispatcher", stdout=out, stderr=err)
    key = out.getvalue().strip()
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert http.get("/api/v1/events/").status_code == 200
    assert "shown only now" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("create_api_client", "x", "--user", "nobody", stdout=out, stderr=err)


def test_browser_session_works_too(client, cast):
    client.force_login(cast["dispatcher"])
    assert client.get("/api/v1/events/").status_code == 200


def test_an_administrator_may_bind_only_users_they_manage(cast, street_admin, make_user, tree):
    from django.core.exceptions import PermissionDenied

    inside = make_user(Role.GRID_WORKER, area=tree["G11"], username="inside_worker")
    api_client_create(actor=street_admin, name="ok", user=inside)
    with pytest.raises(PermissionDenied):
        api_client_create(actor=street_admin, name="no", user=cast["outsider"])


def test_admin_creates_a_client_shows_the_key_once_and_revokes_it(client, cast):
    client.force_login(cast["admin"])
    response = client.post("/admin/api/apiclient/add/", {"name": "12345 hotline", "user": cast["dispatcher"].pk,
                                                         "throttle_rate": ""}, follow=True)
    created = ApiClient.objects.get()
    page = response.content.decode()
    key = page[page.index(created.prefix + "."):].split("<")[0].split()[0]
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert http.get("/api/v1/events/").status_code == 200
    assert key not in client.get(f"/admin/api/apiclient/{created.pk}/change/").content.decode()
    client.post("/admin/api/apiclient/", {"action": "revoke", "_selected_action": [created.pk]})
    assert http.get("/api/v1/events/").status_code == 401
