"""The one helper that writes a timeline row (in the caller's transaction)."""

from datetime import datetime

from django.utils import timezone

from governance.rows import row_insert
from workflow.models import TimelineEntry
from workflow.signals import timeline_recorded


def timeline_write(*, event, actor, transition: str, from_state: str, to_state: str, note: str = "", data=None,
                   at: datetime | None = None, actor_kind: str | None = None) -> TimelineEntry:
    """Write the timeline row of a transition; ``timeline_recorded`` lets webhooks add
    their delivery rows to the same transaction."""
    if actor_kind is None:
        actor_kind = "user" if actor is not None else "system"
    entry = row_insert(TimelineEntry(
        event=event, at=at or timezone.now(), actor=actor, actor_kind=actor_kind, transition=transition,
        from_state=from_state, to_state=to_state, note=note or "", data=data or {},
    ))
    timeline_recorded.send(sender=TimelineEntry, entry=entry, event=event)
    return entry
