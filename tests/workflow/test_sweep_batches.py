"""Escalation is decided per event: the same due set swept with any batch size gives
the same escalations, notifications and timers; sweeps running at once on their own
connections neither deadlock nor do anything twice; beat's sweep holds a lease."""

import threading
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone
from freezegun import freeze_time

from events.models import Event
from tests.workflow.test_concurrency import race
from workflow.models import Notification, SweepRun, TimelineEntry, Timer
from workflow.sweep import timers_sweep, timers_sweep_exclusive
from workflow.sweep_runs import sweep_run_acquire

# Filed this long before the sweep (category 0101: accept 30 min, total 2 working days):
# green, yellow (25 min), red, accept past escalation, and accept *and* total past it.
AGES = [timedelta(minutes=5), timedelta(minutes=25), timedelta(minutes=35), timedelta(hours=2), timedelta(days=9),
        timedelta(days=12)]


def outcome() -> dict:
    """What a sweep leaves behind, without ids that differ from run to run."""
    return {
        "escalations": sorted(TimelineEntry.objects.filter(transition="escalate").values_list("event_id", "to_state")),
        "levels": sorted(Event.objects.values_list("id", "escalation_level", "light", "was_overdue")),
        "notifications": sorted(Notification.objects.values_list("event_id", "user_id", "kind", "title")),
        "timers": sorted(Timer.objects.values_list("event_id", "stage", "state", "phase", "breached", "next_check_at")),
    }


@pytest.fixture
def due_set(file, cast):
    moment = timezone.now()
    events = [file(reported_at=moment - age) for age in AGES for _copy in range(3)]
    return moment, events


def test_the_batch_size_does_not_change_what_a_sweep_does(due_set, django_capture_on_commit_callbacks):
    moment, events = due_set
    results = {}
    for batch_size in (1, 7, 500, 100_000):
        with transaction.atomic():
            with freeze_time(moment):
                report = timers_sweep(batch_size=batch_size)
            results[batch_size] = (report.escalated, report.warned, report.overdue, outcome())
            transaction.set_rollback(True)
    assert results[1] == results[7] == results[500] == results[100_000]
    escalated, warned, overdue, state = results[1]
    # Nine events past escalation (three of them on two timers): each escalated once.
    assert escalated == 9
    assert [level for _id, level, _light, _overdue in state["levels"]].count(1) == 9
    assert max(level for _id, level, _light, _overdue in state["levels"]) == 1


def sweep_in_threads(count: int, moment, batch_size: int):
    """``count`` sweeps at once, each on its own connection (freezegun is not thread-safe:
    each sweep is given its moment)."""
    return race(*(lambda: timers_sweep(now=moment, batch_size=batch_size) for _index in range(count)))


@pytest.mark.django_db(transaction=True)
def test_sweeps_running_at_once_never_deadlock_and_do_the_work_once(file, cast):
    moment = timezone.now()
    for _round in range(5):
        for age in AGES:
            file(reported_at=moment - age)
        results = sweep_in_threads(4, moment + timedelta(minutes=_round), batch_size=3)
        assert [kind for kind, _report in results] == ["ok"] * 4, results
        # Every due timer was handled by exactly one of them, every event escalated at most once.
        assert not Timer.objects.filter(state="running", next_check_at__lte=moment).exists()
        assert sum(report.escalated for _kind, report in results) == 3
        per_event = TimelineEntry.objects.filter(transition="escalate").values_list("event_id", flat=True)
        assert len(per_event) == len(set(per_event))
        Event.objects.all().delete()  # next round on fresh events


def test_the_same_due_set_swept_by_four_at_once_ends_like_one_sweep(transactional_db, file, cast):
    def comparable():
        """The outcome with events named by their position (each run files fresh ones)."""
        position = {pk: index for index, pk in enumerate(Event.objects.order_by("pk").values_list("pk", flat=True))}
        state = outcome()
        return (
            sorted((position[pk], to_state) for pk, to_state in state["escalations"]),
            sorted((position[pk], *rest) for pk, *rest in state["levels"]),
            sorted((position[pk], user, kind) for pk, user, kind, _title in state["notifications"]),
            sorted((position[pk], stage, timer_state, phase, breached) for pk, stage, timer_state, phase, breached, _next
                   in state["timers"]),
        )

    moment = timezone.now()
    for age in AGES:
        file(reported_at=moment - age)
    timers_sweep(now=moment, batch_size=2)
    alone = comparable()
    Event.objects.all().delete()
    Notification.objects.all().delete()
    for age in AGES:
        file(reported_at=moment - age)
    results = sweep_in_threads(4, moment, batch_size=2)
    assert [kind for kind, _report in results] == ["ok"] * 4, results
    assert comparable() == alone


@pytest.mark.django_db(transaction=True)
def test_beat_does_not_start_a_sweep_while_one_holds_the_lease(file, cast, settings):
    file(reported_at=timezone.now() - timedelta(hours=2))
    token = sweep_run_acquire(name="timers")
    assert token
    assert timers_sweep_exclusive() is None  # held: nothing swept
    assert Timer.objects.filter(state="running", next_check_at__lte=timezone.now()).exists()
    # A holder that stopped reporting progress loses the lease.
    SweepRun.objects.filter(name="timers").update(renewed_at=timezone.now() - timedelta(seconds=settings.TIMER_SWEEP_LEASE_SECONDS + 1))
    seen = []
    report = timers_sweep_exclusive(batch_size=1, progress=lambda current: seen.append(current.batches))
    assert report is not None and report.escalated == 1
    assert seen == list(range(1, report.batches + 1))  # progress after every committed batch
    run = SweepRun.objects.get(name="timers")
    assert (run.holder, run.timers, run.escalated, run.batches) == ("", report.timers, 1, report.batches)
    assert run.started_at <= run.finished_at


@pytest.mark.django_db(transaction=True)
def test_of_two_sweeps_asking_for_the_lease_at_once_one_gets_it(cast):
    barrier = threading.Barrier(2)
    tokens = [None, None]

    def take(index):
        barrier.wait()
        tokens[index] = sweep_run_acquire(name="race")
        connections.close_all()

    threads = [threading.Thread(target=take, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(token is not None for token in tokens) == 1
