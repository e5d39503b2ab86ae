"""The progress counters (``Progress`` rows), kept at grid level only: one row per grid
of the campaign and one per worker in each grid. They are built from the targets when a
campaign is published or refreshed, then moved by deltas in the transaction that
changes a target. Every writer locks the rows it changes in primary-key order (targets
before counters), so concurrent answers never deadlock and never lose an increment.

The nodes above the grids (community, street, district, city) have no rows: their
counters are the sums of their grids' rows, added up when they are read
(``campaigns.selectors.progress_rows`` / ``progress_tree``). So an answer touches two
small rows of its own grid and never a row shared with every other grid — answers
from different grids do not wait for each other — and a node's counters cannot drift
from its grids'.
"""

from collections import defaultdict

from django.db import connection
from django.db.models import Count, F, Q

from campaigns.models import COUNTERS, Campaign, Progress, Target, TargetStatus
from grids.models import GRID_LEVELS, Area


def target_counts(status: str, problem: bool, has_event: bool) -> dict[str, int]:
    """What one target adds to its counters."""
    return {
        "targets": 1,
        "visited": int(status == TargetStatus.DONE),
        "not_home": int(status == TargetStatus.NOT_HOME),
        "problems": int(bool(problem)),
        "events": int(bool(has_event)),
        "moved_out": int(status == TargetStatus.MOVED_OUT),
    }


def counts_delta(before: dict, after: dict) -> dict[str, int]:
    return {name: after[name] - before[name] for name in COUNTERS if after[name] != before[name]}


def progress_apply(*, campaign: Campaign, grid_id: int, worker_id, delta: dict) -> None:
    """Add ``delta`` to the counters of the grid and of the worker's row in the grid.
    Call inside the transaction that changed the target (after locking the target)."""
    if not delta:
        return
    if connection.vendor != "postgresql":  # one writer at a time anyway (SQLite)
        rows = Q(worker__isnull=True) | Q(worker_id=worker_id) if worker_id is not None else Q(worker__isnull=True)
        Progress.objects.filter(rows, campaign=campaign, area_id=grid_id).update(
            **{name: F(name) + value for name, value in delta.items()})
        return
    # One statement: the rows locked in primary-key order by the sub-select, then moved.
    table = Progress._meta.db_table
    names = [name for name in COUNTERS if name in delta]
    sets = ", ".join(f"{name} = p.{name} + %s" for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} p SET {sets} FROM (SELECT id FROM {table} WHERE campaign_id = %s AND area_id = %s "
            "AND (worker_id IS NULL OR worker_id = %s) ORDER BY id FOR UPDATE) locked WHERE p.id = locked.id",
            [*(delta[name] for name in names), campaign.pk, grid_id, worker_id])


def worker_row_ensure(*, campaign: Campaign, grid: Area, worker_id) -> None:
    """The worker's counter row in the grid (zero), for a worker given targets later."""
    if worker_id is None:
        return
    Progress.objects.get_or_create(campaign=campaign, area=grid, worker_id=worker_id,
                                   defaults={"path": grid.path, "depth": grid.depth})


def recount(campaign: Campaign, grid_ids=None) -> dict[tuple[int, int | None], dict[str, int]]:
    """The counters as the targets say now: (grid id, worker id or None) → counts (of
    every grid, or of ``grid_ids``). Used to build the rows and by the tests and checks
    that compare them."""
    targets = Target.objects.filter(campaign=campaign)
    if grid_ids is not None:
        targets = targets.filter(grid_id__in=grid_ids)
    per_group = (
        targets.values("grid_id", "worker_id")
        .annotate(
            targets=Count("id"),
            visited=Count("id", filter=Q(status=TargetStatus.DONE)),
            not_home=Count("id", filter=Q(status=TargetStatus.NOT_HOME)),
            problems=Count("id", filter=Q(problem=True)),
            events=Count("id", filter=Q(event__isnull=False)),
            moved_out=Count("id", filter=Q(status=TargetStatus.MOVED_OUT)),
        )
    )
    totals: dict = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for group in per_group:
        keys = [(group["grid_id"], None)] + ([(group["grid_id"], group["worker_id"])] if group["worker_id"] else [])
        for key in keys:
            row = totals[key]
            for name in COUNTERS:
                row[name] += group[name]
    return totals


def progress_rebuild(campaign: Campaign, grid_ids=None) -> None:
    """Set every counter row of the campaign (or of ``grid_ids``) to the recount, in
    place (rows keep their ids, so an answer waiting for a row's lock updates the
    rebuilt value). Every grid of the campaign's subtree gets a row, zero when it has no
    targets."""
    rows = Progress.objects.select_for_update().filter(campaign=campaign)
    if grid_ids is not None:
        rows = rows.filter(area_id__in=grid_ids)
    existing = {(row.area_id, row.worker_id): row for row in rows.order_by("pk")}
    totals = recount(campaign, grid_ids)
    grids = Area.objects.filter(Q(path__startswith=campaign.area.path, level__in=GRID_LEVELS)
                                | Q(pk__in=[grid_id for grid_id, _worker in totals]))
    if grid_ids is not None:
        grids = grids.filter(pk__in=grid_ids)
    node_by_id = {}
    for area_id, path, depth in grids.values_list("id", "path", "depth"):
        node_by_id[area_id] = (path, depth)
        totals.setdefault((area_id, None), dict.fromkeys(COUNTERS, 0))
    changed, created = [], []
    for key, counts in totals.items():
        row = existing.pop(key, None)
        if row is None:
            path, depth = node_by_id[key[0]]
            created.append(Progress(campaign=campaign, area_id=key[0], worker_id=key[1], path=path, depth=depth, **counts))
        elif any(getattr(row, name) != value for name, value in counts.items()):
            for name, value in counts.items():
                setattr(row, name, value)
            changed.append(row)
    for row in existing.values():  # a worker who no longer has targets here
        if any(getattr(row, name) for name in COUNTERS):
            for name in COUNTERS:
                setattr(row, name, 0)
            changed.append(row)
    Progress.objects.bulk_create(created, batch_size=5000)
    Progress.objects.bulk_update(changed, COUNTERS, batch_size=5000)


def progress_drift(campaign: Campaign) -> list[tuple]:
    """Rows whose counters differ from a recount (empty when all is right)."""
    totals = recount(campaign)
    drift = []
    for row in Progress.objects.filter(campaign=campaign):
        expected = totals.pop((row.area_id, row.worker_id), dict.fromkeys(COUNTERS, 0))
        actual = {name: getattr(row, name) for name in COUNTERS}
        if actual != expected:
            drift.append((row.path, row.worker_id, actual, expected))
    drift += [(key, None, None, counts) for key, counts in totals.items()]
    return drift
