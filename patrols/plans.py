"""Patrol plans: what is due and what is overdue, per grid (and so per worker) and day,
worked out from the checklist and what the grid holds (DESIGN §7b).

An item is due once per period of its frequency (day, ISO week, month, quarter) at
each of its objects. On a day, a slot (item × object) is

* ``done``    — checked in the current period;
* ``overdue`` — not checked in the current period, and the previous period ended
  without a check although the object and the item existed then (like an overdue care
  visit, it stays overdue until it is checked);
* ``due``     — otherwise (including an object added during the current period).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from patrols.models import Frequency, PatrolItem, PatrolItemVersion, PatrolSlot, Target
from patrols.objects import PatrolObject, objects_of
from residents import privacy
from residents.models import SpecialGroup

# --- Periods -----------------------------------------------------------------------------------


def period_start(frequency: str, day: date) -> date:
    """First day of the period of ``frequency`` that contains ``day``."""
    if frequency == Frequency.DAILY:
        return day
    if frequency == Frequency.WEEKLY:
        return day - timedelta(days=day.weekday())
    if frequency == Frequency.MONTHLY:
        return day.replace(day=1)
    if frequency == Frequency.QUARTERLY:
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    raise ValueError(frequency)


def period_after(frequency: str, start: date) -> date:
    """First day of the period after the one starting on ``start``."""
    if frequency == Frequency.DAILY:
        return start + timedelta(days=1)
    if frequency == Frequency.WEEKLY:
        return start + timedelta(days=7)
    months = 1 if frequency == Frequency.MONTHLY else 3
    month = start.month - 1 + months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1, day=1)


def period_before(frequency: str, start: date) -> date:
    return period_start(frequency, start - timedelta(days=1))


def periods_overlapping(frequency: str, first: date, last: date) -> list[tuple[date, date]]:
    """(first day, last day) of every period that overlaps the days ``first``..``last``."""
    periods = []
    start = period_start(frequency, first)
    while start <= last:
        after = period_after(frequency, start)
        periods.append((start, after - timedelta(days=1)))
        start = after
    return periods


# --- Items -------------------------------------------------------------------------------------


def items_active() -> list[PatrolItemVersion]:
    """The current version of every active item of an active class, in checklist order,
    with ``since`` (the day the item was first published) set on each."""
    items = (PatrolItem.objects.filter(is_active=True, patrol_class__is_active=True, current__isnull=False)
             .select_related("current", "current__default_category", "patrol_class").order_by("order", "code"))
    firsts = dict(PatrolItemVersion.objects.filter(number=1).values_list("item_id", "created_at"))
    versions = []
    for item in items:
        version = item.current
        version.item = item
        first = firsts.get(item.pk)
        version.since = timezone.localtime(first).date() if first else date.min
        versions.append(version)
    return versions


# --- Plans -------------------------------------------------------------------------------------


@dataclass
class SlotState:
    object: PatrolObject
    status: str  # done / due / overdue
    period: tuple[date, date]


@dataclass
class ItemPlan:
    version: PatrolItemVersion
    slots: list[SlotState] = field(default_factory=list)

    @property
    def counts(self) -> dict:
        counted = {"done": 0, "due": 0, "overdue": 0}
        for slot in self.slots:
            counted[slot.status] += 1
        return counted

    @property
    def open_count(self) -> int:
        return sum(1 for slot in self.slots if slot.status != "done")


@dataclass
class GridPlan:
    grid: object
    day: date
    items: list[ItemPlan]

    @property
    def counts(self) -> dict:
        total = {"done": 0, "due": 0, "overdue": 0}
        for item in self.items:
            for key, value in item.counts.items():
                total[key] += value
        return total


def _kinds_for(viewer, grid, version) -> tuple | None:
    """The kinds of object ``viewer`` may see listed for ``version`` in ``grid``: for an
    item on special-group households, only the groups ``residents.privacy`` lets the
    viewer see there (a name under 吸毒人员 tells the tag); ``None``: none at all."""
    kinds = tuple(sorted(version.kinds or ()))
    if version.target != Target.SPECIAL or viewer is None:
        return kinds
    allowed = tuple(group for group in (kinds or SpecialGroup.values) if privacy.may_see_group(viewer, grid.path, group))
    return allowed or None


def grid_plan(*, grid, viewer, day: date | None = None, versions=None) -> GridPlan:
    """Every active item's slots in ``grid`` on ``day`` (default: today), as ``viewer``
    may see them (``None``: everything, for computations that show no names)."""
    day = day or timezone.localdate()
    versions = versions if versions is not None else items_active()
    objects_cache: dict[tuple, list[PatrolObject]] = {}
    wanted = []
    for version in versions:
        kinds = _kinds_for(viewer, grid, version)
        if kinds is None:
            continue
        key = (version.target, kinds)
        if key not in objects_cache:
            objects_cache[key] = objects_of(grid=grid, target=version.target, kinds=kinds)
        current = period_start(version.frequency, day)
        previous = period_before(version.frequency, current)
        objects = [obj for obj in objects_cache[key] if obj.since <= day]
        wanted.append((version, current, previous, objects))
    checked = set(
        PatrolSlot.objects.filter(grid=grid, period_start__gte=min((w[2] for w in wanted), default=day),
                                  period_start__lte=day)
        .values_list("item_id", "object_kind", "object_id", "period_start")
    )
    plans = []
    for version, current, previous, objects in wanted:
        plan = ItemPlan(version)
        period = (current, period_after(version.frequency, current) - timedelta(days=1))
        for obj in objects:
            if (version.item_id, obj.kind, obj.id, current) in checked:
                status = "done"
            elif obj.since < current and version.since < current and (version.item_id, obj.kind, obj.id, previous) not in checked:
                status = "overdue"
            else:
                status = "due"
            plan.slots.append(SlotState(obj, status, period))
        if plan.slots:
            plans.append(plan)
    return GridPlan(grid, day, plans)


def worker_grids(worker):
    """The grids a worker patrols: those they hold a grid worker's role on (full-time,
    part-time, grid leader), or every grid below a community they lead."""
    from accounts.models import RoleAssignment
    from accounts.scoping import GRID_WORKER_ROLES, subtree_q
    from grids.models import GRID_LEVELS, Area

    paths = list(RoleAssignment.objects.filter(user=worker, revoked_at__isnull=True, role__in=GRID_WORKER_ROLES,
                                               area__isnull=False).values_list("area__path", flat=True))
    if not paths:
        return Area.objects.none()
    return Area.objects.filter(subtree_q(paths), level__in=GRID_LEVELS).order_by("path")


def worker_plan(*, worker, day: date | None = None) -> list[GridPlan]:
    """Per worker and day: the plan of each grid the worker patrols."""
    versions = items_active()
    return [grid_plan(grid=grid, viewer=worker, day=day, versions=versions) for grid in worker_grids(worker)]


def overdue_slots(*, grids, viewer, day: date | None = None) -> list[tuple[object, PatrolItemVersion, SlotState]]:
    """The overdue patrol list for a set of grids, as ``viewer`` may see it: (grid, item version, slot)."""
    versions = items_active()
    rows = []
    for grid in grids:
        plan = grid_plan(grid=grid, viewer=viewer, day=day, versions=versions)
        for item in plan.items:
            rows += [(grid, item.version, slot) for slot in item.slots if slot.status == "overdue"]
    return rows


def plans_as_data(plans: list[GridPlan]) -> list[dict]:
    """Plans as JSON for the API and the phone page."""
    return [
        {"grid": plan.grid.pk, "grid_code": plan.grid.code, "grid_name": plan.grid.name, "day": plan.day.isoformat(),
         "counts": plan.counts,
         "items": [
             {"item": item.version.item_id, "code": item.version.item.code, "name": item.version.label,
              "class": item.version.item.patrol_class.label, "guidance": item.version.guidance,
              "target": item.version.target, "frequency": item.version.frequency,
              "frequency_label": str(item.version.get_frequency_display()),
              "default_category": item.version.default_category.code if item.version.default_category_id else None,
              "counts": item.counts,
              "slots": [{"kind": slot.object.kind, "id": slot.object.id, "label": slot.object.label,
                         "status": slot.status, "period": [slot.period[0].isoformat(), slot.period[1].isoformat()],
                         "lat": slot.object.lat, "lon": slot.object.lon} for slot in item.slots]}
             for item in plan.items]}
        for plan in plans
    ]
