from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Door-to-door campaigns (专项排查): a form pushed to every target below a node."""

    name = "campaigns"
    verbose_name = _("Campaigns")
