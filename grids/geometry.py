"""Boundary polygons: parsing and validating GeoJSON geometries (WGS84 lon/lat)."""

import math
from dataclasses import dataclass

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

ALLOWED_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Boundary:
    geojson: dict
    geometry: shapely.Geometry

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return tuple(float(v) for v in self.geometry.bounds)

    @property
    def label_point(self) -> tuple[float, float]:
        point = self.geometry.representative_point()
        return float(point.x), float(point.y)


def normalize_geojson(geometry: shapely.Geometry) -> dict:
    """A plain-JSON GeoJSON mapping (lists, not tuples) so stored and new compare equal."""

    def listify(value):
        if isinstance(value, (list, tuple)):
            return [listify(v) for v in value]
        return value

    data = mapping(geometry)
    return {"type": data["type"], "coordinates": listify(data["coordinates"])}


# How many lists deep a type's coordinates are above its positions: a Polygon is a list
# of rings and a ring a list of positions; a MultiPolygon is a list of Polygons.
_NESTING = {"Polygon": 2, "MultiPolygon": 3}


def _is_number(value) -> bool:
    """A JSON number: not true or false, and not NaN or Infinity (which some GIS write)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _shown(value) -> str:
    """A value from the file, safe to put in a message: text with its unprintable
    characters escaped and cut short; anything else by its JSON kind."""
    if isinstance(value, str):
        text = value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
        return text if len(text) <= 40 else text[:40] + "…"
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, list):
        return "[…]"
    return str(value)


def _check_coordinates(coordinates: list, geometry_type: str) -> None:
    """Lists exactly as deep as the type requires, ending in positions of numbers
    within WGS84 ranges. Walks level by level without recursion, so no nesting a
    file can hold runs out of stack here or later in shapely."""
    wrong_nesting = ValidationError(
        _("A Polygon's coordinates must be a list of rings, each a list of [longitude, latitude] positions.")
        if geometry_type == "Polygon"
        else _("A MultiPolygon's coordinates must be a list of polygons, each a list of rings, each a list of "
               "[longitude, latitude] positions."),
        code="geometry_invalid",
    )
    items = [coordinates]
    for _level in range(_NESTING[geometry_type]):
        if not all(isinstance(item, list) for item in items):
            raise wrong_nesting
        items = [child for item in items for child in item]
    for position in items:
        if _is_number(position) or (isinstance(position, list) and any(isinstance(c, list) for c in position)):
            raise wrong_nesting  # nested too shallow or too deep for the type
        if not isinstance(position, list) or len(position) < 2 or not all(_is_number(c) for c in position):
            raise ValidationError(_("A position must be two numbers [longitude, latitude]."), code="geometry_invalid")
        lon, lat = position[0], position[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError(
                _("Position [%(lon)s, %(lat)s] is outside WGS84 longitude/latitude ranges (are they swapped or projected?).")
                % {"lon": lon, "lat": lat},
                code="geometry_range",
            )


def parse_boundary(data) -> Boundary:
    """Parse a GeoJSON Polygon/MultiPolygon; raise ``ValidationError`` with a clear reason."""
    if not isinstance(data, dict):
        raise ValidationError(_("The boundary must be a GeoJSON geometry object."), code="geometry_missing")
    geometry_type = data.get("type")
    if geometry_type not in ALLOWED_TYPES:
        raise ValidationError(
            _("The boundary must be a Polygon or MultiPolygon, not %(type)s.") % {"type": _shown(geometry_type) if geometry_type else _("nothing")},
            code="geometry_type",
        )
    coordinates = data.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise ValidationError(_("The boundary has no coordinates."), code="geometry_invalid")
    _check_coordinates(coordinates, geometry_type)
    try:
        geometry = shape(data)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException) as exc:
        raise ValidationError(
            _("The boundary cannot be read as a polygon: %(reason)s") % {"reason": exc}, code="geometry_invalid"
        ) from exc
    if geometry.is_empty:
        raise ValidationError(_("The boundary encloses no area."), code="geometry_invalid")
    if not geometry.is_valid:
        raise ValidationError(
            _("The boundary is not a valid polygon: %(reason)s") % {"reason": explain_validity(geometry)},
            code="geometry_invalid",
        )
    if geometry.area == 0:
        raise ValidationError(_("The boundary encloses no area."), code="geometry_invalid")
    return Boundary(geojson=normalize_geojson(geometry), geometry=geometry)
