"""``/api/v1/``: one router over the apps' API views (each app keeps its serializers and
views in its own ``api/`` package), the OpenAPI schema and the Swagger UI."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api.views import DepartmentViewSet, RoleAssignmentViewSet
from api.exceptions import api_not_found
from events.api.views import CategoryViewSet, DashboardView, EventViewSet
from grids.api.views import AreaViewSet, GridViewSet
from residents.api.views import BuildingViewSet, HousingUnitViewSet, KeyPlaceViewSet
from workflow.api.views import NotificationViewSet, SLAPolicyViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("areas", AreaViewSet, basename="area")
router.register("grids", GridViewSet, basename="grid")
router.register("departments", DepartmentViewSet, basename="department")
router.register("role-assignments", RoleAssignmentViewSet, basename="role-assignment")
router.register("buildings", BuildingViewSet, basename="building")
router.register("housing-units", HousingUnitViewSet, basename="housing-unit")
router.register("key-places", KeyPlaceViewSet, basename="key-place")
router.register("categories", CategoryViewSet, basename="category")
router.register("sla-policies", SLAPolicyViewSet, basename="sla-policy")
router.register("events", EventViewSet, basename="event")
router.register("notifications", NotificationViewSet, basename="notification")

app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/dashboard/", DashboardView.as_view(), name="dashboard"),
    path("v1/residents/", include("residents.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script as a file: the Content Security Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"), name="docs"),
    re_path(r"^v1/", api_not_found),
]
