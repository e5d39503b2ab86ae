"""Reminders: each day, a grid worker whose share of visited targets is below the share
the calendar expects (the period's days gone by, evenly) gets one notification per
campaign. The command center sees the same grids on the campaign's page."""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignState, Progress, Reminder
from campaigns.selectors import is_behind
from workflow.notifications import notify


def campaign_reminders_send(*, today: datetime.date) -> int:
    sent = 0
    campaigns = Campaign.objects.filter(state=CampaignState.PUBLISHED, starts_on__lte=today, ends_on__gte=today)
    for campaign in campaigns:
        rows = Progress.objects.filter(campaign=campaign, worker__isnull=False, targets__gt=0)
        behind = [row for row in rows if is_behind(row, campaign, today)]
        for row in behind:
            try:
                with transaction.atomic():
                    Reminder.objects.create(campaign=campaign, worker_id=row.worker_id, day=today)
                    notify(user_ids=[row.worker_id], event=None, kind="campaign_behind",
                           title=_("%(campaign)s: %(visited)d of %(due)d targets visited, behind schedule")
                           % {"campaign": campaign.name, "visited": row.visited, "due": row.due},
                           url=reverse("campaigns:my_targets", args=[campaign.pk]) + "?status=open")
                    sent += 1
            except IntegrityError:
                continue  # reminded today already
    return sent
