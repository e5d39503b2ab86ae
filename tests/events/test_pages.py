"""The event pages through HTTP: what each role sees, scoping (out of scope → 404),
filing with an idempotency key, readable errors, the public report's rate limit and
tracking (no personal data), the map data, the overdue board and the dashboard."""

import io
import uuid

import pytest
from django.urls import reverse
from PIL import Image

from events.models import Event
from events.selectors import keyset_page
from tests.conftest import INSIDE_G11


@pytest.fixture
def client():
    """Pages in English (the tests read English messages)."""
    from django.test import Client

    return Client(headers={"accept-language": "en"})


def png(name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def file_form(**extra):
    return {"category": "", "description": "井盖破损", "latitude": INSIDE_G11["latitude"],
            "longitude": INSIDE_G11["longitude"], "address": "月塘路1号", "urgency": "normal",
            "idempotency_key": uuid.uuid4().hex, **extra}


@pytest.fixture
def category_id(reference_data):
    from events.models import Category

    return Category.objects.get(code="0101").pk


def test_filing_twice_with_the_same_key_files_once(client, cast, category_id):
    client.force_login(cast["worker"])
    data = file_form(category=category_id, photos=png())

    first = client.post(reverse("events:file"), data)
    data["photos"] = png()
    second = client.post(reverse("events:file"), data, follow=True)

    assert first.status_code == 302 and first.url.endswith("?filed=1")
    assert Event.objects.filter(idempotency_key=data["idempotency_key"]).count() == 1
    assert "already filed" in second.content.decode()


def test_filing_errors_name_the_field_and_keep_what_was_typed(client, cast, category_id):
    client.force_login(cast["worker"])

    missing = client.post(reverse("events:file"), file_form(description="", category=""))
    outside = client.post(reverse("events:file"), file_form(category=category_id, latitude=10.0, longitude=10.0))
    not_a_photo = client.post(reverse("events:file"), file_form(
        category=category_id, photos=_named(b"just text", "notes.txt")))

    assert missing.context["form"].errors.keys() >= {"category", "description"}
    assert "Choose a category from the list." in missing.content.decode()
    assert "月塘路1号" in missing.content.decode()
    assert "outside every grid" in outside.content.decode()
    assert "notes.txt is not a photo" in not_a_photo.content.decode()
    assert Event.objects.count() == 0


def _named(content, name):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def test_resolved_on_site_goes_straight_to_verification(client, cast, category_id):
    client.force_login(cast["worker"])

    client.post(reverse("events:file"), file_form(category=category_id, resolved_on_site="on", result="已清理",
                                                  after_photos=png("after.png")))

    event = Event.objects.get()
    assert (event.state, event.is_onsite, event.result) == ("handled", True, "已清理")
    assert event.attachments.get().stage == "onsite"


def test_photos_are_served_only_to_users_who_see_the_event(client, cast, file):
    event = file(attachments=[png()])
    photo = event.attachments.get()
    urls = [reverse("events:attachment", args=[event.pk, photo.pk]), reverse("events:thumbnail", args=[event.pk, photo.pk])]

    client.force_login(cast["dispatcher"])
    assert [client.get(url).status_code for url in urls] == [200, 200]
    assert client.get(urls[1])["Content-Type"] == "image/jpeg"

    client.force_login(cast["outsider"])
    assert [client.get(url).status_code for url in urls] == [404, 404]
    assert client.get(reverse("events:attachment", args=[event.pk, 999999])).status_code == 404


@pytest.mark.parametrize("name", ["detail", "act"])
def test_event_pages_out_of_scope_are_404(client, cast, file, name):
    event = file()
    client.force_login(cast["outsider"])
    args = [event.pk] if name == "detail" else [event.pk, "accept"]

    response = client.post(reverse(f"events:{name}", args=args)) if name == "act" else client.get(reverse(f"events:{name}", args=args))

    assert response.status_code == 404
    event.refresh_from_db()
    assert event.state == "reported"


def test_inbox_filters_and_pages_hold_only_the_scope(client, cast, file, tree):
    mine = file(description="第一件")
    file(description="第二件", urgency="urgent")
    other = file(cast["outsider"], latitude=27.405, longitude=112.205)
    client.force_login(cast["dispatcher"])

    everything = client.get(reverse("events:list")).context["events"]
    urgent_text = client.get(reverse("events:list"), {"q": "第二"}).context["events"]
    rows = client.get(reverse("events:list"), {"state": "reported"}, headers={"HX-Request": "true"})

    assert other not in everything and mine in everything and len(everything) == 2
    assert [event.description for event in urgent_text] == ["第二件"]
    assert rows.templates[0].name == "events/_event_rows.html"
    page, cursor = keyset_page(Event.objects.all(), size=2)
    rest, end = keyset_page(Event.objects.all(), cursor, size=2)
    assert len(page) == 2 and len(rest) == 1 and end == ""
    assert {event.pk for event in page + rest} == set(Event.objects.values_list("pk", flat=True))


def test_dispatch_form_preselects_the_category_default_department(client, cast, file, departments):
    event = file()
    client.force_login(cast["dispatcher"])
    client.post(reverse("events:act", args=[event.pk, "accept"]))

    response = client.get(reverse("events:detail", args=[event.pk]))

    assert response.context["default_department"] == departments["S1_cg"]
    assert f'value="{departments["S1_cg"].pk}" selected' in response.content.decode()


def test_merge_takes_the_event_number(client, cast, file):
    first = file()
    duplicate = file()
    assert duplicate.duplicate_of_id == first.pk
    client.force_login(cast["dispatcher"])

    client.post(reverse("events:act", args=[duplicate.pk, "merge"]), {"into": first.code})

    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.merged_into_id) == ("merged", first.pk)


def test_department_queue_lists_its_dispatched_work(client, cast, file, walk):
    dispatched = walk(file(), "dispatched")
    file()
    client.force_login(cast["handler"])

    response = client.get(reverse("events:queue"))

    assert response.context["to_sign"] == [dispatched]
    client.force_login(cast["other_handler"])
    assert client.get(reverse("events:queue")).context["to_sign"] == []


def test_map_data_holds_only_the_scope(client, cast, file, tree):
    inside = file()
    file(cast["outsider"], latitude=27.405, longitude=112.205)
    client.force_login(cast["dispatcher"])

    data = client.get(reverse("events:map_data")).json()

    assert [item["id"] for item in data["events"]] == [inside.pk]
    assert {feature["properties"]["code"] for feature in data["grids"]["features"]} == {"43130200100101", "43130200100102"}
    narrow = client.get(reverse("events:map_data"), {"bbox": "112.0,27.7,112.005,27.705"}).json()
    assert {feature["properties"]["code"] for feature in narrow["grids"]["features"]} == {"43130200100101"}


def test_overdue_board_counts_red_and_yellow_by_department_and_street(client, cast, file, walk):
    late = walk(file(), "dispatched")
    Event.objects.filter(pk=late.pk).update(light="red")
    warned = file()
    Event.objects.filter(pk=warned.pk).update(light="yellow")
    outside = file(cast["outsider"], latitude=27.405, longitude=112.205)
    Event.objects.filter(pk=outside.pk).update(light="red")
    client.force_login(cast["dispatcher"])

    board = client.get(reverse("events:overdue")).context["board"]

    assert board["by_street"] == [{"name": "乐坪街道", "red": 1, "yellow": 1}]
    assert board["by_department"] == [{"name": "乐坪街道城管中队", "red": 1, "yellow": 0}, {"name": "", "red": 0, "yellow": 1}]
    assert [event.pk for event in board["red"]] == [late.pk]


def test_dashboard_period_picker_and_readable_errors(client, cast, file):
    file()
    client.force_login(cast["dispatcher"])

    default = client.get(reverse("events:dashboard"))
    backwards = client.get(reverse("events:dashboard"), {"start": "2026-06-10", "end": "2026-06-01"})
    garbage = client.get(reverse("events:dashboard"), {"start": "yesterday", "end": "2026-06-01"})

    assert default.context["figures"]["totals"]["new"] == 1
    assert default.context["charts"]["categories"][0]["value"] == 1
    assert "The period ends before it starts." in backwards.content.decode()
    assert "Enter a valid date." in garbage.content.decode()


def test_home_page_leads_each_role_to_its_work(client, cast, file, walk):
    handled = walk(file(), "handled")
    client.force_login(cast["worker"])
    worker_home = client.get(reverse("home"))
    client.force_login(cast["dispatcher"])
    dispatcher_home = client.get(reverse("home"))
    client.force_login(cast["handler"])
    handler_home = client.get(reverse("home"))

    assert worker_home.context["panels"]["verify"] == [handled]
    assert "command" not in worker_home.context["panels"]
    assert dispatcher_home.context["panels"]["command"]["reported"] == 0
    assert reverse("events:overdue") in dispatcher_home.content.decode()
    assert handler_home.context["panels"]["department"] == {"to_sign": 0, "handling": 0, "red": 0}
    assert reverse("events:queue") in handler_home.content.decode()


# --- The public pages (no account) ---------------------------------------------------------------


def public_form(category_id, **extra):
    return {"category": category_id, "description": "路灯坏了", **INSIDE_G11, "idempotency_key": uuid.uuid4().hex,
            "reporter_name": "李四", "reporter_contact": "13900001111", **extra}


def test_public_report_gives_a_tracking_code_that_shows_no_personal_data(client, cast, category_id):
    response = client.post(reverse("public_report"), public_form(category_id), REMOTE_ADDR=f"10.9.{uuid.uuid4().int % 250}.1")

    event = Event.objects.get()
    assert response.status_code == 302 and event.tracking_code in response.url
    track = client.get(reverse("public_track"), {"code": event.tracking_code.lower()})
    html = track.content.decode()
    assert track.context["event"] == event
    # The resident sees what they reported, never names, contacts or the internal number.
    assert "李四" not in html and "13900001111" not in html and event.code not in html and "路灯坏了" in html
    assert client.get(reverse("public_track"), {"code": "AAAA-BBBB-CCCC"}).status_code == 404


def test_public_report_is_rate_limited_per_address(client, tree, reference_data, category_id, settings):
    settings.PUBLIC_REPORT_RATE = "2/h"
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    codes = [client.post(reverse("public_report"), public_form(category_id), REMOTE_ADDR=address).status_code
             for _ in range(3)]
    elsewhere = client.post(reverse("public_report"), public_form(category_id), REMOTE_ADDR=address + "1")

    assert codes == [302, 302, 429]
    assert elsewhere.status_code == 302
    assert Event.objects.count() == 3


def test_public_report_trap_field_files_nothing(client, tree, reference_data, category_id):
    response = client.post(reverse("public_report"), public_form(category_id, website="http://spam.example"))

    assert response.status_code == 200
    assert Event.objects.count() == 0


def test_rating_link_needs_a_rating_and_says_so(client, cast, file, walk):
    event = walk(file(), "verified")

    response = client.post(reverse("events:rate", args=[event.rating_token]), {"comment": "还行"})

    assert "Choose a rating" in response.content.decode() and "还行" in response.content.decode()
    event.refresh_from_db()
    assert event.state == "verified"


def test_the_filing_page_is_for_staff_who_serve_grids(client, cast):
    client.force_login(cast["handler"])

    assert client.get(reverse("events:file")).status_code == 404
    client.force_login(cast["worker"])
    assert client.get(reverse("events:file")).status_code == 200


def test_map_data_says_when_the_grids_were_cut_short(client, cast, file, settings, monkeypatch):
    from events import selectors

    monkeypatch.setattr(selectors, "MAP_MAX_GRIDS", 1)
    client.force_login(cast["dispatcher"])

    data = client.get(reverse("events:map_data")).json()
    part = client.get(reverse("events:map_data"), {"grids_only": "1", "bbox": "112.011,27.701,112.019,27.709"}).json()

    assert data["grids"]["truncated"] is True and len(data["grids"]["features"]) == 1
    assert "events" not in part and [f["properties"]["code"] for f in part["grids"]["features"]] == ["43130200100102"]


def test_inbox_and_queue_queries_do_not_grow_with_the_events(client, cast, file, walk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(user, url):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    walk(file(), "dispatched")
    few = (count(cast["dispatcher"], reverse("events:list")), count(cast["handler"], reverse("events:queue")))
    for _ in range(4):
        walk(file(), "dispatched")
    many = (count(cast["dispatcher"], reverse("events:list")), count(cast["handler"], reverse("events:queue")))

    assert many == few


def test_postponement_is_asked_by_the_department_and_decided_by_the_command_center(client, cast, file, walk):
    event = walk(file(), "handling")

    def action_names(user):
        client.force_login(user)
        return [transition.name for transition, _reason in client.get(reverse("events:detail", args=[event.pk])).context["actions"]]

    assert "approve_postponement" not in action_names(cast["dispatcher"])
    client.force_login(cast["handler"])
    client.post(reverse("events:act", args=[event.pk, "request_postponement"]), {"amount": "2", "unit": "work_days",
                                                                                  "reason": "需要协调物业"})
    assert {"approve_postponement", "deny_postponement"} <= set(action_names(cast["dispatcher"]))
    response = client.post(reverse("events:act", args=[event.pk, "approve_postponement"]), {"note": "同意"}, follow=True)

    event.refresh_from_db()
    assert event.postpone_count == 1
    assert "Done: Approve the postponement." in response.content.decode()


def test_behind_the_proxy_the_limit_counts_the_address_the_proxy_saw(client, tree, reference_data, category_id, settings):
    settings.PUBLIC_REPORT_RATE = "1/h"
    settings.BEHIND_HTTPS_PROXY = True
    real = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"

    first = client.post(reverse("public_report"), public_form(category_id), HTTP_X_FORWARDED_FOR=f"1.1.1.1, {real}")
    forged = client.post(reverse("public_report"), public_form(category_id), HTTP_X_FORWARDED_FOR=f"2.2.2.2, {real}")

    assert (first.status_code, forged.status_code) == (302, 429)


def test_the_tracking_page_offers_the_rating_once_verified(client, cast, walk, category_id):
    from workflow.services import event_file

    event, _created = event_file(actor=None, channel="resident", category=category_id, description="路灯坏了",
                                 reporter_name="李四", **INSIDE_G11)
    track = reverse("public_track")
    assert "/events/rate/" not in client.get(track, {"code": event.tracking_code}).content.decode()

    event = walk(event, "verified")
    html = client.get(track, {"code": event.tracking_code}).content.decode()
    assert reverse("events:rate", args=[event.rating_token]) in html

    client.post(reverse("events:rate", args=[event.rating_token]), {"rating": "satisfied"})
    html = client.get(track, {"code": event.tracking_code}).content.decode()
    assert "Satisfied" in html and "/events/rate/" not in html


def test_a_refused_action_shows_its_form_again_with_what_was_typed(client, cast, file, walk):
    event = walk(file(), "handling")
    client.force_login(cast["handler"])

    response = client.post(reverse("events:act", args=[event.pk, "request_postponement"]),
                           {"amount": "0", "unit": "work_days", "reason": "需要协调物业，等待业主回复"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Give the extra time as a positive whole number." in html
    assert "需要协调物业，等待业主回复</textarea>" in html
    assert 'id="act-request_postponement" class="accordion-collapse collapse show"' in html
    event.refresh_from_db()
    assert event.postpone_count == 0
