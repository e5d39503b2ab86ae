"""Admin for the category catalogue (city-wide configuration) and a read-only, scoped
view of events with their timelines."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin
from accounts.scoping import events_visible_to
from events.models import Category, Event
from workflow.admin import CityConfigurationAdmin, is_any_admin
from workflow.models import TimelineEntry


@admin.register(Category)
class CategoryAdmin(CityConfigurationAdmin):
    list_display = ("code", "name", "parent", "default_department_kind", "default_department_level", "onsite_allowed",
                    "verification_by", "is_public", "is_active")
    list_filter = ("parent", "default_department_kind", "onsite_allowed", "verification_by", "is_public", "is_active")
    search_fields = ("code", "name", "name_en")
    list_select_related = ("parent",)
    ordering = ("code",)


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ("at", "transition", "from_state", "to_state", "actor", "actor_kind", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "category", "grid", "state", "light", "urgency", "reported_at")
    list_filter = ("state", "light", "urgency", "channel")
    search_fields = ("code",)
    list_select_related = ("category", "category__parent", "grid")
    raw_id_fields = ("reporter", "grid", "command_area", "category", "duplicate_of", "merged_into", "handler")
    inlines = [TimelineInline]
    show_full_result_count = False

    def has_module_permission(self, request):
        return is_any_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_any_admin(request.user)

    def get_queryset(self, request):
        return events_visible_to(request.user).select_related("category", "grid")
