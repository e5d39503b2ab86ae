"""Login throttling (django-axes, accounts/lockout.py): after the configured number of
failures a user name and an address are locked out on the login page, the admin login and
API key authentication, with a clear message; an admin unlocks; every lockout is logged."""

import logging

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from api.services import api_client_create

pytestmark = pytest.mark.django_db
LIMIT = 3


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def _login(client, path, username, password, address):
    return client.post(path, {"username": username, "password": password, "next": "/"}, REMOTE_ADDR=address,
                       HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_user_name_is_locked_out_after_the_failures_even_with_the_right_password(client, cast, path, caplog):
    for attempt in range(LIMIT - 1):
        assert _login(client, path, "g11_worker", f"wrong-{attempt}", "10.1.1.1").status_code == 200
    with caplog.at_level(logging.WARNING):
        assert _login(client, path, "g11_worker", "wrong-last", "10.1.1.1").status_code == 403  # the failure that locks
        refused = _login(client, path, "g11_worker", "pass-12345", "10.1.1.1")
    assert refused.status_code == 403
    assert "Too many failed sign-in attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # From another address the user name is still locked (per user) …
    assert _login(client, path, "g11_worker", "pass-12345", "10.2.2.2").status_code == 403
    assert any("Locking out" in record.getMessage() and "g11_worker" in record.getMessage() for record in caplog.records)


def test_an_address_is_locked_out_across_user_names(client, cast):
    for attempt in range(LIMIT):
        _login(client, "/accounts/login/", f"guess{attempt}", "x", "10.3.3.3")
    assert _login(client, "/accounts/login/", "g11_worker", "pass-12345", "10.3.3.3").status_code == 403
    assert _login(client, "/accounts/login/", "g11_worker", "pass-12345", "10.4.4.4").status_code == 302


def test_an_admin_unlocks(client, cast):
    for _attempt in range(LIMIT):
        _login(client, "/accounts/login/", "g11_worker", "x", "10.5.5.5")
    assert _login(client, "/accounts/login/", "g11_worker", "pass-12345", "10.6.6.6").status_code == 403
    call_command("axes_reset_username", "g11_worker")
    call_command("axes_reset_ip", "10.5.5.5")
    assert _login(client, "/accounts/login/", "g11_worker", "pass-12345", "10.6.6.6").status_code == 302


def test_the_lockout_page_is_in_chinese(client, cast):
    for _attempt in range(LIMIT + 1):
        response = client.post("/accounts/login/", {"username": "g11_worker", "password": "x"}, REMOTE_ADDR="10.7.7.7",
                               HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403 and "登录失败次数过多" in response.content.decode()


def test_wrong_api_keys_lock_the_address_out_of_the_api_and_open311(cast):
    _client, key = api_client_create(actor=None, name="12345热线", user=cast["dispatcher"])
    http = APIClient(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.8.8.8")
    for attempt in range(LIMIT):
        http.credentials(HTTP_AUTHORIZATION=f"Token wrong-key-{attempt}")
        assert http.get("/api/v1/categories/").status_code == (401 if attempt < LIMIT - 1 else 403)
    http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    refused = http.get("/api/v1/categories/")
    assert refused.status_code == 403 and refused.json()["code"] == "locked_out"
    assert "Too many failed sign-in attempts" in refused.json()["message"]
    assert http.get(f"/open311/v2/requests.json?api_key={key}").status_code == 403
    # The same key from another address works: a wrong key has no user name to lock.
    elsewhere = APIClient(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.9.9.9")
    elsewhere.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert elsewhere.get("/api/v1/categories/").status_code == 200
