"""What a resident without an account meets: the tracking page (dash-insensitive code,
their own description and photos, the progress steps, the result photo, no staff names)
and the rating link (result photos, a readable page once used)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from events.services import event_file
from tests.conftest import INSIDE_G11
from workflow.services import event_transition


@pytest.fixture
def client():
    from django.test import Client

    return Client(headers={"accept-language": "en"})


def jpeg(name, colour):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def resident_event(cast, reference_data):
    event, _created = event_file(actor=None, channel="resident", category="0101", description="楼道口垃圾三天没人收",
                                 reporter_name="李四", reporter_contact="13900001111",
                                 attachments=[jpeg("before.jpg", (200, 0, 0))], **INSIDE_G11)
    return event


def test_the_tracking_code_is_found_with_or_without_dashes_and_spaces(client, resident_event):
    code = resident_event.tracking_code
    for typed in (code, code.replace("-", ""), code.replace("-", " ").lower(), f" {code.replace('-', '')} "):
        response = client.get(reverse("public_track"), {"code": typed})
        assert response.status_code == 200, typed
        assert response.context["event"] == resident_event
    assert client.get(reverse("public_track"), {"code": code[:-1]}).status_code == 404


def test_the_tracking_page_shows_the_residents_report_progress_and_result_without_staff(client, cast, walk,
                                                                                       resident_event):
    event = walk(resident_event, "handling")
    event = event_transition(actor=cast["handler"], event_id=event.pk, name="feedback", result="垃圾已清运，已消毒",
                             attachments=[jpeg("after.jpg", (0, 160, 0))])
    response = client.get(reverse("public_track"), {"code": event.tracking_code})
    html = response.content.decode()

    assert "楼道口垃圾三天没人收" in html and "垃圾已清运，已消毒" in html
    steps = response.context["steps"]
    assert [bool(step["at"]) for step in steps] == [True, True, True, False, False]
    assert [step["current"] for step in steps] == [False, False, True, False, False]
    for person in (cast["handler"], cast["dispatcher"], cast["worker"]):
        assert person.username not in html
    assert "李四" not in html and "13900001111" not in html

    (before,) = response.context["report_photos"]
    (after,) = response.context["result_photos"]
    for photo in (before, after):
        served = client.get(reverse("public_track_photo", args=[event.tracking_code, photo.pk]))
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    # A photo of another case cannot be reached with this code.
    other = walk(event_file(actor=cast["worker"], channel="grid_worker", category="0101", description="别的案件",
                            attachments=[jpeg("x.jpg", (0, 0, 200))], **INSIDE_G11)[0], "reported")
    stranger = other.attachments.get()
    assert client.get(reverse("public_track_photo", args=[event.tracking_code, stranger.pk])).status_code == 404


def test_the_rating_page_shows_the_result_photo_and_a_used_link_says_so(client, cast, walk, resident_event):
    event = walk(resident_event, "handling")
    event = event_transition(actor=cast["handler"], event_id=event.pk, name="feedback", result="已清运",
                             attachments=[jpeg("after.jpg", (0, 160, 0))])
    event = event_transition(actor=cast["worker"], event_id=event.pk, name="verify_pass")
    link = reverse("events:rate", args=[event.rating_token])

    page = client.get(link)
    (after,) = page.context["photos"]
    assert after.stage == "feedback"
    assert client.get(reverse("events:rate_photo", args=[event.rating_token, after.pk])).status_code == 200
    client.post(link, {"rating": "satisfied"})

    used = client.get(link)
    assert used.status_code == 404
    assert "This rating link is no longer open" in used.content.decode()
    chinese = client.get(link, headers={"accept-language": "zh-hans"})
    assert "该评价链接已失效" in chinese.content.decode() and "No such" not in chinese.content.decode()
    assert client.get(reverse("events:rate_photo", args=[event.rating_token or "gone", after.pk])).status_code == 404


def test_with_closure_after_the_follow_up_call_the_rating_is_recorded_and_the_center_closes(client, cast, walk,
                                                                                           resident_event, settings):
    settings.EVENT_CLOSURE_AFTER_RATING = "callback"
    event = walk(resident_event, "verified")

    client.post(reverse("events:rate", args=[event.rating_token]), {"rating": "dissatisfied", "comment": "太慢"})

    event.refresh_from_db()
    assert (event.state, event.rating, event.rating_comment, event.rating_token) == ("verified", "dissatisfied", "太慢", None)
    assert cast["dispatcher"].notifications.filter(kind="rated", event=event).exists()
    client.force_login(cast["dispatcher"])
    names = [transition.name for transition, _reason in client.get(reverse("events:detail", args=[event.pk])).context["actions"]]
    assert "close" in names and "rate" not in names
    client.post(reverse("events:act", args=[event.pk, "close"]), {"evaluation": "回访：已向居民说明原因"})
    event.refresh_from_db()
    assert (event.state, event.rating, event.evaluation) == ("closed", "dissatisfied", "回访：已向居民说明原因")
