"""Reads for assessment: ratios per unit, composite scores and ranks, snapshots, the
events behind a figure, and points rankings.

Every figure is a ``Count("id", filter=Q(...))`` computed by the database, with **one
aggregate query per unit kind** (``GROUP BY`` the unit: the grid path's prefix for
streets, communities and grids, ``primary_department`` for departments, ``reporter``
for grid workers), never a loop over events in Python. What a user may see is decided
by ``accounts.scoping``: units inside their subtrees, departments they work in or that
sit inside their subtrees, grid workers of their grids.
"""

import json
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404

from accounts.models import Department
from accounts.scoping import (
    access_area,
    access_assessable_department,
    access_grid_worker,
    areas_visible_to,
    departments_assessable_by,
    events_visible_to,
    grid_workers_visible_to,
    subtree_q,
    user_scope,
)
from assessment.models import AREA_UNIT_KINDS, PointEntry, RatioDefinition, ScoreFormula, Snapshot, UnitKind
from assessment.patrol import is_patrol, patrol_coverage_all, with_patrol_counts
from assessment.periods import Period
from assessment.specs import patrol_measure, spec_q, timer_floor
from events.models import Event
from grids.models import Area


@dataclass
class Ratio:
    """A ratio's definition as used for one computation (from the database or a snapshot)."""

    code: str
    name: str
    name_en: str
    denominator: dict
    numerator: dict
    higher_is_better: bool = True
    weight: float = 1.0

    @property
    def patrol(self) -> bool:
        """Counts patrol coverage measures (``assessment.patrol``), not events."""
        return is_patrol(self)

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name


@dataclass
class UnitResult:
    kind: str
    id: int
    code: str
    name: str
    # {ratio code: (numerator, denominator)}
    counts: dict = field(default_factory=dict)
    score: float | None = None
    rank: int | None = None

    def rate(self, code: str) -> float | None:
        numerator, denominator = self.counts.get(code, (0, 0))
        return numerator / denominator if denominator else None


def ratios_current() -> list[Ratio]:
    return [
        Ratio(row.code, row.name, row.name_en, row.denominator, row.numerator, row.higher_is_better, row.weight)
        for row in RatioDefinition.objects.filter(is_active=True)
    ]


def ratios_as_data(ratios: list[Ratio]) -> list[dict]:
    return [{"code": ratio.code, "name": ratio.name, "name_en": ratio.name_en, "denominator": ratio.denominator,
             "numerator": ratio.numerator, "higher_is_better": ratio.higher_is_better, "weight": ratio.weight}
            for ratio in ratios]


def formula_current() -> dict:
    """The default score formula as data: {"code", "name", "name_en", "terms"}."""
    formula = ScoreFormula.objects.filter(is_default=True).first() or ScoreFormula.objects.first()
    if formula is None:
        return {"code": "", "name": "", "name_en": "", "terms": []}
    return {"code": formula.code, "name": formula.name, "name_en": formula.name_en, "terms": formula.terms}


# --- Computing ------------------------------------------------------------------------------------


def _common(ratios: list[Ratio]) -> dict:
    """The conditions every denominator shares (for the seeded ratios: the period's
    bounds on ``reported_at``)."""
    shared = None
    for ratio in ratios:
        items = {(key, json.dumps(value, sort_keys=True)) for key, value in ratio.denominator.items()}
        shared = items if shared is None else shared & items
    return {key: json.loads(value) for key, value in shared or ()}


def _aggregates(ratios: list[Ratio], period: Period) -> tuple[Q, dict]:
    """The ``WHERE`` and one pair of counts per ratio. Conditions every denominator
    shares go into the ``WHERE`` once (an index range on ``reported_at`` for the seeded
    ratios) instead of into every ``FILTER``; without shared conditions the ``WHERE``
    is any ratio's denominator."""
    since, until = period.since, period.until
    common = _common(ratios)
    where = spec_q(common, start=since, end=until) if common else Q(pk__in=[])
    aggregates = {}
    for index, ratio in enumerate(ratios):
        floor = timer_floor(ratio.denominator, since)
        rest = {key: value for key, value in ratio.denominator.items() if key not in common}
        denominator = spec_q(rest, start=since, end=until, timers_since=floor)
        numerator = spec_q(ratio.numerator, start=since, end=until, timers_since=floor)
        if not common:
            where |= denominator
        aggregates[f"d{index}"] = Count("id", filter=denominator) if rest else Count("id")
        aggregates[f"n{index}"] = Count("id", filter=denominator & numerator)
    return where, aggregates


@contextmanager
def assessment_transaction():
    """A transaction in which PostgreSQL may use ``ASSESSMENT_WORK_MEM`` per sort or hash
    (``SET LOCAL``), so each stage condition's id set is hashed once; with too little
    memory PostgreSQL would probe the set once per event instead."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.ASSESSMENT_WORK_MEM])
        yield


def _level_depths(level: str) -> list[int]:
    return sorted(set(Area.objects.filter(level=level).values_list("depth", flat=True)))


def _grouped(events: QuerySet, kind: str, ratios: list[Ratio], period: Period) -> list[tuple[object, dict]]:
    """[(unit key, {ratio code: (numerator, denominator)})] from one query per unit kind
    (one per tree depth of the kind's level, which is one in any single tree). Patrol
    ratios are left to ``assessment.patrol``."""
    ratios = [ratio for ratio in ratios if not ratio.patrol]
    if not ratios:
        return []
    where, aggregates = _aggregates(ratios, period)
    events = events.filter(where).order_by()
    if kind in AREA_UNIT_KINDS:
        queries = [
            events.annotate(unit=Substr("grid__path", 1, depth * Area.steplen)).values("unit")
            for depth in _level_depths(kind)
        ]
    elif kind == UnitKind.DEPARTMENT:
        queries = [events.filter(primary_department__isnull=False).values("primary_department_id")]
    elif kind == UnitKind.WORKER:
        queries = [events.filter(reporter__isnull=False).values("reporter_id")]
    else:
        raise ValueError(kind)
    rows = []
    with assessment_transaction():
        for query in queries:
            for row in query.annotate(**aggregates):
                key = row.get("unit", row.get("primary_department_id", row.get("reporter_id")))
                counts = {ratio.code: (row[f"n{index}"], row[f"d{index}"]) for index, ratio in enumerate(ratios)}
                rows.append((key, counts))
    return rows


def _scoped_events(user, kind: str) -> QuerySet:
    """The events that can count for the units of ``kind`` the user may see (``None``:
    the system, every unit)."""
    events = Event.objects.all()
    if user is None:
        return events
    scope = user_scope(user)
    if scope.is_global:
        return events
    if kind in AREA_UNIT_KINDS:
        if not scope.area_paths:
            return events.none()
        return events.filter(grid_id__in=Area.objects.filter(subtree_q(scope.area_paths)).values("id"))
    if kind == UnitKind.DEPARTMENT:
        return events.filter(primary_department__in=departments_assessable_by(user))
    return events.filter(reporter__in=grid_workers_visible_to(user))


def _units(user, kind: str, keys) -> dict:
    """Unit key → (id, code, name) for the units the user may see."""
    if kind in AREA_UNIT_KINDS:
        areas = Area.objects.filter(level=kind, path__in=list(keys)) if keys is not None else Area.objects.filter(level=kind)
        if user is not None:
            areas = areas.filter(pk__in=areas_visible_to(user).values("id"))
        return {path: (pk, code, name) for pk, path, code, name in areas.values_list("id", "path", "code", "name")}
    if kind == UnitKind.DEPARTMENT:
        departments = departments_assessable_by(user) if user is not None else Department.objects.all()
        if keys is not None:
            departments = departments.filter(pk__in=list(keys))
        return {pk: (pk, code, name) for pk, code, name in departments.values_list("id", "code", "name")}
    workers = grid_workers_visible_to(user) if user is not None else grid_workers_visible_to(_System())
    if keys is not None:
        workers = workers.filter(pk__in=list(keys))
    return {pk: (pk, username, full_name or username) for pk, username, full_name in
            workers.values_list("id", "username", "full_name")}


class _System:
    """Stands for the platform itself (snapshots): sees every unit."""

    is_authenticated = True
    is_active = True
    is_superuser = True


def score_of(counts: dict, formula: dict) -> float | None:
    """The weighted sum of the formula's ratios (×100 scale of the weights). A ratio with
    nothing to count (denominator 0) is left out and the other weights are scaled up to
    the full total; with nothing to count at all there is no score."""
    total = used = points = 0.0
    for term in formula.get("terms") or []:
        weight = float(term.get("weight", 1))
        total += weight
        numerator, denominator = counts.get(term["ratio"], (0, 0))
        if not denominator:
            continue
        rate = numerator / denominator
        points += weight * ((1 - rate) if term.get("invert") else rate)
        used += weight
    if not used:
        return None
    return round(points * total / used, 2)


def ranked(results: list[UnitResult]) -> list[UnitResult]:
    """Best score first; equal scores share a rank (1, 2, 2, 4); units without a score last."""
    results.sort(key=lambda unit: (unit.score is None, -(unit.score or 0), unit.code))
    previous, rank = None, 0
    for position, unit in enumerate(results, start=1):
        if unit.score is None:
            unit.rank = None
            continue
        if unit.score != previous:
            rank, previous = position, unit.score
        unit.rank = rank
    return results


def results_compute(*, user, kind: str, period: Period, ratios: list[Ratio] | None = None,
                    formula: dict | None = None, include_empty: bool = True) -> list[UnitResult]:
    """Every visible unit of ``kind`` with its counts, score and rank, computed now
    (``user=None``: the platform, every unit)."""
    ratios = ratios_current() if ratios is None else ratios
    formula = formula_current() if formula is None else formula
    counts_by_key = dict(_grouped(_scoped_events(user, kind), kind, ratios, period))
    units = _units(user, kind, None if include_empty else counts_by_key.keys())
    counts_by_key = with_patrol_counts(counts_by_key, units, user=user, kind=kind, period=period, ratios=ratios)
    return _results(kind, counts_by_key, units, ratios, formula)


def _results(kind: str, counts_by_key: dict, units: dict, ratios: list[Ratio], formula: dict) -> list[UnitResult]:
    empty = {ratio.code: (0, 0) for ratio in ratios}
    return ranked([UnitResult(kind, pk, code, name, counts_by_key.get(key, empty),
                              score_of(counts_by_key.get(key, empty), formula))
                   for key, (pk, code, name) in units.items()])


def results_compute_all(*, period: Period, ratios: list[Ratio] | None = None,
                        formula: dict | None = None) -> dict[str, list[UnitResult]]:
    """Every unit of every kind, for the platform (snapshots): **one** aggregate query
    grouped by (grid, primary department, reporter), whose few thousand rows of counts
    are then added up per street, community, grid, department and grid worker (counts
    add up; no event is looked at in Python). Gives the same figures as
    ``results_compute`` per kind with a fifth of the scans."""
    ratios = ratios_current() if ratios is None else ratios
    formula = formula_current() if formula is None else formula
    totals: dict = {kind: {} for kind in UnitKind.values}
    every_ratio, ratios = ratios, [ratio for ratio in ratios if not ratio.patrol]
    if ratios:
        where, aggregates = _aggregates(ratios, period)
        query = (Event.objects.filter(where).order_by()
                 .values("grid_id", "primary_department_id", "reporter_id").annotate(**aggregates))
        with assessment_transaction():
            rows = list(query)
        grid_paths = dict(Area.objects.filter(pk__in={row["grid_id"] for row in rows}).values_list("id", "path"))
        lengths = {kind: [depth * Area.steplen for depth in _level_depths(kind)] for kind in AREA_UNIT_KINDS}

        def add(kind, key, row):
            if key is None:
                return
            counts = totals[kind].setdefault(key, [[0, 0] for _ratio in ratios])
            for index, pair in enumerate(counts):
                pair[0] += row[f"n{index}"]
                pair[1] += row[f"d{index}"]

        for row in rows:
            path = grid_paths.get(row["grid_id"], "")
            for kind, lengths_of_kind in lengths.items():
                for length in lengths_of_kind:
                    if len(path) >= length:
                        add(kind, path[:length], row)
            add(UnitKind.DEPARTMENT, row["primary_department_id"], row)
            add(UnitKind.WORKER, row["reporter_id"], row)
    results = {}
    patrols = patrol_coverage_all(period=period, ratios=every_ratio)
    for kind in UnitKind.values:
        counts_by_key = {key: {ratio.code: tuple(pair) for ratio, pair in zip(ratios, counts, strict=True)}
                         for key, counts in totals[kind].items()}
        units = _units(None, kind, None)
        counts_by_key = with_patrol_counts(counts_by_key, units, user=None, kind=kind, period=period, ratios=every_ratio,
                                           by_kind=patrols)
        results[kind] = _results(kind, counts_by_key, units, every_ratio, formula)
    return results


# --- Snapshots ------------------------------------------------------------------------------------


def snapshot_for(period: Period) -> Snapshot | None:
    return Snapshot.objects.filter(start=period.start, end=period.end).first()


def _visible_rows(user, rows: QuerySet, kind: str) -> QuerySet:
    if kind in AREA_UNIT_KINDS:
        return rows.filter(unit_id__in=areas_visible_to(user).values("id"))
    if kind == UnitKind.DEPARTMENT:
        return rows.filter(unit_id__in=departments_assessable_by(user).values("id"))
    return rows.filter(unit_id__in=grid_workers_visible_to(user).values("id"))


def results_for(*, user, kind: str, period: Period) -> tuple[list[UnitResult], list[Ratio], dict, Snapshot | None]:
    """What the pages, exports and API show: the frozen snapshot of the period when
    there is one, else the figures computed now. Returns (units, ratios, formula, snapshot)."""
    snapshot = snapshot_for(period)
    if snapshot is None:
        ratios, formula = ratios_current(), formula_current()
        return results_compute(user=user, kind=kind, period=period, ratios=ratios, formula=formula), ratios, formula, None
    ratios = [Ratio(**{key: item[key] for key in ("code", "name", "name_en", "denominator", "numerator",
                                                  "higher_is_better", "weight")}) for item in snapshot.definitions]
    rows = _visible_rows(user, snapshot.rows.filter(unit_kind=kind), kind)
    results = [UnitResult(kind, row.unit_id, row.unit_code, row.unit_name,
                          {code: tuple(pair) for code, pair in row.counts.items()}, row.score, row.rank)
               for row in rows]
    return ranked(results), ratios, snapshot.formula, snapshot


# --- One unit, and the events behind a figure ----------------------------------------------------


def unit_access(user, kind: str, unit_id) -> tuple[object, str]:
    """The unit if the user may read its assessment (``Http404`` otherwise), and its name."""
    if kind in AREA_UNIT_KINDS:
        area = access_area(user, unit_id)
        if area.level != kind:
            raise Http404("No such unit")
        return area, area.name
    if kind == UnitKind.DEPARTMENT:
        department = access_assessable_department(user, unit_id)
        return department, department.name
    if kind == UnitKind.WORKER:
        worker = access_grid_worker(user, unit_id)
        return worker, worker.display_name
    raise Http404("No such unit")


def _unit_q(kind: str, unit) -> Q:
    if kind in AREA_UNIT_KINDS:
        return Q(grid__path__startswith=unit.path)
    if kind == UnitKind.DEPARTMENT:
        return Q(primary_department=unit)
    return Q(reporter=unit)


def counted_events(*, user, kind: str, unit_id, ratio_code: str, part: str, period: Period) -> tuple[QuerySet, int]:
    """The events behind a unit's figure that the user may open, and how many the figure
    counts in all: ``part`` is ``"denominator"`` or ``"numerator"`` (the ratio's current
    definition, or the snapshot's copy for a frozen period).

    The rule (docs/assessment.md): a figure counts every event of the unit, the same for
    every viewer; its list shows the ones the viewer may open and says how many others
    it counts (e.g. a case the department returned, now handled elsewhere) without
    naming them."""
    unit, _name = unit_access(user, kind, unit_id)
    snapshot = snapshot_for(period)
    if snapshot is not None:
        definition = next((item for item in snapshot.definitions if item["code"] == ratio_code), None)
    else:
        row = RatioDefinition.objects.filter(code=ratio_code).values("denominator", "numerator").first()
        definition = row
    if definition is None or part not in ("denominator", "numerator") or patrol_measure(definition["denominator"]):
        raise Http404("No such ratio")  # patrol ratios count coverage, not events: the scorecard links to it
    since, until = period.since, period.until
    floor = timer_floor(definition["denominator"], since)
    condition = spec_q(definition["denominator"], start=since, end=until, timers_since=floor)
    if part == "numerator":
        condition &= spec_q(definition["numerator"], start=since, end=until, timers_since=floor)
    counted = Event.objects.filter(_unit_q(kind, unit)).filter(condition)
    return counted.filter(pk__in=events_visible_to(user).values("pk")), counted.count()


# --- Points ---------------------------------------------------------------------------------------


def points_ranking(*, user, month) -> list[dict]:
    """Grid workers the user may see, by their points in the month (most first)."""
    rows = (
        PointEntry.objects.filter(month=month, user__in=grid_workers_visible_to(user))
        .values("user_id", "user__username", "user__full_name")
        .annotate(points=Sum("points"), entries=Count("id"))
        .order_by("-points", "user__username")
    )
    ranking, previous, rank = [], None, 0
    for position, row in enumerate(rows, start=1):
        if row["points"] != previous:
            rank, previous = position, row["points"]
        ranking.append({"rank": rank, "user_id": row["user_id"], "username": row["user__username"],
                        "name": row["user__full_name"] or row["user__username"], "points": row["points"],
                        "entries": row["entries"]})
    return ranking


def latest_period_with_data(user):
    """The month of the newest event the user may see (this month at the latest), so
    the assessment pages do not open on an empty month; last month without any."""
    from django.db.models import Max
    from django.utils import timezone

    from assessment.periods import last_month, month_period

    newest = events_visible_to(user).aggregate(newest=Max("reported_at"))["newest"]
    if newest is None:
        return last_month()
    day = min(timezone.localtime(newest).date(), timezone.localdate())
    return month_period(day.year, day.month)


def period_choices(today=None) -> list[tuple[str, str]]:
    """The period picker's choices: this month and the eleven before, then this year's
    and last year's quarters, newest first (value, label)."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    today = today or timezone.localdate()
    months, year, month = [], today.year, today.month
    for _index in range(12):
        months.append((f"{year}-{month:02d}", _("%(year)d-%(month)02d") % {"year": year, "month": month}))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    quarters = [(f"{y}-Q{q}", f"{y}-Q{q}") for y in (today.year, today.year - 1) for q in (4, 3, 2, 1)
                if (y, q) <= (today.year, (today.month - 1) // 3 + 1)]
    return months + quarters
