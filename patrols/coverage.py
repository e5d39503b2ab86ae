"""Patrol coverage over any period, per grid, worker, community and street (DESIGN §7b).

Measures (the allow-list the assessment's patrol ratios are written with: a ratio
definition's spec ``{"patrol": "pairs_due"}``, docs/assessment.md):

* ``slots_due`` / ``slots_checked`` — item × object × period slots that fell due in the
  period / that were checked within their period (按期巡查);
* ``pairs_due`` / ``pairs_checked`` — item × object pairs due at least once / checked at
  least once (巡查覆盖);
* ``objects_visited`` — distinct buildings, rooms, places and households checked;
* ``rounds``, ``hours``, ``distance_km`` — rounds started in the period;
* ``findings`` / ``findings_valid`` — findings filed, and those accepted as cases (or
  resolved on site) by the period's end (有效发现).

Due slots come from counts of objects per grid (one grouped query per kind of object),
checked slots from ``PatrolSlot`` (one grouped query): no walk over checks or track
points, so a month of a 15,000-grid city is a few seconds (bench/bench_patrols.py).
"""

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patrols.models import PatrolFinding, PatrolRound, Target
from patrols.objects import object_counts
from patrols.plans import items_active, periods_overlapping

MEASURES = ("slots_due", "slots_checked", "pairs_due", "pairs_checked", "objects_visited", "rounds", "hours",
            "distance_km", "findings", "findings_valid")
UNIT_KINDS = ("grid", "worker", "community", "street")


@dataclass(frozen=True)
class Share:
    code: str
    label: str
    numerator: str
    denominator: str


# The shares the coverage page and API show beside the measures: the measures of the
# seeded assessment ratios of the same codes (assessment.seed.PATROL_RATIOS). What
# scores is the assessment's ratio definitions (data, edited by city administrators).
SHARES = (
    Share("patrol_coverage_rate", _("Patrol coverage rate"), "pairs_checked", "pairs_due"),
    Share("ontime_patrol_rate", _("On-time patrol rate"), "slots_checked", "slots_due"),
    Share("valid_finding_rate", _("Valid finding rate"), "findings_valid", "findings"),
)


@dataclass
class Coverage:
    id: int
    code: str
    name: str
    measures: dict = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))
    ratios: dict = field(default_factory=dict)

    def add(self, other: dict) -> None:
        for key, value in other.items():
            self.measures[key] += value


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime.combine(first, time.min, tzinfo=zone), datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)


def _due(first: date, last: date, grid_ids) -> dict[int, list[int]]:
    """grid id → [slots due, pairs due]."""
    versions = items_active()
    combos: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for version in versions:
        if version.since > last:
            continue
        combos[(version.target, tuple(sorted(version.kinds or ())), version.frequency)][version.since] += 1
    counts_cache: dict[tuple, list] = {}
    due: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (target, kinds, frequency), sinces in combos.items():
        key = (target, kinds)
        if key not in counts_cache:
            counts_cache[key] = object_counts(target=target, kinds=kinds, grid_ids=grid_ids)
        ends = [end for _start, end in periods_overlapping(frequency, first, last)]
        for grid_id, since, count in counts_cache[key]:
            since = since or date.min
            if since > last:
                continue
            for item_since, items in sinces.items():
                periods = len(ends) - bisect_left(ends, max(since, item_since))
                row = due[grid_id]
                row[0] += count * items * periods
                row[1] += count * items
    return due


def _checked(first: date, last: date, grid_ids, *, by_worker: bool) -> list[tuple]:
    """(grid id, worker id or None, slots checked, pairs checked, objects visited).

    Each active item's slots from the first period overlapping the days, joined to a
    small list of (item, first period) rows: one pass over the slots, hashed."""
    windows = [(version.item_id, periods_overlapping(version.frequency, first, last)[0][0]) for version in items_active()]
    if not windows or (grid_ids is not None and not grid_ids):
        return []
    values = ", ".join(["(%s, %s)"] * len(windows))
    params = [value for window in windows for value in window]
    earliest = min(lowest for _item, lowest in windows)
    where = "s.period_start >= %s AND s.period_start <= %s AND s.period_start >= w.lowest"
    params += [earliest, last]
    if grid_ids is not None:
        where += f" AND s.grid_id IN ({', '.join(['%s'] * len(grid_ids))})"
        params += list(grid_ids)
    worker = "s.worker_id" if by_worker else "NULL"
    if connection.vendor == "postgresql":
        # One bigint per object (kind × 2^40 + id) and per pair: counting distinct
        # integers is twice as fast as counting distinct rows.
        kind = "CASE s.object_kind " + " ".join(f"WHEN '{value}' THEN {code}" for code, value in enumerate(Target.values)) + " END"
        obj = f"({kind}) * 1099511627776 + s.object_id"
        pair = f"(s.item_id * 8 + {kind}) * 1099511627776 + s.object_id"
        lowest = "CAST(lowest AS date)"
    else:
        pair = "s.item_id || ':' || s.object_kind || ':' || s.object_id"
        obj, lowest = "s.object_kind || ':' || s.object_id", "lowest"
    sql = (f"WITH w (item_id, lowest) AS (SELECT column1, {lowest.replace('lowest', 'column2')} FROM (VALUES {values}) AS v) "
           f"SELECT s.grid_id, {worker}, COUNT(*), COUNT(DISTINCT {pair}), "
           f"COUNT(DISTINCT CASE WHEN s.object_kind <> 'grid' THEN {obj} END) "
           f"FROM patrols_patrolslot s JOIN w ON w.item_id = s.item_id WHERE {where} "
           f"GROUP BY s.grid_id{', s.worker_id' if by_worker else ''}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _activity(first: date, last: date, grid_ids) -> tuple[list[dict], list[dict]]:
    since, until = _bounds(first, last)
    rounds = PatrolRound.objects.filter(started_at__gte=since, started_at__lt=until)
    findings = PatrolFinding.objects.filter(created_at__gte=since, created_at__lt=until)
    if grid_ids is not None:
        rounds, findings = rounds.filter(grid_id__in=grid_ids), findings.filter(grid_id__in=grid_ids)
    round_rows = list(rounds.values("grid_id", "worker_id").annotate(
        n=Count("id"), metres=Sum("distance_m"), spent=Sum(F("ended_at") - F("started_at"))).order_by())
    valid = Q(event__accepted_at__lt=until) | Q(event__is_onsite=True)
    finding_rows = list(findings.values("grid_id", "worker_id").annotate(
        n=Count("id"), valid=Count("id", filter=valid)).order_by())
    return round_rows, finding_rows


def _activity_measures(row: dict) -> dict:
    if "metres" in row:
        spent = row["spent"] or timedelta(0)
        return {"rounds": row["n"], "distance_km": (row["metres"] or 0) / 1000, "hours": spent.total_seconds() / 3600}
    return {"findings": row["n"], "findings_valid": row["valid"]}


def ratios_apply(units, ratios=SHARES) -> None:
    for unit in units:
        for ratio in ratios:
            denominator = unit.measures.get(ratio.denominator) or 0
            unit.ratios[ratio.code] = unit.measures.get(ratio.numerator, 0) / denominator if denominator else None


def coverage_compute(*, kind: str, first: date, last: date, grids, workers=None, units=None) -> list[Coverage]:
    """Coverage of every unit of ``kind`` over the days ``first``..``last``.

    ``grids``: the grid rows ``(id, path, code, name)`` in scope, or ``None`` for all;
    ``units``: the community/street rows ``(id, path, code, name)``; ``workers``: a map
    worker id → (name, [grid ids]) for ``kind="worker"``."""
    from grids.models import GRID_LEVELS, Area

    if grids is None:
        grid_rows = list(Area.objects.filter(level__in=GRID_LEVELS).values_list("id", "path", "code", "name"))
        grid_ids = None
    else:
        grid_rows = list(grids)
        grid_ids = [row[0] for row in grid_rows]
    due = _due(first, last, grid_ids)
    round_rows, finding_rows = _activity(first, last, grid_ids)
    if kind == "worker":
        result = {worker_id: Coverage(worker_id, "", name) for worker_id, (name, _grids) in (workers or {}).items()}
        for worker_id, (_name, worker_grid_ids) in (workers or {}).items():
            for grid_id in worker_grid_ids:
                slots, pairs = due.get(grid_id, (0, 0))
                result[worker_id].add({"slots_due": slots, "pairs_due": pairs})
        mine = {worker_id: set(grid_list) for worker_id, (_n, grid_list) in (workers or {}).items()}
        for grid_id, worker_id, slots, pairs, objects in _checked(first, last, grid_ids, by_worker=True):
            if worker_id in result and grid_id in mine[worker_id]:
                result[worker_id].add({"slots_checked": slots, "pairs_checked": pairs, "objects_visited": objects})
        for row in round_rows + finding_rows:
            if row["worker_id"] in result:
                result[row["worker_id"]].add(_activity_measures(row))
        units_out = list(result.values())
        ratios_apply(units_out)
        return units_out
    by_grid = {row[0]: Coverage(row[0], row[2], row[3]) for row in grid_rows}
    for grid_id, (slots, pairs) in due.items():
        if grid_id in by_grid:
            by_grid[grid_id].add({"slots_due": slots, "pairs_due": pairs})
    for grid_id, _worker, slots, pairs, objects in _checked(first, last, grid_ids, by_worker=False):
        if grid_id in by_grid:
            by_grid[grid_id].add({"slots_checked": slots, "pairs_checked": pairs, "objects_visited": objects})
    for row in round_rows + finding_rows:
        if row["grid_id"] in by_grid:
            by_grid[row["grid_id"]].add(_activity_measures(row))
    if kind == "grid":
        units_out = list(by_grid.values())
    else:
        parents = {row[1]: Coverage(row[0], row[2], row[3]) for row in units or ()}
        lengths = sorted({len(path) for path in parents})
        for grid_id, path, _code, _name in grid_rows:
            for length in lengths:
                parent = parents.get(path[:length])
                if parent is not None:
                    parent.add(by_grid[grid_id].measures)
                    break
        units_out = list(parents.values())
    ratios_apply(units_out)
    return units_out
