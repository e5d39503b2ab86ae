from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Department, DepartmentKind, Role, RoleAssignment
from api.serializers import Ref


class DepartmentOutput(serializers.ModelSerializer):
    area = Ref()
    parent = serializers.IntegerField(source="parent_id", allow_null=True)
    kind = serializers.ChoiceField(choices=DepartmentKind.choices)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "kind", "area", "parent", "phone", "is_active"]


class RoleAssignmentOutput(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=Role.choices)
    area = Ref(allow_null=True)
    department = serializers.IntegerField(source="department_id", allow_null=True)
    is_active = serializers.BooleanField()

    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "username", "full_name", "role", "area", "department", "title", "granted_at", "revoked_at",
                  "is_active"]


class RoleAssignmentInput(serializers.Serializer):
    user = serializers.IntegerField(help_text=_("the user's id"))
    role = serializers.ChoiceField(choices=Role.choices)
    area = serializers.IntegerField(required=False, allow_null=True, help_text=_("an area's id (area roles)"))
    department = serializers.IntegerField(required=False, allow_null=True, help_text=_("a department's id (department roles)"))
    title = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")
