"""Stage timers (DESIGN §6): started, stopped, paused and extended by transitions, in
the transition's transaction. The sweep (``workflow.sweep``) moves them through their
phases."""

import json
import logging
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import TextField
from django.db.models.expressions import RawSQL

from events.models import Event, Light, Urgency
from governance import pipeline, serverprepared
from governance.cache import Derived
from governance.rows import rows_hold
from workflow.calendar import worktime
from workflow.models import SLALimit, Stage, Timer, TimerPhase, TimerState, TimeUnit

logger = logging.getLogger(__name__)
# Units whose deadlines depend on the work calendar.
WORKING_UNITS = (TimeUnit.WORK_HOURS, TimeUnit.WORK_DAYS)


class Limits:
    """The SLA of one small class and urgency: stage → (amount, unit), and the shares."""

    def __init__(self, stages: dict, warning_share: float, escalation_share: float):
        self.stages = stages
        self.warning_share = warning_share
        self.escalation_share = escalation_share


# SLA limits per (small class, urgency), invalidated when a policy or limit changes (workflow.apps).
SLA_CACHE = Derived("sla")


def sla_limits(*, category_id: int, urgency: str) -> Limits:
    """The policy for the urgency, else the category's normal-urgency policy (one query,
    then from ``SLA_CACHE`` until a policy changes)."""
    return SLA_CACHE.get((category_id, urgency), lambda: _sla_limits(category_id, urgency))


def _sla_limits(category_id: int, urgency: str) -> Limits:
    rows = list(
        SLALimit.objects.filter(policy__category_id=category_id, policy__urgency__in={urgency, Urgency.NORMAL})
        .values_list("policy__urgency", "stage", "amount", "unit", "policy__warning_share", "policy__escalation_share")
    )
    chosen = urgency if any(row[0] == urgency for row in rows) else Urgency.NORMAL
    rows = [row for row in rows if row[0] == chosen]
    warning = next((row[4] for row in rows if row[4] is not None), None)
    escalation = next((row[5] for row in rows if row[5] is not None), None)
    return Limits(
        {stage: (amount, unit) for _urgency, stage, amount, unit, _warning, _escalation in rows},
        warning if warning is not None else settings.SLA_WARNING_SHARE,
        escalation if escalation is not None else settings.SLA_ESCALATION_SHARE,
    )


def phase_at(timer: Timer, now: datetime) -> int:
    if now >= timer.escalate_at:
        return TimerPhase.ESCALATED
    if now >= timer.due_at:
        return TimerPhase.RED
    if now >= timer.warn_at:
        return TimerPhase.YELLOW
    return TimerPhase.GREEN


def next_check(timer: Timer) -> datetime | None:
    """When the sweep must look at the timer again (``None``: never)."""
    return {
        TimerPhase.GREEN: timer.warn_at,
        TimerPhase.YELLOW: timer.due_at,
        TimerPhase.RED: timer.escalate_at,
    }.get(timer.phase)


def build_timer(*, event, stage: str, amount: int, unit: str, start: datetime, limits: Limits) -> Timer:
    calendar = worktime()
    due = calendar.add(start, amount, unit)
    span = calendar.measure(start, due, unit)
    timer = Timer(
        event=event, stage=stage, amount=amount, unit=unit, started_at=start, due_at=due,
        warn_at=calendar.advance(start, span * limits.warning_share, unit),
        escalate_at=calendar.advance(due, span * limits.escalation_share, unit),
    )
    timer.next_check_at = next_check(timer)
    timer.provisional = is_provisional(calendar, timer)
    return timer


def is_provisional(calendar, timer: Timer) -> bool:
    """Whether the timer's working-time deadlines lean on provisional holidays (logged:
    they are recomputed when the official arrangement is entered)."""
    if timer.unit not in WORKING_UNITS or not calendar.is_provisional(timer.started_at, timer.escalate_at):
        return False
    logger.info("%s deadline from %s computed on provisional holidays (no official calendar for one of %s–%s)",
                timer.stage, timer.started_at.isoformat(), timer.started_at.year, timer.escalate_at.year)
    return True


def timers_build(*, event, stages, at: datetime, limits: Limits) -> list[Timer]:
    """The timers ``timers_start`` writes, not saved yet (filing computes them before it saves the event)."""
    return [
        build_timer(event=event, stage=stage, amount=limits.stages[stage][0], unit=limits.stages[stage][1], start=at, limits=limits)
        for stage in stages
        if stage in limits.stages
    ]


def timers_start(*, event, stages, at: datetime, limits: Limits, handle_by: datetime | None = None) -> list[Timer]:
    """Start the stages' timers; the handling stage's due time is ``handle_by`` when the
    dispatcher asked for it earlier than the policy's limit. Their insert is held for the
    transaction's next statement (``governance.pipeline``): the timers returned have no key
    (they are written: never save them again)."""
    timers = timers_build(event=event, stages=stages, at=at, limits=limits)
    for timer in timers:
        if timer.stage == Stage.HANDLE and handle_by is not None and at < handle_by < timer.due_at:
            timer.due_at = handle_by
            timer.warn_at = min(timer.warn_at, at + (handle_by - at) * limits.warning_share)
            timer.next_check_at = next_check(timer)
    rows_hold(timers)
    return timers


# Written out once: every transition but one stops timers, and composing this statement
# through the ORM's conditional expressions cost more than running it. The same statement
# reads the timers it leaves running (the statement's snapshot is from before its
# UPDATE, so the ones it stops are told apart by their ids), which the light needs.
_LIVE_COLUMNS = ("id", "stage", "state", "phase", "warn_at", "due_at")
_STOP = f"""
    UPDATE {Timer._meta.db_table}
    SET breached = breached OR COALESCE(CASE WHEN state = %s THEN paused_at > due_at ELSE due_at < %s END, FALSE),
        state = %s, stopped_at = %s, next_check_at = NULL
    WHERE event_id = %s AND state <> %s AND stage IN ({{stages}})"""
_STOP_AND_LIVE = f"""
    WITH stopped AS ({_STOP} RETURNING id)
    SELECT {', '.join(_LIVE_COLUMNS)} FROM {Timer._meta.db_table}
    WHERE event_id = %s AND state <> %s AND id NOT IN (SELECT id FROM stopped)"""


def live_timers_read() -> RawSQL:
    """An event's live timers (``_LIVE_COLUMNS``) as JSON text, for an annotation
    ``live_timers_read`` of the query that reads the event just locked (PostgreSQL):
    ``timers_stop`` then needs no statement of its own to know them."""
    columns = ", ".join(f"live.{column}" for column in _LIVE_COLUMNS)
    return RawSQL(f"SELECT COALESCE(json_agg(json_build_array({columns}) ORDER BY live.id)::text, '[]') "
                  f"FROM {Timer._meta.db_table} AS live "
                  f"WHERE live.event_id = {Event._meta.db_table}.id AND live.state <> %s",
                  (TimerState.STOPPED.value,), output_field=TextField())


def _live_read(event) -> list[Timer] | None:
    """The live timers read with the event (``live_timers_read``), once: ``None`` when
    they were not, or when something changed the timers since (``timers_forget_read``)."""
    read = event.__dict__.pop("live_timers_read", None)
    if read is None:
        return None
    return [Timer.from_db(connection.alias, _LIVE_COLUMNS,
                          (pk, stage, state, phase, datetime.fromisoformat(warn_at), datetime.fromisoformat(due_at)))
            for pk, stage, state, phase, warn_at, due_at in json.loads(read)]


def timers_forget_read(event) -> None:
    """The event's timers change before they are stopped: ``timers_stop`` reads them again."""
    event.__dict__.pop("live_timers_read", None)


def timers_stop(*, event, stages, at: datetime) -> list[Timer]:
    """Stop the stages' live timers in one statement; a stage ended after its due time
    (a paused one: at its pause) is marked as breached. Returns the event's timers still
    live (with the fields its light needs): those read with the locked event
    (``live_timers_read``; the stop is then held for the transaction's next statement,
    ``governance.pipeline``), else read by the same statement (on PostgreSQL; SQLite,
    which takes no ``UPDATE`` inside ``WITH``, runs the two parts one after the other)."""
    read = _live_read(event)
    stages = list(stages) or [""]  # no stage to stop: the statement only reads
    moment = connection.ops.adapt_datetimefield_value(at)
    stopped = TimerState.STOPPED.value
    stop = [TimerState.PAUSED.value, moment, stopped, moment, event.pk, stopped, *stages]
    placeholders = ", ".join(["%s"] * len(stages))
    if read is not None:
        if stages != [""]:
            pipeline.hold(connection, _STOP.format(stages=placeholders), stop)
        return [timer for timer in read if timer.stage not in stages]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            serverprepared.execute(cursor, _STOP_AND_LIVE.format(stages=placeholders), [*stop, event.pk, stopped])
            return [Timer.from_db(connection.alias, _LIVE_COLUMNS, row) for row in cursor.fetchall()]
        cursor.execute(_STOP.format(stages=placeholders), stop)
    return list(Timer.objects.filter(event=event).exclude(state=stopped).only(*_LIVE_COLUMNS))


def timers_pause(*, event, at: datetime) -> None:
    timers_forget_read(event)
    Timer.objects.filter(event=event, state=TimerState.RUNNING).update(
        state=TimerState.PAUSED, paused_at=at, next_check_at=None
    )


def _shift(moment: datetime, paused_at: datetime, resumed_at: datetime, unit: str) -> datetime:
    """Move a moment still ahead at pause time by the time the clock stood still."""
    if moment <= paused_at:
        return moment
    calendar = worktime()
    return calendar.advance(resumed_at, calendar.measure(paused_at, moment, unit), unit)


def timers_resume(*, event, at: datetime) -> None:
    timers_forget_read(event)
    for timer in Timer.objects.filter(event=event, state=TimerState.PAUSED):
        for name in ("warn_at", "due_at", "escalate_at"):
            setattr(timer, name, _shift(getattr(timer, name), timer.paused_at, at, timer.unit))
        timer.state = TimerState.RUNNING
        timer.paused_at = None
        # A phase once reached (and notified) stays reached.
        timer.phase = max(timer.phase, phase_at(timer, at))
        timer.next_check_at = next_check(timer) if timer.phase < TimerPhase.ESCALATED else None
        timer.save(update_fields=["warn_at", "due_at", "escalate_at", "state", "paused_at", "phase", "next_check_at"])


def timers_extend(*, event, stages, amount: int, unit: str, at: datetime) -> None:
    """An approved postponement: the stages' deadlines move by the extra time and
    their lights are worked out again from now."""
    timers_forget_read(event)
    calendar = worktime()
    if unit not in TimeUnit.values:
        raise ValueError(unit)
    for timer in Timer.objects.filter(event=event, stage__in=stages).exclude(state=TimerState.STOPPED):
        old_due = timer.due_at
        timer.due_at = calendar.add(old_due, amount, unit)
        timer.escalate_at = calendar.advance(timer.due_at, calendar.measure(old_due, timer.escalate_at, timer.unit), timer.unit)
        if timer.state == TimerState.RUNNING:
            timer.phase = phase_at(timer, at)
            timer.next_check_at = next_check(timer)
        timer.provisional = is_provisional(calendar, timer)
        timer.save(update_fields=["due_at", "escalate_at", "phase", "next_check_at", "provisional"])


LIGHT_OF_PHASE = {TimerPhase.GREEN: Light.GREEN, TimerPhase.YELLOW: Light.YELLOW}


def light_of(timers) -> tuple[str, datetime | None]:
    """An event's traffic light (its worst live timer) and the due time of its current stage."""
    live = [timer for timer in timers if timer.state != TimerState.STOPPED]
    worst = max((timer.phase for timer in live), default=TimerPhase.GREEN)
    stage_dues = [timer.due_at for timer in live if timer.stage != Stage.TOTAL]
    return LIGHT_OF_PHASE.get(worst, Light.RED), min(stage_dues, default=None)


def light_times(timers) -> tuple[datetime | None, datetime | None]:
    """When the event's light turns yellow and red by the clock: the earliest warning and
    due time of running timers that have not reached them (``Event.light_at``)."""
    running = [timer for timer in timers if timer.state == TimerState.RUNNING]
    yellow = [timer.warn_at for timer in running if timer.phase < TimerPhase.YELLOW]
    red = [timer.due_at for timer in running if timer.phase < TimerPhase.RED]
    return min(yellow, default=None), min(red, default=None)


def event_refresh_light(event, live=None) -> list[str]:
    """Recompute the event's light, current due time and light times from its live
    timers (read here unless given: ``live``); the caller saves."""
    timers = list(Timer.objects.filter(event=event).exclude(state=TimerState.STOPPED)) if live is None else live
    event.light, event.due_at = light_of(timers)
    event.yellow_at, event.red_at = light_times(timers)
    return ["light", "due_at", "yellow_at", "red_at"]
