"""Side effects never make a request wait for the broker: with a broker that accepts
connections and never answers, filing and a transition return while the hand-off
thread is still stuck; the rows stay pending and the periodic relay sends them."""

import socket

import pytest
from kombu import Connection

from governance.celery import app
from governance.handoff import hand_off_resume, hand_off_wait
from workflow.models import Notification
from workflow.notifications import notifications_deliver
from workflow.services import event_transition


@pytest.fixture
def hanging_broker(monkeypatch):
    """A 'Redis' on a loopback port that accepts and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    monkeypatch.setattr(app, "connection_for_write", lambda *args, **kwargs: Connection(
        f"redis://127.0.0.1:{port}/0", transport_options={"max_retries": 0}))
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    yield listener
    listener.close()


def test_filing_and_a_transition_do_not_wait_for_a_hanging_broker(file, cast, hanging_broker,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = file()
        event_transition(actor=cast["dispatcher"], event_id=event.pk, name="reject", reason="重复上报")
    assert callbacks  # the hand-offs ran, and returned…
    assert not hand_off_wait(timeout=0.5)  # …while the publication still hangs in the background
    pending = Notification.objects.filter(event=event, email_state="pending").count()
    assert pending >= 1
    # The broker connection dies: the thread gives up, the rows wait for the relay.
    hanging_broker.close()
    assert hand_off_wait(timeout=30)
    hand_off_resume()
    assert notifications_deliver() >= pending
    assert not Notification.objects.filter(event=event, email_state="pending").exists()
