"""Reads for events: duplicate hints, the default department, the dossier."""

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import Department
from accounts.scoping import ancestor_paths, events_visible_to, grids_visible_to, user_scope
from events.models import OPEN_STATES, AttachmentStage, Category, Event, EventDepartment, Light, State, light_filter
from governance.prepared import Prepared
from grids.models import Area

# Degrees of latitude per metre (the Earth's meridian is about 20,004 km long).
_DEG_PER_METRE = 180 / 20_004_000


def distance_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def open_events_near(events, *, category_id: int, latitude: float, longitude: float, since, radius: float,
                     limit: int = 5) -> list[tuple[float, int]]:
    """(distance in metres, id) of the open events of the small class within ``radius``
    of the point reported since ``since``, nearest first: a bounding box on the index of
    open events by class and position, then the exact distance."""
    rows = _open_in_box(events, category_id, *_box(latitude, longitude, radius), since)
    return _nearest(rows, latitude, longitude, radius, limit)


def _box(latitude: float, longitude: float, radius: float) -> tuple[float, float, float, float]:
    d_lat = radius * _DEG_PER_METRE
    d_lon = d_lat / max(math.cos(math.radians(latitude)), 0.01)
    return float(latitude - d_lat), float(latitude + d_lat), float(longitude - d_lon), float(longitude + d_lon)


def _open_in_box(events, category_id, south, north, west, east, since, *also):
    """(id, latitude, longitude, ``also``…) of the open events in the box, the newest 200."""
    return (events.filter(category_id=category_id, state__in=OPEN_STATES, reported_at__gte=since,
                          latitude__range=(south, north), longitude__range=(west, east))
            .order_by("-reported_at", "-id").values_list("pk", "latitude", "longitude", *also)[:200])


def _nearest(rows, latitude, longitude, radius, limit) -> list[tuple[float, int]]:
    found = sorted((distance_metres(latitude, longitude, lat, lon), pk) for pk, lat, lon, *_also in rows)
    return [(distance, pk) for distance, pk in found if distance <= radius][:limit]


# The duplicate check of every filing, composed once per process (governance.prepared),
# with what the answer needs to tell whether the reporter may see the event it names.
_OPEN_IN_BOX_BUT = Prepared(
    lambda exclude, *box: _open_in_box(Event.objects.exclude(pk=exclude), *box, "reporter_id", "grid__path"),
    markers=(-730_001, -730_002, -730_003.5, -730_004.5, -730_005.5, -730_006.5, datetime(1901, 1, 2, tzinfo=UTC)),
)


def duplicate_window_start(moment):
    return moment - timedelta(hours=settings.EVENT_DUPLICATE_WINDOW_HOURS)


def duplicate_candidate(event: Event) -> tuple[int, int | None, str | None] | None:
    """The nearest open event of the same small class within the configured radius and
    time window (a hint for the dispatcher, who decides whether to merge): its id, its
    reporter's and its grid's path, or ``None``."""
    if event.latitude is None or event.longitude is None:
        return None
    latitude, longitude, radius = float(event.latitude), float(event.longitude), settings.EVENT_DUPLICATE_RADIUS_METRES
    rows = _OPEN_IN_BOX_BUT.rows(event.pk or 0, int(event.category_id), *_box(latitude, longitude, radius),
                                 duplicate_window_start(event.reported_at))
    found = _nearest(rows, latitude, longitude, radius, 1)
    if not found:
        return None
    return next((pk, reporter_id, path) for pk, _lat, _lon, reporter_id, path in rows if pk == found[0][1])


def filing_check(user, *, category_id: int | None, latitude: float, longitude: float) -> dict:
    """What the filing form shows before it is sent: the grid the point lies in, an
    address from the nearest building the platform knows, and likely duplicates among
    the events ``user`` may see (or, for a resident, among all; the caller shows those
    without details)."""
    from django.utils import timezone

    from grids import spatial
    from residents.models import Building

    grid = spatial.grid_at(lat=latitude, lon=longitude)
    address = ""
    if grid is not None:
        radius = 150
        d_lat = radius * _DEG_PER_METRE
        d_lon = d_lat / max(math.cos(math.radians(latitude)), 0.01)
        buildings = Building.objects.filter(grid=grid, lat__range=(latitude - d_lat, latitude + d_lat),
                                            lon__range=(longitude - d_lon, longitude + d_lon)).values_list(
            "name", "address", "lat", "lon")[:200]
        nearest = min(((distance_metres(latitude, longitude, lat, lon), name, street) for name, street, lat, lon in buildings),
                      default=None)
        if nearest and nearest[0] <= radius:
            address = f"{nearest[2]} {nearest[1]}".strip()
    nearby = []
    if category_id:
        events = events_visible_to(user) if user is not None else Event.objects.all()
        found = open_events_near(events, category_id=category_id, latitude=latitude, longitude=longitude,
                                 since=duplicate_window_start(timezone.now()), radius=settings.EVENT_DUPLICATE_RADIUS_METRES)
        by_id = Event.objects.select_related("category").in_bulk([pk for _distance, pk in found])
        nearby = [(round(distance), by_id[pk]) for distance, pk in found if pk in by_id]
    return {"grid": grid, "address": address, "nearby": nearby}


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


# --- Page lists (scoped through accounts.scoping; keyset pages, never OFFSET) ----------------

PAGE_SIZE = 50


def _cursor_q(cursor: str) -> Q | None:
    """Rows after the cursor ``<reported_at ISO>|<id>`` in (-reported_at, -id) order."""
    from django.utils.dateparse import parse_datetime

    stamp, _sep, pk = (cursor or "").rpartition("|")
    moment = parse_datetime(stamp) if stamp else None
    if moment is None or not pk.isdigit():
        return None
    return Q(reported_at__lt=moment) | Q(reported_at=moment, id__lt=int(pk))


def keyset_page(events, cursor: str = "", size: int = PAGE_SIZE) -> tuple[list[Event], str]:
    """One page of ``events`` newest first, and the cursor of the next page ("" at the end)."""
    condition = _cursor_q(cursor)
    if condition is not None:
        events = events.filter(condition)
    rows = list(events.order_by("-reported_at", "-id")[: size + 1])
    if len(rows) <= size:
        return rows, ""
    last = rows[size - 1]
    return rows[:size], f"{last.reported_at.isoformat()}|{last.pk}"


def events_filtered(user, *, state: str = "", light: str = "", big_class: int | None = None, grid: str = "",
                    query: str = "", channel: str = "", mine: bool = False, open_only: bool = False):
    """The events ``user`` may see, narrowed by the inbox's filters. Archived events
    are left out unless asked for by their state (the archive is not work to do). The
    workflow's own filter (pending change requests) is added on top by
    ``workflow.selectors.with_pending_requests``."""
    events = events_visible_to(user).select_related("category", "category__parent", "grid")
    if state:
        events = events.filter(state=state)
    else:
        events = events.exclude(state=State.ARCHIVED)
    if open_only:
        events = events.filter(state__in=OPEN_STATES)
    if light:
        # The light as of now (issue 18), as the rows show it and as the API filters.
        events = events.filter(light_filter(light, timezone.now()), state__in=OPEN_STATES)
    if big_class:
        events = events.filter(category__parent_id=big_class)
    if grid:
        events = events.filter(grid__code__startswith=grid)
    if channel:
        events = events.filter(channel=channel)
    if mine:
        events = events.filter(reporter=user)
    if query:
        events = events.filter(Q(code__startswith=query) | Q(address__contains=query) | Q(description__contains=query))
    return events


def archive_queue(user, *, limit: int = 200) -> list[Event]:
    """Closed, rejected and merged events in scope waiting to be archived (待归档),
    longest closed first."""

    return list(
        events_visible_to(user).filter(state__in=(State.CLOSED, State.REJECTED, State.MERGED))
        .select_related("category", "category__parent", "grid").order_by(F("closed_at").asc(nulls_last=True), "id")[:limit]
    )


def department_queue(user):
    """Open work of the user's departments (primary or assisting), deadline first."""

    scope = user_scope(user)
    assigned = EventDepartment.objects.filter(department_id__in=scope.department_ids, ended_at__isnull=True).values("event_id")
    return (
        events_visible_to(user)
        .filter(Q(primary_department_id__in=scope.department_ids) | Q(pk__in=assigned))
        .filter(state__in=(State.DISPATCHED, State.HANDLING, State.HANDLED))
        .select_related("category", "grid", "primary_department")
        .order_by(F("due_at").asc(nulls_last=True), "-reported_at")
    )


def overdue_board(user) -> dict:
    """Red and yellow open events in scope: counts by primary department and by street,
    and the red ones, longest overdue first."""

    late = events_visible_to(user).filter(state__in=OPEN_STATES, light__in=(Light.RED, Light.YELLOW)).order_by()
    by_department: dict = {}
    for row in late.values("primary_department_id", "primary_department__name", "light").annotate(count=Count("id")):
        item = by_department.setdefault(row["primary_department_id"], {
            "name": row["primary_department__name"] or "", "red": 0, "yellow": 0})
        item[row["light"]] += row["count"]
    per_grid = list(late.values("grid__path", "light").annotate(count=Count("id")))
    prefixes = {ancestor for row in per_grid for ancestor in ancestor_paths(row["grid__path"])}
    streets = dict(Area.objects.filter(level="street", path__in=prefixes).values_list("path", "name"))
    by_street: dict = {}
    for row in per_grid:
        street = next((path for path in ancestor_paths(row["grid__path"]) if path in streets), "")
        item = by_street.setdefault(street, {"name": streets.get(street, ""), "red": 0, "yellow": 0})
        item[row["light"]] += row["count"]
    ordering = lambda item: (-item["red"], -item["yellow"], item["name"])  # noqa: E731
    red = (late.filter(light=Light.RED).select_related("category", "grid", "primary_department")
           .order_by("due_at")[:100])
    return {
        "by_department": sorted(by_department.values(), key=ordering),
        "by_street": sorted(by_street.values(), key=ordering),
        "red": list(red),
    }


MAP_MAX_EVENTS = 5000
MAP_MAX_GRIDS = 3000


def map_events(user) -> list[dict]:
    """Open events in scope with a position, newest first (capped), for the map."""

    rows = (
        events_visible_to(user).filter(state__in=OPEN_STATES, latitude__isnull=False)
        .order_by("-reported_at").values("id", "code", "latitude", "longitude", "light", "state", "category__name")
    )[:MAP_MAX_EVENTS]
    return [{"id": row["id"], "code": row["code"], "lat": row["latitude"], "lon": row["longitude"], "light": row["light"],
             "state": row["state"], "category": row["category__name"]} for row in rows]


def map_grids(user, *, bbox: tuple[float, float, float, float] | None = None) -> dict:
    """Grid boundaries in scope as a GeoJSON FeatureCollection (within ``bbox`` =
    west, south, east, north when given), at most ``MAP_MAX_GRIDS``; ``truncated`` tells
    the map to ask again for the part in view when zoomed in."""
    grids = grids_visible_to(user).filter(boundary__isnull=False)
    if bbox is not None:
        west, south, east, north = bbox
        grids = grids.filter(max_lon__gte=west, min_lon__lte=east, max_lat__gte=south, min_lat__lte=north)
    rows = list(grids.order_by("path").values("id", "code", "name", "boundary")[: MAP_MAX_GRIDS + 1])
    return {"type": "FeatureCollection", "truncated": len(rows) > MAP_MAX_GRIDS, "features": [
        {"type": "Feature", "geometry": row["boundary"], "properties": {"id": row["id"], "code": row["code"], "name": row["name"]}}
        for row in rows[:MAP_MAX_GRIDS]
    ]}


def event_public_status(tracking_code: str) -> Event | None:
    """The event a resident follows with the tracking code the public page gave them."""
    code = normalise_tracking_code(tracking_code)
    if not code:
        return None
    return Event.objects.filter(tracking_code=code).select_related("category", "category__parent", "primary_department").first()


def normalise_tracking_code(raw: str) -> str:
    """``3duw 682d axuh``, ``3DUW682DAXUH`` and ``3DUW–682D–AXUH`` all mean ``3DUW-682D-AXUH``:
    residents copy the code from a screenshot or read it out over the phone."""
    letters = "".join(char for char in (raw or "").upper() if char.isalnum())
    if len(letters) != 12:
        return (raw or "").strip().upper()
    return "-".join(letters[index:index + 4] for index in range(0, 12, 4))


# Photos a resident may see of their own case: what was reported, and the result.
RESULT_STAGES = (AttachmentStage.FEEDBACK, AttachmentStage.ONSITE)
PUBLIC_STAGES = (AttachmentStage.REPORT, *RESULT_STAGES)


def public_photos(event: Event, *, stages=PUBLIC_STAGES):
    return event.attachments.filter(is_image=True, stage__in=stages).order_by("uploaded_at", "id")


def event_for_rating(token: str) -> Event | None:
    """The event waiting for the rating of the link with ``token`` (``None`` when the link
    was used or the case closed)."""
    if not token:
        return None
    return Event.objects.filter(rating_token=token).select_related("category", "category__parent").first()


def public_progress(event: Event) -> list[dict]:
    """The steps of the loop as a resident sees them (no people, no internal stages):
    each with its label, when it was reached (``None`` not yet) and whether it is current."""
    from django.utils.translation import gettext as _


    if event.state in (State.REJECTED, State.MERGED):
        final = _("Not taken up as a new case") if event.state == State.REJECTED else _("Joined to an earlier report of the same problem")
        return [{"label": _("Reported"), "at": event.reported_at, "current": False},
                {"label": final, "at": event.closed_at, "current": True}]
    steps = [
        (_("Reported"), event.reported_at),
        (_("Accepted by the command center"), event.accepted_at),
        (_("Being handled"), event.dispatched_at or (event.handled_at if event.is_onsite else None)),
        (_("Handled and checked on site"), event.verified_at),
        (_("Closed"), event.closed_at),
    ]
    reached = [index for index, (_label, at) in enumerate(steps) if at]
    last = reached[-1] if reached else 0
    return [{"label": label, "at": at if index <= last else None, "current": index == last}
            for index, (label, at) in enumerate(steps)]
