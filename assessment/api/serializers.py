from rest_framework import serializers

from assessment.models import RatioDefinition


class RatioOutput(serializers.ModelSerializer):
    class Meta:
        model = RatioDefinition
        fields = ["code", "name", "name_en", "description", "denominator", "numerator", "weight", "higher_is_better",
                  "is_active", "order"]


def unit_data(unit, ratios) -> dict:
    return {
        "id": unit.id, "code": unit.code, "name": unit.name, "score": unit.score, "rank": unit.rank,
        "ratios": {ratio.code: {"numerator": unit.counts.get(ratio.code, (0, 0))[0],
                                "denominator": unit.counts.get(ratio.code, (0, 0))[1],
                                "rate": unit.rate(ratio.code)} for ratio in ratios},
    }


def results_data(*, units, ratios, formula, period, kind, snapshot) -> dict:
    return {
        "period": {"label": period.label, "kind": period.kind, "start": period.start, "end": period.end},
        "kind": kind,
        "frozen": snapshot is not None,
        "frozen_at": snapshot.created_at if snapshot is not None else None,
        "formula": formula,
        "ratios": [{"code": ratio.code, "name": ratio.name, "name_en": ratio.name_en,
                    "higher_is_better": ratio.higher_is_better} for ratio in ratios],
        "units": [unit_data(unit, ratios) for unit in units],
    }


class EvaluationInput(serializers.Serializer):
    evaluatee = serializers.IntegerField()
    grid = serializers.IntegerField()
    month = serializers.RegexField(r"^\d{4}-\d{2}$")
    grade = serializers.IntegerField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class HotspotTaskInput(serializers.Serializer):
    events = serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=200)
    radius = serializers.IntegerField(min_value=10, max_value=5000)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
