from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    """Grid patrols (网格巡查): checklist, plans, rounds with GPS tracks, findings, coverage."""

    name = "patrols"
    verbose_name = _("Grid patrols")
    default_auto_field = "django.db.models.BigAutoField"
