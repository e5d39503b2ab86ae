"""Logs (docs/deployment.md): one line per request and per task, a request id carried
from the request into the Celery tasks it queues (a real worker), JSON lines with
LOG_FORMAT=json, and no personal data: no query strings, bodies, names or numbers."""

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import INSIDE_G11
from tests.governance.test_celery_worker import ROOT, celery_worker
from workflow.models import DeliveryState, Notification


def test_a_request_gets_an_id_and_one_line(client, db, caplog):
    with caplog.at_level("INFO", logger="governance.request"):
        response = client.get("/accounts/login/?next=/residents/%3Fq%3D11010519491231002X", HTTP_HOST="127.0.0.1")

    lines = [record for record in caplog.records if record.name == "governance.request"]
    assert len(lines) == 1
    line = lines[0]
    assert (line.method, line.path, line.view, line.status) == ("GET", "/accounts/login/", "login", 200)
    assert line.request_id == response["X-Request-ID"] and len(line.request_id) == 32
    assert "11010519491231002X" not in line.getMessage()


def test_the_proxys_request_id_is_kept_when_sane(client, db):
    kept = client.get("/accounts/login/", HTTP_HOST="127.0.0.1", HTTP_X_REQUEST_ID="proxy-abc-12345678")
    replaced = client.get("/accounts/login/", HTTP_HOST="127.0.0.1", HTTP_X_REQUEST_ID="evil id\nforged log line")

    assert kept["X-Request-ID"] == "proxy-abc-12345678"
    assert replaced["X-Request-ID"] != "evil id\nforged log line" and len(replaced["X-Request-ID"]) == 32


def test_log_format_json_writes_one_object_per_line():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "governance.settings_test", "LOG_FORMAT": "json"}
    code = ("import django; django.setup(); from django.test import Client; "
            "Client().get('/accounts/login/', HTTP_HOST='127.0.0.1', HTTP_X_REQUEST_ID='json-test-0001'); "
            "import logging; logging.getLogger('governance.test').warning('电话 %s', '138****0000')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    request = next(record for record in records if record["logger"] == "governance.request")
    assert request["request_id"] == "json-test-0001"
    assert (request["method"], request["path"], request["status"], request["view"]) == ("GET", "/accounts/login/", 200, "login")
    assert isinstance(request["duration_ms"], float)
    assert any(record["message"] == "电话 138****0000" and record["level"] == "WARNING" for record in records)


@pytest.fixture
def json_worker(transactional_db, tmp_path):
    log = tmp_path / "worker.log"
    with open(log, "w") as output, celery_worker("log-test", env={"LOG_FORMAT": "json"}, stdout=output) as process:
        yield process, log


def _delivered_records(process, log) -> list[dict]:
    """The worker's JSON log lines once every notification's email copy was delivered."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and Notification.objects.filter(email_state=DeliveryState.PENDING).exists():
        assert process.poll() is None, log.read_text()
        time.sleep(0.3)
    time.sleep(1)
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


@pytest.mark.django_db(transaction=True)
def test_the_request_id_follows_into_the_task_it_queues(client, cast, json_worker):
    process, log = json_worker
    client.force_login(cast["worker"])

    response = client.post("/api/v1/events/", {"category": "0101", "description": "张三家门口暴露垃圾 13800000000",
                                               **INSIDE_G11}, content_type="application/json",
                           HTTP_X_REQUEST_ID="filing-req-000001", HTTP_HOST="127.0.0.1")
    assert response.status_code == 201

    records = _delivered_records(process, log)
    ours = [record for record in records if record.get("task") == "workflow.tasks.deliver_notifications_task"
            and record["request_id"] == "filing-req-000001"]
    assert [record["state"] for record in ours] == ["SUCCESS"]
    # Celery's own "received"/"succeeded" lines are replaced by the one task line.
    assert not any("succeeded in" in record["message"] for record in records)
    assert "13800000000" not in log.read_text() and "张三" not in log.read_text()


@pytest.mark.django_db(transaction=True)
def test_one_message_for_two_requests_names_both_in_the_workers_line(client, cast, json_worker, settings):
    """Two filings within the hand-off window: their notifications reach the worker in one
    message (governance.handoff), whose log line carries the first request's id and names
    both requests."""
    from governance import handoff

    settings.HANDOFF_GATHER_SECONDS = 2.0
    handoff.hand_off_resume()
    process, log = json_worker
    client.force_login(cast["worker"])
    for request_id in ("gathered-req-0001", "gathered-req-0002"):
        response = client.post("/api/v1/events/", {"category": "0101", "description": f"暴露垃圾 {request_id}", **INSIDE_G11},
                               content_type="application/json", HTTP_X_REQUEST_ID=request_id, HTTP_HOST="127.0.0.1")
        assert response.status_code == 201
    assert handoff.hand_off_wait(timeout=20)

    records = _delivered_records(process, log)
    ours = [record for record in records if record.get("task") == "workflow.tasks.deliver_notifications_task"]
    assert [(record["request_id"], record.get("request_ids"), record["state"]) for record in ours] == [
        ("gathered-req-0001", "gathered-req-0001 gathered-req-0002", "SUCCESS")]
    assert ours[0]["message"].endswith(" for requests gathered-req-0001 gathered-req-0002")  # the plain line too
