"""Departments (``/api/v1/departments/``) and role assignments for administrators
(``/api/v1/role-assignments/``), scoped like the admin pages."""

import django_filters
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import DepartmentOutput, RoleAssignmentInput, RoleAssignmentOutput
from accounts.models import Department, DepartmentKind, Role, RoleAssignment
from accounts.scoping import (
    access_area,
    access_department,
    departments_visible_to,
    role_assignments_manageable_by,
    users_visible_to,
)
from accounts.services import role_grant, role_revoke
from api.pagination import IdCursor


class DepartmentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=DepartmentKind.choices)
    area = django_filters.NumberFilter(field_name="area_id")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Department
        fields = ["kind", "area", "is_active"]


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments the user works in or that serve the user's areas."""

    serializer_class = DepartmentOutput
    filterset_class = DepartmentFilter
    pagination_class = IdCursor

    def get_queryset(self):
        return departments_visible_to(self.request.user).select_related("area")

    def get_object(self):
        return access_department(self.request.user, self.kwargs["pk"])


class RoleAssignmentFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    user = django_filters.NumberFilter(field_name="user_id")
    area = django_filters.NumberFilter(field_name="area_id")
    department = django_filters.NumberFilter(field_name="department_id")
    active = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull")

    class Meta:
        model = RoleAssignment
        fields = ["role", "user", "area", "department", "active"]


class RoleAssignmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Role assignments an administrator manages (their subtrees and departments); others see none."""

    serializer_class = RoleAssignmentOutput
    filterset_class = RoleAssignmentFilter
    pagination_class = IdCursor

    def get_queryset(self):
        return role_assignments_manageable_by(self.request.user).select_related("user", "area")

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (RoleAssignment.DoesNotExist, ValueError, TypeError):
            raise Http404("No such role assignment") from None

    @extend_schema(request=RoleAssignmentInput, responses={201: RoleAssignmentOutput})
    def create(self, request):
        payload = RoleAssignmentInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            user = users_visible_to(request.user).get(pk=data["user"])
        except Exception:
            raise Http404("No such user") from None
        area = access_area(request.user, data["area"]) if data.get("area") else None
        department = access_department(request.user, data["department"]) if data.get("department") else None
        assignment = role_grant(actor=request.user, user=user, role=data["role"], area=area, department=department,
                                title=data.get("title", ""))
        assignment = self.get_queryset().get(pk=assignment.pk)
        return Response(RoleAssignmentOutput(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RoleAssignmentOutput)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the assignment (kept, with the time and who revoked it)."""
        assignment = role_revoke(actor=request.user, assignment=self.get_object())
        return Response(RoleAssignmentOutput(self.get_queryset().get(pk=assignment.pk)).data)
