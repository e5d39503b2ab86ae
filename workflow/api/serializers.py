from rest_framework import serializers

from workflow.models import Notification, SLALimit, SLAPolicy


class SLALimitOutput(serializers.ModelSerializer):
    class Meta:
        model = SLALimit
        fields = ["stage", "amount", "unit"]


class SLAPolicyOutput(serializers.ModelSerializer):
    category = serializers.IntegerField(source="category_id")
    category_code = serializers.CharField(source="category.code")
    limits = SLALimitOutput(many=True)

    class Meta:
        model = SLAPolicy
        fields = ["id", "category", "category_code", "urgency", "warning_share", "escalation_share", "limits"]


class NotificationOutput(serializers.ModelSerializer):
    event = serializers.IntegerField(source="event_id", allow_null=True)
    # In the client's language (Accept-Language), like the pages.
    title = serializers.CharField(source="display_title", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "event", "kind", "title", "body", "url", "created_at", "read_at"]


class MarkReadInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True, max_length=1000,
                                help_text="Notifications to mark as read; omitted: all of the caller's.")


class MarkReadOutput(serializers.Serializer):
    marked = serializers.IntegerField()
