#!/usr/bin/env python
"""Benchmark: patrol coverage of a whole city over a month, and track-point ingestion
through the API, on PostgreSQL.

Run by hand (not part of the test suite) against a benchmark database of its own:

    createdb -h 127.0.0.1 -U postgres governance_bench_patrols
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_bench_patrols
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py generate_city --grids 15000 --seed 16
    # ten buildings per grid, so building items have objects (set-based, seconds)
    psql "$DATABASE_URL" -c "INSERT INTO residents_building (grid_id, name, address, lat, lon, leader_name,
        leader_phone, created_at) SELECT g.id, n || '号楼', '', g.label_lat, g.label_lon, '', '', '2026-01-01'
        FROM grids_area g CROSS JOIN generate_series(1, 10) n WHERE g.level = 'grid'"
    # the checklist is due from the day it was published: publish the seeded one in January
    psql "$DATABASE_URL" -c "UPDATE patrols_patrolitemversion SET created_at = '2026-01-01 00:00+08'"
    # October 2026: 10 rounds per grid, 133 fixes and 7 checks each → ~20 M points, ~1 M checks
    .venv/bin/python manage.py generate_city --add-patrols --patrol-days 31 --until 2026-11-01 \\
        --patrol-rounds-per-week 2.3 --patrol-points 133 --patrol-checks 7 --seed 16
    CELERY_BROKER_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/bench_patrols.py --month 2026-10

1. Coverage: ``patrols.coverage.coverage_compute`` for every grid of the city over the
   month (what the coverage page and API run for a city-wide user), then for every
   street and every grid worker; --repeat times each, median. Target (issue 16): < 5 s.
   With --assessment: the assessment's rankings with the patrol ratios (every grid,
   street, grid worker) and a snapshot's computation of every unit.
2. Ingestion: gunicorn (--workers, DEBUG off) on --port; --clients grid workers each
   start a round through ``POST /api/v1/patrols/rounds/`` and send batches of points to
   ``POST /api/v1/patrols/rounds/<id>/track/`` for --seconds, once per batch size of
   --batch (comma-separated). The default sizes are the phone's real ones
   (static/js/patrol-round.js): 60 (a minute of fixes at 1 Hz, sent every 60 s online),
   100 (its cap per batch online) and 500 (the offline queue's merged replay). Target: at
   least 5,000 points per second.

Figures and conditions: docs/patrols.md (Benchmark).
"""

import argparse
import base64
import json
import os
import secrets
import statistics
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("DEBUG", "1")

from bench_api import request, start_gunicorn  # noqa: E402


def coverage(month: str, repeat: int) -> None:
    from django.db import connection

    from patrols.coverage import coverage_compute
    from patrols.models import PatrolCheck, PatrolRound, PatrolSlot, TrackPoint

    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    rounds = PatrolRound.objects.filter(started_at__date__gte=first, started_at__date__lte=last)
    print(f"month {first}..{last}: {rounds.count():,} rounds, "
          f"{PatrolCheck.objects.filter(checked_at__date__gte=first, checked_at__date__lte=last).count():,} checks, "
          f"{PatrolSlot.objects.filter(period_start__gte=first - timedelta(days=92), period_start__lte=last).count():,} slots; "
          f"{TrackPoint.objects.count():,} track points in the database")
    from accounts.models import RoleAssignment
    from grids.models import Area

    streets = list(Area.objects.filter(level="street").values_list("id", "path", "code", "name"))
    workers = {}
    for user_id, area_id in RoleAssignment.objects.filter(revoked_at__isnull=True, role="grid_worker",
                                                          area__level="grid").values_list("user_id", "area_id"):
        workers.setdefault(user_id, (str(user_id), []))[1].append(area_id)
    for kind, extra in (("grid", {}), ("street", {"units": streets}), ("worker", {"workers": workers})):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            units = coverage_compute(kind=kind, first=first, last=last, grids=None, **extra)
            times.append(time.perf_counter() - started)
        checked = sum(unit.measures["slots_checked"] for unit in units)
        due = sum(unit.measures["slots_due"] for unit in units)
        print(f"coverage per {kind}: {len(units):,} units, {checked:,} of {due:,} due slots checked; "
              f"runs {', '.join(f'{t:.2f}' for t in times)} s, median {statistics.median(times):.2f} s")


def assessment(month: str, repeat: int) -> None:
    """The assessment with its patrol ratios (assessment.patrol): every grid, street and
    grid worker (what the rankings run), and every unit of every kind (a snapshot)."""
    from assessment.periods import period_parse
    from assessment.selectors import ratios_current, results_compute, results_compute_all

    period = period_parse(month)
    patrol = [ratio.code for ratio in ratios_current() if ratio.patrol]
    for kind in ("grid", "street", "worker"):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            units = results_compute(user=None, kind=kind, period=period)
            times.append(time.perf_counter() - started)
        scored = sum(1 for unit in units if unit.score is not None)
        print(f"assessment per {kind} with {len(patrol)} patrol ratios: {len(units):,} units, {scored:,} scored; "
              f"runs {', '.join(f'{t:.2f}' for t in times)} s, median {statistics.median(times):.2f} s", flush=True)
    started = time.perf_counter()
    every = results_compute_all(period=period)
    print(f"assessment of every unit of every kind (a snapshot's computation): "
          f"{sum(len(units) for units in every.values()):,} units in {time.perf_counter() - started:.2f} s", flush=True)


def ingestion(port: int, workers: int, clients: int, batch: int, seconds: float) -> None:
    from accounts.models import RoleAssignment, User
    from api.services import api_client_create
    from patrols.models import TrackPoint

    env = dict(os.environ)
    env.update(DEBUG="0", LOG_LEVEL="WARNING", API_THROTTLE_RATE="1000000/second", API_USER_THROTTLE_RATE="1000000/second")
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    env.setdefault("GOVERNANCE_PII_KEY", base64.b64encode(os.urandom(32)).decode())
    walkers = list(RoleAssignment.objects.filter(revoked_at__isnull=True, role="grid_worker", area__level="grid")
                   .exclude(user__patrol_rounds__status="open").values_list("user_id", "area_id")[:clients])
    keys = []
    for user_id, grid_id in walkers:
        _client, key = api_client_create(actor=None, name=f"bench patrol {time.strftime('%H:%M:%S')}",
                                         user=User.objects.get(pk=user_id))
        keys.append((key, grid_id))
    server = start_gunicorn(env, port, workers)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(port, "GET", "/api/v1/patrols/catalogue/", keys[0][0])[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("gunicorn did not answer")
            time.sleep(0.5)
        began = time.time() - 12 * 3600
        rounds = []
        for key, grid_id in keys:
            status, data, _ = request(port, "POST", "/api/v1/patrols/rounds/", key,
                                      {"key": secrets.token_hex(16), "grid": grid_id,
                                       "at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(began))})
            assert status == 201, (status, data[:300])
            rounds.append(json.loads(data)["id"])
        accepted, latencies, lock = [0], [], threading.Lock()
        stop = time.monotonic() + seconds
        import http.client

        def client(index):
            key, round_id = keys[index][0], rounds[index]
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            step, mine, times = 0, 0, []
            while time.monotonic() < stop:
                points = [{"at": int((began + step + i) * 1000), "lat": 27.7 + (step + i) * 1e-6, "lon": 112.0,
                           "accuracy": 8} for i in range(batch)]
                step += batch
                status, data, elapsed = request(port, "POST", f"/api/v1/patrols/rounds/{round_id}/track/", key,
                                                {"points": points}, connection)
                assert status == 200, (status, data[:300])
                mine += json.loads(data)["accepted"]
                times.append(elapsed)
            connection.close()
            with lock:
                accepted[0] += mine
                latencies.extend(times)

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(index,)) for index in range(len(keys))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        load = os.getloadavg()[0]
        print(f"ingestion: {clients} clients × batches of {batch}, {workers} gunicorn workers: {accepted[0]:,} points in "
              f"{wall:.1f} s = {accepted[0] / wall:,.0f} points/s; {len(latencies)} requests, "
              f"p50 {1000 * statistics.median(latencies):.0f} ms; load average {load:.1f}; "
              f"{TrackPoint.objects.count():,} track points in the database", flush=True)
        for (key, _grid), round_id in zip(keys, rounds, strict=True):
            request(port, "POST", f"/api/v1/patrols/rounds/{round_id}/end/", key, {})
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=18716)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch", default="60,100,500", help="batch sizes, comma-separated (the phone's: 60, 100, 500)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--skip-coverage", action="store_true")
    parser.add_argument("--skip-ingestion", action="store_true")
    parser.add_argument("--assessment", action="store_true", help="also time the assessment with its patrol ratios")
    args = parser.parse_args()
    import django

    django.setup()
    if not args.skip_coverage:
        coverage(args.month, args.repeat)
    if args.assessment:
        assessment(args.month, args.repeat)
    if not args.skip_ingestion:
        for batch in (int(size) for size in args.batch.split(",")):
            ingestion(args.port, args.workers, args.clients, batch, args.seconds)


if __name__ == "__main__":
    main()
