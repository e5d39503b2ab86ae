"""Subscriptions (created through the service; the secret is shown once) and the
delivery log, read-only, with a re-send action."""

from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.scoping import areas_manageable_by, user_scope
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_resend, webhook_secret_rotate, webhook_subscription_create


def _visible_subscriptions(request, queryset):
    if user_scope(request.user).is_global:
        return queryset
    return queryset.filter(area__in=areas_manageable_by(request.user))


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "area", "category", "is_active", "created_at"]
    list_filter = ["is_active"]
    fields = ["name", "url", "area", "category", "is_active"]
    raw_id_fields = ["area", "category"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["rotate_secret"]

    def get_queryset(self, request):
        return _visible_subscriptions(request, super().get_queryset(request).select_related("area", "category"))

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the delivery log stays

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "url", "is_active"])
            return
        created = webhook_subscription_create(actor=request.user, name=obj.name, url=obj.url, area=obj.area,
                                              category=obj.category)
        obj.pk = created.pk
        messages.warning(request, _("The signing secret of %(name)s is shown only now; give it to the receiver: %(secret)s")
                         % {"name": created.name, "secret": created.secret})

    @admin.action(description=_("Rotate the signing secret"))
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            secret = webhook_secret_rotate(actor=request.user, subscription=subscription)
            messages.warning(request, _("New signing secret of %(name)s (shown only now): %(secret)s")
                             % {"name": subscription.name, "secret": secret})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "subscription", "event", "state", "attempts", "last_status", "next_attempt_at",
                    "delivered_at"]
    list_filter = ["state", "subscription"]
    readonly_fields = ["uuid", "subscription", "event", "kind", "payload", "state", "attempts", "last_status", "last_error",
                       "next_attempt_at", "created_at", "delivered_at"]
    actions = ["resend"]

    def get_queryset(self, request):
        subscriptions = _visible_subscriptions(request, WebhookSubscription.objects.all())
        return super().get_queryset(request).filter(subscription__in=subscriptions).select_related("subscription", "event")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method != "POST" or obj is None

    @admin.action(description=_("Re-send the selected deliveries"))
    def resend(self, request, queryset):
        for delivery in queryset:
            webhook_resend(actor=request.user, delivery=delivery)
        messages.success(request, _("Queued again."))
