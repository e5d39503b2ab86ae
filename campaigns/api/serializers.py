"""Campaign API serializers: one per direction."""

from rest_framework import serializers

from campaigns.models import Campaign, Outcome, Progress, Target


class CampaignOutput(serializers.ModelSerializer):
    area = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "name", "description", "area", "target_kind", "place_kinds", "groups", "state", "starts_on",
                  "ends_on", "allow_late", "form", "form_version", "published_at", "closed_at"]

    def get_area(self, campaign) -> dict:
        return {"id": campaign.area_id, "code": campaign.area.code, "name": campaign.area.name}


class CampaignInput(serializers.Serializer):
    area = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    target_kind = serializers.CharField()
    place_kinds = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    groups = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    form = serializers.JSONField()
    problem_category = serializers.CharField(required=False, allow_blank=True, default="")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    allow_late = serializers.BooleanField(required=False, default=False)


class FormInput(serializers.Serializer):
    form = serializers.JSONField()
    problem_category = serializers.CharField(required=False, allow_blank=True, default="")


def progress_data(row: Progress | None) -> dict | None:
    if row is None:
        return None
    return {
        "area": {"id": row.area_id, "code": row.area.code, "name": row.area.name, "level": row.area.level},
        "worker": {"id": row.worker_id, "name": row.worker.display_name} if row.worker_id else None,
        "targets": row.due, "visited": row.visited, "not_home": row.not_home, "problems": row.problems,
        "events": row.events, "moved_out": row.moved_out, "share_done": round(row.share_done, 4),
    }


class AnswerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.CharField()
    values = serializers.JSONField()
    problems = serializers.JSONField()
    form_version = serializers.IntegerField()
    by = serializers.IntegerField(source="by_id")
    at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    late = serializers.BooleanField()
    idempotency_key = serializers.CharField()


class TargetOutput(serializers.ModelSerializer):
    grid = serializers.SerializerMethodField()
    last_answer = AnswerOutput(allow_null=True)
    event = serializers.CharField(source="event.code", default=None)

    class Meta:
        model = Target
        fields = ["id", "campaign_id", "label", "grid", "worker_id", "building_id", "status", "attempts", "problem", "late",
                  "event", "answered_at", "last_answer"]

    def get_grid(self, target) -> dict:
        return {"id": target.grid_id, "code": target.grid.code, "name": target.grid.name}


class AnswerInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    idempotency_key = serializers.CharField(max_length=64, required=False)
    values = serializers.DictField(required=False, default=dict)
    latitude = serializers.FloatField(required=False, allow_null=True, default=None)
    longitude = serializers.FloatField(required=False, allow_null=True, default=None)
    recorded_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


BATCH_MAX = 200


class AnswerBatchItem(AnswerInput):
    target = serializers.IntegerField()
    idempotency_key = serializers.CharField(max_length=64)


class AnswerBatchInput(serializers.Serializer):
    answers = serializers.ListField(child=AnswerBatchItem(), min_length=1, max_length=BATCH_MAX)
