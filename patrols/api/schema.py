"""The OpenAPI description of the patrols API's plain-dict answers (drf-spectacular):
declared once so the schema documents them instead of guessing (and warning). The views
build the dicts (patrols.plans, patrols.selectors); these serializers only describe them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from patrols.api.serializers import ItemOutput

DAY = OpenApiParameter("day", OpenApiTypes.DATE, description="YYYY-MM-DD (default today)")
GRID = OpenApiParameter("grid", OpenApiTypes.INT, description="one grid in the caller's scope (default: the caller's grids)")
KIND = OpenApiParameter("kind", OpenApiTypes.STR, enum=["grid", "worker", "community", "street"],
                        description="unit kind (default grid)")
FIRST = OpenApiParameter("first", OpenApiTypes.DATE, description="first day (default: the 1st of this month)")
LAST = OpenApiParameter("last", OpenApiTypes.DATE, description="last day (default today; at most 400 days after first)")
AFTER = OpenApiParameter("after", OpenApiTypes.STR, description="the previous page's next (keyset pages of grids)")
AREA = OpenApiParameter("area", OpenApiTypes.INT, description="one street, community or grid in the caller's scope")



def _segments():
    """The track in segments split at gaps; a point is [lat, lon, accuracy m, epoch ms]."""
    return serializers.ListField(child=serializers.ListField(child=serializers.ListField(child=serializers.FloatField())))


class ClassOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    items = ItemOutput(many=True)


class SlotOut(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    label = serializers.CharField()
    status = serializers.CharField()
    period = serializers.ListField(child=serializers.DateField())
    lat = serializers.FloatField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)


class PlanItemOut(serializers.Serializer):
    item = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    # "class" is a Python keyword: declared under another name, renamed below.
    class_ = serializers.CharField()
    guidance = serializers.CharField()
    target = serializers.CharField()
    frequency = serializers.CharField()
    frequency_label = serializers.CharField()
    default_category = serializers.CharField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    slots = SlotOut(many=True)


PlanItemOut._declared_fields["class"] = PlanItemOut._declared_fields.pop("class_")


class PlanOut(serializers.Serializer):
    grid = serializers.IntegerField()
    grid_code = serializers.CharField()
    grid_name = serializers.CharField()
    day = serializers.DateField()
    counts = serializers.DictField(child=serializers.IntegerField())
    items = PlanItemOut(many=True)


class TrackAddOut(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    refused = serializers.IntegerField()


class TrackOut(serializers.Serializer):
    segments = _segments()


class MapRoundOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    worker = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    distance_m = serializers.FloatField()
    point_count = serializers.IntegerField()


class MapCheckOut(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.CharField()
    object = serializers.CharField()
    result = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)
    at = serializers.DateTimeField()


class MapFindingOut(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.IntegerField()
    code = serializers.CharField()
    category = serializers.CharField()
    state = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)


class RoundMapOut(serializers.Serializer):
    round = MapRoundOut()
    grid = serializers.JSONField(help_text="GeoJSON Feature of the grid's boundary")
    segments = _segments()
    checks = MapCheckOut(many=True)
    findings = MapFindingOut(many=True)


class CoverageOut(serializers.Serializer):
    kind = serializers.CharField()
    first = serializers.DateField()
    last = serializers.DateField()
    units = serializers.ListField(child=serializers.DictField(),
                                  help_text="per unit: id, code, name, its measures (counts) and ratios")


class OverdueRowOut(serializers.Serializer):
    grid = serializers.IntegerField()
    grid_code = serializers.CharField()
    grid_name = serializers.CharField()
    item = serializers.IntegerField()
    item_name = serializers.CharField()
    frequency = serializers.CharField()
    object_kind = serializers.CharField()
    object_id = serializers.IntegerField()
    object_label = serializers.CharField()
    period = serializers.ListField(child=serializers.DateField(), help_text="the current period: first and last day")


class OverdueOut(serializers.Serializer):
    grids = serializers.ListField(child=serializers.CharField(), help_text="codes of the page's grids, in tree order")
    next = serializers.CharField(allow_null=True, help_text="pass as ?after= for the next page; null on the last")
    results = OverdueRowOut(many=True)
