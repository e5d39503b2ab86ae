"""Areas and grids (``/api/v1/areas/``, ``/api/v1/grids/``): the user's subtrees only,
GeoJSON boundaries, and point → grid."""

import django_filters
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.scoping import access_area, area_is_visible, areas_visible_to
from api.pagination import PathCursor
from grids.api.serializers import AreaOutput, AreaWithBoundaryOutput, PointInput
from grids.models import GRID_LEVELS, Area, AreaLevel
from grids.spatial import grid_at


def with_parent(areas):
    """Annotate each area with its parent's id (the node whose path is one step shorter)."""
    parent = Area.objects.filter(path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Area.steplen)).values("id")[:1]
    return areas.annotate(parent_id=Subquery(parent))


class AreaFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=AreaLevel.choices)
    code = django_filters.CharFilter()
    within = django_filters.NumberFilter(method="filter_within", label=_("inside the area with this id"))

    class Meta:
        model = Area
        fields = ["level", "code", "within"]

    def filter_within(self, queryset, name, value):
        area = access_area(self.request.user, value)
        return queryset.filter(path__startswith=area.path).exclude(pk=area.pk)


class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    """The areas of the tree the user sees (their subtrees), in tree order."""

    serializer_class = AreaOutput
    filterset_class = AreaFilter
    pagination_class = PathCursor

    def get_queryset(self):
        return with_parent(areas_visible_to(self.request.user))

    def get_serializer_class(self):
        return AreaWithBoundaryOutput if self.action == "retrieve" else AreaOutput

    def get_object(self):
        area = access_area(self.request.user, self.kwargs["pk"])
        return with_parent(Area.objects.filter(pk=area.pk)).get()


class GridViewSet(AreaViewSet):
    """The grids the user sees, with their GeoJSON boundaries."""

    def get_queryset(self):
        return super().get_queryset().filter(level__in=GRID_LEVELS)

    def get_serializer_class(self):
        return AreaWithBoundaryOutput

    def get_object(self):
        area = super().get_object()
        if area.level not in GRID_LEVELS:
            raise Http404("Not a grid")
        return area

    @extend_schema(parameters=[PointInput], responses=AreaWithBoundaryOutput)
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def lookup(self, request):
        """The grid a point (WGS84) lies in; 404 when it lies outside every grid the user sees."""
        point = PointInput(data=request.query_params)
        point.is_valid(raise_exception=True)
        grid = grid_at(lat=point.validated_data["lat"], lon=point.validated_data["lon"])
        if grid is None or not area_is_visible(request.user, grid):
            raise Http404("No grid here")
        return Response(AreaWithBoundaryOutput(with_parent(Area.objects.filter(pk=grid.pk)).get()).data)
