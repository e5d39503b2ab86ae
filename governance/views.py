import json
import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import RoleAssignment
from accounts.scoping import areas_visible_to, departments_visible_to, grids_visible_to, user_scope
from governance.context_processors import user_workplaces
from governance.selectors import background_status, home_panels

csp_logger = logging.getLogger("governance.csp")


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


# Browsers post these themselves: no CSRF token, no login. The body is bounded and only
# logged (a few fields), so a flood costs a log line each.
@csrf_exempt
@require_POST
def csp_report(request):
    """A Content Security Policy violation reported by a browser: logged as a warning."""
    try:
        report = json.loads(request.body[:8192] or b"{}").get("csp-report", {})
    except (ValueError, AttributeError):
        report = {}
    if not isinstance(report, dict):
        report = {}
    csp_logger.warning(
        "CSP violation: %s blocked %s on %s",
        str(report.get("violated-directive", "?"))[:100],
        str(report.get("blocked-uri", "?"))[:200],
        str(report.get("document-uri", "?"))[:200],
    )
    return HttpResponse(status=204)
