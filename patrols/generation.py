"""Generated patrol rounds for benchmarks and demos (``generate_city --patrols``).

Set-based SQL on PostgreSQL (``INSERT … SELECT … generate_series``): each grid's
full-time worker walks ``rounds_per_week`` rounds a week over ``days`` days, each round
with ``points`` GPS fixes 15 s apart along a loop around the grid's label point, and
``checks`` item checks — whole-grid items at the grid, building items at one of the
grid's buildings where it has some — with their slots. About 5 % of checks find a
problem; ``FILED_SHARE`` of the problems are filed as findings: events (channel
``patrol``, the item's small class, reported by the walker a few minutes after the check,
at the round's loop) taken through the workflow like ``events_generate``'s — most
accepted and handled (valid), some rejected or merged (not valid) — so coverage's
findings and 有效发现率 have data. The distance of a generated round is the loop's length
(a step is about 11 m), not walked point by point.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from patrols.models import PatrolItem, Target

STEP_SECONDS = 15
STEP_METRES = 11.1  # 0.1 rad along a 0.001° loop
# Share of the problems found that the walker files as findings (the others are put
# right on the spot or noted only).
FILED_SHARE = 0.7


@dataclass
class GeneratedPatrols:
    rounds: int
    points: int
    checks: int
    slots: int
    seconds: float
    findings: int = 0


class PatrolGenerationError(RuntimeError):
    pass


def patrols_generate(*, city, days: int = 365, until=None, rounds_per_week: float = 2.0, points: int = 120,
                     checks: int = 7, seed: int = 1) -> GeneratedPatrols:
    if connection.vendor != "postgresql":
        raise PatrolGenerationError("generate_city --patrols needs PostgreSQL (set-based SQL).")
    started = time.monotonic()
    until = until or timezone.now()
    since = until - timedelta(days=days)
    rounds_count = max(1, round(rounds_per_week * days / 7))
    grid_items = list(PatrolItem.objects.filter(is_active=True, current__target=Target.GRID).values_list("id", flat=True))
    building_items = list(PatrolItem.objects.filter(is_active=True, current__target=Target.BUILDING).values_list("id", flat=True))
    if not grid_items:
        raise PatrolGenerationError("The patrol checklist has no active whole-grid items.")
    tz = settings.TIME_ZONE
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0)])
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM patrols_patrolround")
        first_round = cursor.fetchone()[0]
        # Rounds: spread evenly over the span, starting between 08:00 and 16:00 local time.
        cursor.execute(
            """
            INSERT INTO patrols_patrolround (worker_id, grid_id, status, started_at, ended_at, client_key, point_count,
                                             distance_m, last_point_at, last_lat, last_lon, note)
            SELECT w.user_id, g.id, 'ended', s.at, s.at + make_interval(secs => %(step)s * (%(points)s - 1)),
                   'gen-' || %(seed)s || '-' || g.id || '-' || n, %(points)s, %(metres)s * (%(points)s - 1),
                   s.at + make_interval(secs => %(step)s * (%(points)s - 1)), g.label_lat, g.label_lon, ''
            FROM grids_area g
            JOIN LATERAL (SELECT user_id FROM accounts_roleassignment a
                          WHERE a.area_id = g.id AND a.role = 'grid_worker' AND a.revoked_at IS NULL
                          ORDER BY a.id LIMIT 1) w ON TRUE
            CROSS JOIN generate_series(0, %(rounds)s - 1) n
            CROSS JOIN LATERAL (SELECT (date_trunc('day', (%(since)s::timestamptz + (%(until)s::timestamptz - %(since)s::timestamptz)
                                        * ((n + random() * 0.9) / %(rounds)s)) AT TIME ZONE %(tz)s)
                                        + make_interval(hours => 8 + floor(random() * 8)::int, mins => floor(random() * 60)::int))
                                        AT TIME ZONE %(tz)s AS at) s
            WHERE g.path LIKE %(path)s AND g.level IN ('grid', 'subgrid') AND g.label_lat IS NOT NULL
              AND s.at + make_interval(secs => %(step)s * (%(points)s - 1)) < %(until)s::timestamptz
            ON CONFLICT (client_key) DO NOTHING
            """,
            {"step": STEP_SECONDS, "points": points, "seed": seed, "metres": STEP_METRES, "rounds": rounds_count,
             "since": since, "until": until, "tz": tz, "path": city.path + "%"},
        )
        rounds_made = cursor.rowcount
        # Track points: a loop of radius 0.001° around the grid's label point, 15 s apart,
        # each with a believable accuracy (5–25 m).
        cursor.execute(
            """
            INSERT INTO patrols_trackpoint (round_id, at, lat, lon, accuracy)
            SELECT r.id, r.started_at + make_interval(secs => %(step)s * s),
                   r.last_lat + 0.001 * sin(r.id + s * 0.1), r.last_lon + 0.001 * cos(r.id + s * 0.1),
                   round((5 + random() * 20)::numeric, 1)
            FROM patrols_patrolround r CROSS JOIN generate_series(0, %(points)s - 1) s
            WHERE r.id > %(first)s
            """,
            {"step": STEP_SECONDS, "points": points, "first": first_round},
        )
        points_made = cursor.rowcount
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM patrols_patrolcheck")
        first_check = cursor.fetchone()[0]
        # Checks: odd ones at a building of the grid (when it has buildings), the others at the grid.
        cursor.execute(
            """
            WITH buildings AS (SELECT grid_id, array_agg(id) AS ids FROM residents_building GROUP BY grid_id),
            picked AS (
                SELECT r.id AS round_id, r.grid_id, r.worker_id, c,
                       r.started_at + make_interval(secs => (%(points)s - 1) * %(step)s * c / %(checks)s) AS at,
                       CASE WHEN c %% 2 = 1 AND b.ids IS NOT NULL AND cardinality(%(building_items)s::bigint[]) > 0
                            THEN (%(building_items)s::bigint[])[1 + floor(random() * cardinality(%(building_items)s::bigint[]))::int]
                            ELSE (%(grid_items)s::bigint[])[1 + floor(random() * cardinality(%(grid_items)s::bigint[]))::int] END AS item_id,
                       b.ids AS building_ids, random() AS dice
                FROM patrols_patrolround r LEFT JOIN buildings b ON b.grid_id = r.grid_id
                CROSS JOIN generate_series(0, %(checks)s - 1) c
                WHERE r.id > %(first)s
            )
            INSERT INTO patrols_patrolcheck (round_id, item_id, version_id, object_kind, object_id, object_label, grid_id,
                                             worker_id, checked_at, period_start, result, note, lat, lon, client_key)
            SELECT p.round_id, p.item_id, i.current_id, v.target,
                   CASE WHEN v.target = 'building' THEN p.building_ids[1 + floor(random() * cardinality(p.building_ids))::int]
                        ELSE p.grid_id END,
                   '', p.grid_id, p.worker_id, p.at,
                   CASE v.frequency WHEN 'daily' THEN (p.at AT TIME ZONE %(tz)s)::date
                        WHEN 'weekly' THEN date_trunc('week', p.at AT TIME ZONE %(tz)s)::date
                        WHEN 'monthly' THEN date_trunc('month', p.at AT TIME ZONE %(tz)s)::date
                        ELSE date_trunc('quarter', p.at AT TIME ZONE %(tz)s)::date END,
                   CASE WHEN p.dice < 0.05 THEN 'problem' WHEN p.dice < 0.07 THEN 'na' ELSE 'done' END,
                   '', NULL, NULL, 'gen-' || p.round_id || '-' || p.c
            FROM picked p JOIN patrols_patrolitem i ON i.id = p.item_id JOIN patrols_patrolitemversion v ON v.id = i.current_id
            """,
            {"points": points, "step": STEP_SECONDS, "checks": checks, "first": first_round, "tz": tz,
             "grid_items": grid_items, "building_items": building_items},
        )
        checks_made = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO patrols_patrolslot (item_id, object_kind, object_id, period_start, grid_id, worker_id, first_checked_at)
            SELECT DISTINCT ON (item_id, object_kind, object_id, period_start)
                   item_id, object_kind, object_id, period_start, grid_id, worker_id, checked_at
            FROM patrols_patrolcheck WHERE id > %s
            ORDER BY item_id, object_kind, object_id, period_start, checked_at
            ON CONFLICT (item_id, object_kind, object_id, period_start) DO NOTHING
            """,
            [first_check],
        )
        slots_made = cursor.rowcount
    findings_made = _findings(city=city, first_check=first_check, seed=seed)
    with connection.cursor() as cursor:
        for table in ("patrols_patrolround", "patrols_trackpoint", "patrols_patrolcheck", "patrols_patrolslot",
                      "patrols_patrolfinding"):
            cursor.execute(f"ANALYZE {table}")
    return GeneratedPatrols(rounds_made, points_made, checks_made, slots_made, time.monotonic() - started, findings_made)


def _findings(*, city, first_check: int, seed: int) -> int:
    """File ``FILED_SHARE`` of the generated problems as findings with their events."""
    import random

    from events.generation import events_generate_at
    from patrols.models import PatrolFinding

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.id, c.round_id, c.grid_id, c.worker_id, c.checked_at, v.default_category_id, r.last_lat, r.last_lon
            FROM patrols_patrolcheck c JOIN patrols_patrolitemversion v ON v.id = c.version_id
            JOIN patrols_patrolround r ON r.id = c.round_id
            WHERE c.id > %s AND c.result = 'problem' AND v.default_category_id IS NOT NULL ORDER BY c.id
            """,
            [first_check],
        )
        problems = cursor.fetchall()
    rng = random.Random(seed)
    filed = [row for row in problems if rng.random() < FILED_SHARE]
    reports = [{"grid_id": grid_id, "reported_at": at + timedelta(minutes=rng.uniform(1, 10)), "category_id": category_id,
                "latitude": round(lat + rng.uniform(-0.001, 0.001), 6) if lat is not None else None,
                "longitude": round(lon + rng.uniform(-0.001, 0.001), 6) if lon is not None else None,
                "channel": "patrol", "reporter_id": worker_id}
               for _check, _round, grid_id, worker_id, at, category_id, lat, lon in filed]
    if not reports:
        return 0
    event_ids = events_generate_at(city=city, reports=reports, seed=seed)
    PatrolFinding.objects.bulk_create(
        [PatrolFinding(round_id=round_id, item_check_id=check_id, event_id=event_id, grid_id=grid_id, worker_id=worker_id,
                       created_at=at)
         for (check_id, round_id, grid_id, worker_id, at, _category, _lat, _lon), event_id in zip(filed, event_ids, strict=True)],
        batch_size=5000)
    return len(filed)
