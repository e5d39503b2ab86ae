"""Analytics for leaders and command centers (seeds 004): the most common problems and
the most urgent services, hotspots, and trends. Scoped through
``accounts.scoping.events_visible_to``; aggregated by the database."""

import math
from datetime import timedelta

from django.db import connection
from django.db.models import Aggregate, Avg, Count, DurationField, ExpressionWrapper, F, FloatField, Q
from django.db.models.functions import Floor, TruncDate
from django.utils import timezone

from accounts.scoping import events_visible_to
from assessment.periods import Period
from events.models import ClosureType, Rating
from workflow.models import Timer

METRES_PER_DEGREE = 111_320
TOP = 20


def _period_events(user, period: Period, area=None):
    events = events_visible_to(user).filter(reported_at__gte=period.since, reported_at__lt=period.until).order_by()
    if area is not None:
        events = events.filter(grid__path__startswith=area.path)
    return events


def problems(*, user, period: Period, area=None, order: str = "count") -> list[dict]:
    """Small classes reported in the period with their count, repeat rate (events that
    repeat an open one nearby: flagged duplicates and merged reports) and
    dissatisfaction rate (不满意 of the rated). ``order``: ``count`` (群众最常遇到的问题),
    ``repeat`` or ``dissatisfaction`` (群众最迫切的服务)."""
    rows = list(
        _period_events(user, period, area)
        .values("category_id", "category__code", "category__name", "category__name_en", "category__parent__name",
                "category__parent__name_en")
        .annotate(
            count=Count("id"),
            repeats=Count("id", filter=Q(duplicate_of__isnull=False) | Q(merged_into__isnull=False)),
            rated=Count("id", filter=Q(rating__in=Rating.values)),
            dissatisfied=Count("id", filter=Q(rating=Rating.DISSATISFIED)),
        )
    )
    for row in rows:
        row["repeat_rate"] = row["repeats"] / row["count"] if row["count"] else 0.0
        row["dissatisfaction_rate"] = row["dissatisfied"] / row["rated"] if row["rated"] else 0.0
    key = {"count": lambda row: (-row["count"], row["category__code"]),
           "repeat": lambda row: (-row["repeat_rate"], -row["count"], row["category__code"]),
           "dissatisfaction": lambda row: (-row["dissatisfaction_rate"], -row["dissatisfied"], row["category__code"])}
    return sorted(rows, key=key.get(order, key["count"]))[:TOP]


class Percentile(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(p) WITHIN GROUP (ORDER BY …)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), output_field=DurationField(), **extra)


def trends(*, user, period: Period, area=None) -> dict:
    """Per local day: events created, closed, and stage deadlines missed; per small class:
    the median and 90th percentile of the time from report to closure (PostgreSQL)."""
    zone = timezone.get_current_timezone()
    events = events_visible_to(user).order_by()
    if area is not None:
        events = events.filter(grid__path__startswith=area.path)
    created = dict(events.filter(reported_at__gte=period.since, reported_at__lt=period.until)
                   .annotate(day=TruncDate("reported_at", tzinfo=zone)).values("day").annotate(n=Count("id"))
                   .values_list("day", "n"))
    closures = events.filter(closed_at__gte=period.since, closed_at__lt=period.until, closure_type__in=ClosureType.values)
    closed = dict(closures.annotate(day=TruncDate("closed_at", tzinfo=zone)).values("day").annotate(n=Count("id"))
                  .values_list("day", "n"))
    overdue = dict(Timer.objects.filter(event__in=events, breached=True, due_at__gte=period.since, due_at__lt=period.until)
                   .exclude(stage="total").annotate(day=TruncDate("due_at", tzinfo=zone)).values("day")
                   .annotate(n=Count("id")).values_list("day", "n"))
    days = [period.start + timedelta(days=offset) for offset in range((period.end - period.start).days + 1)]
    per_day = [{"day": day, "created": created.get(day, 0), "closed": closed.get(day, 0), "overdue": overdue.get(day, 0)}
               for day in days]
    durations = []
    if connection.vendor == "postgresql":
        span = ExpressionWrapper(F("closed_at") - F("reported_at"), output_field=DurationField())
        durations = [
            {"code": row["category__code"], "name": row["category__name"], "name_en": row["category__name_en"],
             "closed": row["closed"], "median_hours": _hours(row["median"]), "p90_hours": _hours(row["p90"])}
            for row in closures.values("category__code", "category__name", "category__name_en")
            .annotate(closed=Count("id"), median=Percentile(span, 0.5), p90=Percentile(span, 0.9))
            .order_by("-closed", "category__code")[:TOP]
        ]
    return {"per_day": per_day, "durations": durations}


def _hours(value) -> float | None:
    return round(value.total_seconds() / 3600, 1) if value is not None else None


def hotspots(*, user, period: Period, radius_metres: int = 100, min_events: int = 3, area=None) -> list[dict]:
    """Places with repeated events of one small class in the period: events snapped to
    a lattice of cells ``radius_metres`` wide and grouped by (small class, cell) in the
    database; cells with at least ``min_events`` events, most first, with their ids."""
    events = _period_events(user, period, area).filter(latitude__isnull=False, longitude__isnull=False)
    centre = events.aggregate(lat=Avg("latitude"))["lat"]
    if centre is None:
        return []
    lat_step = radius_metres / METRES_PER_DEGREE
    lon_step = radius_metres / (METRES_PER_DEGREE * max(math.cos(math.radians(centre)), 0.01))
    cells = list(
        events.annotate(
            cell_y=Floor(ExpressionWrapper(F("latitude") / lat_step, output_field=FloatField())),
            cell_x=Floor(ExpressionWrapper(F("longitude") / lon_step, output_field=FloatField())),
        )
        .values("category_id", "category__code", "category__name", "category__name_en", "cell_y", "cell_x")
        .annotate(count=Count("id"), lat=Avg("latitude"), lon=Avg("longitude"))
        .filter(count__gte=min_events)
        .order_by("-count", "category__code")[:TOP * 5]
    )
    if not cells:
        return []
    inside = Q(pk__in=[])
    for cell in cells:
        inside |= Q(category_id=cell["category_id"],
                    latitude__gte=cell["cell_y"] * lat_step, latitude__lt=(cell["cell_y"] + 1) * lat_step,
                    longitude__gte=cell["cell_x"] * lon_step, longitude__lt=(cell["cell_x"] + 1) * lon_step)
    members: dict = {}
    for pk, category_id, latitude, longitude, code in events.filter(inside).values_list(
            "id", "category_id", "latitude", "longitude", "code"):
        key = (category_id, math.floor(latitude / lat_step), math.floor(longitude / lon_step))
        members.setdefault(key, []).append({"id": pk, "code": code, "lat": latitude, "lon": longitude})
    return [
        {"category_id": cell["category_id"], "code": cell["category__code"], "name": cell["category__name"],
         "name_en": cell["category__name_en"], "count": cell["count"], "lat": cell["lat"], "lon": cell["lon"],
         "events": members.get((cell["category_id"], int(cell["cell_y"]), int(cell["cell_x"])), [])}
        for cell in cells
    ]
