"""Writes for webhooks: subscriptions, delivery rows (in the transaction of the change),
sending with retries and backoff, and re-sending."""

import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.scoping import areas_manageable_by, user_scope
from governance.cache import Derived
from webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription
from webhooks.signing import signature
from webhooks.targets import checked_opener

logger = logging.getLogger(__name__)


def webhook_subscription_create(*, actor, name: str, url: str, area=None, category=None) -> WebhookSubscription:
    """Subscribe ``url`` to event changes. An administrator below the city subscribes
    only to an area they manage (a subscription never sees more than its creator)."""
    if actor is not None and not user_scope(actor).is_global:
        if area is None or not areas_manageable_by(actor).filter(pk=area.pk).exists():
            raise PermissionDenied(_("Choose an area you manage."))
    subscription = WebhookSubscription(name=(name or "").strip(), url=(url or "").strip(), area=area, category=category,
                                       secret=secrets.token_hex(32), created_by=actor)
    subscription.full_clean(exclude=["secret"])
    with transaction.atomic():
        subscription.save()
        audit_record(actor=actor, action="webhook_subscribe", obj=subscription, changes={"url": subscription.url})
    return subscription


# The active subscriptions as (id, area path, category id), invalidated when a subscription
# or an area changes (webhooks.apps): every timeline row of every transition asks.
SUBSCRIPTIONS = Derived("webhooks")


def _active_subscriptions() -> tuple:
    return tuple(WebhookSubscription.objects.filter(is_active=True).values_list("pk", "area__path", "category_id"))


def _matches(area_path: str | None, category_id: int | None, event) -> bool:
    if area_path is not None and not event.grid.path.startswith(area_path):
        return False
    if category_id and category_id not in (event.category_id, event.category.parent_id):
        return False
    return True


def payload_of(entry, event) -> dict:
    """What a receiver gets: the change and the event as it is now (no personal data)."""
    return {
        "type": f"event.{entry.transition}",
        "occurred_at": entry.at.isoformat(),
        "transition": {"name": entry.transition, "from_state": entry.from_state, "to_state": entry.to_state,
                       "actor": entry.actor.username if entry.actor_id else entry.actor_kind, "note": entry.note},
        "event": {
            "id": event.pk, "code": event.code, "state": event.state, "category": event.category.code,
            "grid": event.grid.code, "urgency": event.urgency, "light": event.light,
            "primary_department": event.primary_department_id, "latitude": event.latitude, "longitude": event.longitude,
            "due_at": event.due_at.isoformat() if event.due_at else None, "reported_at": event.reported_at.isoformat(),
            "url": f"/api/v1/events/{event.pk}/",
        },
    }


def deliveries_create(*, entry, event) -> list[WebhookDelivery]:
    """Rows for the subscriptions that match, written in the caller's transaction and
    sent once it commits."""
    subscriptions = [pk for pk, area_path, category_id in SUBSCRIPTIONS.get("active", _active_subscriptions)
                     if _matches(area_path, category_id, event)]
    if not subscriptions:
        return []
    payload = payload_of(entry, event)
    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(subscription_id=pk, event=event, kind=payload["type"], payload={**payload, "subscription": pk},
                        next_attempt_at=now)
        for pk in subscriptions
    )
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: deliveries_queue(ids))
    return rows


def deliveries_queue(ids) -> None:
    """Queue the sending; when the broker is down the periodic sweep sends them later."""
    from governance.handoff import hand_off
    from webhooks.tasks import deliver_webhook_task

    for delivery_id in ids:
        hand_off(deliver_webhook_task, delivery_id)


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: base × 2^(attempts−1), at most the maximum."""
    seconds = settings.WEBHOOK_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_BACKOFF_MAX_SECONDS))


_opener = checked_opener()


def _send(delivery: WebhookDelivery) -> tuple[int | None, str]:
    body = json.dumps({"id": str(delivery.uuid), **delivery.payload}, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(delivery.subscription.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "grid-governance-webhooks/1",
        "X-Webhook-Id": str(delivery.uuid),
        "X-Webhook-Event": delivery.kind,
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": signature(delivery.subscription.secret, timestamp, body),
    })
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:500]


def webhook_deliver(*, delivery_id: int) -> str | None:
    """Send one due delivery. It is claimed first (attempts + 1, a lease on
    ``next_attempt_at``), so two workers never send it at the same time; the result is
    recorded afterwards: delivered, or the next attempt after a backoff, or failed after
    ``WEBHOOK_MAX_ATTEMPTS``. Returns the new state, or ``None`` if it was not due."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2)
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=lease)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    status, error = _send(delivery)
    delivery.last_status, delivery.last_error = status, error
    if status is not None and 200 <= status < 300:
        delivery.state, delivery.delivered_at, delivery.last_error = DeliveryState.DELIVERED, timezone.now(), ""
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.state = DeliveryState.FAILED
    else:
        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
    delivery.save(update_fields=["state", "delivered_at", "last_status", "last_error", "next_attempt_at"])
    return delivery.state


def webhook_resend(*, actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (a failed one, or a delivered one the receiver lost)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        delivery.state = DeliveryState.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.attempts = 0
        delivery.save(update_fields=["state", "next_attempt_at", "attempts"])
        audit_record(actor=actor, action="webhook_resend", obj=delivery)
        transaction.on_commit(lambda: deliveries_queue([delivery.pk]))
    return delivery


def webhook_secret_rotate(*, actor, subscription: WebhookSubscription) -> str:
    with transaction.atomic():
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        subscription.secret = secrets.token_hex(32)
        subscription.save(update_fields=["secret"])
        audit_record(actor=actor, action="webhook_rotate_secret", obj=subscription)
    return subscription.secret
