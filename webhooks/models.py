"""Webhook subscriptions and their delivery log (DESIGN §8).

Every change of an event (each timeline row) that matches an active subscription
becomes a delivery row in the same transaction as the change; the rows are sent after
the commit and retried with backoff until the receiver accepts them, so a receiver that
is down delays deliveries and loses none."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WebhookSubscription(models.Model):
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    # Key of the HMAC-SHA256 signature; the receiver keeps a copy (shown once, when created).
    secret = models.CharField(_("secret"), max_length=64, editable=False)
    # Only events in this area's subtree (empty: every area the creator may see, i.e. all for superusers).
    area = models.ForeignKey("grids.Area", verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    # Only events of this small class, or of the small classes of this big class.
    category = models.ForeignKey("events.Category", verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name} → {self.url}"

    def clean(self):
        # Checked when saved (the admin form, the service) and again at every send (webhooks.targets).
        from webhooks.targets import TargetRefused, target_check

        if self.url:
            try:
                target_check(self.url)
            except TargetRefused as refused:
                raise ValidationError({"url": str(refused)}) from None


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")  # waiting to be sent, or to be retried
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")  # gave up after the maximum attempts; can be re-sent


class WebhookDelivery(models.Model):
    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE,
                                     related_name="deliveries")
    event = models.ForeignKey("events.Event", verbose_name=_("event"), null=True, on_delete=models.SET_NULL,
                              related_name="+")
    kind = models.CharField(_("kind"), max_length=40)
    payload = models.JSONField(_("payload"))
    state = models.CharField(_("state"), max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep reads only the due pending rows.
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="webhooks_pending_due"),
            models.Index(fields=["subscription", "-created_at"], name="webhooks_by_subscription"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.subscription_id} ({self.state})"
