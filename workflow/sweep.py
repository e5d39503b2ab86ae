"""The timer sweep (DESIGN §6): run by Celery beat, or by ``manage.py sweep_timers``.

Each batch takes the events of the next ``batch_size`` due timers and locks them
(``SKIP LOCKED``: an event a transition or another sweep holds is left whole for the
next sweep), then all the due timers of the events it got — the lock order of every
transition (event, then its timers), so concurrent sweeps never deadlock. It moves each
timer to the phase the clock says, marks the events' lights, writes the notifications,
escalates each event whose timers passed escalation once, and commits. A timer's phase
only moves forward and its next check moves with it, so sweeping twice does nothing
more and a sweep that dies mid-batch loses nothing: its batch rolls back and the next
sweep does it again. Beat's sweep runs under a lease (``workflow.sweep_runs``).

Escalation (further breach) goes through the workflow's entry point as the system.
"""

import logging
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import DEPARTMENT_ROLES, Role, RoleAssignment, User
from accounts.scoping import ancestor_paths
from events.models import Event
from workflow.machine import State
from workflow.models import Stage, Timer, TimerPhase, TimerState
from workflow.notifications import notification_rows, notifications_save
from workflow.sweep_runs import sweep_run_acquire, sweep_run_progress, sweep_run_release
from workflow.timers import LIGHT_OF_PHASE, light_times, next_check, phase_at

logger = logging.getLogger(__name__)
SWEEP_NAME = "timers"


@dataclass
class SweepReport:
    timers: int = 0
    warned: int = 0
    overdue: int = 0
    escalated: int = 0
    escalation_refused: int = 0
    batches: int = 0
    skipped_events: int = 0
    escalated_events: list = field(default_factory=list)


class _Recipients:
    """Who to tell, looked up once per batch for all its events."""

    def __init__(self, events):
        command_ids = {event.command_area_id for event in events}
        department_ids = {event.primary_department_id for event in events if event.primary_department_id}
        self.dispatchers: dict[int, set] = {}
        for user_id, area_id in RoleAssignment.objects.filter(
            revoked_at__isnull=True, role=Role.DISPATCHER, area_id__in=command_ids
        ).values_list("user_id", "area_id"):
            self.dispatchers.setdefault(area_id, set()).add(user_id)
        self.members: dict[int, set] = {}
        for user_id, department_id in RoleAssignment.objects.filter(
            revoked_at__isnull=True, role__in=DEPARTMENT_ROLES, department_id__in=department_ids
        ).values_list("user_id", "department_id"):
            self.members.setdefault(department_id, set()).add(user_id)
        # Leaders on the command center's node and the node above it.
        self.leader_paths = {event.command_area_id: ancestor_paths(event.command_area.path)[-2:] for event in events}
        paths = {path for value in self.leader_paths.values() for path in value}
        self.leaders: dict[str, set] = {}
        for user_id, path in RoleAssignment.objects.filter(
            revoked_at__isnull=True, role=Role.LEADER, area__path__in=paths
        ).values_list("user_id", "area__path"):
            self.leaders.setdefault(path, set()).add(user_id)
        everyone = set().union(*self.dispatchers.values(), *self.members.values(), *self.leaders.values())
        self.phones: dict[int, str] = dict(
            User.objects.filter(pk__in=everyone).exclude(phone="").values_list("pk", "phone")
        ) if everyone else {}

    def owners(self, event) -> set:
        """Those who must act now: the primary department, else the command center."""
        if event.primary_department_id and event.state in (State.DISPATCHED, State.HANDLING):
            return self.members.get(event.primary_department_id, set())
        return self.dispatchers.get(event.command_area_id, set())

    def supervisors(self, event) -> set:
        people = set(self.dispatchers.get(event.command_area_id, set()))
        for path in self.leader_paths.get(event.command_area_id, ()):
            people |= self.leaders.get(path, set())
        return people

STAGE_NAMES = {stage.value: stage.label for stage in Stage}
_PG_TYPES = {"phase": "smallint", "next_check_at": "timestamptz", "breached": "boolean", "light": "varchar",
             "was_overdue": "boolean", "yellow_at": "timestamptz", "red_at": "timestamptz"}


def rows_set(table: str, columns: tuple, rows: list) -> None:
    """Set ``columns`` of many rows by id in one statement (``rows``: (id, *values)).
    Django's ``bulk_update`` builds a CASE expression per row and field, which costs
    more than the whole sweep otherwise."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            assignments = ", ".join(f"{column} = v.{column}::{_PG_TYPES[column]}" for column in columns)
            execute_values(
                cursor.cursor,
                f"UPDATE {table} AS t SET {assignments} FROM (VALUES %s) AS v(id, {', '.join(columns)}) "
                "WHERE t.id = v.id",
                rows, page_size=1000,
            )
        else:
            assignments = ", ".join(f"{column} = %s" for column in columns)
            adapt = connection.ops.adapt_datetimefield_value
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE id = %s",
                [[adapt(value) if hasattr(value, "tzinfo") else value for value in row[1:]] + [row[0]] for row in rows],
            )


def _due_events(now, batch_size: int, skipped: set) -> list[int]:
    """Ids of events with due timers, earliest first: the events of the next
    ``batch_size`` due timers (read without locks; locking follows in event → timer order)."""
    ids = (Timer.objects.filter(state=TimerState.RUNNING, next_check_at__lte=now)
           .exclude(event_id__in=skipped).order_by("next_check_at", "id").values_list("event_id", flat=True)[:batch_size])
    return list(dict.fromkeys(ids))


def _sweep_batch(now, batch_size, report: SweepReport, skipped: set) -> bool:
    """One batch in one transaction. Returns False when nothing was due.

    Locks in one order, the order of every transition: the events first (``SKIP
    LOCKED``: an event a transition or another sweep holds is left whole for later),
    then all the due timers of the events it got. So two sweeps, or a sweep and a
    transition, never wait on each other in a circle, and an event's timers are
    always judged together: an event is escalated at most once per sweep, whatever
    the batch size and however many of its timers are due."""
    with transaction.atomic():
        candidates = _due_events(now, batch_size, skipped)
        if not candidates:
            return False
        events = {
            event.pk: event
            for event in Event.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("command_area").filter(pk__in=candidates).order_by("pk")
            .only("id", "code", "state", "command_area_id", "primary_department_id", "light", "was_overdue",
                  "command_area__path")
        }
        held = set(candidates) - set(events)
        report.skipped_events += len(held)
        skipped |= held  # a transition or another sweep has them; looked at next sweep
        timers = list(
            Timer.objects.select_for_update(of=("self",))
            .filter(event_id__in=list(events), state=TimerState.RUNNING, next_check_at__lte=now)
            .order_by("event_id", "id")
        )
        recipients = _Recipients(list(events.values()))
        url_head, url_tail = reverse("events:detail", args=[0]).rsplit("0", 1)
        notes, changed_timers, changed_events, escalate = [], [], {}, []
        for timer in timers:
            event = events[timer.event_id]
            reached = phase_at(timer, now)
            if reached <= timer.phase:
                timer.next_check_at = next_check(timer)
                changed_timers.append(timer)
                continue
            url = f"{url_head}{event.pk}{url_tail}"
            if timer.phase < TimerPhase.YELLOW <= reached:
                report.warned += 1
                notes.append((recipients.owners(event), event, "warning", {"code": event.code, "stage": timer.stage}, url))
            if timer.phase < TimerPhase.RED <= reached:
                report.overdue += 1
                timer.breached = True
                event.was_overdue = True
                notes.append((recipients.supervisors(event) | recipients.owners(event), event, "overdue",
                              {"code": event.code, "stage": timer.stage}, url))
            if timer.phase < TimerPhase.ESCALATED <= reached:
                escalate.append(event.pk)
            timer.phase = reached
            timer.next_check_at = next_check(timer) if reached < TimerPhase.ESCALATED else None
            changed_timers.append(timer)
            changed_events[event.pk] = event
        rows_set("workflow_timer", ("phase", "next_check_at", "breached"),
                 [(timer.pk, timer.phase, timer.next_check_at, timer.breached) for timer in changed_timers])
        _relight(changed_events)
        rows = []
        for user_ids, event, kind, params, url in notes:
            rows += notification_rows(user_ids=user_ids, event=event, kind=kind, message=kind, params=params, url=url,
                                      phones=recipients.phones)
        notifications_save(rows)
        # One escalation per event, however many of its timers are past escalation.
        for event_id in sorted(set(escalate)):
            _escalate(event_id, report)
        report.timers += len(timers)
        report.batches += 1
    return True


def _relight(events: dict) -> None:
    """The light of each changed event: its worst live timer."""
    if not events:
        return
    running: dict[int, list] = {}
    for timer in Timer.objects.filter(event_id__in=events, state=TimerState.RUNNING).only(
            "event_id", "phase", "state", "warn_at", "due_at"):
        running.setdefault(timer.event_id, []).append(timer)
    for event_id, event in events.items():
        timers = running.get(event_id, [])
        event.light = LIGHT_OF_PHASE.get(max((timer.phase for timer in timers), default=TimerPhase.GREEN), "red")
        event.yellow_at, event.red_at = light_times(timers)
    rows_set("events_event", ("light", "was_overdue", "yellow_at", "red_at"),
             [(event.pk, event.light, event.was_overdue, event.yellow_at, event.red_at) for event in events.values()])


def _escalate(event_id, report: SweepReport) -> None:
    from workflow.services import TransitionRefused, event_transition

    try:
        with transaction.atomic():
            event_transition(actor=None, event_id=event_id, name="escalate")
    except TransitionRefused as refusal:
        report.escalation_refused += 1
        logger.info("event %s not escalated: %s", event_id, refusal.reason)
        return
    report.escalated += 1
    report.escalated_events.append(event_id)


def timers_sweep(*, now=None, batch_size: int = 500, max_batches: int | None = None, progress=None) -> SweepReport:
    """Sweep all due timers, batch by batch, each batch committed on its own (a long
    catch-up keeps what it has done). ``progress(report)`` is called after each batch;
    when it returns False the sweep stops."""
    report = SweepReport()
    now = now or timezone.now()
    skipped: set = set()
    while max_batches is None or report.batches < max_batches:
        if not _sweep_batch(now, batch_size, report, skipped):
            break
        logger.info("timer sweep progress: %d timers, %d escalated, %d batches", report.timers, report.escalated,
                    report.batches)
        if progress is not None and progress(report) is False:
            break
    if report.timers:
        logger.info("timer sweep: %s", report)
    return report


def timers_sweep_exclusive(*, batch_size: int = 500, progress=None) -> SweepReport | None:
    """The periodic sweep: only when no other sweep holds the lease (``None`` then)."""
    token = sweep_run_acquire(name=SWEEP_NAME)
    if token is None:
        logger.info("timer sweep skipped: another sweep is running")
        return None
    report = SweepReport()

    def renew(current):
        if progress is not None:
            progress(current)
        return sweep_run_progress(name=SWEEP_NAME, token=token, report=current)

    try:
        report = timers_sweep(batch_size=batch_size, progress=renew)
    finally:
        sweep_run_release(name=SWEEP_NAME, token=token, report=report)
    return report
