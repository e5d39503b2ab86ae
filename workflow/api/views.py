"""SLA policies (read) and the caller's notifications."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.pagination import Cursor, IdCursor
from events.models import Urgency
from workflow.api.serializers import MarkReadInput, MarkReadOutput, NotificationOutput, SLAPolicyOutput
from workflow.models import Notification, SLAPolicy
from workflow.notifications import notification_mark_read


class SLAPolicyFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__code", label="a small class's code")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)

    class Meta:
        model = SLAPolicy
        fields = ["category", "urgency"]


class SLAPolicyViewSet(viewsets.ReadOnlyModelViewSet):
    """Deadlines per small class and urgency (docs/sla.md)."""

    serializer_class = SLAPolicyOutput
    filterset_class = SLAPolicyFilter
    pagination_class = IdCursor
    queryset = SLAPolicy.objects.select_related("category").prefetch_related("limits")


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["unread", "kind", "event"]


class NotificationCursor(Cursor):
    ordering = ("-created_at", "-id")


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's own notifications, newest first."""

    serializer_class = NotificationOutput
    filterset_class = NotificationFilter
    pagination_class = NotificationCursor

    queryset = Notification.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user)

    @extend_schema(request=MarkReadInput, responses=MarkReadOutput)
    @action(detail=False, methods=["post"], pagination_class=None, filterset_class=None)
    def read(self, request):
        """Mark notifications as read (the given ids, or all)."""
        payload = MarkReadInput(data=request.data)
        payload.is_valid(raise_exception=True)
        marked = notification_mark_read(user=request.user, notification_ids=payload.validated_data.get("ids"))
        return Response({"marked": marked})
