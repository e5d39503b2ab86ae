"""Admin for staff, departments and roles, scoped through ``accounts.scoping``.

An administrator assigned to a street sees and edits only that street's subtree:
its areas, its departments, the role assignments on them, and the users whose every
role lies there. Writes go through ``accounts.services``.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEntry, Department, Role, RoleAssignment, User
from accounts.scoping import (
    areas_manageable_by,
    departments_manageable_by,
    departments_visible_to,
    role_assignments_manageable_by,
    user_scope,
    users_manageable_by,
    users_visible_to,
)
from accounts.services import department_create, department_update, role_assignment_check, role_grant, role_revoke, user_create


def _is_admin(user) -> bool:
    scope = user_scope(user)
    return scope.is_global or bool(scope.admin_paths) or bool(scope.admin_department_ids)


class ReadOnlyAdminMixin:
    """Rows written only by services (audit entries, heartbeats)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UserBoundFormMixin:
    """Hand the signed-in user to the form, which limits its choices to the user's scope."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class ScopedForm(form_class):
            def __init__(self, *args, **inner):
                inner["user"] = request.user
                super().__init__(*args, **inner)

        return ScopedForm


class ScopedAdmin(UserBoundFormMixin, admin.ModelAdmin):
    """Model permissions from Django plus: only administrators, only in scope."""

    def manageable(self, request):
        raise NotImplementedError

    def get_queryset(self, request):
        return self.manageable(request)

    def has_module_permission(self, request):
        return super().has_module_permission(request) and _is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        if not (super().has_view_permission(request, obj) and _is_admin(request.user)):
            return False
        return obj is None or self.manageable(request).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and _is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # history is kept: deactivate, revoke or move instead


# --- Departments ----------------------------------------------------------------------


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["code", "name", "name_en", "kind", "area", "parent", "phone", "is_active"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_manageable_by(user).order_by("path")
        self.fields["parent"].queryset = departments_visible_to(user)
        if self.instance.pk:
            self.fields["code"].disabled = True


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    form = DepartmentForm
    list_display = ("name", "code", "kind", "area", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    list_select_related = ("area", "parent")
    actions = None

    def manageable(self, request):
        return departments_manageable_by(request.user)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            department_update(
                actor=request.user, department=obj,
                **{name: data[name] for name in ("name", "name_en", "kind", "area", "parent", "phone", "is_active")},
            )
        else:
            created = department_create(
                actor=request.user, code=data["code"], name=data["name"], name_en=data.get("name_en", ""), kind=data["kind"],
                area=data["area"], parent=data.get("parent"), phone=data.get("phone", ""),
            )
            obj.pk = created.pk


# --- Role assignments -----------------------------------------------------------------


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "area", "department", "title"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = user
        self.fields["user"].queryset = users_visible_to(user).filter(is_active=True).order_by("username")
        self.fields["area"].queryset = areas_manageable_by(user).order_by("path")
        self.fields["department"].queryset = departments_manageable_by(user)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            role_assignment_check(data.get("role"), data.get("area"), data.get("department"))
        except ValidationError as error:
            self._update_errors(error)
        return data

    def validate_constraints(self, exclude=None):
        pass  # role_grant returns the active assignment instead of failing on a repeat


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    form = RoleAssignmentForm
    list_display = ("user", "role", "area", "department", "title", "granted_at", "revoked_at")
    list_filter = ("role", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "user__full_name", "area__name", "area__code", "department__name")
    list_select_related = ("user", "area", "department")
    actions = ["revoke"]

    def manageable(self, request):
        return role_assignments_manageable_by(request.user)

    def get_readonly_fields(self, request, obj=None):
        # A grant is history: to change it, revoke it and grant anew.
        if obj is not None:
            return ("user", "role", "area", "department", "title", "granted_by", "granted_at", "revoked_at", "revoked_by")
        return ()

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = role_grant(
            actor=request.user, user=data["user"], role=data["role"], area=data.get("area"),
            department=data.get("department"), title=data.get("title", ""),
        )
        obj.pk = created.pk

    @admin.action(description=_("Revoke the selected role assignments"), permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for assignment in queryset.filter(revoked_at__isnull=True):
            try:
                role_revoke(actor=request.user, assignment=assignment)
                count += 1
            except PermissionDenied as error:
                self.message_user(request, str(error), messages.ERROR)
        self.message_user(request, _("%(count)s role assignments revoked.") % {"count": count}, messages.SUCCESS)


# --- Users ----------------------------------------------------------------------------


class StaffCreationForm(UserCreationForm):
    """A new account comes with its first role, inside the administrator's scope."""

    full_name = forms.CharField(label=_("full name"), max_length=60)
    phone = forms.CharField(label=_("work phone"), max_length=20, required=False)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    area = forms.ModelChoiceField(label=_("area"), queryset=None, required=False)
    department = forms.ModelChoiceField(label=_("department"), queryset=None, required=False)
    title = forms.CharField(label=_("title"), max_length=40, required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["area"].queryset = areas_manageable_by(actor).order_by("path")
        self.fields["department"].queryset = departments_manageable_by(actor)

    def clean(self):
        data = super().clean()
        if data.get("role"):
            try:
                role_assignment_check(data["role"], data.get("area"), data.get("department"))
            except ValidationError as error:
                self._update_errors(error)
        return data


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = StaffCreationForm
    list_display = ("username", "full_name", "phone", "is_active", "is_staff", "last_login")
    search_fields = ("username", "full_name", "phone", "email")
    list_filter = ("is_active", "is_staff")
    ordering = ("username",)
    add_fieldsets = (
        (None, {"fields": ("username", "full_name", "phone", "password1", "password2")}),
        (_("First role"), {"fields": ("role", "area", "department", "title")}),
    )
    scoped_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "email")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_queryset(self, request):
        return users_manageable_by(request.user)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if request.user.is_superuser:
            return (
                (None, {"fields": ("username", "password")}),
                (_("Personal info"), {"fields": ("full_name", "phone", "email")}),
                (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
                (_("Important dates"), {"fields": ("last_login", "date_joined")}),
            )
        return self.scoped_fieldsets

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        if obj is not None:
            return form_class

        class ScopedCreationForm(form_class):
            def __init__(self, *args, **inner):
                inner["actor"] = request.user
                super().__init__(*args, **inner)

        return ScopedCreationForm

    def has_module_permission(self, request):
        return super().has_module_permission(request) and _is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        if not (super().has_view_permission(request, obj) and _is_admin(request.user)):
            return False
        return obj is None or users_manageable_by(request.user).filter(pk=obj.pk).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: history keeps who did what

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        with transaction.atomic():
            user = user_create(
                actor=request.user, username=data["username"], password=data["password1"],
                full_name=data["full_name"], phone=data.get("phone", ""),
            )
            role_grant(
                actor=request.user, user=user, role=data["role"], area=data.get("area"),
                department=data.get("department"), title=data.get("title", ""),
            )
        obj.pk = user.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "object_id", "actor__username")
    list_select_related = ("actor",)
    date_hierarchy = "at"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if user_scope(request.user).is_global:
            return queryset
        return queryset.filter(actor__in=users_manageable_by(request.user)) | queryset.filter(actor=request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) and _is_admin(request.user)

