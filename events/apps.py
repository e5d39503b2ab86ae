from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    """Events (事件): the case record — categories, events, attachments, filing's steps."""

    name = "events"
    verbose_name = _("Events")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from events.models import Category
        from events.services import CATALOGUE
        from grids.models import Area

        for model in (Category, Area):
            for signal in (post_save, post_delete):
                signal.connect(CATALOGUE.invalidate, sender=model, weak=False,
                               dispatch_uid=f"derived-catalogue-{model.__name__}-{signal is post_save}")
