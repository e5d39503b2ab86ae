#!/usr/bin/env python
"""Benchmark: the SLA timer sweep, and transitions per second through the entry point.

Run by hand (not part of the test suite), on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance_bench_sweep \
        .venv/bin/python bench/bench_sweep.py --open 1000000 --due 10000

It creates and migrates the database, generates a city of --grids grids, then for each
size (--open, then --small):

1. deletes the events and generates that many open events (``events_generate``,
   every state from reported to verified, with live timers on the work calendar);
2. makes --due running stage timers due now (their warning time has just passed);
3. times one full ``timers_sweep`` (median of --repeat runs, the timers made due again
   before each run) and checks that every due timer was handled.

Target (issue 4): under 5 s with 1,000,000 open events and 10,000 due timers, and a
ratio under 1.5 between that and the same 10,000 due timers among 10,000 open events:
the sweep's cost follows the due timers, not the open events.

Then it fires --transitions ``accept`` transitions one by one as the street's
dispatcher and reports transitions per second.

With --cases (issue 18, ``bench/sweep_cases.py``), on the last size's events: a sweep
with --due due timers half of them past escalation; four overlapping sweeps over such a
due set; the recompute after a calendar change over the running timers; filing and
``accept`` with the broker up and down (--outage-count of each).
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

from bench_grids import ensure_database  # noqa: E402


def make_due(count: int) -> int:
    """Make ``count`` running timers due for their warning now."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE workflow_timer SET phase = 0, warn_at = now() - interval '1 minute',
                   due_at = now() + interval '1 hour', escalate_at = now() + interval '2 hours',
                   next_check_at = now() - interval '1 minute'
            WHERE id IN (SELECT id FROM workflow_timer WHERE state = 'running'
                         ORDER BY id LIMIT %s)
            """,
            [count],
        )
        return cursor.rowcount


def run_size(city, open_events: int, due: int, repeat: int, seed: int, reuse: bool = False) -> dict:
    from django.db import connection

    from events.generation import events_generate
    from events.models import Event
    from workflow.sweep import timers_sweep

    if reuse and Event.objects.count() == open_events:
        print(f"  reusing the {open_events:,} events already generated")
        timings = _sweeps(due, repeat, timers_sweep)
        return {"open": open_events, "due": due, "median": statistics.median(timings), "runs": timings}
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE events_event, workflow_timer, workflow_timelineentry, workflow_notification, "
                       "events_eventsequence, events_eventdepartment, events_attachment, workflow_changerequest, "
                       "events_eventgroupobjectpermission, events_eventuserobjectpermission RESTART IDENTITY CASCADE")
    made = events_generate(city=city, count=open_events, seed=seed, open_only=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE events_event")
        cursor.execute("VACUUM ANALYZE workflow_timer")
        cursor.execute("SELECT count(*) FROM workflow_timer WHERE state = 'running'")
        running = cursor.fetchone()[0]
    print(f"  generated {made.events:,} open events, {made.timers:,} timers ({running:,} running), "
          f"{made.timeline:,} timeline rows in {made.seconds:.1f} s")
    timings = _sweeps(due, repeat, timers_sweep)
    return {"open": open_events, "due": due, "median": statistics.median(timings), "runs": timings}


def _sweeps(due, repeat, timers_sweep) -> list[float]:
    from django.db import connection

    timers_sweep(max_batches=1)  # warm up the process (URL resolver, calendar) as a running worker is
    timings = []
    for _ in range(repeat):
        marked = make_due(due)
        # Nothing else is due: the sweep must handle exactly the marked timers.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE workflow_timer SET next_check_at = now() + interval '1 day' "
                           "WHERE state = 'running' AND next_check_at <= now() AND NOT (phase = 0 AND warn_at <= now())")
        started = time.perf_counter()
        report = timers_sweep()
        elapsed = time.perf_counter() - started
        assert report.timers >= marked, (report, marked)
        timings.append(elapsed)
        print(f"  sweep: {report.timers:,} due timers, {report.warned:,} warnings, {report.batches} batches "
              f"in {elapsed:.2f} s")
    return timings


def transitions_per_second(city, count: int) -> float:
    from accounts.models import Role, RoleAssignment
    from events.models import Event
    from workflow.services import event_transition

    reported = list(Event.objects.filter(state="reported", grid__path__startswith=city.path)
                    .values_list("id", "command_area_id")[:count])
    dispatchers = dict(RoleAssignment.objects.filter(role=Role.DISPATCHER, revoked_at__isnull=True)
                       .values_list("area_id", "user"))
    from accounts.models import User

    users = {user.pk: user for user in User.objects.filter(pk__in=set(dispatchers.values()))}
    started = time.perf_counter()
    done = 0
    for event_id, area_id in reported:
        user = users.get(dispatchers.get(area_id))
        if user is None:
            continue
        event_transition(actor=user, event_id=event_id, name="accept")
        done += 1
    elapsed = time.perf_counter() - started
    rate = done / elapsed if elapsed else 0
    print(f"  {done:,} accept transitions in {elapsed:.2f} s: {rate:,.0f} per second")
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grids", type=int, default=1000)
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--transitions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep the events when the database holds that many")
    parser.add_argument("--sizes", default="open,small", help="which sizes to run: open, small or both")
    parser.add_argument("--cases", default="", help="issue 18 cases: escalation,overlap,recompute,outage")
    parser.add_argument("--outage-count", type=int, default=50)
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it is created when missing).")
    ensure_database(url)

    import django

    django.setup()
    import logging

    from django.core.management import call_command

    logging.getLogger("workflow.sweep").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    from governance.generation import city_delete, generate_city
    from grids.models import Area

    code = "439900000000"
    city = Area.objects.filter(code=code).first()
    if city is None or Area.objects.filter(path__startswith=city.path, level="grid").count() != options.grids:
        city_delete(code)
        city = generate_city(grids=options.grids, seed=options.seed).city
    print(f"city: {options.grids} grids")

    results = []
    sizes = [size for name, size in (("open", options.open), ("small", options.small)) if name in options.sizes]
    for size in sizes:
        print(f"{size:,} open events, {options.due:,} due timers:")
        results.append(run_size(city, size, options.due, options.repeat, options.seed, options.reuse))
    if len(results) == 2:
        big, small = results
        ratio = big["median"] / small["median"]
        print(f"sweep median: {big['median']:.2f} s with {big['open']:,} open events, {small['median']:.2f} s with "
              f"{small['open']:,}; ratio {ratio:.2f} (targets: < 5 s, ratio < 1.5)")
    if options.transitions:
        print("transitions:")
        transitions_per_second(city, options.transitions)
    import sweep_cases

    cases = set(filter(None, options.cases.split(",")))
    if "escalation" in cases:
        sweep_cases.escalation_sweep(options.due)
    if "overlap" in cases:
        sweep_cases.overlapping_sweeps(options.due)
    if "recompute" in cases:
        sweep_cases.calendar_recompute()
    if "outage" in cases:
        sweep_cases.broker_outage(city, options.outage_count)


if __name__ == "__main__":
    main()
