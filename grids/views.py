from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.scoping import access_area, grids_visible_to, user_scope
from accounts.selectors import grid_teams, team_model
from grids.models import Area


@login_required
def team_list(request):
    """Each grid in the user's scope with its team and whether the team is complete."""
    scope = user_scope(request.user)
    if not (scope.is_global or scope.area_paths):  # department staff hold no area (the navbar hides the link)
        raise PermissionDenied(_("The grid teams are for the staff of grids and areas; your roles are in departments."))
    grids = grids_visible_to(request.user).order_by("path")
    incomplete_only = request.GET.get("incomplete") == "1"
    query = request.GET.get("q", "").strip()
    if query:
        grids = grids.filter(name__contains=query) | grids.filter(code__startswith=query)
    if incomplete_only:
        # Completeness depends on the assignments, so the filter needs every grid's
        # team (two queries for all of them), then pages the incomplete ones.
        teams = [team for team in grid_teams(grids) if not team.complete]
        page = Paginator(teams, 50).get_page(request.GET.get("page"))
        total = len(teams)
    else:
        page = Paginator(grids, 50).get_page(request.GET.get("page"))
        page.object_list = grid_teams(page.object_list)
        total = page.paginator.count
    return render(
        request,
        "grids/team_list.html",
        {"page": page, "model": team_model(), "incomplete_only": incomplete_only, "query": query, "total": total},
    )


@login_required
def area_detail(request, area_id):
    area = access_area(request.user, area_id)
    ancestors = Area.objects.get_ancestors(area)
    children = Area.objects.filter(path__startswith=area.path, depth=area.depth + 1).order_by("code")
    team = grid_teams([area])[0] if area.is_grid else None
    return render(request, "grids/area_detail.html", {"area": area, "ancestors": ancestors, "children": children, "team": team})
