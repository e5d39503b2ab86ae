"""Celery tasks of campaigns: thin, safe to run twice."""

from celery import shared_task


@shared_task(name="campaigns.tasks.campaigns_daily_task")
def campaigns_daily_task() -> dict:
    """Close the campaigns past their end date, then remind the workers behind schedule
    (once a day each)."""
    from django.utils import timezone

    from campaigns.reminders import campaign_reminders_send
    from campaigns.services import campaigns_close_due

    today = timezone.localdate()
    return {"closed": campaigns_close_due(today=today), "reminded": campaign_reminders_send(today=today)}
