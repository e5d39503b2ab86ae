"""Filing's part of the entry point: the record of a new event as the machine's first
transition (``report``, ``report_onsite``) leaves it.

The reporter's input, the grid, the duplicate hint and the idempotency key are the case
record's own steps (``events.services``); the entry point (``workflow.services``) fires
the transition, and this writes what the machine adds: the state, the command center,
the stage timers with the light they give, and the day's number — the number last, so
that nothing a filing reads waits on another filing."""

from django.utils import timezone

from events.services import event_insert_numbered
from governance.rows import rows_hold
from workflow.centers import command_center_id_for
from workflow.models import Timer
from workflow.timers import light_of, light_times, sla_limits, timers_build


def filing_record(*, event, transition, at) -> list[Timer]:
    """Give the new ``event`` the transition's state, its command center and timers, its
    number, and insert it (its timers' insert is held for the next statement:
    ``governance.pipeline``; the timers returned have no key and are written: never save
    them again)."""
    event.state = transition.target
    event.command_area_id = command_center_id_for(event.grid)
    limits = sla_limits(category_id=event.category_id, urgency=event.urgency)
    timers = timers_build(event=event, stages=transition.starts, at=at, limits=limits)
    event.light, event.due_at = light_of(timers)
    event.yellow_at, event.red_at = light_times(timers)
    event_insert_numbered(event, timezone.localdate(at))
    for timer in timers:
        timer.event = event  # the id it got
    rows_hold(timers)
    return timers
