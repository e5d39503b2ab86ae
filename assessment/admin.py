"""Admin for assessment configuration: ratio definitions (filter specs validated against
the allow-list, errors in the user's language), score formulas and point rules — edited
by city administrators, read by every administrator, every change audited — and
read-only views of snapshots and two-way evaluations."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin
from assessment.models import HotspotTask, PointRule, RatioDefinition, ScoreFormula, Snapshot, SnapshotRow, TwoWayEvaluation
from assessment.services import config_save
from workflow.admin import CityConfigurationAdmin, is_any_admin


class AuditedConfigurationAdmin(CityConfigurationAdmin):
    """Saves go through ``assessment.services.config_save`` (validated, one audit row)."""

    def save_model(self, request, obj, form, change):
        config_save(actor=request.user, obj=obj, changed=list(form.changed_data), created=not change)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: snapshots keep copies, but history reads better


@admin.register(RatioDefinition)
class RatioDefinitionAdmin(AuditedConfigurationAdmin):
    list_display = ("name", "name_en", "code", "weight", "higher_is_better", "is_active", "order")
    list_editable = ("order",)
    list_filter = ("is_active",)
    search_fields = ("code", "name", "name_en")
    fields = ("code", "name", "name_en", "description", "denominator", "numerator", "weight", "higher_is_better",
              "is_active", "order")


@admin.register(ScoreFormula)
class ScoreFormulaAdmin(AuditedConfigurationAdmin):
    list_display = ("name", "name_en", "code", "is_default")
    fields = ("code", "name", "name_en", "terms", "is_default")


@admin.register(PointRule)
class PointRuleAdmin(AuditedConfigurationAdmin):
    list_display = ("name", "name_en", "code", "source", "points", "is_active")
    list_filter = ("source", "is_active")


class ReadOnlyForAdmins(ReadOnlyAdminMixin, admin.ModelAdmin):
    def has_module_permission(self, request):
        return is_any_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_any_admin(request.user)


class SnapshotRowInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SnapshotRow
    fields = ("unit_kind", "unit_code", "unit_name", "score", "rank", "counts")
    extra = 0
    max_num = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyForAdmins):
    list_display = ("label", "period_kind", "start", "end", "created_at", "created_by", "seconds")
    date_hierarchy = "start"


@admin.register(TwoWayEvaluation)
class TwoWayEvaluationAdmin(ReadOnlyForAdmins):
    list_display = ("month", "grid", "direction", "evaluator", "evaluatee", "grade")
    list_filter = ("month", "direction", "grade")
    list_select_related = ("grid", "evaluator", "evaluatee")


@admin.register(HotspotTask)
class HotspotTaskAdmin(ReadOnlyForAdmins):
    list_display = ("event", "category", "radius_metres", "created_by", "created_at")
    list_select_related = ("event", "category", "created_by")
    raw_id_fields = ("event",)
