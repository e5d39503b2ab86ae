"""The command center's pages through HTTP: dispatch never picks a department by itself,
accept-and-dispatch in one step with instructions and an earlier deadline, the archive
queue with its batch, the pending-request tile, the marks in lists, the likely action
first, labelled photos and the timer table after a postponement."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Category, Event
from workflow.models import Stage, TimelineEntry
from workflow.services import event_transition


@pytest.fixture
def client():
    from django.test import Client

    return Client(headers={"accept-language": "en"})


def test_without_a_default_department_dispatch_asks_for_an_explicit_choice(client, cast, file):
    Category.objects.filter(code="0101").update(default_department_kind="")
    event = file()
    client.force_login(cast["dispatcher"])
    client.post(reverse("events:act", args=[event.pk, "accept"]))

    html = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert '<option value="" selected>' in html
    assert html.count(" selected>") == 1
    response = client.post(reverse("events:act", args=[event.pk, "dispatch"]), {"primary": ""})
    assert response.status_code == 400 and "Choose the primary department." in response.content.decode()
    assert Event.objects.get(pk=event.pk).state == "accepted"


def test_accept_and_dispatch_in_one_step_with_instructions_and_an_earlier_deadline(client, cast, file, departments):
    event = file()
    client.force_login(cast["dispatcher"])
    page = client.get(reverse("events:detail", args=[event.pk]))
    assert page.context["actions"][0][0].name == "accept_dispatch"

    handle_by = (timezone.localtime() + datetime.timedelta(hours=3)).replace(second=0, microsecond=0)
    response = client.post(reverse("events:act", args=[event.pk, "accept_dispatch"]), {
        "primary": departments["S1_cg"].pk, "note": "请今天内清理，注意围挡", "handle_by": handle_by.strftime("%Y-%m-%dT%H:%M"),
    }, follow=True)

    event.refresh_from_db()
    assert (event.state, event.primary_department, event.handle_by) == ("dispatched", departments["S1_cg"], handle_by)
    assert list(event.timeline.values_list("transition", flat=True)) == ["report", "accept", "dispatch"]
    assert event.timeline.get(transition="dispatch").note == "请今天内清理，注意围挡"
    assert "Done: Accept and dispatch." in response.content.decode()
    # The handling clock runs to the earlier deadline once the department signs.
    event = event_transition(actor=cast["handler"], event_id=event.pk, name="sign")
    assert event.timers.get(stage=Stage.HANDLE).due_at == handle_by


def test_a_refused_accept_and_dispatch_leaves_the_event_untouched(client, cast, file, departments):
    event = file()
    client.force_login(cast["dispatcher"])
    past = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(reverse("events:act", args=[event.pk, "accept_dispatch"]),
                           {"primary": departments["S1_cg"].pk, "note": "尽快", "handle_by": past})

    assert response.status_code == 400
    assert "The deadline for handling must lie in the future." in response.content.decode()
    assert "尽快</textarea>" in response.content.decode()
    event.refresh_from_db()
    assert event.state == "reported" and not TimelineEntry.objects.filter(event=event, transition="accept").exists()


def test_the_archive_queue_archives_a_batch_once(client, cast, file, walk):
    closed = [walk(file(), "closed") for _ in range(2)]
    still_open = file()
    client.force_login(cast["dispatcher"])

    page = client.get(reverse("events:archive"))
    assert [event.pk for event in page.context["events"]] == [event.pk for event in closed]
    home = client.get(reverse("home")).content.decode()
    assert reverse("events:archive") in home

    ids = [event.pk for event in closed] + [still_open.pk]
    response = client.post(reverse("events:archive"), {"event": ids}, follow=True)
    html = response.content.decode()
    assert "2 cases archived." in html
    assert set(Event.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"archived", "reported"}
    assert list(response.context["events"]) == []
    # Again: nothing is archived twice.
    client.post(reverse("events:archive"), {"event": ids})
    assert TimelineEntry.objects.filter(event__in=closed, transition="archive").count() == 2
    # Out of scope: the queue of another street's dispatcher is empty, and so is its batch.
    client.force_login(cast["outsider"])
    assert list(client.get(reverse("events:archive")).context["events"]) == []


def test_the_pending_requests_tile_leads_to_the_events_with_requests(client, cast, file, walk):
    event = walk(file(), "handling")
    other = walk(file(), "handling")
    client.force_login(cast["handler"])
    client.post(reverse("events:act", args=[event.pk, "request_postponement"]),
                {"amount": "2", "unit": "work_days", "reason": "需要协调物业"})
    client.force_login(cast["dispatcher"])

    home = client.get(reverse("home"))
    html = home.content.decode()
    assert f'href="{reverse("events:list")}?pending=1"' in html
    assert [item.event for item in home.context["panels"]["requests"]] == [event]
    assert "+2 working days" in html
    listed = client.get(reverse("events:list"), {"pending": "1"})
    assert [row.pk for row in listed.context["events"]] == [event.pk]
    assert other.pk not in [row.pk for row in listed.context["events"]]
    detail = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert "work_days" not in detail
    # Approved: the timer table says the limit was extended.
    client.post(reverse("events:act", args=[event.pk, "approve_postponement"]), {"note": "同意"})
    detail = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert detail.count("+2 working days (postponed)") == 2  # the handling and the total timer


def test_lists_mark_urgency_escalation_and_duplicates_and_leave_out_the_archive(client, cast, file, walk):
    urgent = file(urgency="critical", description="燃气泄漏")
    first = file()
    duplicate = file()
    escalated = event_transition(actor=cast["dispatcher"], event_id=first.pk, name="escalate")
    archived = walk(file(), "archived")
    client.force_login(cast["district_dispatcher"])

    html = client.get(reverse("events:list")).content.decode()
    assert "mark-urgency" in html and "mark-escalated" in html and "mark-duplicate" in html
    rows = [row.pk for row in client.get(reverse("events:list")).context["events"]]
    assert {urgent.pk, escalated.pk, duplicate.pk} <= set(rows) and archived.pk not in rows
    assert archived.pk in [row.pk for row in client.get(reverse("events:list"), {"state": "archived"}).context["events"]]


def test_the_handler_sees_the_likely_action_first_and_opened(client, cast, file, walk):
    event = walk(file(), "dispatched")
    client.force_login(cast["handler"])
    names = [transition.name for transition, _reason in client.get(reverse("events:detail", args=[event.pk])).context["actions"]]
    assert names[0] == "sign" and names.index("return") > 0
    event = event_transition(actor=cast["handler"], event_id=event.pk, name="sign")
    html = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert 'id="act-feedback" class="accordion-collapse collapse show"' in html
    assert 'id="act-return" class="accordion-collapse collapse"' in html


def test_the_verifiers_position_and_its_distance_are_recorded(client, cast, file, walk):
    event = walk(file(), "handled")
    client.force_login(cast["worker"])
    # About 111 m north of the event.
    client.post(reverse("events:act", args=[event.pk, "verify_pass"]), {"latitude": "27.706", "longitude": "112.005"})

    entry = TimelineEntry.objects.get(event=event, transition="verify_pass")
    assert entry.data["position"] == [27.706, 112.005] and 105 <= entry.data["distance"] <= 117
    html = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert f"Verifier's position: {entry.data['distance']} m from the event" in html


def test_photos_are_labelled_by_stage_and_the_evaluation_is_shown(client, cast, file, walk):
    from tests.events.test_pages import png

    event = walk(file(), "handling")
    client.force_login(cast["handler"])
    client.post(reverse("events:act", args=[event.pk, "feedback"]), {"result": "已清理", "photos": [png("after.png")]})
    event = event_transition(actor=cast["worker"], event_id=event.pk, name="verify_pass")
    event = event_transition(actor=cast["dispatcher"], event_id=event.pk, name="close", evaluation="处置及时，群众认可")
    client.force_login(cast["dispatcher"])

    response = client.get(reverse("events:detail", args=[event.pk]))
    assert [label for label, _items in response.context["photo_groups"]] == ["Handling result"]
    assert "处置及时，群众认可" in response.content.decode()


def test_a_department_admin_assigns_a_case_to_a_colleague(client, cast, file, walk, make_user, departments):
    from accounts.models import Role

    colleague = make_user(Role.DEPT_HANDLER, department=departments["S1_cg"], username="s1_colleague", full_name="高磊")
    event = walk(file(), "dispatched")
    client.force_login(cast["handler"])
    names = [transition.name for transition, _reason in client.get(reverse("events:detail", args=[event.pk])).context["actions"]]
    assert "assign" not in names  # a handler does not assign
    client.force_login(cast["dept_admin"])
    home = client.get(reverse("home"))
    assert home.context["panels"]["workload"][0] == {"name": None, "count": 1}
    page = client.get(reverse("events:detail", args=[event.pk]))
    assert colleague in page.context["colleagues"]
    assert client.post(reverse("events:act", args=[event.pk, "assign"]), {"assignee": cast["outsider"].pk}).status_code == 400

    client.post(reverse("events:act", args=[event.pk, "assign"]), {"assignee": colleague.pk, "note": "你负责"})

    event.refresh_from_db()
    assert (event.state, event.handler) == ("dispatched", colleague)
    assert colleague.notifications.filter(kind="assigned", event=event).exists()
    assert {"name": "高磊", "count": 1} in client.get(reverse("home")).context["panels"]["workload"]
    # Department-only staff are not offered the residents and grid team pages they cannot use.
    html = client.get(reverse("home")).content.decode()
    assert reverse("residents:search") not in html and f'href="{reverse("events:queue")}#queue-to-sign"' in html
