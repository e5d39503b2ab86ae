"""Which command center is responsible for an area: the nearest node at or above it on a
level that has one (a street, then a district, the city, the province)."""

from accounts.scoping import ancestor_paths
from governance.cache import Derived
from grids.models import Area, AreaLevel

# Levels that have a command center, from the bottom up.
COMMAND_LEVELS = (AreaLevel.STREET, AreaLevel.DISTRICT, AreaLevel.CITY, AreaLevel.PROVINCE)


# An area's command center (its id), invalidated when any area changes (workflow.apps).
CENTERS = Derived("centers")


def command_center_id_for(area: Area) -> int:
    """The nearest node at or above ``area`` that has a command center (the area itself
    if none does), from ``CENTERS`` until an area changes: the nodes that have a command
    center (a few hundred in a city) are read once, so the first filing in each grid
    finds its center in memory too."""
    centers = CENTERS.get("all", lambda: dict(Area.objects.filter(level__in=COMMAND_LEVELS).values_list("path", "pk")))
    for path in reversed(ancestor_paths(area.path)):
        if path in centers:
            return centers[path]
    return area.pk


def parent_command_center(area: Area) -> Area | None:
    """The command center above ``area``'s (where an escalation goes), or ``None`` at the top."""
    above = ancestor_paths(area.path)[:-1]
    return Area.objects.filter(path__in=above, level__in=COMMAND_LEVELS).order_by("-depth").first()
