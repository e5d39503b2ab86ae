from rest_framework import serializers

from grids.models import Area


class AreaOutput(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True)
    label_point = serializers.SerializerMethodField()
    bbox = serializers.SerializerMethodField()

    class Meta:
        model = Area
        fields = ["id", "code", "name", "level", "depth", "parent", "grid_type", "exclusive_kind", "households", "population",
                  "label_point", "bbox"]

    def get_label_point(self, area) -> dict | None:
        """``{"lat", "lon"}``: a point inside the boundary, for labels and markers."""
        if area.label_lat is None:
            return None
        return {"lat": area.label_lat, "lon": area.label_lon}

    def get_bbox(self, area) -> list[float] | None:
        """``[west, south, east, north]`` (GeoJSON order)."""
        if area.min_lon is None:
            return None
        return [area.min_lon, area.min_lat, area.max_lon, area.max_lat]


class AreaWithBoundaryOutput(AreaOutput):
    boundary = serializers.JSONField(read_only=True, help_text="GeoJSON Polygon or MultiPolygon (WGS84 lon/lat).")

    class Meta(AreaOutput.Meta):
        fields = [*AreaOutput.Meta.fields, "boundary"]


class PointInput(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
