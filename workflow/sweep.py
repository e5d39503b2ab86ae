"""The timer sweep (DESIGN §6): run by Celery beat, or by ``manage.py sweep_timers``.

Each batch locks up to ``batch_size`` running timers whose next check has passed
(``SKIP LOCKED``, so sweeps in several workers share the work) together with their
events (events being changed by a transition right now are skipped and picked up next
time), moves each timer to the phase the clock says, marks the events' lights, writes
the notifications, and commits. A timer's phase only moves forward and its next check
moves with it, so sweeping twice does nothing more and a sweep that dies mid-batch
loses nothing: its batch rolls back and the next sweep does it again.

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
from workflow.timers import LIGHT_OF_PHASE, next_check, phase_at

logger = logging.getLogger(__name__)


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
             "was_overdue": "boolean"}


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


def _sweep_batch(now, batch_size, report: SweepReport, skipped: set) -> bool:
    """One batch in one transaction. Returns False when nothing was due."""
    with transaction.atomic():
        timers = list(
            Timer.objects.select_for_update(skip_locked=True)
            .filter(state=TimerState.RUNNING, next_check_at__lte=now)
            .exclude(pk__in=skipped)
            .order_by("next_check_at")[:batch_size]
        )
        if not timers:
            return False
        event_ids = {timer.event_id for timer in timers}
        events = {
            event.pk: event
            for event in Event.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("command_area").filter(pk__in=event_ids)
            .only("id", "code", "state", "command_area_id", "primary_department_id", "light", "was_overdue",
                  "command_area__path")
        }
        report.skipped_events += len(event_ids - set(events))
        recipients = _Recipients(list(events.values()))
        url_head, url_tail = reverse("events:detail", args=[0]).rsplit("0", 1)
        notes, changed_timers, changed_events, escalate = [], [], {}, []
        for timer in timers:
            event = events.get(timer.event_id)
            if event is None:
                skipped.add(timer.pk)
                continue  # a transition holds the event; its timers are looked at next sweep
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
        for event_id in dict.fromkeys(escalate):
            _escalate(event_id, report)
        report.timers += len(timers)
        report.batches += 1
    return True


def _relight(events: dict) -> None:
    """The light of each changed event: its worst live timer."""
    if not events:
        return
    worst: dict[int, int] = {}
    for event_id, phase in Timer.objects.filter(event_id__in=events, state=TimerState.RUNNING).values_list("event_id", "phase"):
        worst[event_id] = max(worst.get(event_id, 0), phase)
    for event_id, event in events.items():
        event.light = LIGHT_OF_PHASE.get(worst.get(event_id, TimerPhase.GREEN), "red")
    rows_set("events_event", ("light", "was_overdue"),
             [(event.pk, event.light, event.was_overdue) for event in events.values()])


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


def timers_sweep(*, now=None, batch_size: int = 500, max_batches: int | None = None) -> SweepReport:
    """Sweep all due timers, batch by batch."""
    report = SweepReport()
    now = now or timezone.now()
    skipped: set = set()
    while max_batches is None or report.batches < max_batches:
        if not _sweep_batch(now, batch_size, report, skipped):
            break
    if report.timers:
        logger.info("timer sweep: %s", report)
    return report
