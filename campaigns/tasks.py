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


@shared_task(name="campaigns.tasks.campaigns_refresh_due_task")
def campaigns_refresh_due_task() -> dict:
    """Refresh the published campaigns over the grids where residents moved (handed off
    on the move's commit; every minute from beat as the relay)."""
    from django.utils import timezone

    from campaigns.refresh import campaigns_refresh_due

    return campaigns_refresh_due(at=timezone.now())


@shared_task(name="campaigns.tasks.campaigns_refresh_all_task")
def campaigns_refresh_all_task() -> dict:
    """Nightly: refresh every published campaign in full, for registry changes made
    outside the services that mark grids (file imports, the admin)."""
    from campaigns.models import Campaign, CampaignState
    from campaigns.services import campaign_refresh

    refreshed = 0
    for campaign in Campaign.objects.filter(state=CampaignState.PUBLISHED):
        campaign_refresh(actor=None, campaign=campaign)
        refreshed += 1
    return {"refreshed": refreshed}
