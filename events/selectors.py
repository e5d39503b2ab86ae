"""Reads for events: duplicate hints, the default department, the dossier."""

import math
from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from accounts.models import Department
from accounts.scoping import ancestor_paths
from events.models import Category, Event

# Degrees of latitude per metre (the Earth's meridian is about 20,004 km long).
_DEG_PER_METRE = 180 / 20_004_000


def distance_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def duplicate_candidate(event: Event) -> Event | None:
    """The nearest open event of the same small class within the configured radius and
    time window (a hint for the dispatcher, who decides whether to merge)."""
    from workflow.machine import OPEN_STATES

    if event.latitude is None or event.longitude is None:
        return None
    radius = settings.EVENT_DUPLICATE_RADIUS_METRES
    d_lat = radius * _DEG_PER_METRE
    d_lon = d_lat / max(math.cos(math.radians(event.latitude)), 0.01)
    since = event.reported_at - timedelta(hours=settings.EVENT_DUPLICATE_WINDOW_HOURS)
    nearby = (
        Event.objects.filter(category_id=event.category_id, state__in=OPEN_STATES, reported_at__gte=since,
                             latitude__range=(event.latitude - d_lat, event.latitude + d_lat),
                             longitude__range=(event.longitude - d_lon, event.longitude + d_lon))
        .exclude(pk=event.pk)
        .values_list("pk", "latitude", "longitude")[:200]
    )
    best = None
    for pk, lat, lon in nearby:
        distance = distance_metres(event.latitude, event.longitude, lat, lon)
        if distance <= radius and (best is None or distance < best[0]):
            best = (distance, pk)
    return Event.objects.get(pk=best[1]) if best else None


def default_department_for(event: Event) -> Department | None:
    """The category's default department serving the event's grid: of the category's
    kind, at a node above the grid, preferring the category's level, else the nearest."""
    category: Category = event.category
    if not category.default_department_kind:
        return None
    candidates = list(
        Department.objects.filter(kind=category.default_department_kind, is_active=True,
                                  area__path__in=ancestor_paths(event.grid.path)).select_related("area")
    )
    if not candidates:
        return None
    preferred = [department for department in candidates if department.area.level == category.default_department_level]
    pool = preferred or candidates
    return max(pool, key=lambda department: department.area.depth)


def events_open_q() -> Q:
    from workflow.machine import OPEN_STATES

    return Q(state__in=OPEN_STATES)


def event_dossier(event: Event) -> dict:
    """Everything about the case, as frozen at archiving."""
    timeline = [
        {"at": entry.at.isoformat(), "transition": entry.transition, "from": entry.from_state, "to": entry.to_state,
         "actor": entry.actor.username if entry.actor_id else entry.actor_kind, "note": entry.note, "data": entry.data}
        for entry in event.timeline.select_related("actor").order_by("at", "id")
    ]
    attachments = [
        {"name": item.original_name, "file": item.file.name, "type": item.content_type, "stage": item.stage, "size": item.size}
        for item in event.attachments.all()
    ]
    departments = [
        {"department": item.department.name, "role": item.role, "assigned_at": item.assigned_at.isoformat(),
         "ended_at": item.ended_at.isoformat() if item.ended_at else None}
        for item in event.assignments.select_related("department")
    ]
    return {
        "code": event.code, "category": str(event.category), "urgency": event.urgency, "channel": event.channel,
        "grid": event.grid.name, "address": event.address, "latitude": event.latitude, "longitude": event.longitude,
        "description": event.description, "result": event.result, "closure_type": event.closure_type,
        "rating": event.rating, "rating_comment": event.rating_comment, "evaluation": event.evaluation,
        "rework_count": event.rework_count, "postpone_count": event.postpone_count, "was_overdue": event.was_overdue,
        "reported_at": event.reported_at.isoformat(), "closed_at": event.closed_at.isoformat() if event.closed_at else None,
        "timeline": timeline, "attachments": attachments, "departments": departments,
    }
