"""Reads for patrols, scoped through ``accounts.scoping``.

A user sees the rounds, checks and findings in grids of their subtrees, plus their own
rounds (a worker who moved to another grid still sees what they walked); ``access_*``
answers an id outside the scope exactly like a missing one (``Http404``).
"""

from django.db.models import Q, QuerySet, Value
from django.http import Http404

from accounts.scoping import filter_by_area_scope, user_scope
from patrols.models import PatrolClass, PatrolFinding, PatrolItem, PatrolRound


def rounds_visible_to(user) -> QuerySet[PatrolRound]:
    if user is None or not user.is_authenticated or not user.is_active:
        return PatrolRound.objects.none()
    if user_scope(user).is_global:
        return PatrolRound.objects.all()
    in_scope = filter_by_area_scope(PatrolRound.objects.all(), user, path_field="grid__path").values("id")
    condition = Q(pk__in=in_scope)
    condition |= Q(worker=user)
    return PatrolRound.objects.filter(condition)


def access_round(user, round_id) -> PatrolRound:
    try:
        return rounds_visible_to(user).select_related("grid", "worker").get(pk=round_id)
    except (PatrolRound.DoesNotExist, ValueError, TypeError):
        raise Http404("No such round") from None


def own_round_id(user, key: str) -> int:
    """The id of the user's own round started with the browser's key ``key`` (the phone
    queues a round's track, checks, findings and end behind its start, by key, so a round
    started offline is written to once the start reaches the server); ``Http404`` if the
    user started none with it."""
    found = PatrolRound.objects.filter(worker=user, client_key=str(key)[:64]).values_list("id", flat=True).first()
    if found is None:
        raise Http404("No such round")
    return found


def findings_visible_to(user) -> QuerySet[PatrolFinding]:
    return PatrolFinding.objects.filter(round__in=rounds_visible_to(user))


def catalogue() -> list[PatrolClass]:
    """Active classes with their active items' current versions, in checklist order."""
    from django.db.models import Prefetch

    items = (PatrolItem.objects.filter(is_active=True, current__isnull=False)
             .select_related("current", "current__default_category").order_by("order", "code"))
    return list(PatrolClass.objects.filter(is_active=True).prefetch_related(Prefetch("items", queryset=items)))


def my_rounds(user, limit: int = 20) -> list[PatrolRound]:
    return list(PatrolRound.objects.filter(worker=user).select_related("grid").order_by("-started_at")[:limit])


def open_round_of(user) -> PatrolRound | None:
    from patrols.models import RoundStatus

    return PatrolRound.objects.filter(worker=user, status=RoundStatus.OPEN).select_related("grid").first()


def coverage_for(*, user, kind: str, first, last, ordered: bool = True) -> list:
    """Coverage of the units of ``kind`` (grid, worker, community, street) the user may
    see (``user=None``: the platform, every unit), over the days ``first``..``last``,
    most behind first (``ordered``)."""
    from django.db.models.functions import Coalesce, NullIf

    from accounts.models import RoleAssignment
    from accounts.scoping import GRID_WORKER_ROLES, areas_visible_to, grid_workers_visible_to, grids_visible_to
    from grids.models import GRID_LEVELS, Area
    from patrols.coverage import SHARES, UNIT_KINDS, coverage_compute

    if kind not in UNIT_KINDS:
        raise Http404("No such unit kind")
    everything = user is None or user_scope(user).is_global
    grids = None if everything else list(grids_visible_to(user).values_list("id", "path", "code", "name"))
    units = workers = None
    if kind in ("community", "street"):
        areas = Area.objects.all() if user is None else areas_visible_to(user)
        units = list(areas.filter(level=kind).values_list("id", "path", "code", "name"))
    if kind == "worker":
        workers = {}
        assignments = RoleAssignment.objects.filter(revoked_at__isnull=True, role__in=GRID_WORKER_ROLES,
                                                    area__level__in=GRID_LEVELS)
        if user is not None:
            assignments = assignments.filter(user__in=grid_workers_visible_to(user))
        rows = (assignments.annotate(shown=Coalesce(NullIf("user__full_name", Value("")), "user__username"))
                .values_list("user_id", "shown", "area_id"))
        visible = None if grids is None else {row[0] for row in grids}
        for user_id, name, area_id in rows:
            if visible is None or area_id in visible:
                workers.setdefault(user_id, (name, []))[1].append(area_id)
    results = coverage_compute(kind=kind, first=first, last=last, grids=grids, workers=workers, units=units)
    if not ordered:
        return results

    def behind(unit):
        value = unit.ratios.get(SHARES[0].code)
        return (value is None, value if value is not None else 0, unit.code, unit.name)

    return sorted(results, key=behind)


OVERDUE_PAGE_GRIDS = 50


def overdue_page(*, user, after: str = "", within=None, size: int = OVERDUE_PAGE_GRIDS, day=None) -> dict:
    """One page of the overdue-patrol list of the user's area (or of ``within``, an area
    in scope), for an area of any size: keyset pages of ``size`` grids in tree order
    (``path``), each grid's overdue slots. Returns ``{"rows": [(grid, item version,
    slot)], "grids": [grid, …], "next": the cursor after the page's last grid or None}``.
    The cursor is the last grid's path; a page reads only its own grids."""
    from accounts.scoping import grids_visible_to
    from patrols.plans import overdue_slots

    grids = grids_visible_to(user).order_by("path")
    if within is not None:
        grids = grids.filter(path__startswith=within.path)
    if after:
        grids = grids.filter(path__gt=str(after)[:255])
    page = list(grids[:size + 1])
    more = len(page) > size
    page = page[:size]
    return {"rows": overdue_slots(grids=page, viewer=user, day=day), "grids": page,
            "next": page[-1].path if more and page else None}


def round_map_data(round: PatrolRound) -> dict:
    """A round for the map: the grid's boundary, the track in segments (split at gaps),
    the checked objects and the findings."""
    from patrols.track import track_segments

    checks = round.checks.select_related("version").order_by("checked_at")
    findings = round.findings.select_related("event", "event__category").order_by("created_at")
    return {
        "round": {"id": round.pk, "status": round.status, "worker": round.worker.display_name,
                  "started_at": round.started_at.isoformat(), "ended_at": round.ended_at.isoformat() if round.ended_at else None,
                  "distance_m": round.distance_m, "point_count": round.point_count},
        "grid": {"type": "Feature", "geometry": round.grid.boundary,
                 "properties": {"name": round.grid.name, "code": round.grid.code}},
        "segments": track_segments(round),
        "checks": [{"id": c.pk, "item": c.version.name, "object": c.object_label, "result": c.result,
                    "lat": c.lat, "lon": c.lon, "at": c.checked_at.isoformat()} for c in checks],
        "findings": [{"id": f.pk, "event": f.event_id, "code": f.event.code, "category": f.event.category.name,
                      "state": f.event.state, "lat": f.event.latitude, "lon": f.event.longitude} for f in findings],
    }
