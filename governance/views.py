from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.templatetags.static import static

from accounts.models import RoleAssignment
from accounts.scoping import areas_visible_to, departments_visible_to, grids_visible_to, user_scope
from governance.context_processors import user_workplaces
from governance.selectors import background_status, home_panels


@login_required
def home(request):
    scope = user_scope(request.user)
    assignments = (
        RoleAssignment.objects.filter(user=request.user, revoked_at__isnull=True)
        .select_related("area", "department")
        .order_by("role")
    )
    workplaces = user_workplaces(request.user)
    context = {
        "panels": home_panels(request.user, workplaces),
        "assignments": assignments,
        "is_global": scope.is_global,
        "area_count": areas_visible_to(request.user).count(),
        "grid_count": grids_visible_to(request.user).count(),
        "department_count": departments_visible_to(request.user).count(),
        "background": background_status() if request.user.is_staff else None,
    }
    return render(request, "home.html", context)


def favicon(request):
    """/favicon.ico → the SVG icon's static address, looked up per request: with the
    manifest storage that address exists only after collectstatic, so it must not be
    computed when the URLconf is imported."""
    return redirect(static("favicon.svg"), permanent=True)
