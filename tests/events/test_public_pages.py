"""What a resident without an account meets: the tracking page (dash-insensitive code,
their own description and photos, the progress steps, the result photo, no staff names)
and the rating link (result photos, a readable page once used)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.conftest import INSIDE_G11
from workflow.services import event_file, event_transition


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


def test_the_public_form_offers_only_the_classes_marked_public(client, cast):
    from events.models import Category

    page = client.get(reverse("public_report"))
    offered = {value for _group, options in page.context["form"].fields["category"].choices[1:] for value, _label in options}
    assert Category.objects.get(code="0101").pk in offered
    assert Category.objects.get(code="0702").pk not in offered  # 黄赌毒线索 stays internal
    assert len(offered) == Category.objects.filter(is_public=True, is_active=True, parent__isnull=False).count() < 30
    internal = Category.objects.get(code="0705")
    response = client.post(reverse("public_report"), {"category": internal.pk, "description": "x", **INSIDE_G11,
                                                      "idempotency_key": "k-internal"})
    assert "Choose a category from the list." in response.content.decode()


def test_before_submitting_a_resident_sees_open_reports_of_the_kind_nearby_without_details(client, cast, resident_event):
    from events.models import Category

    category = Category.objects.get(code="0101")
    nearby = client.get(reverse("public_nearby"), {"lat": "27.7051", "lon": "112.0051", "category": category.pk}).json()
    (item,) = nearby["nearby"]
    assert set(item) == {"category", "state", "distance", "reported", "url"} and item["distance"] < 50
    case = client.get(item["url"])
    html = case.content.decode()
    assert case.status_code == 200 and "Exposed garbage" in html  # the small class in the reader's language
    assert "楼道口垃圾三天没人收" not in html and "李四" not in html and resident_event.tracking_code not in html
    far = client.get(reverse("public_nearby"), {"lat": "27.9", "lon": "112.3", "category": category.pk}).json()
    assert far["nearby"] == []
    assert client.get(reverse("public_case", args=["forged"])).status_code == 404


def test_while_filing_the_worker_sees_the_grid_an_address_and_likely_duplicates(client, cast, file, tree):
    from events.models import Category
    from residents.models import Building

    Building.objects.create(grid=tree["G11"], name="5栋", address="月塘路5号", lat=27.7052, lon=112.0052)
    earlier = file()
    client.force_login(cast["worker"])
    check = client.get(reverse("events:file_check"), {"lat": "27.705", "lon": "112.005",
                                                       "category": Category.objects.get(code="0101").pk}).json()
    assert check["grid"] == {"name": "月塘第1网格", "code": "43130200100101"} and check["outside"] is False
    assert check["address"] == "月塘路5号 5栋"
    assert [item["code"] for item in check["nearby"]] == [earlier.code]
    # Another street's worker sees the grid but not the event (scoping), and is told it is not theirs.
    client.force_login(cast["outsider"])
    check = client.get(reverse("events:file_check"), {"lat": "27.705", "lon": "112.005",
                                                       "category": Category.objects.get(code="0101").pk}).json()
    assert check["nearby"] == [] and check["outside"] is True
