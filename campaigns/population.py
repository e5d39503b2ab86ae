"""A campaign's target population as one SQL query per target kind, run inside the
database: publishing inserts it with ``INSERT … SELECT`` (no rows through Python), and
refreshing compares it with the targets already there. The same SQL runs on PostgreSQL
and SQLite (``||``, ``LIKE``, correlated subqueries, ``ON CONFLICT DO NOTHING``).

Each query yields ``grid_id, object_id, building_id, label, worker_id``: the worker is the
grid's full-time worker (else its grid leader, else a part-time worker; lowest id first),
found once per grid.
"""

from django.db import connection

from accounts.models import Role
from campaigns.models import Campaign, TargetKind, TargetStatus
from grids.models import GRID_LEVELS

WORKER_ROLES = (Role.GRID_WORKER, Role.GRID_LEADER, Role.PARTTIME_WORKER)

_GRID_WORKERS = """
grid_worker AS (
  SELECT g.id AS grid_id, (
    SELECT ra.user_id FROM accounts_roleassignment ra
    WHERE ra.area_id = g.id AND ra.revoked_at IS NULL AND ra.role IN (%s, %s, %s)
    ORDER BY CASE ra.role WHEN %s THEN 0 WHEN %s THEN 1 ELSE 2 END, ra.user_id LIMIT 1
  ) AS worker_id
  FROM grids_area g WHERE g.path LIKE %s AND g.level IN (%s, %s)
)"""

_SOURCES = {
    # Households with at least one member living there now.
    TargetKind.HOUSEHOLD: """
      SELECT h.grid_id, h.id AS object_id, r.building_id,
             COALESCE(b.name, '') || COALESCE(u.name, '') || COALESCE(r.number, '') || ' #' || h.number AS label
      FROM residents_household h
      JOIN grids_area a ON a.id = h.grid_id
      LEFT JOIN residents_room r ON r.id = h.room_id
      LEFT JOIN residents_unit u ON u.id = r.unit_id
      LEFT JOIN residents_building b ON b.id = r.building_id
      WHERE a.path LIKE %s
        AND EXISTS (SELECT 1 FROM residents_resident m WHERE m.household_id = h.id AND m.moved_out_on IS NULL)""",
    TargetKind.BUILDING: """
      SELECT b.grid_id, b.id AS object_id, b.id AS building_id, b.name AS label
      FROM residents_building b JOIN grids_area a ON a.id = b.grid_id
      WHERE a.path LIKE %s""",
    TargetKind.RENTAL_ROOM: """
      SELECT b.grid_id, r.id AS object_id, r.building_id, b.name || u.name || r.number AS label
      FROM residents_room r
      JOIN residents_unit u ON u.id = r.unit_id
      JOIN residents_building b ON b.id = r.building_id
      JOIN grids_area a ON a.id = b.grid_id
      WHERE a.path LIKE %s AND r.use = 'rental'""",
    TargetKind.KEY_PLACE: """
      SELECT p.grid_id, p.id AS object_id, CAST(NULL AS BIGINT) AS building_id, p.name AS label
      FROM residents_keyplace p JOIN grids_area a ON a.id = p.grid_id
      WHERE a.path LIKE %s {kinds}""",
    # Members of the groups, living there now, once each whatever the number of tags.
    TargetKind.SPECIAL_GROUP: """
      SELECT m.grid_id, m.id AS object_id, r.building_id, m.name AS label
      FROM residents_resident m
      JOIN grids_area a ON a.id = m.grid_id
      LEFT JOIN residents_room r ON r.id = m.room_id
      WHERE a.path LIKE %s AND m.moved_out_on IS NULL
        AND m.id IN (SELECT t.resident_id FROM residents_residenttag t WHERE t.ended_on IS NULL AND t."group" IN ({groups}))""",
}


def _source(campaign: Campaign) -> tuple[str, list]:
    sql = _SOURCES[campaign.target_kind]
    params = [campaign.area.path + "%"]
    if campaign.target_kind == TargetKind.KEY_PLACE:
        kinds = list(campaign.place_kinds or [])
        sql = sql.format(kinds=f"AND p.kind IN ({', '.join(['%s'] * len(kinds))})" if kinds else "")
        params += kinds
    elif campaign.target_kind == TargetKind.SPECIAL_GROUP:
        groups = list(campaign.groups or []) or [""]
        sql = sql.format(groups=", ".join(["%s"] * len(groups)))
        params += groups
    return sql, params


def _limited(source: str, params: list, grid_ids, object_ids) -> tuple[str, list]:
    """The population limited to some grids (and to some objects wherever they are now),
    for a refresh after moves in a few grids; PostgreSQL pushes the condition into the
    source's indexed joins."""
    if grid_ids is None:
        return source, params
    conditions = [f"src.grid_id IN ({', '.join(['%s'] * len(grid_ids))})"] if grid_ids else []
    if object_ids:
        conditions.append(f"src.object_id IN ({', '.join(['%s'] * len(object_ids))})")
    where = " OR ".join(conditions) or "false"
    return f"SELECT * FROM ({source}) src WHERE {where}", [*params, *grid_ids, *(object_ids or [])]


def population_query(campaign: Campaign, *, grid_ids=None, object_ids=None) -> tuple[str, list]:
    """``SELECT grid_id, object_id, building_id, label, worker_id`` of the population now
    (all of it, or only in ``grid_ids`` plus the ``object_ids`` wherever they are)."""
    source, source_params = _limited(*_source(campaign), grid_ids, object_ids)
    worker_params = [*WORKER_ROLES, Role.GRID_WORKER, Role.GRID_LEADER, campaign.area.path + "%", *GRID_LEVELS]
    sql = (f"WITH {_GRID_WORKERS}, population AS ({source}) "
           "SELECT p.grid_id, p.object_id, p.building_id, SUBSTR(p.label, 1, 200) AS label, w.worker_id "
           "FROM population p LEFT JOIN grid_worker w ON w.grid_id = p.grid_id")
    return sql, worker_params + source_params


def population_insert(campaign: Campaign, *, at, grid_ids=None) -> int:
    """Insert a target for every member of the population (in ``grid_ids`` if given)
    without one; returns how many."""
    select, params = population_query(campaign, grid_ids=grid_ids)
    sql = (
        "INSERT INTO campaigns_target (campaign_id, grid_id, worker_id, object_id, building_id, label, status, attempts, "
        "problem, late, added_at) "
        f"SELECT %s, q.grid_id, q.worker_id, q.object_id, q.building_id, q.label, %s, 0, %s, %s, %s FROM ({select}) q "
        "WHERE true ON CONFLICT (campaign_id, object_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, TargetStatus.PENDING, False, False, at, *params])
        return cursor.rowcount


def population_now(campaign: Campaign, *, grid_ids=None, object_ids=None) -> dict[int, tuple]:
    """object id → (grid id, building id, label, worker id), for the refresh."""
    select, params = population_query(campaign, grid_ids=grid_ids, object_ids=object_ids)
    with connection.cursor() as cursor:
        cursor.execute(select, params)
        return {row[1]: (row[0], row[2], row[3], row[4]) for row in cursor.fetchall()}
