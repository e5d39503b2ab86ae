#!/usr/bin/env python
"""Benchmark: every seeded assessment ratio for every street and every department of a
generated city, for one month with 1,000,000 events.

Run by hand (not part of the test suite), on PostgreSQL, against a copy of a benchmark
database with a generated city:

    createdb -T governance_bench governance_bench_assess          # a copy; never the original
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_bench_assess .venv/bin/python manage.py migrate
    DATABASE_URL=… .venv/bin/python manage.py generate_city --add-events --events 1000000 \
        --span-days 31 --until 2026-11-01 --seed 7          # October 2026: 1,000,000 events
    DATABASE_URL=… .venv/bin/python bench/bench_assessment.py --period 2026-10 --repeat 5

For each unit kind (streets, departments, and with --all also communities, grids and
grid workers) it times ``results_compute`` — what the pages run: one aggregate query per
unit kind with two ``Count("id", filter=Q(...))`` per ratio, grouped by the unit in the
database — then ``results_compute_all`` — what a snapshot runs: one query grouped by
(grid, department, reporter) added up per unit of every kind — and prints each run, the
median, the number of events in the period and of units, and PostgreSQL's plan of the
street query (--explain).

Target (issue 7): all seeded ratios for every street and department in under 10 s.

With --points it times the points sweep instead (issue 21): the first award of the month
(every source read, about two million entries), then ``points_award`` again with nothing
new (the old code read the whole month: 45 s), then with 1% new work (as many new
verifications, copied from the month's timeline as new rows, as 1% of the entries),
each --repeat times; the 1% rows and their entries are removed after each run, the
marks put back. And once the old way (``full=True``: every source of the month) for
comparison.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
os.environ.setdefault("DEBUG", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="also communities, grids and grid workers")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the street query")
    parser.add_argument("--points", action="store_true", help="time the points sweep instead (see above)")
    args = parser.parse_args()
    if args.points:
        import django

        django.setup()
        return bench_points(args)

    import django

    django.setup()
    from django.db import connection

    from assessment.periods import period_parse
    from assessment.selectors import (
        _aggregates,
        assessment_transaction,
        formula_current,
        ratios_current,
        results_compute,
        results_compute_all,
    )
    from events.models import Event

    if connection.vendor != "postgresql":
        sys.exit("The benchmark runs on PostgreSQL (set DATABASE_URL).")
    period = period_parse(args.period)
    ratios, formula = ratios_current(), formula_current()
    events = Event.objects.filter(reported_at__gte=period.since, reported_at__lt=period.until).count()
    total = Event.objects.count()
    print(f"period {period.label}: {events:,} events reported in it ({total:,} in the database); "
          f"{len(ratios)} ratios, formula {formula['code']}")
    kinds = ["street", "department"] + (["community", "grid", "worker"] if args.all else [])
    runs = []
    for attempt in range(args.repeat):
        started = time.monotonic()
        sizes = {}
        for kind in kinds:
            kind_started = time.monotonic()
            units = results_compute(user=None, kind=kind, period=period, ratios=ratios, formula=formula)
            sizes[kind] = (len(units), time.monotonic() - kind_started)
        elapsed = time.monotonic() - started
        runs.append(elapsed)
        detail = ", ".join(f"{kind} {count} units {seconds:.2f} s" for kind, (count, seconds) in sizes.items())
        print(f"run {attempt + 1}: {elapsed:.2f} s ({detail})")
    print(f"median of {len(runs)}: {statistics.median(runs):.2f} s (min {min(runs):.2f}, max {max(runs):.2f})")

    # The snapshot's way: one query for every unit of every kind, added up per unit.
    every = []
    for attempt in range(args.repeat):
        started = time.monotonic()
        results = results_compute_all(period=period, ratios=ratios, formula=formula)
        every.append(time.monotonic() - started)
        sizes = ", ".join(f"{kind} {len(units)}" for kind, units in results.items())
        print(f"all kinds in one query, run {attempt + 1}: {every[-1]:.2f} s ({sizes} units)")
    print(f"median of {len(every)}: {statistics.median(every):.2f} s (min {min(every):.2f}, max {max(every):.2f})")

    if args.explain:
        from django.db.models.functions import Substr

        from grids.models import Area

        where, aggregates = _aggregates(ratios, period)
        depth = Area.objects.filter(level="street").values_list("depth", flat=True).first()
        query = (Event.objects.filter(where).order_by().annotate(unit=Substr("grid__path", 1, depth * Area.steplen))
                 .values("unit").annotate(**aggregates))
        with assessment_transaction():
            print(query.explain(analyze=True, buffers=True))


def bench_points(args) -> None:
    from django.db import connection, transaction

    from assessment.models import PointEntry, PointMark
    from assessment.periods import period_parse
    from assessment.services import points_award
    from workflow.models import TimelineEntry

    period = period_parse(args.period)

    def timed(label, **kwargs):
        started = time.monotonic()
        added = points_award(actor=None, period=period, **kwargs)
        elapsed = time.monotonic() - started
        print(f"{label}: {elapsed:.2f} s, {added:,} entries added")
        return elapsed, added

    if not PointMark.objects.exists():
        timed("first award (no marks: the month read whole)")
    entries = PointEntry.objects.count()
    print(f"{entries:,} point entries, {TimelineEntry.objects.count():,} timeline rows")

    nothing = [timed(f"nothing new, run {attempt + 1}")[0] for attempt in range(args.repeat)]
    print(f"nothing new: median {statistics.median(nothing):.3f} s (min {min(nothing):.3f}, max {max(nothing):.3f})")

    new_rows = entries // 100
    one_percent = []
    for attempt in range(args.repeat):
        marks = list(PointMark.objects.values_list("rule_id", "through_id"))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO workflow_timelineentry (event_id, at, actor_id, actor_kind, transition, from_state, to_state,
                                                    note, data)
                SELECT event_id, at, actor_id, actor_kind, transition, from_state, to_state, 'bench', data
                FROM workflow_timelineentry
                WHERE transition = 'verify_pass' AND actor_id IS NOT NULL AND at >= %s AND at < %s
                ORDER BY id LIMIT %s
                RETURNING id
                """,
                [period.since, period.until, new_rows],
            )
            ids = [row[0] for row in cursor.fetchall()]
        elapsed, added = timed(f"1% new ({len(ids):,} new verifications), run {attempt + 1}")
        one_percent.append(elapsed)
        with transaction.atomic():
            PointEntry.objects.filter(rule__source__in=["verification", "late_verification"], source_id__in=ids).delete()
            TimelineEntry.objects.filter(pk__in=ids).delete()
            for rule_id, through_id in marks:
                PointMark.objects.filter(rule_id=rule_id).update(through_id=through_id)
    print(f"1% new: median {statistics.median(one_percent):.3f} s (min {min(one_percent):.3f}, max {max(one_percent):.3f})")

    timed("the old way for comparison (full=True: every source of the month read again)", full=True)


if __name__ == "__main__":
    main()
