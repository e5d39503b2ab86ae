from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from webhooks.receivers import on_timeline_recorded
        from workflow.signals import timeline_recorded

        timeline_recorded.connect(on_timeline_recorded, dispatch_uid="webhooks.on_timeline_recorded")

        from django.db.models.signals import post_delete, post_save

        from grids.models import Area
        from webhooks.models import WebhookSubscription
        from webhooks.services import SUBSCRIPTIONS

        for model in (WebhookSubscription, Area):
            for signal in (post_save, post_delete):
                signal.connect(SUBSCRIPTIONS.invalidate, sender=model, weak=False,
                               dispatch_uid=f"derived-webhooks-{model.__name__}-{signal is post_save}")
