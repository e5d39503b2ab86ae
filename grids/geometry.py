"""Boundary polygons: parsing and validating GeoJSON geometries (WGS84 lon/lat)."""

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


def _check_coordinates(coords, depth=0):
    if coords and isinstance(coords[0], (int, float)):
        if len(coords) < 2 or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coords[:2]):
            raise ValidationError(_("A position must be two numbers [longitude, latitude]."), code="geometry_invalid")
        lon, lat = coords[0], coords[1]
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValidationError(
                _("Position [%(lon)s, %(lat)s] is outside WGS84 longitude/latitude ranges (are they swapped or projected?).")
                % {"lon": lon, "lat": lat},
                code="geometry_range",
            )
        return
    if not isinstance(coords, (list, tuple)):
        raise ValidationError(_("Coordinates must be nested lists of numbers."), code="geometry_invalid")
    for item in coords:
        _check_coordinates(item, depth + 1)


def parse_boundary(data) -> Boundary:
    """Parse a GeoJSON Polygon/MultiPolygon; raise ``ValidationError`` with a clear reason."""
    if not isinstance(data, dict):
        raise ValidationError(_("The boundary must be a GeoJSON geometry object."), code="geometry_missing")
    geometry_type = data.get("type")
    if geometry_type not in ALLOWED_TYPES:
        raise ValidationError(
            _("The boundary must be a Polygon or MultiPolygon, not %(type)s.") % {"type": geometry_type or _("nothing")},
            code="geometry_type",
        )
    coordinates = data.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        raise ValidationError(_("The boundary has no coordinates."), code="geometry_invalid")
    _check_coordinates(coordinates)
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
