"""Webhooks: subscriptions filtered by area and category, deliveries written with the
change, signed with HMAC-SHA256 over the timestamp and body, retried with backoff while
the receiver is down (nothing lost), failed after the maximum attempts, re-sent from
the admin."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from governance.handoff import hand_off_resume, hand_off_wait
from webhooks.models import WebhookDelivery
from webhooks.services import backoff, webhook_deliver, webhook_subscription_create
from webhooks.signing import signature_valid
from webhooks.tasks import deliver_due_webhooks_task, deliver_webhook_task

pytestmark = pytest.mark.django_db


class Receiver:
    """A real HTTP server on localhost that answers with the queued status codes (200 when none)."""

    def __init__(self):
        self.received, self.statuses = [], []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                self.send_response(outer.statuses.pop(0) if outer.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    # The test receiver listens on loopback, which webhooks refuse unless allow-listed.
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def subscription(receiver, tree):
    return webhook_subscription_create(actor=None, name="数据平台", url=receiver.url, area=tree["S1"])


def _due_now(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_changes_in_the_area_become_deliveries(subscription, file, walk, cast, reference_data):
    event = walk(file(), "accepted")
    file(cast["outsider"], latitude=27.405, longitude=112.205)  # another street: no delivery
    kinds = list(WebhookDelivery.objects.filter(subscription=subscription).order_by("id").values_list("kind", flat=True))
    assert kinds == ["event.report", "event.accept"]
    payload = WebhookDelivery.objects.filter(kind="event.accept").get().payload
    assert payload["event"]["code"] == event.code and payload["event"]["state"] == "accepted"
    assert payload["transition"] == {"name": "accept", "from_state": "reported", "to_state": "accepted",
                                     "actor": "s1_dispatcher", "note": ""}


def test_category_filter_matches_small_classes_of_a_big_class(receiver, tree, file, reference_data):
    from events.models import Category

    big = webhook_subscription_create(actor=None, name="市容", url=receiver.url, category=Category.objects.get(code="01"))
    small = webhook_subscription_create(actor=None, name="占道", url=receiver.url, category=Category.objects.get(code="0401"))
    file(category="0101")
    assert WebhookDelivery.objects.filter(subscription=big).count() == 1
    assert WebhookDelivery.objects.filter(subscription=small).count() == 0


def test_delivery_is_signed_and_verifiable(subscription, receiver, file):
    file()
    delivery = WebhookDelivery.objects.get()
    assert deliver_webhook_task(delivery.pk) == "delivered"
    headers, body = receiver.received[0]
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["X-Webhook-Id"] == str(delivery.uuid) and headers["X-Webhook-Event"] == "event.report"
    assert signature_valid(subscription.secret, headers["X-Webhook-Timestamp"], body, headers["X-Webhook-Signature"])
    assert not signature_valid("another secret", headers["X-Webhook-Timestamp"], body, headers["X-Webhook-Signature"])
    assert not signature_valid(subscription.secret, headers["X-Webhook-Timestamp"], body + b" ", headers["X-Webhook-Signature"])
    assert not signature_valid(subscription.secret, str(int(headers["X-Webhook-Timestamp"]) - 3600), body,
                               headers["X-Webhook-Signature"])
    assert json.loads(body)["id"] == str(delivery.uuid)
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 1 and delivery.last_status == 200
    # Delivered once: running the task again sends nothing.
    assert deliver_webhook_task(delivery.pk) is None and len(receiver.received) == 1


def test_a_receiver_that_is_down_delays_and_loses_nothing(subscription, receiver, file, settings):
    file()
    delivery = WebhookDelivery.objects.get()
    receiver.statuses = [500, 503]
    before = timezone.now()
    assert webhook_deliver(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.last_status == 500
    assert delivery.next_attempt_at >= before + timedelta(seconds=settings.WEBHOOK_BACKOFF_SECONDS)
    # Not due yet: neither the task nor the sweep sends it.
    assert webhook_deliver(delivery_id=delivery.pk) is None
    _due_now(delivery)
    assert webhook_deliver(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at >= timezone.now() + backoff(2) - timedelta(seconds=5)
    # The server is gone altogether: a connection error, still pending.
    receiver.close()
    _due_now(delivery)
    assert webhook_deliver(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.last_status is None and delivery.last_error


def test_backoff_doubles_up_to_the_maximum(settings):
    settings.WEBHOOK_BACKOFF_SECONDS, settings.WEBHOOK_BACKOFF_MAX_SECONDS = 30, 3600
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


def test_the_sweep_queues_due_deliveries(subscription, receiver, file, django_capture_on_commit_callbacks, monkeypatch):
    file()
    delivery = WebhookDelivery.objects.get()
    queued = []
    monkeypatch.setattr("webhooks.tasks.deliver_webhook_task.apply_async", lambda args, **options: queued.append(args[0]))
    assert deliver_due_webhooks_task() == 1 and hand_off_wait() and queued == [delivery.pk]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert deliver_due_webhooks_task() == 0


def test_deliveries_are_queued_after_commit(subscription, file, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("webhooks.tasks.deliver_webhook_task.apply_async", lambda args, **options: queued.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        file()
    assert hand_off_wait()
    assert queued == [WebhookDelivery.objects.get().pk]


def test_a_broker_outage_leaves_the_row_for_the_sweep(subscription, file, django_capture_on_commit_callbacks, monkeypatch):
    def down(args, **options):
        raise ConnectionError("broker down")

    monkeypatch.setattr("webhooks.tasks.deliver_webhook_task.apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        file()
    assert hand_off_wait()
    hand_off_resume()
    assert WebhookDelivery.objects.get().state == "pending"


def test_failed_after_the_maximum_attempts_then_resent_from_the_admin(subscription, receiver, file, settings, client, cast):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    file()
    delivery = WebhookDelivery.objects.get()
    receiver.statuses = [500, 500]
    webhook_deliver(delivery_id=delivery.pk)
    _due_now(delivery)
    assert webhook_deliver(delivery_id=delivery.pk) == "failed"
    client.force_login(cast["admin"])
    response = client.post("/admin/webhooks/webhookdelivery/", {"action": "resend", "_selected_action": [delivery.pk]})
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.attempts == 0
    assert webhook_deliver(delivery_id=delivery.pk) == "delivered"
    assert len(receiver.received) == 3


def test_a_street_admin_subscribes_only_to_their_area(street_admin, tree, receiver):
    from django.core.exceptions import PermissionDenied

    webhook_subscription_create(actor=street_admin, name="ok", url=receiver.url, area=tree["C1"])
    for area in (None, tree["S2"]):
        with pytest.raises(PermissionDenied):
            webhook_subscription_create(actor=street_admin, name="no", url=receiver.url, area=area)


def test_admin_creates_a_subscription_and_sees_the_secret_once(client, cast, tree, receiver):
    from webhooks.models import WebhookSubscription

    client.force_login(cast["admin"])
    response = client.post("/admin/webhooks/webhooksubscription/add/",
                           {"name": "12345", "url": receiver.url, "area": tree["S1"].pk, "category": "", "is_active": "on"},
                           follow=True)
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in response.content.decode()
    assert subscription.secret not in client.get(f"/admin/webhooks/webhooksubscription/{subscription.pk}/change/").content.decode()
