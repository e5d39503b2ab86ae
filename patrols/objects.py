"""What a grid holds that patrol items are checked at: the grid itself, its buildings,
rental rooms, shops (rooms in commercial use), key places and special-group households
(a resident with an active special-group tag), each with the day it is known from.

Rooms keep no date of their own; they count from their building's."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from patrols.models import Target
from residents.models import Building, KeyPlace, ResidentTag, Room, RoomUse


@dataclass(frozen=True)
class PatrolObject:
    kind: str
    id: int
    label: str
    since: date
    lat: float | None = None
    lon: float | None = None


def _day(moment) -> date:
    return timezone.localtime(moment).date() if moment is not None else date.min


def objects_of(*, grid, target: str, kinds=()) -> list[PatrolObject]:
    """The objects of ``target`` in ``grid`` (``kinds``: key-place kinds or special groups)."""
    if target == Target.GRID:
        # The grid itself is always there (its row may have been imported later).
        return [PatrolObject(Target.GRID, grid.pk, grid.name, date.min, grid.label_lat, grid.label_lon)]
    if target == Target.BUILDING:
        return [PatrolObject(target, b.pk, b.name, _day(b.created_at), b.lat, b.lon)
                for b in Building.objects.filter(grid=grid).order_by("name")]
    if target in (Target.RENTAL, Target.SHOP):
        use = RoomUse.RENTAL if target == Target.RENTAL else RoomUse.COMMERCIAL
        rooms = Room.objects.filter(building__grid=grid, use=use).select_related("building", "unit").order_by("building__name", "number")
        return [PatrolObject(target, r.pk, f"{r.building.name}{r.unit.name}{r.number}", _day(r.building.created_at),
                             r.building.lat, r.building.lon) for r in rooms]
    if target == Target.KEY_PLACE:
        places = KeyPlace.objects.filter(grid=grid).order_by("name")
        if kinds:
            places = places.filter(kind__in=kinds)
        return [PatrolObject(target, p.pk, p.name, _day(p.created_at), p.lat, p.lon) for p in places]
    if target == Target.SPECIAL:
        tags = ResidentTag.objects.filter(grid=grid, ended_on__isnull=True)
        if kinds:
            tags = tags.filter(group__in=kinds)
        rows = tags.values("resident_id", "resident__name").annotate(since=Min("since")).order_by("resident__name")
        return [PatrolObject(target, row["resident_id"], row["resident__name"], row["since"]) for row in rows]
    raise ValueError(target)


def object_label(*, grid, kind: str, object_id: int) -> str | None:
    """The label of one object if it lies in ``grid`` (``None``: not there)."""
    if kind == Target.GRID:
        return grid.name if int(object_id) == grid.pk else None
    for obj in objects_of(grid=grid, target=kind):
        if obj.id == int(object_id):
            return obj.label
    return None


def object_counts(*, target: str, kinds=(), grid_ids=None) -> list[tuple[int, date, int]]:
    """``(grid id, since, count)`` for every grid (or those in ``grid_ids``): the
    set-based form of ``objects_of`` that coverage sums over a whole city."""
    if target == Target.GRID:
        from grids.models import Area

        grids = Area.objects.filter(level__in=("grid", "subgrid"))
        if grid_ids is not None:
            grids = grids.filter(pk__in=grid_ids)
        return [(grid_id, date.min, 1) for grid_id in grids.values_list("id", flat=True)]
    if target == Target.BUILDING:
        rows = Building.objects.all()
        grid_field, day_field = "grid_id", "created_at"
    elif target in (Target.RENTAL, Target.SHOP):
        rows = Room.objects.filter(use=RoomUse.RENTAL if target == Target.RENTAL else RoomUse.COMMERCIAL)
        grid_field, day_field = "building__grid_id", "building__created_at"
    elif target == Target.KEY_PLACE:
        rows = KeyPlace.objects.filter(kind__in=kinds) if kinds else KeyPlace.objects.all()
        grid_field, day_field = "grid_id", "created_at"
    elif target == Target.SPECIAL:
        tags = ResidentTag.objects.filter(ended_on__isnull=True)
        if kinds:
            tags = tags.filter(group__in=kinds)
        if grid_ids is not None:
            tags = tags.filter(grid_id__in=grid_ids)
        firsts = tags.values("grid_id", "resident_id").annotate(since=Min("since"))
        counted: dict[tuple[int, date], int] = {}
        for row in firsts:
            key = (row["grid_id"], row["since"])
            counted[key] = counted.get(key, 0) + 1
        return [(grid_id, since, count) for (grid_id, since), count in counted.items()]
    else:
        raise ValueError(target)
    if grid_ids is not None:
        rows = rows.filter(**{f"{grid_field}__in": grid_ids})
    grouped = rows.annotate(day=TruncDate(day_field)).values(grid_field, "day").annotate(n=Count("pk")).order_by()
    return list(grouped.values_list(grid_field, "day", "n"))
