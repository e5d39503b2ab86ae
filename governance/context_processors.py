"""What the page header offers a user: the work areas their roles open, and the count
of unread notifications. A context processor, so every page's navbar is built from
the user's scope (``accounts.scoping.user_scope``) in one place."""

from accounts.models import Role
from accounts.scoping import user_scope

# Roles that work in the grids themselves (the phone pages).
GRID_ROLES = (Role.GRID_LEADER, Role.GRID_WORKER, Role.PARTTIME_WORKER, Role.POLICE, Role.LEGAL, Role.DOCTOR, Role.LIAISON)


def user_workplaces(user) -> dict:
    """Which work areas the user's roles open: ``grid`` (grid staff), ``command``
    (dispatchers), ``department`` (department staff), ``leader``, ``admin``."""
    scope = user_scope(user)
    held = {role for role, paths in scope.paths_by_role if paths}
    return {
        "grid": bool(held & set(GRID_ROLES)),
        "command": scope.is_global or Role.DISPATCHER in held,
        "department": bool(scope.department_ids),
        "leader": scope.is_global or Role.LEADER in held,
        "admin": scope.is_global or Role.ADMIN in held,
    }


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "workplaces": user_workplaces(user),
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
    }


def map_tiles(request):
    """The tile server every map uses (``MAP_TILE_URL``; empty: no tiles, the maps
    still draw grid boundaries and points on a plain background)."""
    from django.conf import settings

    return {"map_tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION,
                          "maxZoom": settings.MAP_TILE_MAX_ZOOM}}
