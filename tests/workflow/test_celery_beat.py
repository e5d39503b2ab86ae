"""A real Celery worker with beat, as their own processes against the configured
broker (Redis in CI): beat fires the sweep, the sweep finds an overdue timer, the case
escalates to the district and the notifications go out."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from tests.governance.test_celery_worker import celery_worker, worker_output
from workflow.models import DeliveryState, Notification


@pytest.fixture
def worker_with_beat(transactional_db, tmp_path):
    with celery_worker("beat-test", "-B", "-s", str(tmp_path / "beat-schedule"), env={"TIMER_SWEEP_SECONDS": "1"}) as process:
        yield process


@pytest.mark.django_db(transaction=True)
def test_beat_sweeps_and_a_timer_escalates_the_case(cast, file, worker_with_beat):
    # Reported two hours ago, never accepted: 30 minutes allowed, escalation at 45.
    event = file(reported_at=timezone.now() - timedelta(hours=2))

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert worker_with_beat.poll() is None, worker_output(worker_with_beat)
        event.refresh_from_db()
        if event.escalation_level and not Notification.objects.filter(email_state=DeliveryState.PENDING).exists():
            break
        time.sleep(0.5)
    event.refresh_from_db()
    if not event.escalation_level:  # say why: the worker's last words
        worker_with_beat.terminate()
        pytest.fail("beat did not sweep the timer within 90 s:\n" + worker_output(worker_with_beat))
    assert event.command_area.level == "district"
    assert event.light == "green"  # the district's own accept timer has just started
    assert Event.objects.get(pk=event.pk).was_overdue
    escalated = Notification.objects.get(event=event, kind="escalated", user=cast["district_dispatcher"])
    overdue = Notification.objects.get(event=event, kind="overdue", user=cast["dispatcher"])
    # The worker delivered the copies: email to the dispatcher, SMS (logged) too.
    assert overdue.email_state == DeliveryState.SENT
    assert overdue.sms_state == DeliveryState.SENT
    assert escalated.email_state == DeliveryState.SKIPPED  # that dispatcher has no email address


@pytest.mark.django_db(transaction=True)
def test_beat_starts_no_sweep_while_one_holds_the_lease(cast, file, worker_with_beat):
    from workflow.models import SweepRun
    from workflow.sweep import SweepReport
    from workflow.sweep_runs import sweep_run_acquire, sweep_run_release

    event = file(reported_at=timezone.now() - timedelta(hours=2))
    token = sweep_run_acquire(name="timers")  # a long sweep is running
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and SweepRun.objects.get(name="timers").skipped_ticks < 2:
        assert worker_with_beat.poll() is None, worker_output(worker_with_beat)
        time.sleep(0.5)
    assert SweepRun.objects.get(name="timers").skipped_ticks >= 2, "beat did not tick within 90 s"
    event.refresh_from_db()
    assert event.escalation_level == 0  # the ticks found the lease held and swept nothing

    sweep_run_release(name="timers", token=token, report=SweepReport())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Event.objects.get(pk=event.pk).escalation_level:
        time.sleep(0.5)
    assert Event.objects.get(pk=event.pk).escalation_level == 1
    # Beat ticks every second: the sweep that escalated lets the lease go, and the next
    # tick's sweep takes it again and finds nothing to do. Wait for a moment the lease is
    # free; by then the case was escalated once, not again.
    deadline = time.monotonic() + 30
    run = SweepRun.objects.get(name="timers")
    while time.monotonic() < deadline and run.holder:
        time.sleep(0.1)
        run = SweepRun.objects.get(name="timers")
    assert run.holder == "" and run.finished_at >= run.started_at
    assert Event.objects.get(pk=event.pk).escalation_level == 1
