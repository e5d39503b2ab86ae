"""The command center's figures for a period (DESIGN §8): counts by state, new and closed
per day, the most common problems, the busiest grids and each department's on-time rate.

One scoped selector, ``dashboard_figures``, above events and workflow (it reads the
events and their stage timers; tests/events/test_import_direction.py), read by the dashboard page and the API. Every
figure is aggregated by the database (``GROUP BY`` on indexed columns: ``reported_at``,
``closed_at``, ``handled_at``), never by a loop over events in Python, so its cost follows
the number of groups, not the number of events.
"""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.scoping import events_visible_to
from events.forms import MAX_DAYS
from events.models import OPEN_STATES, ClosureType, State
from workflow.models import Stage, Timer

TOP = 10


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as aware datetimes in the platform's time zone: [start 00:00, end+1 00:00)."""
    zone = timezone.get_current_timezone()
    return (datetime.combine(start, time.min, tzinfo=zone), datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone))


def _per_day(events, field: str, since: datetime, until: datetime) -> dict[date, int]:
    rows = (
        events.filter(**{f"{field}__gte": since, f"{field}__lt": until})
        .annotate(day=TruncDate(field, tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["day"]: row["count"] for row in rows}


def dashboard_figures(*, user, start: date, end: date) -> dict:
    """Figures over the days ``start`` to ``end`` (both included, local time), for the
    events ``user`` may see (``accounts.scoping.events_visible_to``).

    Returns::

        {
          "start": date, "end": date,
          "totals": {"new": int, "closed": int, "open_now": int, "overdue_now": int},
          "by_state": {state: int for every workflow state},   # events reported in the period, by their state now
          "per_day": [{"day": date, "new": int, "closed": int}, ...],  # every day of the period, zeros included
          "top_categories": [{"id", "code", "name", "name_en", "big_class", "count"}, ...],  # small classes, most reported first
          "top_grids": [{"id", "code", "name", "count"}, ...],                    # most reported first
          "departments": [{"id", "name", "handled", "on_time", "rate"}, ...],   # by handled, most first
        }

    "closed" counts closures (结案: normal, overdue and special), not rejections or
    merges. A department's "handled" counts the events it reported a result for in the
    period (``handled_at``; the last result after a rework), "on_time" those whose sign
    and handle stages both met their deadlines; ``rate`` is on_time / handled (``None``
    when nothing was handled). Raises ``ValueError`` for an empty or too long period.
    """
    if end < start:
        raise ValueError("The period ends before it starts.")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValueError(f"The period is longer than {MAX_DAYS} days.")
    since, until = _bounds(start, end)
    events = events_visible_to(user).order_by()
    reported = events.filter(reported_at__gte=since, reported_at__lt=until)

    by_state = dict.fromkeys(State.values, 0)
    for row in reported.values("state").annotate(count=Count("id")):
        by_state[row["state"]] = row["count"]

    closures = events.filter(closure_type__in=ClosureType.values)
    new_per_day = _per_day(events, "reported_at", since, until)
    closed_per_day = _per_day(closures, "closed_at", since, until)
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    per_day = [{"day": day, "new": new_per_day.get(day, 0), "closed": closed_per_day.get(day, 0)} for day in days]

    top_categories = [
        {"id": row["category_id"], "code": row["category__code"], "name": row["category__name"],
         "name_en": row["category__name_en"], "big_class": row["category__parent__name"] or "", "count": row["count"]}
        for row in reported.values("category_id", "category__code", "category__name", "category__name_en",
                                   "category__parent__name")
        .annotate(count=Count("id")).order_by("-count", "category__code")[:TOP]
    ]
    top_grids = [
        {"id": row["grid_id"], "code": row["grid__code"], "name": row["grid__name"], "count": row["count"]}
        for row in reported.values("grid_id", "grid__code", "grid__name").annotate(count=Count("id"))
        .order_by("-count", "grid__code")[:TOP]
    ]

    late = Timer.objects.filter(event=OuterRef("pk"), stage__in=(Stage.SIGN, Stage.HANDLE), breached=True)
    handled = (
        events.filter(handled_at__gte=since, handled_at__lt=until, primary_department__isnull=False)
        .values("primary_department_id", "primary_department__name")
        .annotate(handled=Count("id"), on_time=Count("id", filter=~Exists(late)))
        .order_by("-handled", "primary_department__name")
    )
    departments = [
        {"id": row["primary_department_id"], "name": row["primary_department__name"], "handled": row["handled"],
         "on_time": row["on_time"], "rate": row["on_time"] / row["handled"] if row["handled"] else None}
        for row in handled
    ]

    open_now = events.filter(state__in=OPEN_STATES).aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(light="red"))
    )
    return {
        "start": start,
        "end": end,
        "totals": {"new": sum(new_per_day.values()), "closed": sum(closed_per_day.values()),
                   "open_now": open_now["open"], "overdue_now": open_now["overdue"]},
        "by_state": by_state,
        "per_day": per_day,
        "top_categories": top_categories,
        "top_grids": top_grids,
        "departments": departments,
    }

