"""Admin: campaigns read-only (they are created, published and closed through the
pages and services, which keep targets and counters consistent), scoped to the
administrator's subtrees."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin
from accounts.scoping import filter_by_area_scope
from campaigns.models import Answer, Campaign


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "area", "target_kind", "state", "starts_on", "ends_on", "form_version")
    list_filter = ("state", "target_kind")
    search_fields = ("name",)

    def get_queryset(self, request):
        return filter_by_area_scope(super().get_queryset(request).select_related("area"), request.user,
                                    path_field="area__path")


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("target", "outcome", "by", "at", "form_version", "late")
    list_filter = ("outcome", "late")
    raw_id_fields = ("target",)

    def get_queryset(self, request):
        return filter_by_area_scope(super().get_queryset(request).select_related("target", "by"), request.user,
                                    path_field="target__grid__path")
