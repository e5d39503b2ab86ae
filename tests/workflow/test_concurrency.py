"""Two dispatchers fire conflicting transitions at the same moment, each on their own
database connection: exactly one succeeds and the other gets a clear refusal."""

import threading

import pytest
from django.db import connection, connections
from django.utils import translation

from events.models import EventDepartment
from workflow.machine import State
from workflow.services import TransitionRefused, event_transition


def race(*calls):
    """Run the calls at once in threads (each thread has its own connection)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            with translation.override("en"):  # threads do not inherit the test's language
                results[index] = ("ok", call())
        except TransitionRefused as refusal:
            results[index] = ("refused", refusal)
        except Exception as error:  # noqa: BLE001 - reported by the assertion
            results[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_dispatching_at_once_make_one_dispatch(file, walk, cast, departments, make_user):
    from accounts.models import Role

    second = make_user(Role.DISPATCHER, area=cast["dispatcher"].role_assignments.first().area, username="s1_dispatcher_2")
    event = walk(file(), State.ACCEPTED)

    results = race(
        lambda: event_transition(actor=cast["dispatcher"], event_id=event.pk, name="dispatch", primary=departments["S1_cg"].pk),
        lambda: event_transition(actor=second, event_id=event.pk, name="dispatch", primary=departments["A_cg"].pk),
    )

    outcomes = sorted(kind for kind, _value in results)
    assert outcomes == ["ok", "refused"], results
    refusal = next(value for kind, value in results if kind == "refused")
    assert refusal.code == "state"
    assert "Dispatched" in refusal.reason
    assert EventDepartment.objects.filter(event=event, ended_at__isnull=True).count() == 1
    assert event.timeline.filter(transition="dispatch").count() == 1


@pytest.mark.django_db(transaction=True)
def test_accept_and_reject_at_once(file, cast, make_user):
    from accounts.models import Role

    second = make_user(Role.DISPATCHER, area=cast["dispatcher"].role_assignments.first().area, username="s1_dispatcher_3")
    event = file()
    results = race(
        lambda: event_transition(actor=cast["dispatcher"], event_id=event.pk, name="accept"),
        lambda: event_transition(actor=second, event_id=event.pk, name="reject", reason="重复上报"),
    )
    assert sorted(kind for kind, _value in results) == ["ok", "refused"], results
    assert event.timeline.exclude(transition="report").count() == 1
    assert connection.vendor in ("postgresql", "sqlite")


@pytest.mark.django_db(transaction=True)
def test_the_same_submission_sent_twice_at_once_files_one_event(cast, reference_data):
    from events.models import Event
    from workflow.services import event_file

    def submit():
        event, _created = event_file(actor=cast["worker"], channel="grid_worker", category="0101", description="垃圾",
                                     latitude=27.705, longitude=112.005, idempotency_key="retry-from-a-flaky-phone")
        return event.pk

    results = race(submit, submit)

    assert [kind for kind, _value in results] == ["ok", "ok"], results
    assert results[0][1] == results[1][1]
    assert Event.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_transition_that_waited_for_the_lock_reads_the_timers_as_the_lock_holder_left_them(file, cast):
    """The sweep (or any transaction) holds the event's lock and moves a timer on; a
    transition waiting for the lock meanwhile must compute the light from the timers as
    they are once it has the lock, not as they were when it asked for it."""
    import time

    from django.db import transaction

    from events.models import Event
    from workflow.models import Stage, Timer, TimerPhase

    event = file()
    total = Timer.objects.get(event=event, stage=Stage.TOTAL)
    locked, done = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                list(Event.objects.select_for_update().filter(pk=event.pk))  # (SQLite: the write lock of its transaction)
                locked.set()
                time.sleep(0.5)  # the transition asks for the lock meanwhile
                Timer.objects.filter(pk=total.pk).update(phase=TimerPhase.YELLOW)
        finally:
            done.set()
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    assert locked.wait(30)
    accepted = event_transition(actor=cast["dispatcher"], event_id=event.pk, name="accept")
    thread.join(30)
    assert done.is_set()
    assert accepted.light == "yellow"  # the total timer's phase as committed while the transition waited
    event.refresh_from_db()
    assert event.light == "yellow"
