from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a background process last proved it is alive.

    Beat queues ``heartbeat_task`` every 30 s and a worker runs it, so a fresh
    ``worker`` row means the whole chain broker → worker → database works.
    """

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
