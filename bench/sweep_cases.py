"""The timing cases of issue 18, run by ``bench_sweep.py`` (see its docstring):

- ``escalation_sweep``: a sweep with --due due timers, half of them past escalation;
- ``overlapping_sweeps``: the same due set swept by four sweeps at once, each on its own
  connection (no error, the same escalations as one sweep);
- ``calendar_recompute``: the recompute after a calendar change over the running timers;
- ``broker_outage``: filing and a transition with the broker up, then down (a dead port).
"""

import statistics
import threading
import time
from datetime import timedelta


def _make_due_with_escalations(count: int) -> int:
    """``count`` running stage timers due now, every other one past escalation."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE workflow_timer SET next_check_at = now() + interval '1 day' WHERE state = 'running'")
        cursor.execute(
            """
            WITH chosen AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM workflow_timer
                            WHERE state = 'running' AND stage <> 'total' ORDER BY id LIMIT %s)
            UPDATE workflow_timer t SET phase = 0, warn_at = now() - interval '3 hours',
                   due_at = now() - interval '2 hours',
                   escalate_at = CASE WHEN chosen.n %% 2 = 0 THEN now() - interval '1 hour' ELSE now() + interval '1 hour' END,
                   next_check_at = now() - interval '3 hours'
            FROM chosen WHERE t.id = chosen.id
            """,
            [count],
        )
        return cursor.rowcount


def escalation_sweep(due: int) -> dict:
    from workflow.sweep import timers_sweep

    marked = _make_due_with_escalations(due)
    started = time.perf_counter()
    report = timers_sweep()
    elapsed = time.perf_counter() - started
    print(f"  escalation sweep: {marked:,} due ({marked // 2:,} past escalation): {report.escalated:,} escalated "
          f"({report.escalation_refused:,} refused: no higher command center), "
          f"{report.overdue:,} overdue, {report.batches} batches in {elapsed:.1f} s "
          f"({report.escalated / elapsed:,.0f} escalations/s)")
    return {"due": marked, "escalated": report.escalated, "seconds": elapsed}


def overlapping_sweeps(due: int, sweeps: int = 4, batch_size: int = 100) -> dict:
    from django.db import connections
    from django.utils import timezone

    from workflow.sweep import timers_sweep

    marked = _make_due_with_escalations(due)
    moment = timezone.now()
    results: list = [None] * sweeps
    barrier = threading.Barrier(sweeps)

    def run(index):
        try:
            barrier.wait()
            results[index] = timers_sweep(now=moment, batch_size=batch_size)
        except Exception as error:  # noqa: BLE001 - reported below
            results[index] = error
        finally:
            connections.close_all()

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(index,)) for index in range(sweeps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    errors = [result for result in results if isinstance(result, Exception)]
    escalated = sum(result.escalated for result in results if not isinstance(result, Exception))
    refused = sum(result.escalation_refused for result in results if not isinstance(result, Exception))
    print(f"  {sweeps} overlapping sweeps (batches of {batch_size}) over {marked:,} due ({marked // 2:,} past escalation): "
          f"{escalated:,} escalated ({refused:,} refused), "
          f"{len(errors)} errors {errors[:1]}, in {elapsed:.1f} s; per sweep: "
          + ", ".join(f"{result.timers:,} timers/{result.escalated:,} esc." for result in results
                      if not isinstance(result, Exception)))
    return {"due": marked, "escalated": escalated, "errors": len(errors), "seconds": elapsed}


def calendar_recompute() -> dict:
    """Declare a working day a week ahead a holiday (the year's notice plus that day) and
    time the recompute of the running timers it affects."""
    from django.db import connection
    from django.utils import timezone

    from workflow.calendar_notice import calendar_year_enter
    from workflow.deadlines import deadlines_recompute
    from workflow.models import CalendarDay

    day = timezone.localdate() + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    rows = [(row.date, row.kind, row.name) for row in CalendarDay.objects.filter(date__year=day.year)
            if row.date != day]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM workflow_timer WHERE state = 'running'")
        running = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM workflow_timer WHERE state = 'running' AND unit IN ('work_hours', 'work_days') "
                       "AND started_at < %s AND escalate_at >= %s", [day + timedelta(days=1), day])
        spanning = cursor.fetchone()[0]
    calendar_year_enter(actor=None, year=day.year, days=[*rows, (day, "holiday", "bench")], source="bench")
    started = time.perf_counter()
    moved = deadlines_recompute()
    elapsed = time.perf_counter() - started
    print(f"  calendar change ({day} made a holiday): {running:,} running timers, {spanning:,} in working units "
          f"spanning it, {moved:,} moved (each with a timeline row per event) in {elapsed:.1f} s")
    # Put the day back (a second, opposite change), not timed.
    calendar_year_enter(actor=None, year=day.year, days=rows, source="bench")
    deadlines_recompute()
    return {"running": running, "spanning": spanning, "moved": moved, "seconds": elapsed}


def broker_outage(city, count: int) -> dict:
    """Milliseconds per filing and per ``accept`` with the broker up, then down."""
    from kombu import Connection

    from accounts.models import Role, RoleAssignment
    from events.models import Category
    from governance.celery import app
    from governance.handoff import hand_off_resume, hand_off_wait
    from grids.models import Area
    from workflow.services import event_transition

    grid = Area.objects.filter(path__startswith=city.path, level="grid").exclude(label_lat=None).first()
    worker = RoleAssignment.objects.filter(role=Role.GRID_WORKER, area=grid, revoked_at=None).first().user
    street = Area.objects.filter(level="street", path__in=[grid.path[:n] for n in range(4, len(grid.path), 4)]).first()
    dispatcher = RoleAssignment.objects.filter(role=Role.DISPATCHER, area=street, revoked_at=None).first().user
    category = Category.objects.filter(code="0101").first()

    def timed() -> tuple[float, float]:
        from workflow.services import event_file

        filing, accepting = [], []
        for _index in range(count):
            started = time.perf_counter()
            event, _created = event_file(actor=worker, channel="grid_worker", category=category.code,
                                         description="bench", latitude=grid.label_lat, longitude=grid.label_lon)
            filing.append(time.perf_counter() - started)
            started = time.perf_counter()
            event_transition(actor=dispatcher, event_id=event.pk, name="accept")
            accepting.append(time.perf_counter() - started)
        return statistics.median(filing) * 1000, statistics.median(accepting) * 1000

    up = timed()
    hand_off_wait(60)
    real = app.connection_for_write
    app.connection_for_write = lambda *args, **kwargs: Connection("redis://127.0.0.1:1/0", connect_timeout=0.5)
    app._pool = None
    app.amqp._producer_pool = None
    try:
        down = timed()
        hand_off_wait(60)
    finally:
        app.connection_for_write = real
        app._pool = None
        app.amqp._producer_pool = None
        hand_off_resume()
    print(f"  broker up:   filing {up[0]:.0f} ms, accept {up[1]:.0f} ms (median of {count})")
    print(f"  broker down: filing {down[0]:.0f} ms, accept {down[1]:.0f} ms (median of {count})")
    return {"up": up, "down": down}
