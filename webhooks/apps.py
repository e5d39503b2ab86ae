from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from webhooks.receivers import on_timeline_recorded
        from workflow.signals import timeline_recorded

        timeline_recorded.connect(on_timeline_recorded, dispatch_uid="webhooks.on_timeline_recorded")
