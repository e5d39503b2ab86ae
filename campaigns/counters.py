"""The progress counters (``Progress`` rows): built once from the targets when a campaign
is published or refreshed, then moved by deltas in the transaction that changes a
target. Every writer locks the rows it changes in primary-key order (targets before
counters), so concurrent answers never deadlock and never lose an increment.
"""

from collections import defaultdict

from django.db.models import Count, F, Q

from accounts.scoping import ancestor_paths
from campaigns.models import Campaign, Progress, Target, TargetStatus
from grids.models import Area

COUNTERS = ("targets", "visited", "not_home", "problems", "events", "moved_out")


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


def progress_apply(*, campaign: Campaign, grid_path: str, worker_id, delta: dict) -> None:
    """Add ``delta`` to the counters of the grid's node and every node above it up to
    the campaign's node, and to the worker's row in the grid. Call inside the
    transaction that changed the target (after locking the target)."""
    if not delta:
        return
    paths = [path for path in ancestor_paths(grid_path) if path.startswith(campaign.area.path)]
    rows = Q(worker__isnull=True, path__in=paths)
    if worker_id is not None:
        rows |= Q(worker_id=worker_id, path=grid_path)
    locked = list(Progress.objects.select_for_update().filter(rows, campaign=campaign).order_by("pk").values_list("pk", flat=True))
    Progress.objects.filter(pk__in=locked).update(**{name: F(name) + value for name, value in delta.items()})


def worker_row_ensure(*, campaign: Campaign, grid: Area, worker_id) -> None:
    """The worker's counter row in the grid (zero), for a worker given targets later."""
    if worker_id is None:
        return
    Progress.objects.get_or_create(campaign=campaign, area=grid, worker_id=worker_id,
                                   defaults={"path": grid.path, "depth": grid.depth})


def recount(campaign: Campaign) -> dict[tuple[int, int | None], dict[str, int]]:
    """The counters as the targets say now: (area id, worker id or None) → counts.
    Used to build the rows and by the tests and checks that compare them."""
    per_group = (
        Target.objects.filter(campaign=campaign).values("grid_id", "grid__path", "worker_id")
        .annotate(
            targets=Count("id"),
            visited=Count("id", filter=Q(status=TargetStatus.DONE)),
            not_home=Count("id", filter=Q(status=TargetStatus.NOT_HOME)),
            problems=Count("id", filter=Q(problem=True)),
            events=Count("id", filter=Q(event__isnull=False)),
            moved_out=Count("id", filter=Q(status=TargetStatus.MOVED_OUT)),
        )
    )
    ids_by_path = dict(Area.objects.filter(path__startswith=campaign.area.path).values_list("path", "id"))
    totals: dict = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for group in per_group:
        if group["worker_id"] is not None:
            row = totals[(group["grid_id"], group["worker_id"])]
            for name in COUNTERS:
                row[name] += group[name]
        for path in ancestor_paths(group["grid__path"]):
            if path.startswith(campaign.area.path):
                row = totals[(ids_by_path[path], None)]
                for name in COUNTERS:
                    row[name] += group[name]
    return totals


def progress_rebuild(campaign: Campaign) -> None:
    """Set every counter row of the campaign to the recount, in place (rows keep their
    ids, so an answer waiting for a row's lock updates the rebuilt value). Every node of
    the campaign's subtree down to the grids gets a row, zero when it has no targets."""
    existing = {(row.area_id, row.worker_id): row
                for row in Progress.objects.select_for_update().filter(campaign=campaign).order_by("pk")}
    totals = recount(campaign)
    nodes = Area.objects.filter(path__startswith=campaign.area.path).values_list("id", "path", "depth")
    node_by_id = {}
    for area_id, path, depth in nodes:
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

