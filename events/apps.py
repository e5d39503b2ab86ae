from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Events (事件): categories, filing, photos, duplicates. Filled by the workflow issue."""

    name = "events"
    verbose_name = _("Events")
