"""Reporters' identity as personal data (issue 13): encrypted at rest, masked on every
surface (pages, API, Open311, webhooks), revealed per event with a reason by the roles
that call reporters back, and every reveal logged."""

import json

import pytest
from django.db import connection
from django.urls import reverse

from residents.models import PersonalDataAccess
from tests.conftest import INSIDE_G11
from workflow.services import event_file

pytestmark = pytest.mark.django_db
NAME, CONTACT = "李四海", "13900001111"


@pytest.fixture
def reported(cast):
    event, _created = event_file(actor=None, channel="resident", category="0101", description="楼下垃圾",
                                 reporter_name=NAME, reporter_contact=CONTACT, **INSIDE_G11)
    return event


def test_the_identity_is_encrypted_at_rest_and_masked_in_the_row(reported):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM events_event WHERE id = %s", [reported.pk])
        row = " ".join(str(bytes(v)) if isinstance(v, memoryview) else str(v) for v in cursor.fetchone())
    assert NAME not in row and CONTACT not in row
    assert (reported.reporter_name, reported.reporter_contact) == ("李**", "139****1111")


def test_pages_and_the_api_show_masks_to_everyone_who_sees_the_event(client, cast, reported):
    for who in ("dispatcher", "worker", "leader", "admin"):
        client.force_login(cast[who])
        page = client.get(reverse("events:detail", args=[reported.pk])).content.decode()
        api = client.get(f"/api/v1/events/{reported.pk}/").json()
        assert NAME not in page and CONTACT not in page
        assert "李**" in page and (api["reporter_name"], api["reporter_contact"]) == ("李**", "139****1111")
        assert CONTACT not in json.dumps(api, ensure_ascii=False)


@pytest.mark.parametrize("who", ["dispatcher", "worker", "grid_leader", "admin"])
def test_roles_that_call_back_reveal_with_a_reason_and_it_is_logged(client, cast, reported, who):
    client.force_login(cast[who])
    assert reverse("events:reporter", args=[reported.pk]) in client.get(reverse("events:detail", args=[reported.pk])).content.decode()

    page = client.post(reverse("events:reporter", args=[reported.pk]), {"reason": "回访核实"})
    api = client.post(f"/api/v1/events/{reported.pk}/reporter/", {"reason": "回访核实"}, content_type="application/json")

    assert NAME in page.content.decode() and CONTACT in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    assert api.json() == {"name": NAME, "contact": CONTACT}
    log = PersonalDataAccess.objects.filter(actor=cast[who], action="reveal", field="reporter")
    assert [(e.reason, e.filters["code"]) for e in log] == [("回访核实", reported.code)] * 2


def test_a_reason_is_required_and_other_roles_may_not_reveal(client, cast, reported):
    client.force_login(cast["dispatcher"])
    assert client.post(f"/api/v1/events/{reported.pk}/reporter/", {"reason": " "}, content_type="application/json").status_code == 400
    assert CONTACT not in client.post(reverse("events:reporter", args=[reported.pk]), {"reason": ""}).content.decode()

    client.force_login(cast["leader"])
    assert client.post(f"/api/v1/events/{reported.pk}/reporter/", {"reason": "看看"}, content_type="application/json").status_code == 403
    assert client.get(reverse("events:reporter", args=[reported.pk])).status_code == 404
    assert reverse("events:reporter", args=[reported.pk]) not in client.get(reverse("events:detail", args=[reported.pk])).content.decode()

    client.force_login(cast["outsider"])
    assert client.post(f"/api/v1/events/{reported.pk}/reporter/", {"reason": "看看"}, content_type="application/json").status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_open311_and_webhooks_carry_no_identity(client, cast, reported, tree, walk, settings):
    from webhooks.models import WebhookDelivery
    from webhooks.services import webhook_subscription_create

    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # the receiver is on loopback (webhooks/targets.py)
    webhook_subscription_create(actor=None, name="12345", url="http://127.0.0.1:9/hook", area=tree["S1"])
    walk(reported, "handled")

    open311 = client.get(f"/open311/v2/requests/{reported.code}.json").content.decode()
    payloads = json.dumps([d.payload for d in WebhookDelivery.objects.all()], ensure_ascii=False)

    assert WebhookDelivery.objects.exists()
    for text in (open311, payloads):
        assert NAME not in text and CONTACT not in text and "1111" not in text
