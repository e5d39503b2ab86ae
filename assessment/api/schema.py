"""The OpenAPI description of the assessment API's answers (drf-spectacular): what each
view returns, declared once so the schema documents it instead of guessing (and
warning). The views build plain dicts; these serializers only describe them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from assessment.models import UnitKind

PERIOD = OpenApiParameter("period", OpenApiTypes.STR, description="2026-10, 2026-W40, 2026-Q3 or a range; default: last month")
KIND = OpenApiParameter("kind", OpenApiTypes.STR, enum=UnitKind.values, description="unit kind (default street)")
AREA = OpenApiParameter("area", OpenApiTypes.INT, description="narrow to this area (an id in the caller's scope)")
ORDER = OpenApiParameter("order", OpenApiTypes.STR, enum=["count", "repeat", "dissatisfaction"])
RADIUS = OpenApiParameter("radius", OpenApiTypes.INT, description="metres, 10–5000 (default 100)")
MINIMUM = OpenApiParameter("min", OpenApiTypes.INT, description="at least this many events (default 3)")


class PeriodOut(serializers.Serializer):
    label = serializers.CharField()
    kind = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


class RatioRefOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    higher_is_better = serializers.BooleanField()


class FigureOut(serializers.Serializer):
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class UnitOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    ratios = serializers.DictField(child=FigureOut(), help_text="ratio code → its figures")


class TermOut(serializers.Serializer):
    ratio = serializers.CharField()
    weight = serializers.FloatField(required=False, allow_null=True)
    invert = serializers.BooleanField(required=False)


class FormulaOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    terms = TermOut(many=True)


class ResultsOut(serializers.Serializer):
    period = PeriodOut()
    kind = serializers.CharField()
    frozen = serializers.BooleanField()
    frozen_at = serializers.DateTimeField(allow_null=True)
    formula = FormulaOut()
    ratios = RatioRefOut(many=True)
    units = UnitOut(many=True)


class ResultOut(ResultsOut):
    units = None
    unit = UnitOut()


class PointsRowOut(serializers.Serializer):
    rank = serializers.IntegerField()
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    points = serializers.IntegerField()
    entries = serializers.IntegerField()


class PointsOut(serializers.Serializer):
    month = serializers.CharField()
    ranking = PointsRowOut(many=True)


class ProblemRowOut(serializers.Serializer):
    category_id = serializers.IntegerField()
    category__code = serializers.CharField()
    category__name = serializers.CharField()
    category__name_en = serializers.CharField()
    category__parent__name = serializers.CharField()
    count = serializers.IntegerField()
    repeats = serializers.IntegerField()
    rated = serializers.IntegerField()
    dissatisfied = serializers.IntegerField()
    repeat_rate = serializers.FloatField()
    dissatisfaction_rate = serializers.FloatField()


class ProblemsOut(serializers.Serializer):
    period = serializers.CharField()
    order = serializers.CharField()
    categories = ProblemRowOut(many=True)


class DayOut(serializers.Serializer):
    day = serializers.DateField()
    created = serializers.IntegerField()
    closed = serializers.IntegerField()
    overdue = serializers.IntegerField()


class DurationOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    closed = serializers.IntegerField()
    median_hours = serializers.FloatField(allow_null=True)
    p90_hours = serializers.FloatField(allow_null=True)


class TrendsOut(serializers.Serializer):
    period = serializers.CharField()
    per_day = DayOut(many=True)
    durations = DurationOut(many=True)


class HotspotEventOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()


class HotspotOut(serializers.Serializer):
    category_id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    count = serializers.IntegerField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    events = HotspotEventOut(many=True)


class HotspotsOut(serializers.Serializer):
    period = serializers.CharField()
    radius = serializers.IntegerField()
    min = serializers.IntegerField()
    hotspots = HotspotOut(many=True)


class HotspotTaskOut(serializers.Serializer):
    task = serializers.IntegerField()
    event = serializers.IntegerField()
    code = serializers.CharField()


class EvaluationOut(serializers.Serializer):
    id = serializers.IntegerField()
    grade = serializers.IntegerField()
