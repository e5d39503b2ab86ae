"""Admin for the patrol checklist (city administrators edit, every administrator reads,
every change audited): an item's edit publishes a new version through
``patrols.services.patrol_item_revise`` so past checks keep their text; rounds are
read-only."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin
from accounts.audit import audit_record
from events.models import Category
from patrols.models import Frequency, PatrolClass, PatrolItem, PatrolItemVersion, PatrolRound, Target
from patrols.services import REVISABLE, patrol_item_create, patrol_item_revise
from workflow.admin import CityConfigurationAdmin, is_any_admin


class AuditedAdmin(CityConfigurationAdmin):
    def save_model(self, request, obj, form, change):
        obj.full_clean()
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, action=f"{obj._meta.model_name}_{'update' if change else 'create'}", obj=obj,
                     changes={name: str(form.cleaned_data.get(name)) for name in form.changed_data})

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: past rounds refer to them


@admin.register(PatrolClass)
class PatrolClassAdmin(AuditedAdmin):
    list_display = ("code", "name", "name_en", "order", "is_active")
    list_filter = ("is_active",)


class PatrolItemForm(forms.ModelForm):
    name = forms.CharField(label=_("Chinese name"), max_length=60)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    guidance = forms.CharField(label=_("what to look at"), widget=forms.Textarea(attrs={"rows": 3}))
    target = forms.ChoiceField(label=_("checked at"), choices=Target.choices)
    kinds = forms.JSONField(label=_("kinds"), required=False, initial=list,
                            help_text=_("Key-place kinds or special groups it applies to, e.g. [\"school\"]; empty: all."))
    frequency = forms.ChoiceField(label=_("how often"), choices=Frequency.choices)
    default_category = forms.ModelChoiceField(label=_("default small class"), required=False,
                                              queryset=Category.objects.filter(parent__isnull=False, is_active=True))

    class Meta:
        model = PatrolItem
        fields = ("patrol_class", "code", "order", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.current if self.instance.pk else None
        if current is not None:
            for name in REVISABLE:
                self.fields[name].initial = getattr(current, name)


class VersionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PatrolItemVersion
    fields = ("number", "name", "target", "frequency", "default_category", "created_at", "created_by")
    extra = 0
    max_num = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PatrolItem)
class PatrolItemAdmin(CityConfigurationAdmin):
    form = PatrolItemForm
    list_display = ("code", "item_name", "patrol_class", "item_target", "item_frequency", "is_active")
    list_filter = ("patrol_class", "is_active", "current__target", "current__frequency")
    search_fields = ("code", "current__name")
    inlines = [VersionInline]

    @admin.display(description=_("name"))
    def item_name(self, obj):
        return obj.current.name if obj.current_id else ""

    @admin.display(description=_("checked at"))
    def item_target(self, obj):
        return obj.current.get_target_display() if obj.current_id else ""

    @admin.display(description=_("how often"))
    def item_frequency(self, obj):
        return obj.current.get_frequency_display() if obj.current_id else ""

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data.get(name) for name in REVISABLE}
        values["kinds"] = values.get("kinds") or []
        if not change:
            created = patrol_item_create(actor=request.user, patrol_class=obj.patrol_class, code=obj.code, order=obj.order, **values)
            obj.pk = created.pk
            return
        obj.save(update_fields=["patrol_class", "code", "order", "is_active"])
        patrol_item_revise(actor=request.user, item_id=obj.pk, **values)

    def save_related(self, request, form, formsets, change):
        pass  # versions are written by the services only

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PatrolRound)
class PatrolRoundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("started_at", "worker", "grid", "status", "point_count", "distance_m")
    list_filter = ("status",)
    raw_id_fields = ("worker", "grid")

    def has_module_permission(self, request):
        return is_any_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_any_admin(request.user)

    def get_queryset(self, request):
        from patrols.selectors import rounds_visible_to

        return rounds_visible_to(request.user).select_related("worker", "grid")
