from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Door-to-door campaigns (专项排查): a form pushed to every target below a node."""

    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from residents.signals import registry_changed

        registry_changed.connect(_registry_changed, dispatch_uid="campaigns.registry_changed")


def _registry_changed(sender, *, grid_ids, **kwargs):
    """Thin: the rule is in ``campaigns.refresh``."""
    from campaigns.refresh import refresh_due_record

    refresh_due_record(grid_ids=grid_ids)
