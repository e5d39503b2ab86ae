"""Notifications keep their message and parameters, so each reader sees them in their
own language, whatever language the person (or the timer sweep) that caused them used."""

from django.test import Client
from django.urls import reverse
from django.utils import translation

from workflow.models import Notification
from workflow.services import event_transition


def test_a_notification_written_in_chinese_reads_in_english_and_back(cast, file, walk, departments):
    event = walk(file(), "accepted")
    with translation.override("zh-hans"):
        event_transition(actor=cast["dispatcher"], event_id=event.pk, name="dispatch", primary=departments["S1_cg"].pk)
    note = Notification.objects.get(user=cast["handler"], kind="dispatched")
    # The stored copy (email, SMS) is in the platform's language.
    assert event.code in note.title and "派遣" in note.title
    english = Client(headers={"accept-language": "en"})
    english.force_login(cast["handler"])
    html = english.get(reverse("events:notifications")).content.decode()
    assert f"New case {event.code} dispatched to your department" in html
    api = english.get("/api/v1/notifications/").json()
    assert api["results"][0]["title"] == f"New case {event.code} dispatched to your department"
    chinese = Client(headers={"accept-language": "zh-hans"})
    chinese.force_login(cast["handler"])
    assert note.title in chinese.get(reverse("events:notifications")).content.decode()


def test_codes_in_a_notification_are_shown_in_words(cast, file, walk):
    event = walk(file(), "handling")
    event_transition(actor=cast["handler"], event_id=event.pk, name="request_postponement", reason="等待物业",
                     amount=1, unit="work_days")
    with translation.override("zh-hans"):
        event_transition(actor=cast["dispatcher"], event_id=event.pk, name="approve_postponement")
    note = Notification.objects.get(user=cast["handler"], message="request_decided")
    with translation.override("en"):
        assert note.display_title == f"Case {event.code}: your request was Approved"
    with translation.override("zh-hans"):
        assert "approved" not in note.display_title
