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
7. a residents file uploaded through the API with the key is imported by the worker:
   the counts add up, the bad row is in the error report (.xlsx, not cached), the
   stored upload is encrypted, importing it again changes nothing, nor does importing
   the same rows as an .xlsx read in parts, which leaves nothing in var/tmp;
8. the web log is one JSON object per line, and no log holds the API key or a
   resident's name or ID number.

    python deploy/smoke.py --base http://127.0.0.1:18590 --api-key KEY --logs DIR
"""

import argparse
import io
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


def multipart(fields: dict, name: str, content: bytes, content_type: str) -> tuple[bytes, str]:
    """A multipart/form-data body with ``fields`` and one file; (body, its Content-Type)."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
             for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(url, api_key, name, content, **fields):
    body, content_type = multipart({"upgrade_ids": "false", **fields}, name, content, "text/csv")
    request = urllib.request.Request(url, data=body, method="POST", headers={
        **PROXY, "Content-Type": content_type, "Authorization": f"Token {api_key}"})
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def id_number(first17: str) -> str:
    from residents.ids import check_char

    return first17 + check_char(first17)


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

    print("resident import")
    good = [id_number("43130219800104" + f"{n:03d}") for n in (123, 246)]
    bad = good[0][:-1] + ("0" if good[0][-1] != "0" else "1")  # a wrong check character
    lines = ["姓名,公民身份号码,联系电话,网格编码"] + [
        f"{name},{number},13800138000,{grid.code}" for name, number in zip(("冒烟居民甲", "冒烟居民乙", "冒烟居民丙"),
                                                                         (*good, bad), strict=True)]
    content = ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")

    def imported(job_id):
        status, _, body = http("GET", f"{base}/api/v1/residents/imports/{job_id}/", headers={"Authorization": f"Token {api_key}"})
        job = json.loads(body) if status == 200 else {}
        return job if job.get("status") in ("done", "failed") else None

    status, body = upload(f"{base}/api/v1/residents/imports/", api_key, "smoke.csv", content)
    expect(status == 201, "a residents file uploaded with the API key answers 201" if status == 201
           else f"the upload answered {status}: {body[:300]!r}")
    job = wait_for("the worker to import the file", lambda: imported(json.loads(body)["id"]), 60)
    counts = {key: job[key] for key in ("rows", "created", "updated", "unchanged", "errors")}
    expect(job["status"] == "done" and counts == {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "errors": 1},
           f"the worker imported it: {counts} ({job['message']})")
    path = f"/api/v1/residents/imports/{job['id']}/errors/"
    expect((job["error_report"] or "").endswith(path), f"the job names its error report ({job['error_report']})")
    status, headers, report = http("GET", base + path, headers={"Authorization": f"Token {api_key}"})
    expect(status == 200 and report.startswith(b"PK") and headers.get("Cache-Control") == "no-store",
           "the error report downloads as .xlsx, not cached")
    from residents.models import ResidentImport

    stored = ResidentImport.objects.get(pk=job["id"]).file
    kept = Path(stored.storage.path(stored.name)).read_bytes()  # the bytes on disk (opening it decrypts)
    expect(kept.startswith(b"GOVENC1") and good[0].encode() not in kept and "冒烟居民".encode() not in kept,
           "the stored upload is encrypted on disk")
    status, body = upload(f"{base}/api/v1/residents/imports/", api_key, "smoke.csv", content)
    again = wait_for("the worker to import the file again", lambda: imported(json.loads(body)["id"]), 60)
    counts = {key: again[key] for key in ("rows", "created", "updated", "unchanged", "errors")}
    expect(counts == {"rows": 3, "created": 0, "updated": 0, "unchanged": 2, "errors": 1},
           f"importing it again changes nothing: {counts}")
    # The same rows as an .xlsx: production_check.sh sets IMPORT_XLSX_CALAMINE_CELLS so low
    # that the worker reads it as it reads a sheet too big to hold whole (in parts, through
    # a scratch workbook in var/tmp).
    from openpyxl import Workbook

    workbook = Workbook()
    for line in lines:
        workbook.active.append(line.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    status, body = upload(f"{base}/api/v1/residents/imports/", api_key, "smoke.xlsx", buffer.getvalue())
    sheet = wait_for("the worker to import the .xlsx", lambda: imported(json.loads(body)["id"]), 60)
    counts = {key: sheet[key] for key in ("rows", "created", "updated", "unchanged", "errors")}
    expect(counts == {"rows": 3, "created": 0, "updated": 0, "unchanged": 2, "errors": 1},
           f"the same rows as an .xlsx read in parts change nothing: {counts} ({sheet['message']})")
    scratch = Path(os.environ["GOVERNANCE_VAR_DIR"]) / "tmp"
    left = sorted(path.name for path in scratch.iterdir()) if scratch.exists() else []
    expect(not left, f"no clear file is left in var/tmp ({left})")

    print("key places import")
    places = (f"场所名称,场所类型,所属网格,联系电话\r\n冒烟学校,学校,{grid.code},0738-8312345\r\n"
              f"冒烟网吧,网吧,{grid.code},1.38001E+10\r\n").encode("gbk")
    outcomes = []
    for attempt in ("first", "again"):
        status, body = upload(f"{base}/api/v1/residents/imports/", api_key, "smoke-places.csv", places, kind="key_places")
        expect(status == 201, f"a key places ledger ({attempt}) uploaded with kind=key_places answers 201" if status == 201
               else f"the upload answered {status}: {body[:300]!r}")
        job_id = json.loads(body)["id"]
        job = wait_for("the key places import", lambda job_id=job_id: imported(job_id), 60)
        outcomes.append({key: job[key] for key in ("kind", "status", "rows", "created", "unchanged", "errors")})
    expect(outcomes == [{"kind": "key_places", "status": "done", "rows": 2, "created": 1, "unchanged": 0, "errors": 1},
                        {"kind": "key_places", "status": "done", "rows": 2, "created": 0, "unchanged": 1, "errors": 1}],
           f"the ledger imported, then changed nothing: {outcomes}")

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
    expect("冒烟居民" not in everything and not any(number in everything for number in (*good, bad)),
           "no log holds a resident's name or ID number")


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
