"""Reads for staff and grid teams."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, RoleAssignment
from grids.models import Area, AreaLevel

# Team models a grid is checked against (DESIGN §3). "N" members are optional.
TEAM_MODELS = {
    # 1 grid leader + 1 full-time worker + N part-time workers.
    "1+1+N": {
        "label": _("1+1+N: grid leader, full-time worker, N part-time"),
        "required": (Role.GRID_LEADER, Role.GRID_WORKER),
    },
    # 1 party organisation (grid leader) + 3 (representatives/committee member as liaison
    # cadres, legal liaisons, full-time worker) + N social forces.
    "1+3+N": {
        "label": _("1+3+N: party organisation, liaison cadre, legal liaison, full-time worker, N social forces"),
        "required": (Role.GRID_LEADER, Role.LIAISON, Role.LEGAL, Role.GRID_WORKER),
    },
}


@dataclass
class TeamMember:
    role: str
    name: str
    username: str
    title: str
    phone: str
    # True when held on the community (一级网格长) rather than on the grid itself.
    inherited: bool = False

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


@dataclass
class GridTeam:
    grid: Area
    members: list[TeamMember] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    def members_with_role(self, role: str) -> list[TeamMember]:
        return [member for member in self.members if member.role == role]

    @property
    def missing_labels(self) -> list[str]:
        return [str(Role(role).label) for role in self.missing]


def team_model() -> dict:
    return TEAM_MODELS[settings.GRID_TEAM_MODEL]


def grid_teams(grids) -> list[GridTeam]:
    """The team of each grid and whether it satisfies the configured model.

    Two queries for any number of grids: the parents (for a community-level grid
    leader) and the active assignments on grids and parents.
    """
    grids = list(grids)
    # A grid leader on the community (一级网格长) or, for a second-level grid, on its
    # grid or community leads it too.
    step = Area.steplen
    parent_paths = {grid.path[: -step * up] for grid in grids for up in (1, 2) if grid.depth > up}
    parents = {
        area.path: area
        for area in Area.objects.filter(path__in=parent_paths, level__in=(AreaLevel.COMMUNITY, AreaLevel.GRID))
    }
    area_ids = {grid.pk for grid in grids} | {area.pk for area in parents.values()}
    by_area = defaultdict(list)
    assignments = (
        RoleAssignment.objects.filter(area_id__in=area_ids, revoked_at__isnull=True, user__is_active=True)
        .select_related("user")
        .order_by("role", "user__username")
    )
    for assignment in assignments:
        by_area[assignment.area_id].append(assignment)
    required = team_model()["required"]
    teams = []
    for grid in grids:
        team = GridTeam(grid=grid)
        for assignment in by_area.get(grid.pk, []):
            team.members.append(_member(assignment, inherited=False))
        for up in (1, 2):
            parent = parents.get(grid.path[: -step * up]) if grid.depth > up else None
            if parent is None or (up == 2 and grid.level != AreaLevel.SUBGRID):
                continue
            for assignment in by_area.get(parent.pk, []):
                if assignment.role == Role.GRID_LEADER:
                    team.members.append(_member(assignment, inherited=True))
        present = {member.role for member in team.members}
        team.missing = [role for role in required if role not in present]
        teams.append(team)
    return teams


def _member(assignment: RoleAssignment, *, inherited: bool) -> TeamMember:
    user = assignment.user
    return TeamMember(
        role=assignment.role,
        name=user.display_name,
        username=user.username,
        title=assignment.title,
        phone=user.phone,
        inherited=inherited,
    )
