"""Patrol ratios in the assessment (巡查覆盖率, 按期巡查率, 有效发现率; DESIGN §7b).

A ratio definition whose specs are ``{"patrol": "<measure>"}`` counts a patrol coverage
measure (``patrols.coverage.MEASURES``) instead of events. ``patrol_counts`` gives those
counts per unit for the unit kinds patrols measure (street, community, grid, grid
worker; a department has none, so its patrol ratios count 0 of 0 and are left out of
its score), from one coverage computation per kind (``patrols.selectors.coverage_for``,
scoped like the assessment: the viewer's units, or every unit for the platform).
"""

from assessment.models import UnitKind
from assessment.periods import Period
from assessment.specs import patrol_measure

PATROL_KINDS = {UnitKind.STREET: "street", UnitKind.COMMUNITY: "community", UnitKind.GRID: "grid",
                UnitKind.WORKER: "worker"}


def is_patrol(ratio) -> bool:
    return patrol_measure(ratio.denominator) is not None


def _counts(units, patrol: list) -> dict[int, dict[str, tuple]]:
    """Unit id → counts of the patrol ratios; a ratio with nothing to count (0 of 0) is
    left out, as for event ratios (``counts.get(code, (0, 0))``)."""
    result = {}
    for unit in units:
        counts = {}
        for ratio in patrol:
            pair = (unit.measures.get(patrol_measure(ratio.numerator), 0), unit.measures.get(patrol_measure(ratio.denominator), 0))
            if pair != (0, 0):
                counts[ratio.code] = pair
        if counts:
            result[unit.id] = counts
    return result


def patrol_counts(*, user, kind: str, period: Period, ratios: list, by_kind: dict | None = None) -> dict[int, dict[str, tuple]]:
    """Unit id → {ratio code: (numerator, denominator)} for the patrol ratios among
    ``ratios``; ``{}`` when there are none or the kind has no patrols. ``by_kind``: the
    coverage already computed for every kind (``patrol_coverage_all``)."""
    patrol = [ratio for ratio in ratios if is_patrol(ratio)]
    if not patrol or kind not in PATROL_KINDS:
        return {}
    if by_kind is not None:
        return _counts(by_kind[kind], patrol)
    from patrols.selectors import coverage_for

    return _counts(coverage_for(user=user, kind=PATROL_KINDS[kind], first=period.start, last=period.end, ordered=False), patrol)


def patrol_coverage_all(*, period: Period, ratios: list) -> dict | None:
    """Coverage of every unit of every patrol kind, for the platform (snapshots): the
    grids' once, added up into their communities and streets, and the grid workers'."""
    if not any(is_patrol(ratio) for ratio in ratios):
        return None
    from grids.models import Area
    from patrols.coverage import Coverage
    from patrols.selectors import coverage_for

    grids = coverage_for(user=None, kind="grid", first=period.start, last=period.end, ordered=False)
    paths = dict(Area.objects.filter(pk__in=[unit.id for unit in grids]).values_list("id", "path"))
    result = {UnitKind.GRID: grids,
              UnitKind.WORKER: coverage_for(user=None, kind="worker", first=period.start, last=period.end, ordered=False)}
    for kind in (UnitKind.COMMUNITY, UnitKind.STREET):
        parents = {path: Coverage(pk, code, name) for pk, path, code, name in
                   Area.objects.filter(level=kind).values_list("id", "path", "code", "name")}
        lengths = sorted({len(path) for path in parents})
        for unit in grids:
            path = paths.get(unit.id, "")
            parent = next((parents[path[:length]] for length in lengths if path[:length] in parents), None)
            if parent is not None:
                parent.add(unit.measures)
        result[kind] = list(parents.values())
    return result


def with_patrol_counts(counts_by_key: dict, units: dict, *, user, kind: str, period: Period, ratios: list,
                       by_kind: dict | None = None) -> dict:
    """``counts_by_key`` (unit key → event ratio counts) with the patrol ratios' counts
    added for every unit in ``units`` (key → (id, code, name))."""
    by_id = patrol_counts(user=user, kind=kind, period=period, ratios=ratios, by_kind=by_kind)
    if not by_id:
        return counts_by_key
    empty = {ratio.code: (0, 0) for ratio in ratios}
    merged = dict(counts_by_key)
    for key, (pk, _code, _name) in units.items():
        patrol = by_id.get(pk)
        if patrol is not None:
            merged[key] = {**empty, **merged.get(key, {}), **patrol}
    return merged
