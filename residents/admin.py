"""Admin for the personal-data access log (read-only, for everyone) and key places,
scoped through ``accounts.scoping``."""

from django.contrib import admin
from django.db.models import Q

from accounts.admin import ReadOnlyAdminMixin
from accounts.models import RoleAssignment
from accounts.scoping import subtree_q, user_scope
from residents.models import KeyPlace, PersonalDataAccess, PlaceInspection, ResidentImport
from residents.selectors import imports_visible_to


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who revealed or exported whose personal data, when and why. Nobody may add,
    change or delete a row; an administrator sees the rows about residents of their
    subtree and their own."""

    list_display = ["at", "actor", "action", "resident", "field", "reason", "row_count", "filters"]
    list_filter = ["action", "field"]
    search_fields = ["actor__username", "actor__full_name", "reason"]
    date_hierarchy = "at"
    list_select_related = ["actor", "resident"]

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        scope = user_scope(request.user)
        if scope.is_global:
            return rows
        # Searches, refused searches, downloads and reporters' reveals name no resident:
        # those of the staff who hold a role in the administrator's subtree.
        staff = RoleAssignment.objects.filter(revoked_at__isnull=True).filter(subtree_q(scope.admin_paths, "area__path"))
        return rows.filter(subtree_q(scope.admin_paths, "resident__grid__path") | Q(actor=request.user)
                           | (Q(resident__isnull=True) & Q(actor__in=staff.values("user_id"))))


@admin.register(ResidentImport)
class ResidentImportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "created_by", "original_name", "status", "rows", "created", "updated", "errors"]
    list_filter = ["status"]

    def get_queryset(self, request):
        return imports_visible_to(request.user)


class PlaceInspectionInline(admin.TabularInline):
    model = PlaceInspection
    extra = 0
    readonly_fields = ["inspected_by", "inspected_on", "result", "note"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(KeyPlace)
class KeyPlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "grid", "contact_name", "contact_phone"]
    list_filter = ["kind"]
    search_fields = ["name", "grid__code"]
    raw_id_fields = ["grid"]
    inlines = [PlaceInspectionInline]

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("grid")
        scope = user_scope(request.user)
        return rows if scope.is_global else rows.filter(subtree_q(scope.admin_paths, "grid__path"))
