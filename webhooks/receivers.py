"""Thin receiver: each timeline row becomes deliveries for the matching subscriptions."""


def on_timeline_recorded(sender, *, entry, event, **kwargs):
    from webhooks.services import deliveries_create

    deliveries_create(entry=entry, event=event)
