"""In-app notifications, with email and SMS copies sent after commit by a task.

The rows are written in the transaction that caused them, so nothing is lost when the
broker is down: delivery is handed to the worker on commit without waiting for the
broker (``governance.handoff``) and, if the broker cannot take it, the periodic
``deliver_pending_notifications_task`` sends what is still pending."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from governance.handoff import hand_off
from workflow.models import DeliveryState, Notification
from workflow.notification_titles import title_stored
from workflow.sms import sms_gateway

logger = logging.getLogger(__name__)

# Kinds urgent enough to also go out by SMS to staff with a phone number.
SMS_KINDS = {"overdue", "escalated", "supervised"}
MAX_ATTEMPTS = 5


NOTIFICATION_COLUMNS = ("user_id", "event_id", "kind", "title", "body", "url", "created_at", "email_state", "sms_state",
                        "attempts", "message", "params")


def notification_rows(*, user_ids, event, kind: str, title: str = "", body: str = "", url: str = "", phones=None,
                      message: str = "", params: dict | None = None) -> list[tuple]:
    """Rows (``NOTIFICATION_COLUMNS``) for a batch insert (``phones``: user id → phone).
    With ``message`` (a key of ``notification_titles.TITLES``) and its ``params`` the
    title is rendered for each reader in their language; ``title`` is then the
    platform-language copy for email and SMS."""
    now = timezone.now()
    sms = kind in SMS_KINDS and phones is not None
    params = params or {}
    if message:
        title = title_stored(message, params)
    return [
        (user_id, event.pk if event is not None else None, kind, title[:200], body, url, now, DeliveryState.PENDING,
         DeliveryState.PENDING if sms and phones.get(user_id) else DeliveryState.SKIPPED, 0, message, params)
        for user_id in sorted(set(user_ids))
    ]


def notifications_save(rows: list[tuple]) -> None:
    """Insert the rows in one statement and queue their delivery once the transaction
    commits (a sweep writes thousands; model instances would cost more than the sweep)."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import Json, execute_values

            with connection.wrap_database_errors:  # (the driver's cursor: held writes ride with it)
                ids = [row[0] for row in execute_values(
                    cursor.cursor,
                    f"INSERT INTO workflow_notification ({', '.join(NOTIFICATION_COLUMNS)}) VALUES %s RETURNING id",
                    [(*row[:-1], Json(row[-1])) for row in rows], page_size=1000, fetch=True,
                )]
        else:
            created = Notification.objects.bulk_create(Notification(**dict(zip(NOTIFICATION_COLUMNS, row, strict=True)))
                                                       for row in rows)
            ids = [row.pk for row in created]
    transaction.on_commit(lambda: queue_delivery(ids))


def notify(*, user_ids, event, kind: str, title: str = "", body: str = "", url: str = "", message: str = "",
           params: dict | None = None) -> None:
    user_ids = set(user_ids)
    if not user_ids:
        return
    phones = dict(User.objects.filter(pk__in=user_ids).exclude(phone="").values_list("pk", "phone")) if kind in SMS_KINDS else {}
    notifications_save(notification_rows(user_ids=user_ids, event=event, kind=kind, title=title, body=body, url=url,
                                         phones=phones, message=message, params=params))


def queue_delivery(ids) -> None:
    """Hand the delivery to the worker without waiting for the broker; if it cannot take
    it, the periodic ``deliver_pending_notifications_task`` sends the pending rows."""
    from workflow.tasks import deliver_notifications_task

    if ids:
        hand_off(deliver_notifications_task, list(ids), gather=True)


def notifications_deliver(*, ids=None, limit: int = 200) -> int:
    """Send the email and SMS copies of pending notifications; safe to run twice (a
    row is marked in the same transaction that locks it)."""
    sent = 0
    pending = Notification.objects.filter(email_state=DeliveryState.PENDING) | Notification.objects.filter(sms_state=DeliveryState.PENDING)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    with transaction.atomic():
        rows = list(pending.select_for_update(skip_locked=True).select_related("user").order_by("pk")[:limit])
        gateway = sms_gateway()
        for row in rows:
            row.attempts += 1
            if row.email_state == DeliveryState.PENDING:
                row.email_state = _send_email(row)
            if row.sms_state == DeliveryState.PENDING:
                row.sms_state = _send_sms(row, gateway)
            row.save(update_fields=["attempts", "email_state", "sms_state"])
            sent += 1
    return sent


def _send_email(row: Notification) -> str:
    if not row.user.email:
        return DeliveryState.SKIPPED
    link = f"{settings.SITE_URL.rstrip('/')}{row.url}" if row.url else ""
    try:
        send_mail(row.title, "\n\n".join(part for part in (row.body, link) if part), None, [row.user.email])
    except Exception:
        logger.warning("email to user %s failed", row.user_id, exc_info=True)
        return DeliveryState.PENDING if row.attempts < MAX_ATTEMPTS else DeliveryState.FAILED
    return DeliveryState.SENT


def _send_sms(row: Notification, gateway) -> str:
    if not row.user.phone:
        return DeliveryState.SKIPPED
    try:
        gateway.send(phone=row.user.phone, text=row.title)
    except Exception:
        logger.warning("SMS to user %s failed", row.user_id, exc_info=True)
        return DeliveryState.PENDING if row.attempts < MAX_ATTEMPTS else DeliveryState.FAILED
    return DeliveryState.SENT


def notification_mark_read(*, user, notification_ids=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


def email_reporter(*, address: str, subject: str, body: str) -> None:
    """Mail a reporter without an account (e.g. their rating link), from the worker after
    commit; if the broker is down, from this process's hand-off thread."""
    from workflow.tasks import email_reporter_task

    def send_here():
        logger.warning("could not queue the reporter's email; sending it from the hand-off thread")
        reporter_email_send(address=address, subject=subject, body=body)

    transaction.on_commit(lambda: hand_off(email_reporter_task, address, subject, body, on_failure=send_here))


def sms_reporter(*, phone: str, text: str) -> None:
    """Text a reporter without an account (their rating link) through the configured SMS
    gateway, from the worker after commit; if the broker is down, from this process's
    hand-off thread (the request never waits for the broker)."""
    from workflow.tasks import sms_reporter_task

    def send_here():
        logger.warning("could not queue the reporter's SMS; sending it from the hand-off thread")
        reporter_sms_send(phone=phone, text=text)

    transaction.on_commit(lambda: hand_off(sms_reporter_task, phone, text, on_failure=send_here))


def reporter_sms_send(*, phone: str, text: str) -> bool:
    try:
        sms_gateway().send(phone=phone, text=text)
    except Exception:
        logger.warning("SMS to a reporter failed", exc_info=True)
        return False
    return True


def reporter_email_send(*, address: str, subject: str, body: str) -> bool:
    try:
        send_mail(subject, body, None, [address])
    except Exception:
        logger.warning("email to a reporter failed", exc_info=True)
        return False
    return True
