"""The timer sweep: yellow, red and escalation; twice is harmless; a sweep that dies
half-way loses nothing; a broker outage only delays."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from events.models import Event, Light
from governance.handoff import hand_off_resume, hand_off_wait
from workflow import notifications as notifications_module
from workflow.machine import State
from workflow.models import Notification, Stage, Timer, TimerPhase
from workflow.services import event_transition
from workflow.sweep import timers_sweep


def accept_timer(event):
    return Timer.objects.get(event=event, stage=Stage.ACCEPT)


def sweep_at(moment, **options):
    """Sweep as the beat task would at ``moment``."""
    with freeze_time(moment):
        return timers_sweep(**options)


def test_yellow_then_red_then_escalation(file, cast):
    event = file(category="0101")  # accept within 30 minutes
    timer = accept_timer(event)

    report = sweep_at(timer.warn_at)
    event.refresh_from_db()
    assert (report.warned, event.light) == (1, Light.YELLOW)
    assert Notification.objects.filter(event=event, kind="warning", user=cast["dispatcher"]).count() == 1

    report = sweep_at(timer.due_at)
    event.refresh_from_db()
    assert (report.overdue, event.light, event.was_overdue) == (1, Light.RED, True)
    overdue = Notification.objects.get(event=event, kind="overdue", user=cast["dispatcher"])
    assert overdue.sms_state == "pending"  # the dispatcher has a phone number
    assert Notification.objects.filter(event=event, kind="overdue", user=cast["leader"]).exists()

    report = sweep_at(timer.escalate_at)
    event.refresh_from_db()
    assert report.escalated == 1
    assert (event.command_area.level, event.escalation_level, event.state) == ("district", 1, State.REPORTED)
    assert Notification.objects.filter(event=event, kind="escalated", user=cast["district_dispatcher"]).exists()
    assert event.timeline.filter(transition="escalate", actor_kind="system").exists()
    # The district's accept timer started afresh.
    assert Timer.objects.filter(event=event, stage=Stage.ACCEPT, phase=TimerPhase.GREEN, state="running").count() == 1


def test_sweeping_twice_does_nothing_more(file, cast):
    events = [file() for _ in range(3)]
    late = max(accept_timer(event).due_at for event in events)
    first = sweep_at(late)
    notes = Notification.objects.count()
    second = sweep_at(late)
    assert (first.overdue, second.timers, second.overdue, second.warned) == (3, 0, 0, 0)
    assert Notification.objects.count() == notes


def test_a_sweep_killed_half_way_loses_nothing(file, cast, monkeypatch):
    events = [file() for _ in range(4)]
    late = max(accept_timer(event).due_at for event in events)
    real_save = notifications_module.notifications_save
    calls = {"n": 0}

    def dying_save(rows):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        real_save(rows)

    monkeypatch.setattr("workflow.sweep.notifications_save", dying_save)
    with pytest.raises(RuntimeError):
        sweep_at(late, batch_size=2)
    # The first batch (2 timers) committed, the second rolled back.
    assert Timer.objects.filter(stage=Stage.ACCEPT, phase=TimerPhase.RED).count() == 2

    monkeypatch.setattr("workflow.sweep.notifications_save", real_save)
    report = sweep_at(late, batch_size=2)
    assert report.overdue == 2
    assert Timer.objects.filter(stage=Stage.ACCEPT, phase=TimerPhase.RED).count() == 4
    for event in events:
        assert Notification.objects.filter(event=event, kind="overdue", user=cast["dispatcher"]).count() == 1


def test_a_late_sweep_catches_up_in_one_go(file, cast):
    event = file()
    timer = accept_timer(event)
    report = sweep_at(timer.escalate_at + timedelta(hours=1))
    assert (report.warned, report.overdue, report.escalated) == (1, 1, 1)
    kinds = set(Notification.objects.filter(event=event).values_list("kind", flat=True))
    assert {"warning", "overdue", "escalated"} <= kinds


def test_stopped_and_paused_timers_are_not_swept(file, walk, cast):
    event = walk(file(), State.HANDLING)
    event_transition(actor=cast["handler"], event_id=event.pk, name="request_suspension", reason="等待")
    event_transition(actor=cast["dispatcher"], event_id=event.pk, name="approve_suspension")
    report = sweep_at(timezone.now() + timedelta(days=60))
    assert report.timers == 0
    assert Event.objects.get(pk=event.pk).light == Light.GREEN


def test_with_the_broker_down_filing_and_transitions_work_and_delivery_catches_up(
        file, cast, monkeypatch, caplog, django_capture_on_commit_callbacks):
    from kombu import Connection

    from governance.celery import app

    # Every publish goes to a broker nobody listens on (port 1), through a fresh pool;
    # the real broker's pool is left alone for later tests.
    monkeypatch.setattr(app, "connection_for_write", lambda *args, **kwargs: Connection(
        "redis://127.0.0.1:1/0", connect_timeout=0.5, transport_options={"max_retries": 0}))
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    monkeypatch.setitem(app.conf, "task_publish_retry", False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = file()
        event = event_transition(actor=cast["dispatcher"], event_id=event.pk, name="accept")
        assert event.state == State.ACCEPTED
        report = sweep_at(Timer.objects.get(event=event, stage=Stage.DISPATCH).due_at)
        assert report.overdue == 1
    assert callbacks
    assert hand_off_wait()
    hand_off_resume()  # later tests publish again at once
    assert "could not hand workflow.tasks.deliver_notifications_task to the broker" in caplog.text
    pending = Notification.objects.filter(email_state="pending").count()
    assert pending >= 1
    delivered = notifications_module.notifications_deliver()
    assert delivered == pending
    assert not Notification.objects.filter(email_state="pending").exists()
