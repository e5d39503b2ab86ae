"""The one helper that writes a timeline row (in the caller's transaction)."""

from datetime import datetime

from django.utils import timezone

from governance.rows import row_insert, row_update_and_insert
from workflow.models import TimelineEntry
from workflow.signals import timeline_recorded


def timeline_write(*, event, actor, transition: str, from_state: str, to_state: str, note: str = "", data=None,
                   at: datetime | None = None, actor_kind: str | None = None, event_fields=()) -> TimelineEntry:
    """Write the timeline row of a transition; ``timeline_recorded`` lets webhooks add
    their delivery rows to the same transaction. ``event_fields``: the event's fields the
    transition changed, saved by the same statement (one round trip), before the receivers
    read the event."""
    if actor_kind is None:
        actor_kind = "user" if actor is not None else "system"
    entry = TimelineEntry(
        event=event, at=at or timezone.now(), actor=actor, actor_kind=actor_kind, transition=transition,
        from_state=from_state, to_state=to_state, note=note or "", data=data or {},
    )
    if event_fields:
        row_update_and_insert(event, event_fields, entry)
    else:
        row_insert(entry)
    timeline_recorded.send(sender=TimelineEntry, entry=entry, event=event)
    return entry
