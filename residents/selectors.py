"""Reads for residents, housing and places, all scoped through ``accounts.scoping``.

A user sees the residents, buildings and places whose grid lies in their subtrees;
``access_*`` answers an id outside the scope exactly like a missing one (``Http404``).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Role, RoleAssignment
from accounts.scoping import filter_by_area_scope, subtree_q, user_scope
from accounts.selectors import TeamMember, grid_teams
from residents import crypto
from residents.ids import InvalidNumber, ascii_digits, normalise_id, parse_id_number
from residents.models import Building, KeyPlace, Resident, ResidentImport, ResidentTag, Room
from residents.phones import phone_normalise
from residents.privacy import can_export, can_import, can_open_residents, may_see_clear, visible_tags_q

# Who records care visits: the grid's workers (full- and part-time) and its leader.
VISIT_ROLES = (Role.GRID_LEADER, Role.GRID_WORKER, Role.PARTTIME_WORKER)


def _object_or_404(queryset: QuerySet, object_id):
    try:
        return queryset.get(pk=object_id)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("No such object") from None


# --- Scoping -------------------------------------------------------------------------------


def residents_visible_to(user) -> QuerySet[Resident]:
    return filter_by_area_scope(Resident.objects.all(), user, path_field="grid__path")


def access_resident(user, resident_id) -> Resident:
    return _object_or_404(residents_visible_to(user).select_related("grid", "room__unit__building", "household"), resident_id)


def buildings_visible_to(user) -> QuerySet[Building]:
    return filter_by_area_scope(Building.objects.all(), user, path_field="grid__path")


def access_building(user, building_id) -> Building:
    return _object_or_404(buildings_visible_to(user).select_related("grid", "leader"), building_id)


def rooms_visible_to(user) -> QuerySet[Room]:
    """Housing units (房屋) in buildings of the user's grids."""
    return filter_by_area_scope(Room.objects.all(), user, path_field="building__grid__path")


def access_room(user, room_id) -> Room:
    return _object_or_404(rooms_visible_to(user).select_related("building", "unit"), room_id)


def key_places_visible_to(user) -> QuerySet[KeyPlace]:
    return filter_by_area_scope(KeyPlace.objects.all(), user, path_field="grid__path")


def access_key_place(user, place_id) -> KeyPlace:
    return _object_or_404(key_places_visible_to(user).select_related("grid"), place_id)


def resident_tags_visible_to(user) -> QuerySet[ResidentTag]:
    """Special-group tags in scope, of the groups the user's roles may see there
    (``residents.privacy``: need to know)."""
    tags = filter_by_area_scope(ResidentTag.objects.all(), user, path_field="grid__path")
    condition = visible_tags_q(user)
    return tags if condition is None else tags.filter(condition)


def access_resident_tag(user, tag_id) -> ResidentTag:
    return _object_or_404(resident_tags_visible_to(user).select_related("resident", "grid"), tag_id)


def imports_visible_to(user) -> QuerySet[ResidentImport]:
    """An import (its file and error report) is seen by the user who started it, by
    the administrators of a node above that user's areas, and by superusers."""
    scope = user_scope(user)
    if scope.is_global:
        return ResidentImport.objects.all()
    if not user.is_authenticated:
        return ResidentImport.objects.none()
    condition = Q(created_by=user)
    if scope.admin_paths:
        importers = RoleAssignment.objects.filter(revoked_at__isnull=True).filter(subtree_q(scope.admin_paths, "area__path"))
        condition |= Q(created_by__in=importers.values("user_id"))
    return ResidentImport.objects.filter(condition)


def access_import(user, import_id) -> ResidentImport:
    return _object_or_404(imports_visible_to(user), import_id)


def _holds_role_over(user, grid, roles) -> bool:
    scope = user_scope(user)
    if scope.is_global:
        return True
    paths = RoleAssignment.objects.filter(user=user, revoked_at__isnull=True, role__in=roles).values_list("area__path", flat=True)
    return any(path and grid.path.startswith(path) for path in paths)


def can_reveal(user, resident: Resident, field_name: str) -> bool:
    """May ``user`` see ``field_name`` of ``resident`` in clear?"""
    return may_see_clear(user, resident.grid.path, field_name)


def can_record_visit(user, grid) -> bool:
    return _holds_role_over(user, grid, VISIT_ROLES)


def may_record_visits(user) -> bool:
    """Does the user record care visits anywhere (the care-visits page)?"""
    scope = user_scope(user)
    return scope.is_global or bool(scope.role_paths(*VISIT_ROLES))


def areas_of(user, *, limit: int = 10) -> list:
    """The roots of the user's area scope (what the residents pages cover), for the page
    to say so; empty for a superuser (everything)."""
    from grids.models import Area

    scope = user_scope(user)
    return list(Area.objects.filter(path__in=scope.area_paths).order_by("path")[:limit]) if not scope.is_global else []


def residents_rights(user) -> dict:
    """What the residents pages offer the user (their links and buttons): the same
    checks the views and services refuse with."""
    return {"open": can_open_residents(user), "import": can_import(user), "export": can_export(user),
            "visits": may_record_visits(user)}


# --- Finding people ----------------------------------------------------------------------------


@dataclass
class SearchHit:
    resident: Resident
    grid_workers: list[TeamMember] = field(default_factory=list)
    police: list[TeamMember] = field(default_factory=list)


_PHONE_SEPARATORS = str.maketrans("", "", " -()")


def search_kind(query: str) -> tuple[str, str]:
    """What the query is: ("id_number", hashes), ("phone", hashes) or ("name", text).
    The hashes are the value's under the current key and, during a key rotation, the
    old ones (``crypto.lookup_hashes``)."""
    query = query.strip()
    # Full-width digits folded; the separators phone numbers are written with dropped.
    compact = normalise_id(query).translate(_PHONE_SEPARATORS)
    if len(compact) in (15, 18) and ascii_digits(compact[:15]):
        try:
            number = parse_id_number(compact)
        except InvalidNumber:
            pass
        else:
            return "id_number", crypto.lookup_hashes(number.value, field="id_number")
    if ascii_digits(compact.lstrip("+")) and len(compact) >= 7:
        try:
            return "phone", crypto.lookup_hashes(phone_normalise(query), field="phone")
        except InvalidNumber:
            pass
    return "name", query


def residents_matching(residents, query: str):
    """Narrow ``residents`` by what was typed: an ID number or a phone number (exact,
    through their lookup hashes; the numbers themselves are encrypted), else any part of
    the name ("桂英" finds 王桂英)."""
    kind, value = search_kind(query)
    if kind == "id_number":
        return residents.filter(id_hash__in=value)
    if kind == "phone":
        return residents.filter(phone_hash__in=value)
    return residents.filter(name__contains=value)


def resident_search(user, query: str, *, limit: int = 50, include_moved_out: bool = True) -> list[SearchHit]:
    """Residents in scope by part of the name, exact ID number or exact phone, each with
    building, room, grid, the grid's workers and police. Three queries whatever the
    number of hits (scope, residents, the grids' teams)."""
    query = (query or "").strip()
    if not query:
        return []
    residents = residents_matching(residents_visible_to(user), query)
    if not include_moved_out:
        residents = residents.filter(moved_out_on__isnull=True)
    hits = [
        SearchHit(resident)
        for resident in residents.select_related("grid", "room__unit__building").order_by("name", "id")[:limit]
    ]
    staff = _grid_staff({hit.resident.grid_id for hit in hits}, (Role.GRID_WORKER, Role.POLICE))
    for hit in hits:
        members = staff.get(hit.resident.grid_id, [])
        hit.grid_workers = [m for m in members if m.role == Role.GRID_WORKER]
        hit.police = [m for m in members if m.role == Role.POLICE]
    return hits


def _grid_staff(grid_ids, roles) -> dict[int, list[TeamMember]]:
    by_grid = defaultdict(list)
    if not grid_ids:
        return by_grid
    assignments = (
        RoleAssignment.objects.filter(area_id__in=grid_ids, role__in=roles, revoked_at__isnull=True, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__username")
    )
    for assignment in assignments:
        user = assignment.user
        by_grid[assignment.area_id].append(
            TeamMember(role=assignment.role, name=user.display_name, username=user.username, title=assignment.title, phone=user.phone)
        )
    return by_grid


# --- The building notice board (公示牌) ------------------------------------------------------------


@dataclass
class Contact:
    name: str
    phone: str
    label: str = ""


@dataclass
class NoticeBoard:
    building: Building
    leader: Contact | None
    unit_leaders: list[Contact]
    grid_leaders: list[TeamMember]
    grid_workers: list[TeamMember]
    police: list[TeamMember]
    doctors: list[TeamMember]


def _contact(user, name: str, phone: str, label: str = "") -> Contact | None:
    if user is not None:
        return Contact(name=user.display_name, phone=phone or user.phone, label=label)
    if name:
        return Contact(name=name, phone=phone, label=label)
    return None


def building_notice_board(building: Building) -> NoticeBoard:
    """Who answers for a building: its leader and unit leaders (stored on the building),
    and the grid's leader, worker, police and family doctor (its role assignments)."""
    units = building.units.select_related("leader").order_by("name")
    unit_leaders = [c for c in (_contact(u.leader, u.leader_name, u.leader_phone, u.name) for u in units) if c]
    team = grid_teams([building.grid])[0]
    return NoticeBoard(
        building=building,
        leader=_contact(building.leader, building.leader_name, building.leader_phone),
        unit_leaders=unit_leaders,
        grid_leaders=team.members_with_role(Role.GRID_LEADER),
        grid_workers=team.members_with_role(Role.GRID_WORKER),
        police=team.members_with_role(Role.POLICE),
        doctors=team.members_with_role(Role.DOCTOR),
    )


# --- Care visits ---------------------------------------------------------------------------------


def overdue_tags(user, *, today: datetime.date) -> QuerySet[ResidentTag]:
    """Active special-group tags in scope whose next care visit is past due."""
    return resident_tags_visible_to(user).filter(ended_on__isnull=True, next_visit_due__lt=today)


def overdue_visits_by_grid(user, *, today: datetime.date) -> list[tuple[int, str, str, int]]:
    """(grid id, grid code, grid name, overdue count) for each grid with overdue visits."""
    rows = (
        overdue_tags(user, today=today)
        .values("grid_id", "grid__code", "grid__name")
        .annotate(count=Count("id"))
        .order_by("-count", "grid__code")
    )
    return [(row["grid_id"], row["grid__code"], row["grid__name"], row["count"]) for row in rows]


def overdue_visits_by_worker(user, *, today: datetime.date) -> list[tuple[str, str, int]]:
    """(username, name, overdue count) per full-time grid worker of the grids in scope;
    a grid without a worker shows under an empty username."""
    per_grid = {grid_id: count for grid_id, _code, _name, count in overdue_visits_by_grid(user, today=today)}
    staff = _grid_staff(set(per_grid), (Role.GRID_WORKER,))
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for grid_id, count in per_grid.items():
        workers = staff.get(grid_id) or [TeamMember(role=Role.GRID_WORKER, name="", username="", title="", phone="")]
        for worker in workers:
            totals[(worker.username, worker.name)] += count
    return sorted(((username, name, count) for (username, name), count in totals.items()), key=lambda row: (-row[2], row[0]))


# --- The grid worker's pages ---------------------------------------------------------------------


def care_tags_to_visit(user, *, limit: int = 200) -> QuerySet[ResidentTag]:
    """Active special-group tags in scope, the most urgent visit first."""
    return (resident_tags_visible_to(user).filter(ended_on__isnull=True).select_related("resident", "grid")
            .order_by("next_visit_due", "id")[:limit])


@dataclass
class GridSheet:
    grid: object
    residents: int
    buildings: list
    places: list


def grid_sheets(user, *, limit: int = 20) -> list[GridSheet]:
    """The grids in the user's scope (a worker's one or few) with their buildings and key
    places and the number of current residents: four queries whatever the count."""
    from accounts.scoping import grids_visible_to

    grids = list(grids_visible_to(user).order_by("path")[:limit])
    ids = [grid.pk for grid in grids]
    counts = dict(Resident.objects.filter(grid_id__in=ids, moved_out_on__isnull=True).values("grid_id")
                  .annotate(count=Count("id")).values_list("grid_id", "count"))
    buildings = defaultdict(list)
    for building in Building.objects.filter(grid_id__in=ids).order_by("name"):
        buildings[building.grid_id].append(building)
    places = defaultdict(list)
    for place in KeyPlace.objects.filter(grid_id__in=ids).order_by("name"):
        places[place.grid_id].append(place)
    return [GridSheet(grid, counts.get(grid.pk, 0), buildings[grid.pk], places[grid.pk]) for grid in grids]
