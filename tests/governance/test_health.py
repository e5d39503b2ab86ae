"""/healthz and /readyz (docs/deployment.md): each dependency down in turn makes /readyz
answer 503 naming that check, without host names or tracebacks. A database that cannot
be reached and a database without migrations are real processes started against them."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import Heartbeat
from governance.services import heartbeat_record
from tests.governance.test_celery_worker import ROOT

CLOSED_PORT = 1  # nothing listens on 127.0.0.1:1


def ready(client):
    response = client.get("/readyz")
    return response.status_code, json.loads(response.content)


@pytest.fixture
def fresh_heartbeat(db):
    heartbeat_record(name="worker")


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")  # a container address, not in ALLOWED_HOSTS

    assert (response.status_code, response.content) == (200, b"ok\n")


def test_readyz_is_200_when_everything_is_there(client, fresh_heartbeat):
    status, body = ready(client)

    assert status == 200
    assert body == {"ready": True, "checks": {"database": "ok", "migrations": "ok", "cache": "ok", "broker": "ok",
                                              "heartbeat": "ok"}}


def test_readyz_reports_a_stale_heartbeat(client, db):
    Heartbeat.objects.create(name="worker", last_seen=timezone.now() - timedelta(minutes=10))

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["heartbeat"] == "stale"
    assert body["checks"]["database"] == "ok"


def test_readyz_reports_a_missing_heartbeat(client, db):
    status, body = ready(client)

    assert status == 503
    assert body["checks"]["heartbeat"] == "missing"


def test_readyz_reports_the_cache_down(client, fresh_heartbeat, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{CLOSED_PORT}/0"}}

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["cache"] == "ConnectionError"
    assert body["checks"]["broker"] == "ok"


def test_readyz_reports_the_broker_down(client, fresh_heartbeat, settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    status, body = ready(client)

    assert status == 503
    assert body["checks"]["broker"] not in ("ok", "")
    assert body["checks"]["database"] == "ok"
    assert "127.0.0.1" not in json.dumps(body)


def readyz_in_a_process(database_url: str) -> tuple[int, dict, str]:
    """GET /readyz in a fresh process of the platform configured with ``database_url``."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "governance.settings_test", "DATABASE_URL": database_url}
    code = ("import django, json; django.setup(); from django.test import Client; "
            "r = Client().get('/readyz'); print(r.status_code); print(r.content.decode())")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    return int(status), json.loads(body), body


def test_readyz_reports_the_database_down():
    status, body, raw = readyz_in_a_process(f"postgres://postgres:secret-password@127.0.0.1:{CLOSED_PORT}/governance")

    assert status == 503
    assert body["checks"]["database"] == "OperationalError"
    assert body["checks"]["migrations"] == "OperationalError"
    assert "secret-password" not in raw and "Traceback" not in raw and "127.0.0.1" not in raw


def test_readyz_reports_migrations_not_applied(tmp_path):
    status, body, _ = readyz_in_a_process(f"sqlite:///{tmp_path / 'empty.sqlite3'}")

    assert status == 503
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "pending"


def test_readiness_command_exits_1_when_not_ready(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="heartbeat=missing"):
        call_command("readiness", "heartbeat")
    heartbeat_record(name="worker")
    call_command("readiness", "heartbeat", "database")
