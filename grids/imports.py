"""Importing areas and grids from a GeoJSON FeatureCollection.

Each feature is one node; its properties carry ``code``, ``name`` and optionally ``name_en``,
``level``, ``parent_code``, ``grid_type``, ``exclusive_kind``, ``households`` and
``population`` (see docs/grids.md). Parents are imported before children whatever the
order in the file. A bad feature is reported with its number and reason and the valid
ones still import; importing the same file again changes nothing.
"""

import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from grids import spatial
from grids.codes import level_from_code, parent_code_of, validate_area_code
from grids.geojson import Scientific, feature_properties, geojson_load
from grids.geometry import parse_boundary
from grids.models import GRID_LEVELS, LEVEL_ORDER, ROOT_LEVELS, Area, AreaLevel, ExclusiveKind, GridType
from grids.services import area_create, area_move, area_update

logger = logging.getLogger(__name__)

# Words grid workers' files use for levels and types, besides the English values.
LEVEL_WORDS = {
    "省": AreaLevel.PROVINCE,
    "市": AreaLevel.CITY,
    "区": AreaLevel.DISTRICT,
    "县": AreaLevel.DISTRICT,
    "区县": AreaLevel.DISTRICT,
    "街道": AreaLevel.STREET,
    "乡镇": AreaLevel.STREET,
    "镇": AreaLevel.STREET,
    "乡": AreaLevel.STREET,
    "社区": AreaLevel.COMMUNITY,
    "村": AreaLevel.COMMUNITY,
    "网格": AreaLevel.GRID,
    "一级网格": AreaLevel.GRID,
    "二级网格": AreaLevel.SUBGRID,
}
GRID_TYPE_WORDS = {"基础网格": GridType.BASIC, "基础": GridType.BASIC, "专属网格": GridType.EXCLUSIVE, "专属": GridType.EXCLUSIVE}
EXCLUSIVE_KIND_WORDS = {
    "学校": ExclusiveKind.SCHOOL,
    "医院": ExclusiveKind.HOSPITAL,
    "市场": ExclusiveKind.MARKET,
    "商场": ExclusiveKind.MARKET,
    "公园": ExclusiveKind.PARK,
    "园区": ExclusiveKind.INDUSTRIAL_PARK,
    "工业园区": ExclusiveKind.INDUSTRIAL_PARK,
    "企业": ExclusiveKind.ENTERPRISE,
    "机关": ExclusiveKind.COMPOUND,
    "机关大院": ExclusiveKind.COMPOUND,
    "交通枢纽": ExclusiveKind.TRANSPORT,
    "其他": ExclusiveKind.OTHER,
}


@dataclass
class FeatureProblem:
    number: int  # 1-based position of the feature in the file
    code: str
    message: str

    def __str__(self):
        label = _("feature #%(number)s") % {"number": self.number}
        if self.code:
            label += f" ({self.code})"
        return f"{label}: {self.message}"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[FeatureProblem] = field(default_factory=list)
    warnings: list[FeatureProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Feature:
    number: int
    code: str
    name: str
    name_en: str | None
    level: str | None
    parent_code: str | None
    attrs: dict
    boundary: dict | None


def load_feature_collection(raw) -> list[dict]:
    """Parse the file's text; one clear ``ValidationError`` when it is not a GeoJSON
    FeatureCollection at all."""
    data = geojson_load(raw) if isinstance(raw, bytes | str) else raw
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise ValidationError(_("The file must be a GeoJSON FeatureCollection with a list of features."))
    if not data["features"]:
        raise ValidationError(_("The FeatureCollection has no features."))
    return data["features"]


def _text(props: dict, name: str) -> str:
    """A text property, trimmed; refused when it is no text or holds a character the
    database cannot store (NUL, or a lone surrogate a ``\\ud800`` escape makes)."""
    value = props.get(name)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise ValidationError(_("the property %(name)s must be text or a number.") % {"name": name})
    text = str(value).strip()
    if "\x00" in text:
        raise ValidationError(_("the property %(name)s contains a NUL character (\\u0000), which cannot be stored.") % {"name": name})
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            _("the property %(name)s contains a broken character (an unpaired surrogate such as \\ud800), "
              "which is not text; the file was probably cut or joined badly.") % {"name": name}
        ) from None
    if not text.isprintable():
        # Invisible characters (a zero-width space copied from a web page) dropped, control
        # characters (a tab, a line break, a bell) made spaces: a ledger's 所属网格 that
        # names the grid must match it.
        text = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text
                       if unicodedata.category(char) != "Cf").strip()
    return text


def _code(props: dict, name: str) -> str:
    """A code as text: full-width digits folded (NFKC), whitespace dropped (``4313 0200``);
    a whole number written as a decimal (a shapefile's Real field: ``43130200100109.0``)
    taken as its digits, all of which a double keeps; a number in scientific notation
    (``4.31302E+13``: Excel's, its last digits lost) refused."""
    value = props.get(name)
    if isinstance(value, float) and not math.isfinite(value):  # NaN, Infinity: no code at all
        raise ValidationError(_("the property %(name)s is %(value)s, not a code.") % {"name": name, "value": value})
    if isinstance(value, float) and not isinstance(value, Scientific) and value.is_integer() and 0 < value < 2**53:
        return str(int(value))
    text = _text(props, name)
    code = "".join((text if text.isascii() else unicodedata.normalize("NFKC", text)).split())
    if _SCIENTIFIC.fullmatch(code) or isinstance(value, float):  # a Scientific too
        raise ValidationError(_("the property %(name)s is %(value)s, a number whose last digits are lost (Excel writes long "
                                "numbers so): store the codes as text and export the file again.")
                              % {"name": name, "value": value.text if isinstance(value, Scientific) else code})
    if (whole := _WHOLE_CODE.fullmatch(code)) is not None:
        return whole[1]
    return code


_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]*)?[eE][+]?[0-9]+")
_WHOLE_CODE = re.compile(r"([0-9]{12,16})\.0+")
_WHOLE_NUMBER = re.compile(r"([0-9]+)(?:\.0*)?")


def _count(props: dict, name: str, label: str) -> int | None:
    value = props.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # QGIS and shapefiles write whole numbers of Real fields as 300.0
    number = None
    if isinstance(value, str):
        # As a number: 300, and 300.0 (a Real field exported as text)
        if whole := _WHOLE_NUMBER.fullmatch(value.strip()):
            number = int(whole[1])
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    if number is None:
        shown = value if isinstance(value, str | float) else "…"  # never a whole list or object
        raise ValidationError(_("%(field)s must be a whole number, not %(value)r.") % {"field": label, "value": shown})
    if number < 0:
        raise ValidationError(_("%(field)s cannot be negative.") % {"field": label})
    return number


def _code_for_report(raw) -> str:
    """The feature's code as far as it can be read, for its report line and for
    finding repeated codes; "" when there is none."""
    try:
        return _code(feature_properties(raw), "code") if isinstance(raw, dict) else ""
    except ValidationError:
        return ""


def _read_feature(number: int, raw) -> _Feature:
    """Everything about one feature checked before anything is written: its
    properties, their text, its counts and its geometry."""
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        raise ValidationError(_("not a GeoJSON Feature."))
    props = feature_properties(raw)
    code = _code(props, "code")
    if not code:
        raise ValidationError(_("the property code is missing."))
    name = _text(props, "name")
    if not name:
        raise ValidationError(_("the property name is missing."))
    level_text = _text(props, "level")
    level = None
    if level_text:
        level = LEVEL_WORDS.get(level_text, level_text)
        if level not in AreaLevel.values:
            raise ValidationError(_("unknown level %(level)s.") % {"level": level_text})
    elif len(code) == 12:
        level = level_from_code(code)
        if level is None:
            raise ValidationError(_("cannot tell the level from code %(code)s; give the property level.") % {"code": code})
    grid_type = _text(props, "grid_type")
    grid_type = GRID_TYPE_WORDS.get(grid_type, grid_type)
    exclusive_kind = _text(props, "exclusive_kind")
    exclusive_kind = EXCLUSIVE_KIND_WORDS.get(exclusive_kind, exclusive_kind)
    if exclusive_kind and exclusive_kind not in ExclusiveKind.values:
        raise ValidationError(_("unknown exclusive kind %(kind)s.") % {"kind": exclusive_kind})
    # Only what the file says: a property it does not have (a boundary redrawn in QGIS,
    # exported with code, name and geometry) leaves the stored value as it is.
    attrs = {
        key: value for key, value in (
            ("grid_type", grid_type),
            ("exclusive_kind", exclusive_kind),
            ("households", _count(props, "households", _("households"))),
            ("population", _count(props, "population", _("population"))),
        ) if key in props
    }
    boundary = raw.get("geometry")
    if boundary is not None:
        parse_boundary(boundary)  # report a bad geometry before anything is written
    return _Feature(
        number=number,
        code=code,
        name=name,
        name_en=_text(props, "name_en") if "name_en" in props else None,  # absent: kept as stored
        level=level,
        parent_code=_code(props, "parent_code") or None,
        attrs=attrs,
        boundary=boundary,
    )


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "；".join(str(message) for message in error.messages)
    return str(error)


def grids_import(*, actor, raw) -> ImportReport:
    """Create or update the areas and grids of a GeoJSON FeatureCollection."""
    features = load_feature_collection(raw)
    report = ImportReport()
    # Every copy of a repeated code counts, also one that cannot be read: none is imported.
    numbers_by_code: dict[str, list[int]] = {}
    for number, raw_feature in enumerate(features, start=1):
        code = _code_for_report(raw_feature)
        if code:
            numbers_by_code.setdefault(code, []).append(number)
    read: list[_Feature] = []
    for number, raw_feature in enumerate(features, start=1):
        try:
            read.append(_read_feature(number, raw_feature))
        except Exception as error:  # one feature's problem, whatever it is, stays its own
            report.errors.append(FeatureProblem(number, _code_for_report(raw_feature), _problem(error)))

    duplicates = {code for code, numbers in numbers_by_code.items() if len(numbers) > 1}
    for feature in read:
        if feature.code in duplicates:
            numbers = "、".join(f"#{n}" for n in numbers_by_code[feature.code])
            report.errors.append(
                FeatureProblem(
                    feature.number,
                    feature.code,
                    _("code %(code)s appears in several features (%(numbers)s); none of them was imported.")
                    % {"code": feature.code, "numbers": numbers},
                )
            )
    read = [f for f in read if f.code not in duplicates]

    failed_codes = {problem.code for problem in report.errors if problem.code}
    touched_grids: list[tuple[_Feature, Area]] = []
    for feature in _parents_first(read):
        try:
            with transaction.atomic():
                outcome, area = _import_one(actor, feature, failed_codes)
        except Exception as error:  # rolled back to this feature's savepoint; the others go on
            failed_codes.add(feature.code)
            report.errors.append(FeatureProblem(feature.number, feature.code, _problem(error)))
            continue
        getattr(report, outcome).append(feature.code)
        if area.is_grid and outcome != "unchanged":
            touched_grids.append((feature, area))

    for feature, area in touched_grids:
        _warn_overlaps(report, feature, area)
    report.errors.sort(key=lambda problem: problem.number)
    return report


def _problem(error: Exception) -> str:
    """The message for a feature that failed. Expected failures say why; anything
    else is logged for a developer and reported without stopping the other features."""
    if isinstance(error, ValidationError | PermissionDenied):
        return _message(error)
    logger.exception("GeoJSON import: unexpected error in a feature")
    return _("an unexpected error (%(error)s) stopped this feature; the others are not affected. Please report it.") % {
        "error": type(error).__name__
    }


def _parent_code(feature: _Feature) -> str | None:
    """The code of the parent a feature names or its code implies."""
    if feature.parent_code:
        return feature.parent_code
    if feature.level:
        return parent_code_of(feature.code, feature.level)
    if len(feature.code) > 12 and feature.code[:12].isdigit():
        return feature.code[:12]
    return None


def _parents_first(features: list[_Feature]) -> list[_Feature]:
    """The features ordered so that a parent in the file comes before its children
    whatever the file's order: by how many ancestors each has in the file, then by
    level and position. A cycle of parent codes is cut (its features then fail with
    an unknown parent)."""
    by_code = {feature.code: feature for feature in features}
    depth: dict[str, int] = {}
    for feature in features:
        chain, code = {}, feature.code  # a dict: ordered, and a set to find a cycle in
        while code in by_code and code not in depth and code not in chain:
            chain[code] = None
            code = _parent_code(by_code[code])
        above = depth.get(code, -1)
        for code in reversed(chain):
            above += 1
            depth[code] = above
    return sorted(features, key=lambda f: (depth[f.code], LEVEL_ORDER.index(f.level or AreaLevel.GRID), f.number))


def _import_one(actor, feature: _Feature, failed_codes: set[str]) -> tuple[str, Area]:
    level = feature.level
    parent_code = _parent_code(feature)
    parent = None
    if parent_code:
        if parent_code in failed_codes:
            raise ValidationError(_("its parent %(parent)s was not imported (see its error).") % {"parent": parent_code})
        parent = Area.objects.filter(code=parent_code).first()
        if parent is None:
            # A city's province is optional: without it the city is a root.
            if not feature.parent_code and level in ROOT_LEVELS:
                parent_code = None
            else:
                raise ValidationError(
                    _("unknown parent code %(parent)s: it is neither in the database nor in this file.") % {"parent": parent_code}
                )
    elif level not in ROOT_LEVELS:
        raise ValidationError(_("no parent: give the property parent_code."))
    if level is None:
        level = AreaLevel.SUBGRID if parent is not None and parent.level == AreaLevel.GRID else AreaLevel.GRID
    if level in GRID_LEVELS and feature.boundary is None:
        raise ValidationError(_("a grid needs a Polygon or MultiPolygon geometry."))

    existing = Area.objects.filter(code=feature.code).first()
    if existing is None:
        area = area_create(
            actor=actor, parent=parent, code=feature.code, name=feature.name, name_en=feature.name_en or "", level=level,
            boundary=feature.boundary, **feature.attrs,
        )
        return "created", area
    if existing.level != level:
        raise ValidationError(
            _("code %(code)s already exists as a %(existing)s, not a %(level)s.")
            % {"code": feature.code, "existing": AreaLevel(existing.level).label, "level": AreaLevel(level).label}
        )
    moved = False
    current_parent = Area.objects.get_parent(existing)
    if parent is not None and (current_parent is None or current_parent.pk != parent.pk):
        # As when it is created: a node's code begins with its parent's (a typo in
        # parent_code must not move a community and everything under it).
        validate_area_code(existing.code, level, parent.code)
        existing = area_move(actor=actor, area=existing, new_parent=parent)
        moved = True
    changes = {"name": feature.name, **feature.attrs}
    if feature.name_en is not None:  # a file without English names keeps those typed in the admin; "" clears
        changes["name_en"] = feature.name_en
    if level in GRID_LEVELS or feature.boundary is not None:
        changes["boundary"] = feature.boundary
    area, changed = area_update(actor=actor, area=existing, **changes)
    return ("updated" if changed or moved else "unchanged"), area


def _warn_overlaps(report: ImportReport, feature: _Feature, area: Area) -> None:
    boundary = parse_boundary(area.boundary)
    for grid_id, share in spatial.grids_overlapping(boundary.geometry, exclude_ids={area.pk}):
        other = Area.objects.get(pk=grid_id)
        if other.level != area.level:
            continue  # a second-level grid inside this grid, or the grid around it
        report.warnings.append(
            FeatureProblem(
                feature.number,
                feature.code,
                _("overlaps grid %(other)s by %(share).1f%% of its area; a point there resolves to only one of them.")
                % {"other": other, "share": share * 100},
            )
        )
