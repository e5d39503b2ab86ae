"""Integration clients of the REST API and Open311 (DESIGN §8).

A client is bound to a user whose role assignments decide what it sees and may do (the
same scoping rule as the pages). Its key is shown once when created; the database keeps
only a prefix for lookup and the SHA-256 of the whole key."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    name = models.CharField(_("name"), max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acts as user"), on_delete=models.PROTECT,
                             related_name="api_clients")
    # The first characters of the key, shown in lists and used to find the row.
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    # SHA-256 (hex) of the whole key: a 256-bit random key needs no slow hash.
    key_hash = models.CharField(max_length=64, editable=False)
    # Requests per period for this client, e.g. "600/minute"; empty uses API_THROTTLE_RATE.
    throttle_rate = models.CharField(_("rate limit"), max_length=20, blank=True,
                                     help_text=_("Requests per period, e.g. 600/minute; empty uses the default."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="api_client_throttle_rate_form",
                                   condition=Q(throttle_rate="") | Q(throttle_rate__regex=r"^[0-9]+/(second|minute|hour|day)$")),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
