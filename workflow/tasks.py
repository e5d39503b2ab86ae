"""Celery tasks of the workflow: thin, safe to run twice."""

from celery import shared_task


@shared_task(name="workflow.tasks.sweep_timers_task")
def sweep_timers_task() -> dict:
    """Beat's sweep; does nothing while another sweep holds the lease."""
    from workflow.deadlines import deadlines_recompute
    from workflow.sweep import timers_sweep_exclusive

    report = timers_sweep_exclusive()
    # A calendar change whose recompute could not be handed over (broker outage) is done here.
    recomputed = deadlines_recompute()
    if report is None:
        return {"skipped": True, "recomputed": recomputed}
    return {"timers": report.timers, "escalated": report.escalated, "recomputed": recomputed}


@shared_task(name="workflow.tasks.deliver_notifications_task")
def deliver_notifications_task(notification_ids) -> int:
    from workflow.notifications import notifications_deliver

    return notifications_deliver(ids=notification_ids)


@shared_task(name="workflow.tasks.deliver_pending_notifications_task")
def deliver_pending_notifications_task() -> int:
    """Catch up on notifications whose delivery could not be queued (broker outage)."""
    from workflow.notifications import notifications_deliver

    return notifications_deliver()


@shared_task(name="workflow.tasks.email_reporter_task", autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def email_reporter_task(address: str, subject: str, body: str) -> bool:
    from workflow.notifications import reporter_email_send

    if not reporter_email_send(address=address, subject=subject, body=body):
        raise OSError("sending failed")
    return True


@shared_task(name="workflow.tasks.recompute_deadlines_task")
def recompute_deadlines_task() -> int:
    """Move the deadlines of running timers after a change of the work calendar."""
    from workflow.deadlines import deadlines_recompute

    return deadlines_recompute()


@shared_task(name="workflow.tasks.sms_reporter_task", autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def sms_reporter_task(phone: str, text: str) -> bool:
    from workflow.notifications import reporter_sms_send

    if not reporter_sms_send(phone=phone, text=text):
        raise OSError("sending failed")
    return True
