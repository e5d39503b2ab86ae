"""One serializer per direction for the patrols API."""

from rest_framework import serializers

from patrols.models import CheckResult, PatrolCheck, PatrolFinding, PatrolItemVersion, PatrolRound, Target


class ItemOutput(serializers.ModelSerializer):
    code = serializers.CharField(source="item.code")
    item = serializers.IntegerField(source="item_id")
    version = serializers.IntegerField(source="number")
    default_category = serializers.CharField(source="default_category.code", default=None)

    class Meta:
        model = PatrolItemVersion
        fields = ["item", "code", "version", "name", "name_en", "guidance", "target", "kinds", "frequency",
                  "default_category"]


class RoundOutput(serializers.ModelSerializer):
    grid = serializers.IntegerField(source="grid_id")
    grid_code = serializers.CharField(source="grid.code")
    worker = serializers.IntegerField(source="worker_id")

    class Meta:
        model = PatrolRound
        fields = ["id", "worker", "grid", "grid_code", "status", "started_at", "ended_at", "point_count", "distance_m",
                  "note"]


class CheckOutput(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code")
    item_name = serializers.CharField(source="version.name")
    version = serializers.IntegerField(source="version.number")

    class Meta:
        model = PatrolCheck
        fields = ["id", "item", "item_code", "item_name", "version", "object_kind", "object_id", "object_label",
                  "result", "note", "checked_at", "period_start", "lat", "lon"]


class FindingOutput(serializers.ModelSerializer):
    event_code = serializers.CharField(source="event.code")
    event_state = serializers.CharField(source="event.state")
    category = serializers.CharField(source="event.category.name")

    class Meta:
        model = PatrolFinding
        fields = ["id", "round", "item_check", "event", "event_code", "event_state", "category", "created_at"]


class RoundStartInput(serializers.Serializer):
    key = serializers.CharField(max_length=64)
    grid = serializers.IntegerField(required=False)
    at = serializers.DateTimeField(required=False)
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)


class RoundEndInput(serializers.Serializer):
    key = serializers.CharField(max_length=64, required=False)
    at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class TrackInput(serializers.Serializer):
    key = serializers.CharField(max_length=64, required=False)
    # Checked point by point by patrols.track.points_check (a bad point costs only itself).
    points = serializers.JSONField()


class CheckInput(serializers.Serializer):
    key = serializers.CharField(max_length=64)
    item = serializers.IntegerField()
    object_kind = serializers.ChoiceField(choices=Target.choices)
    object_id = serializers.IntegerField()
    result = serializers.ChoiceField(choices=CheckResult.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(required=False)
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class FindingInput(serializers.Serializer):
    key = serializers.CharField(max_length=64)
    description = serializers.CharField()
    # The small class's code (e.g. "0801"); default: the checked item's.
    category = serializers.CharField(required=False, allow_blank=True)
    check = serializers.IntegerField(required=False)
    # The key of a check sent earlier from the phone (its id may not be known offline).
    check_key = serializers.CharField(max_length=64, required=False)
    urgency = serializers.CharField(required=False, default="normal")
    at = serializers.DateTimeField(required=False)
    latitude = serializers.FloatField(required=False, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)
