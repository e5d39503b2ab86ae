"""The scoping rule, in one place (DESIGN §3).

A user sees and acts on what lies in the subtree of the nodes they hold a role on (or
were granted object access to through django-guardian), plus what belongs to their
departments, plus — once events exist — what they filed themselves. Nothing else,
through any page, API, export or admin screen. Every view, API and service that
takes an id goes through an ``access_*`` function here; forbidden and missing answer
the same (``Http404``).

Each condition is written on its own line so that tests can cover each one.
"""

import functools
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from guardian.models import GroupObjectPermission, UserObjectPermission

from accounts.models import DEPARTMENT_ROLES, Department, Role, RoleAssignment, User
from governance.cache import Derived
from governance.prepared import Prepared
from grids.models import GRID_LEVELS, Area

_CACHE_ATTR = "_governance_scope"


@dataclass(frozen=True)
class Scope:
    # Superusers see everything.
    is_global: bool
    # Paths of the subtree roots the user sees (no path is inside another).
    area_paths: tuple[str, ...]
    # Paths of the subtree roots the user may configure (admin role).
    admin_paths: tuple[str, ...]
    # Departments the user works in (department roles).
    department_ids: frozenset[int]
    # Departments the user administers (department admin role).
    admin_department_ids: frozenset[int]
    # For each area role the user holds, the subtree roots it is held on.
    paths_by_role: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # The user's groups (a department's group carries its object grants on events).
    group_ids: frozenset[int] = frozenset()

    def role_paths(self, *roles) -> tuple[str, ...]:
        """Subtree roots where the user holds any of ``roles``."""
        return tuple(path for role, paths in self.paths_by_role if role in roles for path in paths)

    def holds_role_over(self, path: str, *roles) -> bool:
        """Does the user hold one of ``roles`` on ``path`` or on a node above it?"""
        return any(path.startswith(root) for root in self.role_paths(*roles))


EMPTY_SCOPE = Scope(False, (), (), frozenset(), frozenset())


def _minimal_paths(paths) -> tuple[str, ...]:
    """Drop paths that lie inside another path of the set."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return tuple(kept)


def _granted_area_paths(user: User, group_ids) -> list[str]:
    """Paths of areas granted to the user, or to a group they are in, with the
    django-guardian object permission ``grids.view_area``. Read from guardian's tables
    by their indexes (guardian's ``get_objects_for_user`` casts every area id to text)."""
    content_type = ContentType.objects.get_for_model(Area)
    granted = {"content_type": content_type, "permission__codename": "view_area"}
    pks = set(UserObjectPermission.objects.filter(user=user, **granted).values_list("object_pk", flat=True))
    if group_ids:
        pks |= set(GroupObjectPermission.objects.filter(group_id__in=group_ids, **granted).values_list("object_pk", flat=True))
    if not pks:
        return []
    return list(Area.objects.filter(pk__in=[int(pk) for pk in pks]).values_list("path", flat=True))


def user_scope(user) -> Scope:
    """The user's scope, computed once per user object (i.e. once per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(True, (), (), frozenset(), frozenset())
    else:
        scope = SCOPES.get(user.pk, lambda: _scope_of(user))
    setattr(user, _CACHE_ATTR, scope)
    return scope


# Users' scopes, kept in each process's memory until a role assignment, an area, an object
# grant or a group membership changes (accounts.apps connects the invalidation): every
# request of a signed-in user or API client asks for its scope.
SCOPES = Derived("scopes")


def _scope_of(user) -> Scope:
    rows = list(
        RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).values_list("role", "area__path", "department_id")
    )
    group_ids = frozenset(user.groups.values_list("id", flat=True))
    area_paths = [path for _role, path, _dept in rows if path]
    area_paths += _granted_area_paths(user, group_ids)
    return Scope(
        is_global=False,
        area_paths=_minimal_paths(area_paths),
        admin_paths=_minimal_paths(path for role, path, _dept in rows if role == Role.ADMIN and path),
        department_ids=frozenset(dept for role, _path, dept in rows if role in DEPARTMENT_ROLES and dept),
        admin_department_ids=frozenset(dept for role, _path, dept in rows if role == Role.DEPT_ADMIN and dept),
        paths_by_role=tuple(
            (role, _minimal_paths(path for held, path, _dept in rows if held == role and path))
            for role in sorted({role for role, path, _dept in rows if path})
        ),
        group_ids=group_ids,
    )


def forget_scope(user) -> None:
    """Drop the cached scope (after the user's roles changed)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def subtree_q(paths, field: str = "path") -> Q:
    """``Q`` matching rows whose ``field`` (a tree path) lies in any of the subtrees."""
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


def ancestor_paths(path: str) -> list[str]:
    step = Area.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def filter_by_area_scope(queryset: QuerySet, user, *, path_field: str) -> QuerySet:
    """Restrict any queryset whose rows point into the tree (``path_field`` is the
    lookup of the node's path, e.g. ``"grid__path"``) to the user's subtrees."""
    scope = user_scope(user)
    if scope.is_global:
        return queryset
    if not scope.area_paths:
        return queryset.none()
    return queryset.filter(subtree_q(scope.area_paths, path_field))


# --- Areas and grids ------------------------------------------------------------------


def areas_visible_to(user) -> QuerySet[Area]:
    return filter_by_area_scope(Area.objects.all(), user, path_field="path")


def grids_visible_to(user) -> QuerySet[Area]:
    return areas_visible_to(user).filter(level__in=GRID_LEVELS)


def area_is_visible(user, area: Area) -> bool:
    scope = user_scope(user)
    if scope.is_global:
        return True
    return any(area.path.startswith(path) for path in scope.area_paths)


def access_area(user, area_id) -> Area:
    try:
        area = Area.objects.get(pk=area_id)
    except (Area.DoesNotExist, ValueError, TypeError):
        raise Http404("No such area") from None
    if not area_is_visible(user, area):
        raise Http404("No such area")
    return area


def areas_manageable_by(user) -> QuerySet[Area]:
    """Areas the user may configure: the subtrees where they hold the admin role."""
    scope = user_scope(user)
    if scope.is_global:
        return Area.objects.all()
    if not scope.admin_paths:
        return Area.objects.none()
    return Area.objects.filter(subtree_q(scope.admin_paths))


def can_manage_area(user, area: Area | None) -> bool:
    """May the user configure ``area``? ``None`` stands for the root of the tree."""
    scope = user_scope(user)
    if scope.is_global:
        return True
    if area is None:
        return False
    return any(area.path.startswith(path) for path in scope.admin_paths)


# --- Departments ----------------------------------------------------------------------


def departments_visible_to(user) -> QuerySet[Department]:
    """Departments the user works in, plus those serving the user's areas: at a node in
    their subtrees or above them (a street dispatcher sends work to the district's
    城管局 as well as to the street's own 城管中队)."""
    scope = user_scope(user)
    if scope.is_global:
        return Department.objects.all()
    condition = Q(pk__in=scope.department_ids)
    condition |= subtree_q(scope.area_paths, "area__path")
    above = {ancestor for path in scope.area_paths for ancestor in ancestor_paths(path)}
    condition |= Q(area__path__in=above)
    return Department.objects.filter(condition)


def departments_assessable_by(user) -> QuerySet[Department]:
    """Departments whose assessment the user may read: those they work in and those at
    a node inside their subtrees (not those above them, whose work lies mostly
    elsewhere)."""
    scope = user_scope(user)
    if scope.is_global:
        return Department.objects.all()
    condition = Q(pk__in=scope.department_ids)
    condition |= subtree_q(scope.area_paths, "area__path")
    return Department.objects.filter(condition)


def access_assessable_department(user, department_id) -> Department:
    try:
        return departments_assessable_by(user).get(pk=department_id)
    except (Department.DoesNotExist, ValueError, TypeError):
        raise Http404("No such department") from None


def access_department(user, department_id) -> Department:
    """The department if ``departments_visible_to`` holds it (``Http404`` if not): read by
    its key (composed once per process) and its place checked against the user's scope
    here, instead of composing the scope into the query (dispatch asks this for every
    department it names)."""
    try:
        pk = int(department_id)
        department = _DEPARTMENT_BY_KEY.get(pk)
    except (Department.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such department") from None
    if not _department_seen(user, department):
        raise Http404("No such department")
    return department


def _department_seen(user, department: Department) -> bool:
    """``departments_visible_to(user)`` holds ``department`` (its area loaded): one the
    user works in, or one at a node inside their subtrees or above them."""
    scope = user_scope(user)
    if scope.is_global or department.pk in scope.department_ids:
        return True
    path = department.area.path
    return any(path.startswith(mine) or mine.startswith(path) for mine in scope.area_paths)


_DEPARTMENT_BY_KEY = Prepared(lambda pk: Department.objects.select_related("area").defer("area__boundary").filter(pk=pk))


def departments_manageable_by(user) -> QuerySet[Department]:
    scope = user_scope(user)
    if scope.is_global:
        return Department.objects.all()
    condition = Q(pk__in=scope.admin_department_ids)
    condition |= subtree_q(scope.admin_paths, "area__path")
    return Department.objects.filter(condition)


# --- Role assignments and users ----------------------------------------------------------


def role_assignments_visible_to(user) -> QuerySet[RoleAssignment]:
    scope = user_scope(user)
    if scope.is_global:
        return RoleAssignment.objects.all()
    condition = Q(user=user)
    condition |= subtree_q(scope.area_paths, "area__path") & Q(area__isnull=False)
    condition |= Q(department_id__in=scope.department_ids)
    return RoleAssignment.objects.filter(condition)


def role_assignments_manageable_by(user) -> QuerySet[RoleAssignment]:
    scope = user_scope(user)
    if scope.is_global:
        return RoleAssignment.objects.all()
    condition = subtree_q(scope.admin_paths, "area__path") & Q(area__isnull=False)
    condition |= Q(department__in=departments_manageable_by(user))
    return RoleAssignment.objects.filter(condition)


def users_visible_to(user) -> QuerySet[User]:
    scope = user_scope(user)
    if scope.is_global:
        return User.objects.all()
    holders = role_assignments_visible_to(user).filter(revoked_at__isnull=True).values("user_id")
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=holders))


def users_manageable_by(user) -> QuerySet[User]:
    """Users an admin may edit: those whose every active role lies in the admin's
    subtrees or departments (so a street admin cannot edit a city leader who also
    holds a role in the street). The admin pages create a user together with a first
    role in the admin's subtree, so no user an admin creates falls outside this."""
    scope = user_scope(user)
    if scope.is_global:
        return User.objects.all()
    manageable = role_assignments_manageable_by(user).values("pk")
    outside = RoleAssignment.objects.filter(revoked_at__isnull=True).exclude(pk__in=manageable).values("user_id")
    inside = role_assignments_manageable_by(user).filter(revoked_at__isnull=True).values("user_id")
    return User.objects.filter(pk__in=inside, is_superuser=False).exclude(pk__in=outside)


# Roles whose holders are assessed as grid workers (points, rankings).
GRID_WORKER_ROLES = (Role.GRID_WORKER, Role.PARTTIME_WORKER, Role.GRID_LEADER)


def grid_workers_visible_to(user) -> QuerySet[User]:
    """Users holding a grid worker's role (full-time, part-time or grid leader) on a
    grid or community inside the user's subtrees."""
    scope = user_scope(user)
    holders = RoleAssignment.objects.filter(revoked_at__isnull=True, role__in=GRID_WORKER_ROLES)
    if not scope.is_global:
        if not scope.area_paths:
            return User.objects.none()
        holders = holders.filter(subtree_q(scope.area_paths, "area__path"))
    return User.objects.filter(pk__in=holders.values("user_id"))


def access_grid_worker(user, worker_id) -> User:
    try:
        return grid_workers_visible_to(user).get(pk=worker_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("No such grid worker") from None


# --- Events ------------------------------------------------------------------------------


def events_visible_to(user) -> QuerySet:
    """Events in the user's subtrees, events dispatched to their departments (the
    django-guardian grants written by dispatch), and events they filed themselves.

    Written with ``IN (subquery)`` conditions so PostgreSQL can OR index scans together
    instead of joining every event to its grid. Composed once per user and scope and
    kept (composing it was a sixth of a list request); each call gets a copy to chain on.
    The scope is part of the key, so a changed scope composes afresh."""
    from events.models import Event

    if user is None or not user.is_authenticated or not user.is_active:
        return _events_visible(user, Event.objects.all(), correlated=False)
    return _events_visible_composed(user, user_scope(user)).all()


@functools.lru_cache(maxsize=1024)
def _events_visible_composed(user, scope: Scope) -> QuerySet:
    """``events_visible_to``'s queryset for the user (a user is equal to another instance
    with its key) and their ``scope``, which the composing reads."""
    from events.models import Event

    return _events_visible(user, Event.objects.all(), correlated=False)


def event_visible_to(user, event_id) -> QuerySet:
    """The one event ``event_id`` if the user may see it."""
    return events_among_visible_to(user, [event_id])


def events_among_visible_to(user, ids) -> QuerySet:
    """Of the few events ``ids``, those the user may see (``events_visible_to`` for a
    handful of rows): the same conditions as correlated ``EXISTS`` tests, which
    PostgreSQL checks against these rows through the indexes instead of first hashing
    every grant the user holds (a department handler at a million events holds tens of
    thousands)."""
    from events.models import Event

    return _events_visible(user, Event.objects.filter(pk__in=ids), correlated=True)


def _events_visible(user, events: QuerySet, *, correlated: bool) -> QuerySet:
    if user is None or not user.is_authenticated or not user.is_active:
        return events.none()
    scope = user_scope(user)
    if scope.is_global:
        return events
    group_grants, user_grants = _event_grants(user)
    condition = Q(reporter=user)
    if correlated:
        if scope.area_paths:
            condition |= Exists(Area.objects.filter(subtree_q(scope.area_paths), pk=OuterRef("grid_id")))
        condition |= Exists(group_grants.filter(content_object_id=OuterRef("pk")))
        condition |= Exists(user_grants.filter(content_object_id=OuterRef("pk")))
    else:
        if scope.area_paths:
            condition |= Q(grid_id__in=Area.objects.filter(subtree_q(scope.area_paths)).values("id"))
        condition |= Q(pk__in=group_grants.values("content_object_id"))
        condition |= Q(pk__in=user_grants.values("content_object_id"))
    return events.filter(condition)


def _event_grants(user) -> tuple[QuerySet, QuerySet]:
    """The ``view_event`` grants that reach the user: their groups' (a department's) and
    their own. The groups come from the user's scope and the permission from one
    sub-select, so a department's tens of thousands of grants are read straight from the
    grants' index (joining the permission by its name hashed every one of them)."""
    return _grants(user, user_scope(user).group_ids)


def _grants(user, groups) -> tuple[QuerySet, QuerySet]:
    from events.models import EventGroupObjectPermission, EventUserObjectPermission

    view = view_event_permission()
    return (EventGroupObjectPermission.objects.filter(group_id__in=groups, permission_id=view),
            EventUserObjectPermission.objects.filter(user=user, permission_id=view))


def _view_event_permissions():
    return Permission.objects.filter(content_type__app_label="events", codename="view_event").order_by().values_list("id")


def view_event_permission() -> Subquery:
    """The id of the ``events.view_event`` permission, as a sub-select."""
    return Subquery(_view_event_permissions()[:1])


def view_event_permission_id() -> int:
    """The id of the ``events.view_event`` permission (read by a statement composed once)."""
    (pk,) = _VIEW_EVENT.get()
    return pk


_VIEW_EVENT = Prepared(_view_event_permissions, keys=0)


def may_see_event(user, event) -> bool:
    """``events_visible_to`` for one event already loaded (with its grid): the user's
    subtrees and their own filings are checked here, the django-guardian grants with one
    indexed lookup only when those do not decide. The transition entry point locks the
    event by its key and asks this, instead of compiling and planning the whole scope."""
    return _may_see(user, event.pk, event.reporter_id, event.grid.path if event.grid_id is not None else None)


def event_ids_visible_among(user, ids, *, page: bool = False, known=None) -> set:
    """Of the events ``ids`` (those one event names: its duplicate, what it was merged
    into; with ``page``, those a page of a list names), the ids the user may see:
    ``may_see_event`` on each, read with its reporter and grid path only — one short
    query each for one or two, else (and for a page) one query for all and, for those
    neither the user's areas nor their own filings decide, one for the grants (the
    groups' and their own). ``known``: id → (reporter id, grid path) of events the
    caller has just read (a filing's duplicate hint), which are not read again."""
    ids = {int(pk) for pk in ids if pk is not None}
    if not ids or user is None or not user.is_authenticated or not user.is_active:
        return set()
    if len(ids) <= 2 and not page:
        known = known or {}
        rows = [(pk, *known[pk]) if pk in known else _SEEN_AS.first(pk) for pk in ids]
        rows = [row for row in rows if row is not None]
        return {pk for pk, reporter_id, path in rows if _may_see(user, pk, reporter_id, path)}
    from events.models import Event

    rows = list(Event.objects.filter(pk__in=ids).values_list("pk", "reporter_id", "grid__path"))
    seen = {pk for pk, reporter_id, path in rows if _seen_without_grants(user, reporter_id, path)}
    rest = {pk for pk, _reporter_id, _path in rows} - seen
    if rest:
        group_grants, user_grants = _event_grants(user)
        seen.update(group_grants.filter(content_object_id__in=rest).values_list("content_object_id", flat=True).union(
            user_grants.filter(content_object_id__in=rest).values_list("content_object_id", flat=True)))
    return seen


def _seen_as(pk):
    from events.models import Event

    return Event.objects.filter(pk=pk).values_list("pk", "reporter_id", "grid__path")


_SEEN_AS = Prepared(_seen_as)  # an event's id, reporter and grid path, composed once per process


def _may_see(user, pk, reporter_id, grid_path) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if _seen_without_grants(user, reporter_id, grid_path):
        return True
    return any(grant.first(user.pk, pk) is not None for grant in _GRANT_OF_EVENT)


def _seen_without_grants(user, reporter_id, grid_path) -> bool:
    """What decides without the grants: a city-wide user, the reporter, the user's areas."""
    scope = user_scope(user)
    return (scope.is_global or reporter_id == user.pk
            or (grid_path is not None and any(grid_path.startswith(path) for path in scope.area_paths)))


# The grant lookups of ``_may_see``, composed once per process (governance.prepared).
_GRANT_OF_EVENT = tuple(
    Prepared(lambda user, event, which=which: _grants(user, Group.objects.filter(user=user).values("id"))[which]
             .filter(content_object_id=event).values_list("pk")[:1], keys=2)
    for which in (0, 1)
)


def access_event(user, event_id):
    """The event if the user may see it; ``Http404`` for forbidden and missing alike."""
    from events.models import Event

    try:
        return event_visible_to(user, event_id).get()
    except (Event.DoesNotExist, ValueError, TypeError):
        raise Http404("No such event") from None
