#!/usr/bin/env python
"""Benchmark: point → grid resolution and subtree listing on a generated city.

Run by hand (not part of the test suite), on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_bench \
        .venv/bin/python bench/bench_grids.py --grids 15000

It creates the database when missing, migrates it, generates the city (reusing it when
the same --grids/--seed city is there), then measures:

- point → grid: build time of the index, then median / p95 per lookup over random
  points in the city's bounding box (inside and outside grids);
- subtree listing at street level: every area row under each street, fetched, and the
  same through the scoping selector as that street's dispatcher; median / p95 / max;
- the same at district level for comparison.

Targets (issue 2): under 0.2 ms per lookup, under 20 ms per street subtree listing.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("DEBUG", "1")


def ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg2

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    conn = psycopg2.connect(host=parsed.hostname, port=parsed.port or 5432, user=parsed.username,
                            password=parsed.password, dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grids", type=int, default=15000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lookups", type=int, default=20000)
    parser.add_argument("--regenerate", action="store_true", help="generate the city anew even if present")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it is created when missing).")
    ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries

    from accounts.models import Role, RoleAssignment
    from accounts.scoping import areas_visible_to
    from governance.generation import city_delete, generate_city
    from grids import spatial
    from grids.models import Area

    call_command("migrate", verbosity=0)
    city_code = "439900000000"
    existing = Area.objects.filter(code__startswith=city_code[:4], level="grid").count()
    if args.regenerate or existing != args.grids:
        city_delete(city_code)
        city = generate_city(grids=args.grids, seed=args.seed, city_code=city_code)
        print(f"generated {city.grids} grids, {city.users} users, {city.assignments} assignments in {city.seconds:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    city = Area.objects.get(code=city_code)
    results = {"grids": args.grids, "database": connection.vendor, "server_version": connection.pg_version}

    # Point → grid.
    spatial.invalidate()
    started = time.perf_counter()
    spatial.grid_id_at(lat=city.label_lat, lon=city.label_lon)
    results["index_build_s"] = round(time.perf_counter() - started, 3)
    rng = random.Random(args.seed)
    points = [(rng.uniform(city.min_lat, city.max_lat), rng.uniform(city.min_lon, city.max_lon)) for _ in range(args.lookups)]
    timings = []
    hits = 0
    for lat, lon in points:
        started = time.perf_counter_ns()
        found = spatial.grid_id_at(lat=lat, lon=lon)
        timings.append((time.perf_counter_ns() - started) / 1000)
        hits += found is not None
    results["lookup_us_median"] = round(statistics.median(timings), 1)
    results["lookup_us_p95"] = round(percentile(timings, 0.95), 1)
    results["lookup_hits"] = hits
    results["lookups"] = len(points)

    # Subtree listing.
    def listing(level):
        nodes = list(Area.objects.filter(path__startswith=city.path, level=level))
        plain, scoped, sizes = [], [], []
        for node in nodes:
            started = time.perf_counter()
            rows = list(Area.objects.filter(path__startswith=node.path))
            plain.append((time.perf_counter() - started) * 1000)
            sizes.append(len(rows))
            holder = RoleAssignment.objects.filter(area=node, role=Role.DISPATCHER).select_related("user").first()
            if holder is not None:
                user = holder.user
                started = time.perf_counter()
                rows = list(areas_visible_to(user))  # includes computing the user's scope
                scoped.append((time.perf_counter() - started) * 1000)
        return {
            "nodes": len(nodes),
            "rows_median": statistics.median(sizes),
            "ms_median": round(statistics.median(plain), 2),
            "ms_p95": round(percentile(plain, 0.95), 2),
            "ms_max": round(max(plain), 2),
            "scoped_ms_median": round(statistics.median(scoped), 2) if scoped else None,
            "scoped_ms_p95": round(percentile(scoped, 0.95), 2) if scoped else None,
        }

    reset_queries()
    results["street_subtree"] = listing("street")
    results["district_subtree"] = listing("district")
    street = Area.objects.filter(path__startswith=city.path, level="street").first()
    with connection.cursor() as cursor:
        sql, params = Area.objects.filter(path__startswith=street.path).query.sql_with_params()
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        results["street_plan"] = [row[0] for row in cursor.fetchall()]

    print(json.dumps(results, ensure_ascii=False, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
