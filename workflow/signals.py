"""Hooks other apps may listen to (webhooks). Sent inside the transaction of the change,
so receivers write their rows atomically with it; they must not change the event."""

from django.dispatch import Signal

# Sent by workflow.services.timeline_write after each timeline row: ``entry``, ``event``.
timeline_recorded = Signal()
