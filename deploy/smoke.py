"""Smoke test of a running production deployment (deploy/production_check.sh, CI).

Talks to gunicorn over HTTP as the HTTPS proxy and a client would, and reads the
database only to see what background work did. Exits non-zero with a message at the
first thing that is wrong:

1. /healthz; the login page over "HTTPS" (the proxy's X-Forwarded-Proto), and the
   redirect to HTTPS without it;
2. a hashed static file named by the page: 200, cached for a year, gzip on request;
3. an event filed through the REST API with an API key and an X-Request-ID;
4. the worker delivers the filing's notifications, and its task line carries the id;
5. the beat → worker heartbeat is fresh and /readyz answers 200;
6. a timer made due is swept by beat (the event turns red through the API) and the
   sweep shows in /metrics, which needs the token;
7. the web log is one JSON object per line, and no log holds the API key.

    python deploy/smoke.py --base http://127.0.0.1:18590 --api-key KEY --logs DIR
"""

import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")


class SmokeFailure(Exception):
    pass


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)
PROXY = {"X-Forwarded-Proto": "https", "Host": "127.0.0.1"}


def http(method, url, *, headers=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        **PROXY, **({"Content-Type": "application/json"} if data else {}), **(headers or {})})
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def expect(condition, message):
    if not condition:
        raise SmokeFailure(message)
    print(f"  ok: {message}")


def wait_for(what, probe, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(1)
    raise SmokeFailure(f"timed out after {seconds} s waiting for {what}")


def run(base: str, api_key: str, metrics_token: str, logs: Path) -> None:
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import User
    from governance.models import Heartbeat
    from workflow.models import DeliveryState, Notification, Timer, TimerState

    started = timezone.now()
    print("web")
    status, _, body = http("GET", f"{base}/healthz", headers={"X-Forwarded-Proto": "http"})
    expect(status == 200 and body == b"ok\n", "/healthz answers over plain HTTP")
    status, headers, _ = http("GET", f"{base}/accounts/login/", headers={"X-Forwarded-Proto": "http"})
    expect(status == 301 and headers.get("Location", "").startswith("https://"), "plain HTTP is redirected to HTTPS")
    status, headers, page = http("GET", f"{base}/accounts/login/")
    expect(status == 200 and "登录" in page.decode(), "the login page answers 200 in Chinese")
    expect("max-age=" in headers.get("Strict-Transport-Security", ""), "HSTS header on pages")
    expect("Secure" in headers.get("Set-Cookie", "Secure"), "cookies are Secure")

    print("static files")
    match = re.search(r'/static/([\w/.-]+\.[0-9a-f]{12}\.(?:css|js))', page.decode())
    expect(match is not None, "the page names a hashed static file")
    status, headers, content = http("GET", f"{base}/static/{match.group(1)}", headers={"Accept-Encoding": "gzip"})
    expect(status == 200 and content, f"{match.group(1)} answers 200")
    expect("max-age=315360000" in headers.get("Cache-Control", "") and "immutable" in headers.get("Cache-Control", ""),
           f"cached for a year, immutable ({headers.get('Cache-Control')})")
    expect(headers.get("Content-Encoding") == "gzip", "served compressed")

    print("REST API")
    worker = User.objects.get(username="yuetang_worker")
    grid = worker.role_assignments.filter(revoked_at__isnull=True).first().area
    request_id = f"smoke-{uuid.uuid4().hex}"
    status, headers, body = http("POST", f"{base}/api/v1/events/", body={
        "category": "0101", "description": "冒烟测试：路边暴露垃圾", "grid": grid.pk, "idempotency_key": request_id,
    }, headers={"Authorization": f"Token {api_key}", "X-Request-ID": request_id})
    expect(status == 201, "an event filed with an API key answers 201" if status == 201 else f"filing answered {status}: {body[:300]!r}")
    expect(headers.get("X-Request-ID") == request_id, "the answer carries the request id")
    event = json.loads(body)
    status, _, _ = http("GET", f"{base}/api/v1/events/{event['id']}/")
    expect(status == 401, "the API refuses a request without a key")

    print("worker")
    notes = Notification.objects.filter(event_id=event["id"])
    wait_for("the filing's notifications", notes.exists, 30)
    wait_for("the worker to deliver the notifications",
             lambda: not notes.filter(email_state=DeliveryState.PENDING).exists()
             and not notes.filter(sms_state=DeliveryState.PENDING).exists(), 60)
    expect(True, f"the worker delivered {notes.count()} notification(s) of the filing")

    def task_line_with_id():
        for line in (logs / "worker.log").read_text(errors="replace").splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("task") == "workflow.tasks.deliver_notifications_task" and record.get("request_id") == request_id:
                    return record
        return None
    record = wait_for("the worker's task line with the request id", task_line_with_id, 20)
    expect(record["state"] == "SUCCESS", "the worker's task line carries the web request's id")

    print("beat")
    wait_for("a fresh beat → worker heartbeat",
             lambda: Heartbeat.objects.filter(name="worker", last_seen__gte=started).exists(), 120)
    expect(True, "beat queued the heartbeat and a worker ran it")
    status, _, body = http("GET", f"{base}/readyz", headers={"X-Forwarded-Proto": "http"})
    expect(status == 200 and json.loads(body)["ready"], f"/readyz answers 200 ({body.decode()})")

    print("timer sweep")
    past = timezone.now() - timedelta(hours=3)
    Timer.objects.filter(event_id=event["id"], state=TimerState.RUNNING).update(
        started_at=past, warn_at=past, due_at=past + timedelta(minutes=30), escalate_at=timezone.now() + timedelta(hours=1),
        next_check_at=past + timedelta(minutes=30))
    headers = {"Authorization": f"Token {api_key}"}
    wait_for("beat's sweep to turn the event red",
             lambda: json.loads(http("GET", f"{base}/api/v1/events/{event['id']}/", headers=headers)[2]).get("light") == "red", 60)
    expect(True, "the sweep marked the overdue event red")

    print("metrics")
    status, _, _ = http("GET", f"{base}/metrics")
    expect(status == 404, "/metrics without the token answers 404")
    status, _, body = http("GET", f"{base}/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    text = body.decode()
    expect(status == 200, "/metrics with the token answers 200")
    for name in ('governance_http_requests_total{method="GET",status="200",view="login"}',
                 "governance_http_request_duration_seconds_bucket", 'governance_celery_queue_length{queue="celery"}',
                 "governance_timer_sweep_last_duration_seconds", "governance_timers_due", 'governance_events_open{light="red"} 1.0',
                 "governance_webhook_deliveries_pending", "governance_heartbeat_age_seconds"):
        expect(name in text, f"metric {name}")

    print("logs")
    web_lines = [line for line in (logs / "web.log").read_text(errors="replace").splitlines() if line.strip()]
    records = []
    for line in web_lines:
        if line.startswith("["):  # gunicorn's own start/stop lines
            continue
        records.append(json.loads(line))
    requests = [r for r in records if r.get("logger") == "governance.request"]
    expect(any(r.get("request_id") == request_id and r.get("view") == "api:event-list" and r.get("status") == 201
               for r in requests), "one JSON line for the API request, with its id")
    everything = "".join((logs / name).read_text(errors="replace") for name in ("web.log", "worker.log", "beat.log"))
    expect(api_key not in everything, "no log holds the API key")
    expect("冒烟测试" not in everything and "\\u5192" not in everything, "no log holds a request body")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--logs", required=True, type=Path)
    options = parser.parse_args()
    try:
        run(options.base.rstrip("/"), options.api_key, os.environ["METRICS_TOKEN"], options.logs)
    except SmokeFailure as failure:
        print(f"SMOKE TEST FAILED: {failure}", file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
