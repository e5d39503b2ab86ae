"""Admin for the area tree, scoped: an administrator sees and edits only the subtrees
where they hold the admin role. Writes go through ``grids.services``."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from guardian.admin import ReinforcedGuardedModelAdminMixin

from accounts.admin import UserBoundFormMixin
from accounts.scoping import areas_manageable_by, can_manage_area, user_scope
from accounts.selectors import grid_teams
from grids.geojson import geojson_load
from grids.imports import grids_import
from grids.models import GRID_LEVELS, Area, Grid
from grids.services import EDITABLE_FIELDS, area_check, area_create, area_delete, area_move, area_update


class BoundaryMapWidget(forms.Textarea):
    """The boundary's GeoJSON as a text box under a map to draw and edit it on
    (static/js/boundary-editor.js with leaflet-geoman; everything from static/)."""

    template_name = "grids/boundary_widget.html"

    class Media:
        css = {"all": ("vendor/leaflet/leaflet.css", "vendor/leaflet-geoman/leaflet-geoman.css", "css/admin-map.css")}
        js = ("vendor/leaflet/leaflet.js", "vendor/leaflet-geoman/leaflet-geoman.min.js", "js/maps.js",
              "js/boundary-editor.js")

    def format_value(self, value):
        import json

        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return super().format_value(value)


def _refuse_oversized(upload) -> None:
    """Checked on the upload's size, before its content is read into memory
    (``GRIDS_IMPORT_MAX_BYTES``: bigger files go through the import_grids command)."""
    limit = settings.GRIDS_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; files of up to %(limit)s can be uploaded here. Import a bigger file on the server "
              "with the command: manage.py import_grids FILE") % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )


class BoundaryField(forms.JSONField):
    """The boundary text box. Django's field knows only malformed JSON; text nested
    too deeply (or a number with thousands of digits) is a form error here too, and
    is shown back as typed."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except RecursionError:
            raise ValidationError(_("The boundary is not GeoJSON: its lists or objects are nested too deeply."),
                                  code="invalid") from None
        except ValueError:  # not JSONDecodeError, which Django handles
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except (RecursionError, ValueError):
            return forms.fields.InvalidJSONInput(data)


class AreaAdminForm(forms.ModelForm):
    parent = forms.ModelChoiceField(queryset=Area.objects.none(), required=False, label=_("parent"))
    boundary_file = forms.FileField(
        required=False, label=_("boundary file"), help_text=_("A GeoJSON Polygon/MultiPolygon, Feature or one-feature FeatureCollection; replaces the boundary.")
    )

    class Meta:
        model = Area
        fields = ["parent", "code", "name", "name_en", "level", "grid_type", "exclusive_kind", "households", "population", "boundary"]
        widgets = {"boundary": BoundaryMapWidget(attrs={"rows": 3})}
        field_classes = {"boundary": BoundaryField}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["parent"].queryset = areas_manageable_by(user).exclude(level__in=[GRID_LEVELS[1]]).order_by("path")
        self.fields["boundary"].required = False
        if self.instance.pk:
            self.fields["parent"].initial = Area.objects.get_parent(self.instance)
            self.fields["level"].disabled = True

    def clean_boundary_file(self):
        upload = self.cleaned_data.get("boundary_file")
        if not upload:
            return None
        _refuse_oversized(upload)
        data = geojson_load(upload.read())  # read as the import reads it (GBK too)
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            features = data.get("features")
            if not isinstance(features, list) or len(features) != 1:
                raise ValidationError(_("The FeatureCollection must hold exactly one feature."))
            data = features[0]
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = data.get("geometry")
        return data

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("boundary_file") is not None:
            data["boundary"] = data["boundary_file"]
        parent = data.get("parent")
        level = self.instance.level if self.instance.pk else data.get("level")
        if not can_manage_area(self.user, parent) and not (self.instance.pk and parent == Area.objects.get_parent(self.instance)):
            raise ValidationError({"parent": _("You may only place areas inside your own subtree.")})
        try:
            area_check(
                parent=parent,
                code=data.get("code", ""),
                level=level,
                boundary=data.get("boundary"),
                instance=self.instance if self.instance.pk else None,
                fields={name: data.get(name) for name in ("grid_type", "exclusive_kind", "households", "population")},
            )
        except ValidationError as error:
            self._update_errors(error)
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("GeoJSON file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        _refuse_oversized(upload)
        return upload


@admin.register(Area)
class AreaAdmin(UserBoundFormMixin, ReinforcedGuardedModelAdminMixin, admin.ModelAdmin):
    form = AreaAdminForm
    list_display = ("indented_name", "code", "level", "grid_type", "households", "population", "sizing")
    list_filter = ("level", "grid_type", "exclusive_kind")
    search_fields = ("code", "name")
    ordering = ("path",)
    list_per_page = 100
    change_list_template = "admin/grids/area/change_list.html"
    actions = None

    class Media:
        # Indentation and colours as classes: the Content Security Policy allows no style="" attribute.
        css = {"all": ["css/admin.css"]}

    def get_queryset(self, request):
        return areas_manageable_by(request.user)

    def has_module_permission(self, request):
        return super().has_module_permission(request) and self._is_admin(request)

    def has_view_permission(self, request, obj=None):
        if not (super().has_view_permission(request, obj) and self._is_admin(request)):
            return False
        return obj is None or can_manage_area(request.user, obj)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._is_admin(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return False  # one at a time, through area_delete
        # area_delete refuses non-empty nodes; offer deletion only where it can succeed.
        return (
            super().has_delete_permission(request, obj)
            and can_manage_area(request.user, obj)
            and obj.numchild == 0
            and not obj.departments.exists()
            and not obj.role_assignments.exists()
        )

    @staticmethod
    def _is_admin(request) -> bool:
        scope = user_scope(request.user)
        return scope.is_global or bool(scope.admin_paths)

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj):
        return format_html('<span class="tree-depth-{}">{}</span>', min(obj.depth, 8), obj.name)

    @admin.display(description=_("sizing"))
    def sizing(self, obj):
        warnings = obj.sizing_warnings
        if not warnings:
            return "—"
        return format_html('<span class="admin-warning">{}</span>', "；".join(warnings))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = area_create(
                actor=request.user,
                parent=data.get("parent"),
                code=data["code"],
                name=data["name"],
                name_en=data.get("name_en") or "",
                level=data["level"],
                grid_type=data.get("grid_type") or "",
                exclusive_kind=data.get("exclusive_kind") or "",
                households=data.get("households"),
                population=data.get("population"),
                boundary=data.get("boundary"),
            )
            obj.pk = created.pk
            return
        parent = data.get("parent")
        if parent is not None and parent != Area.objects.get_parent(obj):
            area_move(actor=request.user, area=obj, new_parent=parent)
        area_update(actor=request.user, area=obj, **{name: data.get(name) for name in EDITABLE_FIELDS})

    def delete_model(self, request, obj):
        area_delete(actor=request.user, area=obj)

    def get_urls(self):
        info = (self.model._meta.app_label, self.model._meta.model_name)
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="{}_{}_import".format(*info)),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a GeoJSON FeatureCollection of areas and grids (same rules as the
        import_grids command), imported as the signed-in administrator."""
        if not self.has_add_permission(request):
            return redirect("admin:index")
        report = None
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = grids_import(actor=request.user, raw=form.cleaned_data["file"].read())
            except ValidationError as error:
                form.add_error("file", error)
            else:
                level = messages.SUCCESS if report.ok else messages.WARNING
                self.message_user(
                    request,
                    _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(failed)s failed.")
                    % {"created": len(report.created), "updated": len(report.updated),
                       "unchanged": len(report.unchanged), "failed": len(report.errors)},
                    level,
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import areas and grids from GeoJSON"),
            "form": form,
            "report": report,
            "changelist_url": reverse("admin:grids_area_changelist"),
        }
        return TemplateResponse(request, "admin/grids/area/import.html", context)


@admin.register(Grid)
class GridAdmin(AreaAdmin):
    list_display = ("name", "code", "grid_type", "exclusive_kind", "households", "population", "sizing", "team")
    list_filter = ("grid_type", "exclusive_kind")
    change_list_template = None

    def get_queryset(self, request):
        return areas_manageable_by(request.user).filter(level__in=GRID_LEVELS)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # One batch for the page's teams, not a query per row. grid_teams evaluates
        # the page's queryset, so the rows the template shows are these objects.
        for team in grid_teams(changelist.result_list):
            team.grid.team_status = team
        return changelist

    @admin.display(description=_("team"))
    def team(self, obj):
        team = getattr(obj, "team_status", None)
        if team is None:
            return ""
        if team.complete:
            return format_html('<span class="admin-ok">{}</span>', _("complete"))
        return format_html('<span class="admin-bad">{}: {}</span>', _("missing"), "、".join(team.missing_labels))
