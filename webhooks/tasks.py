"""Celery tasks of the webhooks: thin, safe to run twice (a delivery is claimed before it is sent)."""

from celery import shared_task


@shared_task(name="webhooks.tasks.deliver_webhook_task")
def deliver_webhook_task(delivery_id: int) -> str | None:
    from webhooks.services import webhook_deliver

    return webhook_deliver(delivery_id=delivery_id)


@shared_task(name="webhooks.tasks.deliver_due_webhooks_task")
def deliver_due_webhooks_task() -> int:
    """Retries whose backoff has passed, and deliveries that could not be queued."""
    from webhooks.selectors import deliveries_due
    from webhooks.services import deliveries_queue

    due = deliveries_due()
    deliveries_queue(due)
    return len(due)
