#!/usr/bin/env python
"""Benchmark: the REST API under gunicorn on PostgreSQL.

Run by hand (not part of the test suite) against a copy of the benchmark database
(a generated city with 1,000,000 events; never the shared original):

    createdb -h 127.0.0.1 -U postgres -T governance_bench governance_bench_api
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_bench_api \\
    BARE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_bench_bare \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python bench/bench_api.py --user g4399_disp439901

Give it a broker database of its own: filing queues notification deliveries, which the
script purges from the broker when it is done.

It migrates both databases (the baseline's one-field model goes into its own
database, BARE_DATABASE_URL, created when missing), creates an API client for --user,
starts gunicorn (--workers sync workers, settings bench/bench_settings.py, DEBUG off)
and measures, in the same run:

1. events filed per second through ``POST /api/v1/events/`` (JSON, a location inside
   one of the user's grids, no photos) against a bare DRF create endpoint on a
   one-field model (``POST /bench/bare/``, same middleware, authentication and
   rate-limit classes), --concurrency clients for --seconds each, alternating
   --rounds times; filing twice: with the broker up, and on a second gunicorn whose
   broker is down (a port nothing listens on; the cache stays on Redis). Target
   (issue 20): at least half the baseline's rate, broker up and down.
2. transitions per second through the entry point on one connection, in this process
   (``event_transition``: accept, dispatch, sign, feedback, verify_pass, assess on
   --transition-events freshly filed events, as the street's dispatcher, the
   department's handler and the grid's worker). Target: at least 300/s.
3. the event list as the user (a district dispatcher) and as --handler (a department
   handler; default: the handler with the most dispatched events): the first page and
   a deep page (a cursor positioned past the --deep newest events the user sees, as a
   client paging there gets it), --requests times each, one at a time. Target (issue
   20): p95 under 30 ms at 1,000,000 events.

Figures and what they depend on: docs/api.md (Benchmark).
"""

import argparse
import base64
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_grids import ensure_database, percentile  # noqa: E402


def environment() -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    env["DEBUG"] = "0"
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    env.setdefault("GOVERNANCE_PII_KEY", base64.b64encode(os.urandom(32)).decode())
    env["LOG_LEVEL"] = "WARNING"
    return env


def _deep_cursor(account, deep: int) -> str:
    from accounts.scoping import events_visible_to

    visible = events_visible_to(account).order_by("-reported_at", "-id").values_list("reported_at", flat=True)
    position = visible[deep:deep + 1].first() or visible[visible.count() // 2]  # fewer than ``deep``: halfway
    return base64.b64encode(urlencode({"p": str(position)}).encode()).decode()


def _busiest_handler() -> str:
    from django.db.models import Count

    from accounts.models import Role, RoleAssignment
    from events.models import Event

    department = (Event.objects.filter(primary_department__isnull=False).values("primary_department_id")
                  .annotate(count=Count("id")).order_by("-count").first()["primary_department_id"])
    return (RoleAssignment.objects.filter(role=Role.DEPT_HANDLER, department_id=department, revoked_at__isnull=True)
            .values_list("user__username", flat=True).first())


def prepare(user: str, deep: int, handler: str | None) -> dict:
    import django
    from django.core.management import call_command

    django.setup()
    from accounts.models import User
    from accounts.scoping import grids_visible_to
    from api.services import api_client_create
    from events.models import Event

    call_command("migrate", verbosity=0)
    call_command("migrate", database="bare", verbosity=0)
    from django.db import connection

    with connection.cursor() as cursor:
        # Generated events carry no django-guardian grants (dispatch writes them for real
        # ones): give each dispatched event its department's grant, so a handler's list
        # is what it would be in a real city (idempotent).
        cursor.execute("""
            INSERT INTO events_eventgroupobjectpermission (permission_id, group_id, content_object_id, reported_at)
            SELECT permission.id, department.group_id, event.id, event.reported_at
            FROM events_event event JOIN accounts_department department ON department.id = event.primary_department_id
            CROSS JOIN (SELECT auth_permission.id FROM auth_permission JOIN django_content_type
                        ON django_content_type.id = auth_permission.content_type_id
                        WHERE app_label = 'events' AND codename = 'view_event') permission
            WHERE department.group_id IS NOT NULL
            ON CONFLICT DO NOTHING""")
        # A database filled by COPY has no planner statistics until autovacuum gets to it
        # (a copy made with createdb -T has none either): without them the planner reads
        # every matching row of a filtered list instead of walking an index in order.
        cursor.execute("ANALYZE")
        # On a fresh copy the grants above are hundreds of thousands of new rows: vacuum them
        # and write them out now, or autovacuum and the checkpoint they bring run in the
        # middle of the measurements (filing ran at 0.40–0.53 of the bare rate from one
        # run to the next without this).
        cursor.execute("VACUUM (ANALYZE) events_eventgroupobjectpermission")
        cursor.execute("CHECKPOINT")
    account = User.objects.get(username=user)
    _client, key = api_client_create(actor=None, name=f"bench {time.strftime('%H:%M:%S')}", user=account)
    handler = User.objects.get(username=handler or _busiest_handler())
    _client, handler_key = api_client_create(actor=None, name=f"bench handler {time.strftime('%H:%M:%S')}", user=handler)
    points = list(grids_visible_to(account).filter(label_lat__isnull=False).values_list("label_lat", "label_lon")[:1000])
    total = Event.objects.count()
    return {"key": key, "points": points, "deep_cursor": _deep_cursor(account, deep), "events": total,
            "handler": handler.username, "handler_key": handler_key, "handler_deep_cursor": _deep_cursor(handler, deep)}


def transitions_rate(count: int) -> dict:
    """Transitions per second through ``event_transition`` on this process's one
    connection: ``count`` events filed in a street's grid, each walked from accept to
    assess by the people whose turn it is."""
    from accounts.models import Department, Role, RoleAssignment
    from accounts.scoping import ancestor_paths
    from grids.models import Area
    from workflow.services import event_file, event_transition

    def holder(**where):
        return RoleAssignment.objects.filter(revoked_at__isnull=True, **where).select_related("user").first().user

    assignment = RoleAssignment.objects.filter(role=Role.GRID_WORKER, revoked_at__isnull=True,
                                               area__label_lat__isnull=False).select_related("area", "user").first()
    grid, worker = assignment.area, assignment.user
    department = (Department.objects.filter(kind="urban_management", is_active=True, area__path__in=ancestor_paths(grid.path))
                  .order_by("-area__depth").first())
    street = Area.objects.filter(path__in=ancestor_paths(grid.path), level="street").first()
    dispatcher = holder(role=Role.DISPATCHER, area=street)
    handler = holder(role=Role.DEPT_HANDLER, department=department)
    events = [event_file(actor=worker, channel="grid_worker", category="0101", description="基准测试：流转",
                         latitude=grid.label_lat, longitude=grid.label_lon)[0] for _ in range(count)]
    steps = [(dispatcher, "accept", {}), (dispatcher, "dispatch", {"primary": department.pk}), (handler, "sign", {}),
             (handler, "feedback", {"result": "已处理"}), (worker, "verify_pass", {}),
             (dispatcher, "assess", {"rating": "satisfied"})]
    times = []
    started = time.perf_counter()
    for event in events:
        for actor, name, params in steps:
            begun = time.perf_counter()
            event_transition(actor=actor, event_id=event.pk, name=name, **params)
            times.append(time.perf_counter() - begun)
    wall = time.perf_counter() - started
    return {"transitions": len(times), "rate": len(times) / wall, "p50_ms": 1000 * statistics.median(times),
            "p95_ms": 1000 * percentile(times, 0.95)}


# The server's settings that move these figures most (docs/deployment.md, PostgreSQL settings).
SERVER_SETTINGS = ("shared_buffers", "wal_compression", "checkpoint_timeout", "max_wal_size", "synchronous_commit")


def server_settings() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s)", [list(SERVER_SETTINGS)])
        found = {name: f"{setting}{' × ' + unit if unit and unit[0].isdigit() else unit or ''}" for name, setting, unit in cursor.fetchall()}
    return {name: found.get(name) for name in SERVER_SETTINGS}


def broker_down(env: dict) -> dict:
    """The same settings with the broker on a port nothing listens on (the cache stays on
    the broker's Redis: only the broker is down)."""
    down = dict(env)
    down.setdefault("CACHE_URL", env.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    down["CELERY_BROKER_URL"] = "redis://127.0.0.1:9/0"
    return down


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--chdir", str(ROOT), "--log-level", "warning", "governance.wsgi"]
    return subprocess.Popen(command, env=env)


def wait_ready(port: int, key: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _body, _elapsed = request(port, "GET", "/api/v1/categories/", key)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer")


def request(port: int, method: str, path: str, key: str, body=None, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Token {key}", "Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    if own:
        connection.close()
    return response.status, data, elapsed


def load(port: int, key: str, path: str, make_body, seconds: float, concurrency: int, expect: int) -> dict:
    """``concurrency`` clients (keep-alive connections) POST for ``seconds``."""
    latencies, failures = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed):
        rng = random.Random(seed)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad = [], []
        while time.monotonic() < deadline:
            status, data, elapsed = request(port, "POST", path, key, make_body(rng), connection)
            (mine if status == expect else bad).append(elapsed if status == expect else (status, data[:200]))
        connection.close()
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(index,)) for index in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    return {"ok": len(latencies), "failed": len(failures), "first_failure": failures[0] if failures else None,
            "rate": len(latencies) / wall, "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
            "p95_ms": 1000 * percentile(latencies, 0.95) if latencies else None}


def timed_gets(port: int, key: str, path: str, count: int) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times, rows = [], 0
    for _ in range(count):
        status, data, elapsed = request(port, "GET", path, key, connection=connection)
        assert status == 200, (status, data[:300])
        rows = len(json.loads(data)["results"])
        times.append(elapsed)
    connection.close()
    return {"rows": rows, "p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * percentile(times, 0.95),
            "max_ms": 1000 * max(times)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user", required=True, help="the account the API client acts as (e.g. a district dispatcher)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--deep", type=int, default=900_000, help="position of the deep page among the newest events")
    parser.add_argument("--port", type=int, default=8766, help="gunicorn's port (the broker-down one: port + 1)")
    parser.add_argument("--handler", help="the department handler whose lists are timed (default: the busiest)")
    parser.add_argument("--transition-events", type=int, default=100)
    args = parser.parse_args()

    env = environment()
    os.environ.update(env)
    ensure_database(env["BARE_DATABASE_URL"])
    setup = prepare(args.user, args.deep, args.handler)
    servers = {"up": start_gunicorn(env, args.port, args.workers),
               "down": start_gunicorn(broker_down(env), args.port + 1, args.workers)}
    ports = {"up": args.port, "down": args.port + 1}
    try:
        for port in ports.values():
            wait_ready(port, setup["key"])
        points = setup["points"]

        def event_body(rng):
            lat, lon = rng.choice(points)
            return {"category": rng.choice(["0101", "0102", "0901", "0904"]), "description": "基准测试：路面问题",
                    "latitude": lat, "longitude": lon}

        def bare_body(rng):
            return {"text": "基准测试"}

        for port in ports.values():  # warm every worker
            for path, body in (("/bench/bare/", bare_body), ("/api/v1/events/", event_body)):
                load(port, setup["key"], path, body, 2, args.concurrency, 201)
        results = {"bare": [], "events": [], "events_broker_down": []}
        for _round in range(args.rounds):
            results["bare"].append(load(ports["up"], setup["key"], "/bench/bare/", bare_body, args.seconds, args.concurrency, 201))
            results["events"].append(load(ports["up"], setup["key"], "/api/v1/events/", event_body, args.seconds,
                                          args.concurrency, 201))
            results["events_broker_down"].append(load(ports["down"], setup["key"], "/api/v1/events/", event_body,
                                                      args.seconds, args.concurrency, 201))
        transitions = transitions_rate(args.transition_events)
        lists = {}
        for who, key, cursor in (("dispatcher", setup["key"], setup["deep_cursor"]),
                                 ("handler", setup["handler_key"], setup["handler_deep_cursor"])):
            lists[f"{who} first_page"] = timed_gets(ports["up"], key, "/api/v1/events/", args.requests)
            lists[f"{who} deep_page"] = timed_gets(ports["up"], key, f"/api/v1/events/?cursor={cursor}", args.requests)
        lists["dispatcher filtered_first_page"] = timed_gets(ports["up"], setup["key"], "/api/v1/events/?state=handling&overdue=true",
                                                             args.requests)
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)
        # Filing queued notification deliveries for the copy's events: drop them, so a
        # worker on this broker does not chew through them (give the bench a broker
        # database of its own).
        from governance.celery import app

        print(f"purged {app.control.purge()} queued tasks from {env.get('CELERY_BROKER_URL', 'the broker')}", file=sys.stderr)
    bare_rate = statistics.mean(run["rate"] for run in results["bare"])
    events_rate = statistics.mean(run["rate"] for run in results["events"])
    down_rate = statistics.mean(run["rate"] for run in results["events_broker_down"])
    server = server_settings()
    report = {"events_in_database": setup["events"], "server": server, "load": os.getloadavg(), "user": args.user, "handler": setup["handler"], "workers": args.workers,
              "concurrency": args.concurrency, "create": results, "bare_rate": round(bare_rate, 1),
              "events_rate": round(events_rate, 1), "ratio": round(events_rate / bare_rate, 3),
              "events_rate_broker_down": round(down_rate, 1), "ratio_broker_down": round(down_rate / bare_rate, 3),
              "transitions": transitions, "lists": lists}
    print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"\nevents in the database: {setup['events']:,}; load {os.getloadavg()[0]:.2f}; PostgreSQL "
          + ", ".join(f"{name} {value}" for name, value in server.items()))
    print(f"POST /api/v1/events/: {events_rate:.1f}/s (broker down: {down_rate:.1f}/s)   bare DRF create: {bare_rate:.1f}/s   "
          f"ratio {events_rate / bare_rate:.2f} (broker down {down_rate / bare_rate:.2f}; target ≥ 0.5)")
    print(f"transitions through event_transition, one connection: {transitions['rate']:.0f}/s "
          f"(p50 {transitions['p50_ms']:.1f} ms, p95 {transitions['p95_ms']:.1f} ms; target ≥ 300/s)")
    for name, figures in lists.items():
        print(f"GET {name}: p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms ({figures['rows']} rows; target p95 < 30 ms)")


if __name__ == "__main__":
    main()
