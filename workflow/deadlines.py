"""Recomputing running deadlines after the work calendar changed.

When an admin enters a year's official notice (``workflow.calendar_notice``) the days
whose kind changed are written on the year's row. ``deadlines_recompute`` (a task,
also run after every beat sweep) finds the running timers in working units whose span
covers such a day and moves their warning, due and escalation times to where the same
working time lands on the new calendar — so a postponement or a suspension a timer had
stays counted. Each changed event gets a timeline row saying what moved.

It works in batches, each in its own transaction, locking each event and then its
timers (the order of transitions and the sweep); the year's row keeps the last timer
done, so a recompute that dies resumes where it stopped and never moves a timer twice."""

import dataclasses
import logging
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.models import Event
from workflow.calendar import WorkTime, worktime
from workflow.models import CalendarYear, Stage, Timer, TimerPhase, TimerState
from workflow.timers import WORKING_UNITS, event_refresh_light, is_provisional, next_check

logger = logging.getLogger(__name__)
MOMENTS = ("warn_at", "due_at", "escalate_at")
STAGE_NAMES = {stage.value: stage.label for stage in Stage}


def calendar_before(calendar: WorkTime, changed: dict[date, bool]) -> WorkTime:
    """The calendar as it was: ``changed`` maps each day to whether it was a working day."""
    holidays, workdays = set(calendar.holidays), set(calendar.workdays)
    for day, was_workday in changed.items():
        if was_workday:
            holidays.discard(day)
            if not calendar.periods.get(day.weekday()):
                workdays.add(day)
        else:
            holidays.add(day)
            workdays.discard(day)
    return dataclasses.replace(calendar, holidays=frozenset(holidays), workdays=frozenset(workdays), _days={})


def deadlines_recompute(*, batch_size: int = 500) -> int:
    """Recompute what every pending calendar change affects; returns the timers moved."""
    moved = 0
    for year_id in CalendarYear.objects.exclude(recompute={}).values_list("pk", flat=True):
        moved += _recompute_year(year_id, batch_size)
    return moved


def _recompute_year(year_id: int, batch_size: int) -> int:
    moved = 0
    while True:
        with transaction.atomic():
            entry = CalendarYear.objects.select_for_update(skip_locked=True).filter(pk=year_id).first()
            if entry is None or not entry.recompute:
                return moved  # another worker has it, or it is done
            days = {date.fromisoformat(key): value for key, value in entry.recompute.get("days", {}).items()}
            after = entry.recompute.get("after", 0)
            new = worktime()
            old = calendar_before(new, days)
            zone = timezone.get_current_timezone()
            first = datetime.combine(min(days), time.min, tzinfo=zone)
            last = datetime.combine(max(days) + timedelta(days=1), time.min, tzinfo=zone)
            ids = list(Timer.objects.filter(state=TimerState.RUNNING, unit__in=WORKING_UNITS, pk__gt=after,
                                            started_at__lt=last, escalate_at__gte=first)
                       .order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                entry.recompute = {}
                entry.save(update_fields=["recompute"])
                logger.info("deadlines recomputed for the %s calendar: %d timers moved", entry.year, moved)
                return moved
            moved += _recompute_timers(ids, old, new, entry.year)
            entry.recompute = {**entry.recompute, "after": ids[-1]}
            entry.save(update_fields=["recompute"])


def _recompute_timers(ids: list[int], old: WorkTime, new: WorkTime, year: int) -> int:
    event_ids = sorted(set(Timer.objects.filter(pk__in=ids).values_list("event_id", flat=True)))
    events = {event.pk: event for event in Event.objects.select_for_update(of=("self",)).filter(pk__in=event_ids)
              .order_by("pk")}
    timers = Timer.objects.select_for_update(of=("self",)).filter(pk__in=ids, state=TimerState.RUNNING).order_by("pk")
    changes: dict[int, list] = {}
    for timer in timers:
        before = {name: getattr(timer, name) for name in MOMENTS}
        for name in MOMENTS:
            span = old.measure(timer.started_at, before[name], timer.unit)
            setattr(timer, name, new.advance(timer.started_at, span, timer.unit))
        if all(getattr(timer, name) == before[name] for name in MOMENTS):
            continue
        if timer.phase < TimerPhase.ESCALATED:
            timer.next_check_at = next_check(timer)
        timer.provisional = is_provisional(new, timer)
        timer.save(update_fields=[*MOMENTS, "next_check_at", "provisional"])
        changes.setdefault(timer.event_id, []).append((timer, before["due_at"]))
    for event_id, moved in changes.items():
        _write_timeline(events[event_id], moved, year)
    return sum(len(moved) for moved in changes.values())


def _write_timeline(event, moved, year: int) -> None:
    from workflow.timeline import timeline_write

    event.save(update_fields=event_refresh_light(event))
    local = timezone.localtime
    lines = [_("%(stage)s due %(old)s → %(new)s") % {
        "stage": STAGE_NAMES.get(timer.stage, timer.stage), "old": f"{local(old_due):%Y-%m-%d %H:%M}",
        "new": f"{local(timer.due_at):%Y-%m-%d %H:%M}"} for timer, old_due in moved]
    timeline_write(
        event=event, actor=None, transition="deadlines_recomputed", from_state=event.state, to_state=event.state,
        note=_("The work calendar for %(year)s changed: %(changes)s") % {"year": year, "changes": "; ".join(lines)},
        data={"year": year, "timers": [{"stage": timer.stage, "old_due_at": old_due.isoformat(),
                                        "due_at": timer.due_at.isoformat()} for timer, old_due in moved]},
    )
