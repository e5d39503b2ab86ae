from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResidentsConfig(AppConfig):
    """Residents, housing and places (实有人口、实有房屋). Filled by the residents issue."""

    name = "residents"
    verbose_name = _("Residents and housing")
