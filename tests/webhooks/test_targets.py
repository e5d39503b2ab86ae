"""Webhook targets: loopback, private, link-local and non-HTTP(S) addresses are refused
when a subscription is saved and again when a delivery is sent (after DNS resolution, so
a name that resolves inside fails), unless the operator allow-lists the network."""

import pytest
from django.core.exceptions import ValidationError

from tests.webhooks.test_webhooks import Receiver
from webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_deliver, webhook_subscription_create

pytestmark = pytest.mark.django_db

REFUSED = [
    "http://127.0.0.1:6379/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:6379/",
    "http://[::ffff:127.0.0.1]/",
    "http://10.0.0.1/",
    "http://192.168.1.20/hook",
    "http://0.0.0.0/",
    "http://localhost:8000/hook",  # a host name that resolves to 127.0.0.1
    "ftp://203.0.113.9/hook",
    "http://no-such-host.invalid/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_an_internal_or_non_http_target_is_refused_when_saved(tree, url):
    with pytest.raises(ValidationError) as refused:
        webhook_subscription_create(actor=None, name="内网", url=url, area=tree["S1"])
    assert "url" in refused.value.message_dict
    assert not WebhookSubscription.objects.exists()


def test_an_allow_listed_network_is_accepted(tree, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    created = webhook_subscription_create(actor=None, name="政务内网", url="http://10.20.3.4/hook", area=tree["S1"])
    assert created.pk
    with pytest.raises(ValidationError):
        webhook_subscription_create(actor=None, name="别的内网", url="http://10.21.3.4/hook", area=tree["S1"])


def test_a_target_that_turns_internal_is_refused_at_send_time(tree, settings, file):
    """Saved while allowed (a stand-in for a DNS answer that changes afterwards), sent after
    the allow-list no longer covers it: the delivery fails without connecting."""
    receiver = Receiver()
    try:
        settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
        subscription = webhook_subscription_create(actor=None, name="数据平台",
                                                   url=receiver.url.replace("127.0.0.1", "localhost"), area=tree["S1"])
        file()
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        settings.WEBHOOK_ALLOWED_NETWORKS = []
        assert webhook_deliver(delivery_id=delivery.pk) == DeliveryState.PENDING
        delivery.refresh_from_db()
        assert delivery.last_status is None
        assert "internal address" in delivery.last_error or "内部地址" in delivery.last_error
        assert receiver.received == []
    finally:
        receiver.close()
