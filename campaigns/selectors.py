"""Reads for campaigns, scoped through ``accounts.scoping``.

Who sees a campaign: anyone whose subtree holds the campaign's node (the command center
and leaders above it) or lies inside it (the streets, communities and grid workers it
was pushed to). What they see of it — progress, targets, answers — is what lies in
their own subtrees. Who manages it (publish, refresh, close, export, reassign):
dispatchers, administrators and leaders holding their role on its node or above.
Who answers a target: its worker, or grid staff holding a role on its grid or above.
Forbidden answers like missing (``Http404``).
"""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404

from accounts.models import Role
from accounts.scoping import GRID_WORKER_ROLES, ancestor_paths, filter_by_area_scope, subtree_q, user_scope
from campaigns.models import COUNTERS, Campaign, CampaignState, Progress, Target, TargetStatus
from grids.models import GRID_LEVELS, Area

MANAGER_ROLES = (Role.DISPATCHER, Role.ADMIN, Role.LEADER)


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    scope = user_scope(user)
    if scope.is_global:
        return Campaign.objects.all()
    if not scope.area_paths:
        return Campaign.objects.none()
    # Campaigns on a node inside the user's subtrees …
    condition = subtree_q(scope.area_paths, "area__path")
    # … and campaigns pushed from a node above them.
    above = {ancestor for path in scope.area_paths for ancestor in ancestor_paths(path)}
    condition |= Q(area__path__in=above)
    return Campaign.objects.filter(condition)


def access_campaign(user, campaign_id) -> Campaign:
    try:
        return campaigns_visible_to(user).select_related("area", "problem_category").get(pk=campaign_id)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise Http404("No such campaign") from None


def can_manage(user, campaign_or_area) -> bool:
    area = getattr(campaign_or_area, "area", campaign_or_area)
    scope = user_scope(user)
    return scope.is_global or scope.holds_role_over(area.path, *MANAGER_ROLES)


def areas_for_campaigns(user) -> QuerySet[Area]:
    """Nodes where the user may create a campaign (street level and above, in practice)."""
    scope = user_scope(user)
    if scope.is_global:
        return Area.objects.all()
    return Area.objects.filter(subtree_q(scope.role_paths(*MANAGER_ROLES)))


def targets_visible_to(user, campaign: Campaign | None = None) -> QuerySet[Target]:
    targets = filter_by_area_scope(Target.objects.all(), user, path_field="grid__path")
    if campaign is not None:
        targets = targets.filter(campaign=campaign)
    return targets


def access_target(user, target_id) -> Target:
    try:
        # Without the areas' boundaries (a city's can be large; nothing here draws them).
        target = (targets_visible_to(user).select_related("campaign", "campaign__area", "grid", "worker")
                  .defer("campaign__area__boundary", "grid__boundary").get(pk=target_id))
    except (Target.DoesNotExist, ValueError, TypeError):
        raise Http404("No such target") from None
    return target


def can_answer(user, target: Target) -> bool:
    if target.worker_id == user.pk:
        return True
    scope = user_scope(user)
    return scope.is_global or scope.holds_role_over(target.grid.path, *GRID_WORKER_ROLES)


def can_reassign(user, target_or_grid) -> bool:
    grid = getattr(target_or_grid, "grid", target_or_grid)
    scope = user_scope(user)
    return scope.is_global or scope.holds_role_over(grid.path, Role.GRID_LEADER, *MANAGER_ROLES)


def campaigns_for_worker(user) -> QuerySet[Campaign]:
    """Published or closed campaigns in which the user has targets."""
    ids = Target.objects.filter(worker=user).values("campaign_id")
    return Campaign.objects.filter(pk__in=ids).exclude(state=CampaignState.DRAFT)


@dataclass
class TargetFilter:
    building: str = ""
    status: str = ""
    problem: bool = False
    mine: bool = True


def targets_for(user, campaign: Campaign, filters: TargetFilter) -> QuerySet[Target]:
    """The worker's list: their own targets (or every target of their grids), by building,
    status and problems."""
    targets = targets_visible_to(user, campaign)
    if filters.mine:
        targets = targets.filter(worker=user)
    if filters.building.isdigit():
        targets = targets.filter(building_id=int(filters.building))
    if filters.status in TargetStatus.values:
        targets = targets.filter(status=filters.status)
    elif filters.status == "open":
        targets = targets.filter(status__in=(TargetStatus.PENDING, TargetStatus.NOT_HOME))
    if filters.problem:
        targets = targets.filter(problem=True)
    return targets.order_by("building_id", "label", "id")


def target_buildings(user, campaign: Campaign, *, mine: bool = True) -> list[tuple[int, str]]:
    """The buildings the user's targets are in, for the filter."""
    from residents.models import Building

    targets = targets_visible_to(user, campaign).filter(building_id__isnull=False)
    if mine:
        targets = targets.filter(worker=user)
    ids = targets.values("building_id").distinct()
    return list(Building.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name"))


# --- Progress -------------------------------------------------------------------------------------


def progress_root(user, campaign: Campaign, area_id=None) -> Area:
    """The node whose progress the user asked for (default: the campaign's node, or the
    user's own node inside it). Outside the campaign or the user's scope: 404."""
    if area_id in (None, ""):
        scope = user_scope(user)
        if scope.is_global or any(campaign.area.path.startswith(path) for path in scope.area_paths):
            return campaign.area
        inside = [path for path in scope.area_paths if path.startswith(campaign.area.path)]
        if not inside:
            raise Http404("No such area")
        return Area.objects.get(path=min(inside))
    try:
        area = Area.objects.get(pk=area_id)
    except (Area.DoesNotExist, ValueError, TypeError):
        raise Http404("No such area") from None
    scope = user_scope(user)
    if not area.path.startswith(campaign.area.path):
        raise Http404("No such area")
    if not scope.is_global and not any(area.path.startswith(path) for path in scope.area_paths):
        raise Http404("No such area")
    return area


def _summed(campaign: Campaign, area: Area, sums: dict | None) -> Progress:
    """An unsaved ``Progress`` of a node above the grids: the sums of its grids' rows."""
    sums = sums or {}
    return Progress(campaign=campaign, area=area, path=area.path, depth=area.depth,
                    **{name: sums.get(name) or 0 for name in COUNTERS})


def progress_rows(campaign: Campaign, area: Area) -> tuple[Progress | None, list[Progress]]:
    """The node's counters and its children's (grid workers' rows under a grid). Above
    the grids, each child's counters are the sums of the grid rows under it: one
    indexed range of the counter rows grouped by the child's path prefix, never the
    targets."""
    children = list(Area.objects.filter(path__startswith=area.path, depth=area.depth + 1).order_by("path"))
    if area.level in GRID_LEVELS and not children:
        rows = list(Progress.objects.filter(campaign=campaign, area=area).select_related("area", "worker")
                    .order_by("worker_id"))
        own = next((row for row in rows if row.worker_id is None), None)
        return own, [row for row in rows if row is not own]
    prefix = len(area.path) + Area.steplen
    sums = {row.pop("child"): row for row in (
        Progress.objects.filter(campaign=campaign, worker__isnull=True, path__startswith=area.path)
        .annotate(child=Substr("path", 1, prefix)).order_by().values("child")
        .annotate(**{name: Sum(name) for name in COUNTERS}))}
    total = {name: sum(row[name] or 0 for row in sums.values()) for name in COUNTERS}
    return _summed(campaign, area, total), [_summed(campaign, child, sums.get(child.path)) for child in children]


def progress_tree(user, campaign: Campaign) -> list[dict]:
    """Every node's counters in the user's part of the campaign (no worker rows), down to
    the grids: two queries whatever the number of targets — the nodes, and the grid rows
    summed per node by path prefix, one ``GROUP BY`` per level of the tree."""
    nodes = filter_by_area_scope(Area.objects.filter(path__startswith=campaign.area.path), user, path_field="path")
    listed = list(nodes.order_by("path").values("id", "code", "name", "level", "depth", "path"))
    sums = _sums_by_prefix(campaign, sorted({len(node["path"]) for node in listed}))
    zero = dict.fromkeys(COUNTERS, 0)
    return [{"area_id": node["id"], "area__code": node["code"], "area__name": node["name"], "area__level": node["level"],
             "depth": node["depth"], "path": node["path"], **sums.get(node["path"], zero)} for node in listed]


def _sums_by_prefix(campaign: Campaign, lengths: list[int]) -> dict[str, dict]:
    """node path → the sums of the grid rows under it, for the nodes whose paths have
    one of ``lengths`` (a level of the tree each)."""
    if not lengths:
        return {}
    table = Progress._meta.db_table
    totals = ", ".join(f"SUM({name})" for name in COUNTERS)
    # ``length`` is an int from the tree's paths, never user input.
    parts = [f"SELECT SUBSTR(path, 1, {int(length)}), {totals} FROM {table} "
             "WHERE campaign_id = %s AND worker_id IS NULL AND path LIKE %s "
             f"GROUP BY SUBSTR(path, 1, {int(length)})" for length in lengths]
    params = [value for _length in lengths for value in (campaign.pk, campaign.area.path + "%")]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {row[0]: dict(zip(COUNTERS, (value or 0 for value in row[1:]), strict=True)) for row in cursor.fetchall()}


def expected_share(campaign: Campaign, today: datetime.date) -> float:
    """The share of the work that should be done by the end of ``today`` if it went
    evenly over the period."""
    days = (campaign.ends_on - campaign.starts_on).days + 1
    elapsed = (today - campaign.starts_on).days + 1
    return max(0.0, min(1.0, elapsed / days))


def is_behind(row: Progress, campaign: Campaign, today: datetime.date) -> bool:
    return row.due > 0 and row.share_done + 1e-9 < expected_share(campaign, today)


def grids_behind(user, campaign: Campaign, today: datetime.date) -> list[Progress]:
    rows = filter_by_area_scope(
        Progress.objects.filter(campaign=campaign, worker__isnull=True, area__level__in=GRID_LEVELS, targets__gt=0),
        user, path_field="path").select_related("area").order_by("path")
    return [row for row in rows if is_behind(row, campaign, today)]


def targets_not_done(user, campaign: Campaign, area: Area) -> QuerySet[Target]:
    return (targets_visible_to(user, campaign).filter(grid__path__startswith=area.path)
            .filter(status__in=(TargetStatus.PENDING, TargetStatus.NOT_HOME))
            .select_related("grid", "worker").order_by("grid__path", "label", "id"))
