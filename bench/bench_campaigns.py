#!/usr/bin/env python
"""Benchmark: a door-to-door campaign over every household of a generated city.

Run by hand (not part of the test suite), on PostgreSQL, in a database holding a city
generated with residents (never a shared original), e.g.:

    createdb -h 127.0.0.1 -U postgres gov_campaigns_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gov_campaigns_bench DEBUG=1 \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=… DEBUG=1 .venv/bin/python manage.py generate_city --grids 1000 --residents 1000000 --seed 17
    DATABASE_URL=… CELERY_BROKER_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python bench/bench_campaigns.py --port 18817

It measures, in one run:

1. publishing a campaign over every household of the city (``campaign_publish``: one
   ``INSERT … SELECT`` of the targets and the counters built from them). Target: < 60 s.
2. answers through ``POST /api/v1/campaigns/targets/<id>/answers/`` under gunicorn
   (--workers sync workers, DEBUG off), --concurrency clients for --seconds, each client
   acting as one of the grid workers (their own API key) and answering their own targets
   (4 in 5 visited, 1 in 5 nobody home); with ``--batch N``, each request is a phone's
   queue of N answers to ``POST /api/v1/campaigns/answers/``. Target: 200 answers/s.
3. at the same time, the progress roll-up: ``GET …/progress/`` (the city's node and its
   children) and ``GET …/progress/?tree=1`` (every node down to the grids) one after the
   other by one more client, and the selector in this process. Target: < 200 ms.
4. afterwards, that the maintained counters equal a recount of the targets.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_grids import percentile  # noqa: E402

FORM = [
    {"code": "has_gas", "label": "是否使用燃气", "type": "yesno", "required": True},
    {"code": "leak", "label": "是否有泄漏", "type": "yesno", "required": True, "when": {"field": "has_gas", "equals": "yes"},
     "problem": {"equals": "yes"}},
    {"code": "note", "label": "备注", "type": "text"},
]


def environment() -> dict:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "bench.bench_campaigns_settings"
    env["DEBUG"] = "0"
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    env.setdefault("GOVERNANCE_PII_KEY", base64.b64encode(os.urandom(32)).decode())
    env["LOG_LEVEL"] = "WARNING"
    return env


def stats(times: list[float]) -> dict:
    return {"n": len(times), "p50_ms": round(1000 * statistics.median(times), 1),
            "p95_ms": round(1000 * percentile(times, 0.95), 1), "max_ms": round(1000 * max(times), 1)}


def prepare(city_code: str, clients: int, reuse: bool = False) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from api.services import api_client_create
    from campaigns.models import Campaign, Target
    from campaigns.services import campaign_create, campaign_publish
    from grids.models import Area
    from residents.models import Household, Resident

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    city = Area.objects.get(code=city_code)
    admin, _ = User.objects.get_or_create(username="bench_campaigns", defaults={"is_superuser": True, "is_staff": True})
    today = timezone.localdate()
    campaign = campaign_create(actor=admin, area=city, name=f"bench {time.strftime('%H:%M:%S')}", target_kind="household",
                               form=FORM, starts_on=today, ends_on=today + __import__("datetime").timedelta(days=10),
                               problem_category="0804")
    started = time.perf_counter()
    previous = Campaign.objects.filter(created_by=admin, state="published").order_by("-pk").first() if reuse else None
    if previous is not None:  # answer the targets still open of the last run's campaign
        campaign.delete()
        campaign, count, publish_seconds = previous, Target.objects.filter(campaign=previous).count(), None
    else:
        count = campaign_publish(actor=admin, campaign=campaign)
        publish_seconds = time.perf_counter() - started
    # The workers with the most targets still to visit, each with their own key and targets.
    workers = (Target.objects.filter(campaign=campaign, worker__isnull=False, status="pending").values("worker_id")
               .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id")).order_by("-n")[:clients])
    keys = []
    for row in workers:
        user = User.objects.get(pk=row["worker_id"])
        _client, key = api_client_create(actor=None, name=f"bench {user.username}", user=user)
        targets = list(Target.objects.filter(campaign=campaign, worker=user, status="pending").values_list("pk", flat=True))
        keys.append((key, targets))
    _client, admin_key = api_client_create(actor=None, name="bench admin", user=admin)
    return {"campaign": campaign.pk, "targets": count, "publish_seconds": publish_seconds, "keys": keys,
            "admin_key": admin_key, "residents": Resident.objects.count(), "households": Household.objects.count(),
            "grids": Area.objects.filter(path__startswith=city.path, level="grid").count()}


def request(connection, method, path, key, body=None, headers=None):
    all_headers = {"Authorization": f"Token {key}", "Accept": "application/json", **(headers or {})}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    connection.request(method, path, body=payload, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    return response.status, data, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--city-code", default="439900000000")
    parser.add_argument("--port", type=int, default=18817)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--reuse", action="store_true", help="answer the last run's campaign instead of publishing anew")
    parser.add_argument("--batch", type=int, default=1,
                        help="answers per request: 1 posts each to targets/<id>/answers/; more posts a phone's queue "
                             "of that many to answers/ at once")
    args = parser.parse_args()
    env = environment()
    os.environ.update({key: env[key] for key in ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "GOVERNANCE_PII_KEY")})
    prepared = prepare(args.city_code, args.concurrency, args.reuse)
    campaign = prepared["campaign"]
    print(json.dumps({key: value for key, value in prepared.items() if key not in ("keys", "admin_key")}), flush=True)

    from campaigns.counters import progress_drift
    from campaigns.models import Campaign
    from campaigns.selectors import progress_rows, progress_tree

    admin = __import__("accounts.models", fromlist=["User"]).User.objects.get(username="bench_campaigns")
    record = Campaign.objects.select_related("area").get(pk=campaign)
    quiet = []
    for _ in range(20):
        started = time.perf_counter()
        progress_tree(admin, record)
        quiet.append(time.perf_counter() - started)
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(args.workers), "-b",
                               f"127.0.0.1:{args.port}", "--chdir", str(ROOT), "--log-level", "warning",
                               "governance.wsgi"], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
                if request(connection, "GET", f"/api/v1/campaigns/{campaign}/", prepared["admin_key"])[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer")
            time.sleep(0.5)
        results, lock = {"ok": [], "replayed": 0, "failed": []}, threading.Lock()
        rollup = {"node": [], "tree": [], "selector": []}
        stop = time.monotonic() + args.seconds

        def answering(index, key, targets):
            rng = random.Random(index)
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
            rng.shuffle(targets)
            ok, failed = [], []

            def body_for(target):
                visited = rng.random() < 0.8
                return {"outcome": "visited" if visited else "not_home",
                        "values": {"has_gas": "yes", "leak": "yes" if rng.random() < 0.05 else "no"} if visited else {},
                        "latitude": 27.7, "longitude": 112.0}

            for start in range(0, len(targets), args.batch):
                if time.monotonic() > stop:
                    break
                chunk = targets[start:start + args.batch]
                if args.batch == 1:
                    status, data, elapsed = request(connection, "POST", f"/api/v1/campaigns/targets/{chunk[0]}/answers/",
                                                    key, body_for(chunk[0]), {"Idempotency-Key": secrets.token_hex(16)})
                    (ok if status == 201 else failed).append(elapsed if status == 201 else (status, data[:200]))
                    continue
                answers = [{"target": target, "idempotency_key": secrets.token_hex(16), **body_for(target)}
                           for target in chunk]
                status, data, elapsed = request(connection, "POST", "/api/v1/campaigns/answers/", key, {"answers": answers})
                results_ = json.loads(data)["results"] if status == 200 else []
                for result in results_:
                    (ok if result["status"] == 201 else failed).append(elapsed if result["status"] == 201 else result)
                if status != 200:
                    failed.append((status, data[:200]))
            connection.close()
            with lock:
                results["ok"].extend(ok)
                results["failed"].extend(failed)

        def watching():
            connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
            while time.monotonic() < stop:
                for name, path in (("node", f"/api/v1/campaigns/{campaign}/progress/"),
                                   ("tree", f"/api/v1/campaigns/{campaign}/progress/?tree=1")):
                    status, data, elapsed = request(connection, "GET", path, prepared["admin_key"])
                    assert status == 200, (status, data[:300])
                    rollup[name].append(elapsed)
                started = time.perf_counter()
                progress_rows(record, record.area)
                progress_tree(admin, record)
                rollup["selector"].append(time.perf_counter() - started)
                time.sleep(0.2)

        threads = [threading.Thread(target=answering, args=(index, key, list(targets)))
                   for index, (key, targets) in enumerate(prepared["keys"])]
        threads.append(threading.Thread(target=watching))
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
        from django.db import connection as db

        db.close()
        drift = progress_drift(record)
        tree_rows = len(progress_tree(admin, record))
        print(json.dumps({
            "answers_ok": len(results["ok"]), "answers_failed": len(results["failed"]),
            "first_failure": str(results["failed"][0]) if results["failed"] else None,
            "answers_per_second": round(len(results["ok"]) / wall, 1), "answers_per_request": args.batch,
            "gunicorn_workers": args.workers, "clients": args.concurrency,
            "request_latency": stats(results["ok"]),
            "rollup_quiet_selector": stats(quiet), "rollup_node_api": stats(rollup["node"]),
            "rollup_tree_api": stats(rollup["tree"]), "rollup_selectors_under_load": stats(rollup["selector"]),
            "tree_rows": tree_rows, "counter_drift_rows": len(drift), "load": os.getloadavg(),
        }, indent=1), flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
