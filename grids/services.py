"""Writes to the area tree. ``actor=None`` is the system (commands, data loading)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.scoping import can_manage_area
from governance.cache import derived_invalidate_all
from grids import spatial
from grids.codes import validate_area_code
from grids.geometry import parse_boundary
from grids.models import GRID_LEVELS, PARENT_LEVEL, ROOT_LEVELS, Area, AreaLevel, GridType

EDITABLE_FIELDS = ("code", "name", "name_en", "grid_type", "exclusive_kind", "households", "population", "boundary")


def _require_manage(actor, area: Area | None) -> None:
    if actor is not None and not can_manage_area(actor, area):
        raise PermissionDenied(_("You may only configure areas inside your own subtree."))


def _validate_placement(level: str, parent: Area | None) -> None:
    if level not in AreaLevel.values:
        raise ValidationError({"level": _("Unknown level %(level)s.") % {"level": level}})
    if parent is None:
        if level not in ROOT_LEVELS:
            raise ValidationError({"parent": _("A %(level)s needs a parent.") % {"level": AreaLevel(level).label}})
        return
    expected = PARENT_LEVEL.get(level)
    if parent.level != expected:
        raise ValidationError(
            {
                "parent": _("The parent of a %(level)s must be a %(expected)s, not a %(actual)s.")
                % {
                    "level": AreaLevel(level).label,
                    "expected": AreaLevel(expected).label,
                    "actual": AreaLevel(parent.level).label,
                }
            }
        )


def _normalize_grid_fields(fields: dict, level: str) -> None:
    if level in GRID_LEVELS:
        if not fields.get("grid_type"):
            fields["grid_type"] = GridType.BASIC
        if fields["grid_type"] not in GridType.values:
            raise ValidationError({"grid_type": _("Unknown grid type %(type)s.") % {"type": fields["grid_type"]}})
        if fields["grid_type"] == GridType.EXCLUSIVE and not fields.get("exclusive_kind"):
            raise ValidationError({"exclusive_kind": _("An exclusive grid needs its kind (school, hospital, market …).")})
        if fields["grid_type"] == GridType.BASIC:
            fields["exclusive_kind"] = ""
    else:
        for name in ("grid_type", "exclusive_kind", "households", "population"):
            if fields.get(name) not in (None, ""):
                raise ValidationError({name: _("Only grids have %(field)s.") % {"field": Area._meta.get_field(name).verbose_name}})
        fields["grid_type"] = ""
        fields["exclusive_kind"] = ""


def _apply_boundary(area: Area, boundary: dict | None) -> None:
    if boundary is None:
        area.boundary = None
        area.min_lon = area.min_lat = area.max_lon = area.max_lat = area.label_lon = area.label_lat = None
        return
    parsed = parse_boundary(boundary)
    area.boundary = parsed.geojson
    area.min_lon, area.min_lat, area.max_lon, area.max_lat = parsed.bbox
    area.label_lon, area.label_lat = parsed.label_point


def area_check(
    *, parent: Area | None, code: str, level: str, fields: dict, boundary: dict | None, instance: Area | None = None
) -> dict:
    """Validate a new or changed node without writing; returns the normalised grid
    fields. Raises ``ValidationError`` keyed by field (forms show it next to the field)."""
    _validate_placement(level, parent)
    try:
        validate_area_code(code, level, parent.code if parent else None)
    except ValidationError as error:
        raise ValidationError({"code": error.messages}) from None
    if Area.objects.filter(code=code).exclude(pk=instance.pk if instance else None).exists():
        raise ValidationError({"code": _("Code %(code)s is already used.") % {"code": code}})
    if level in GRID_LEVELS and boundary is None:
        raise ValidationError({"boundary": _("A grid needs a boundary polygon.")})
    if boundary is not None:
        try:
            parse_boundary(boundary)
        except ValidationError as error:
            raise ValidationError({"boundary": error.messages}) from None
    fields = dict(fields)
    _normalize_grid_fields(fields, level)
    return fields


def area_create(
    *,
    actor,
    parent: Area | None,
    code: str,
    name: str,
    level: str,
    name_en: str = "",
    grid_type: str = "",
    exclusive_kind: str = "",
    households: int | None = None,
    population: int | None = None,
    boundary: dict | None = None,
) -> Area:
    _require_manage(actor, parent)
    fields = area_check(
        parent=parent, code=code, level=level, boundary=boundary,
        fields={"grid_type": grid_type, "exclusive_kind": exclusive_kind, "households": households, "population": population},
    )
    with transaction.atomic():
        area = Area(code=code, name=name, name_en=name_en, level=level, **fields)
        _apply_boundary(area, boundary)
        area.full_clean(exclude=["path", "depth", "numchild"])
        if parent is None:
            area = Area.objects.add_root(instance=area)
        else:
            # treebeard locks the parent row, so concurrent inserts under one parent
            # queue instead of reading the same last-child path.
            area = Area.objects.add_child(parent, instance=area)
        if area.boundary is not None:
            spatial.revision_bump()
        audit_record(actor=actor, action="area_create", obj=area, changes={"level": level, "parent": parent.code if parent else None})
    return area


def area_update(*, actor, area: Area, **changes) -> tuple[Area, dict]:
    """Change editable fields; returns the area and the changed fields (empty when the
    values were already current, in which case nothing is written)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    with transaction.atomic():
        area = Area.objects.select_for_update().get(pk=area.pk)
        _require_manage(actor, area)
        parent = Area.objects.get_parent(area)
        if "code" in changes and changes["code"] != area.code:
            validate_area_code(changes["code"], area.level, parent.code if parent else None)
            if Area.objects.filter(code=changes["code"]).exclude(pk=area.pk).exists():
                raise ValidationError({"code": _("Code %(code)s is already used.") % {"code": changes["code"]}})
        fields = {name: changes.get(name, getattr(area, name)) for name in ("grid_type", "exclusive_kind", "households", "population")}
        _normalize_grid_fields(fields, area.level)
        changed = {}
        for name in ("code", "name", "name_en"):
            if name in changes and changes[name] != getattr(area, name):
                changed[name] = changes[name]
                setattr(area, name, changes[name])
        for name, value in fields.items():
            if value != getattr(area, name):
                changed[name] = value
                setattr(area, name, value)
        boundary_fields = []
        if "boundary" in changes:
            if changes["boundary"] is None and area.is_grid:
                raise ValidationError({"boundary": _("A grid needs a boundary polygon.")})
            old = area.boundary
            _apply_boundary(area, changes["boundary"])
            if area.boundary != old:
                changed["boundary"] = True
                boundary_fields = ["boundary", "min_lon", "min_lat", "max_lon", "max_lat", "label_lon", "label_lat"]
        if not changed:
            return area, {}
        area.full_clean(exclude=["path", "depth", "numchild"])
        area.save(update_fields=[name for name in changed if name != "boundary"] + boundary_fields + ["updated_at"])
        if boundary_fields:
            spatial.revision_bump()
        audit_record(actor=actor, action="area_update", obj=area, changes={k: (v if k != "boundary" else "changed") for k, v in changed.items()})
    return area, changed


def area_move(*, actor, area: Area, new_parent: Area) -> Area:
    with transaction.atomic():
        area = Area.objects.select_for_update().get(pk=area.pk)
        new_parent = Area.objects.select_for_update().get(pk=new_parent.pk)
        _require_manage(actor, area)
        _require_manage(actor, new_parent)
        _validate_placement(area.level, new_parent)
        old_parent = Area.objects.get_parent(area)
        if old_parent is not None and old_parent.pk == new_parent.pk:
            return area
        if area.is_grid:
            validate_area_code(area.code, area.level, new_parent.code)
        Area.objects.move(area, new_parent, pos="last-child")
        area.refresh_from_db()
        spatial.revision_bump()
        # The subtree's paths changed without a save: what was derived from them is stale.
        derived_invalidate_all()
        audit_record(
            actor=actor, action="area_move", obj=area,
            changes={"from": old_parent.code if old_parent else None, "to": new_parent.code},
        )
    return area


def area_delete(*, actor, area: Area) -> None:
    """Delete a node that has no children and nothing attached (departments, roles)."""
    with transaction.atomic():
        area = Area.objects.select_for_update().get(pk=area.pk)
        _require_manage(actor, area)
        if Area.objects.get_children_count(area):
            raise ValidationError(_("%(area)s still has child areas; move or delete them first.") % {"area": area})
        if area.departments.exists() or area.role_assignments.exists():
            raise ValidationError(_("%(area)s still has departments or staff assignments.") % {"area": area})
        audit_record(actor=actor, action="area_delete", obj=area, changes={"code": area.code})
        had_boundary = area.boundary is not None
        area.delete()
        if had_boundary:
            spatial.revision_bump()
