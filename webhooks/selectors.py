"""Reads for webhooks."""

from django.db.models import QuerySet
from django.utils import timezone

from webhooks.models import DeliveryState, WebhookDelivery


def deliveries_due(*, limit: int = 500) -> list[int]:
    """Ids of pending deliveries whose next attempt is due (partial index on the due time)."""
    return list(WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now())
                .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def deliveries_of(subscription_id) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(subscription_id=subscription_id)
