"""Events through the API: list with filters, filing, detail, transitions, scoping."""

import pytest

from tests.conftest import INSIDE_G11
from tests.events.test_filing import photo

pytestmark = pytest.mark.django_db


def test_dispatcher_lists_the_events_of_the_street_and_not_others(as_user, cast, file):
    mine = file()
    other = file(cast["outsider"], latitude=27.405, longitude=112.205)
    response = as_user(cast["dispatcher"]).get("/api/v1/events/")
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert mine.pk in ids and other.pk not in ids


def test_out_of_scope_event_answers_404_like_a_missing_one(as_user, cast, file):
    other = file(cast["outsider"], latitude=27.405, longitude=112.205)
    http = as_user(cast["dispatcher"])
    forbidden = http.get(f"/api/v1/events/{other.pk}/")
    missing = http.get("/api/v1/events/999999/")
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    assert forbidden.json()["code"] == "not_found"


def test_file_an_event_with_idempotency_key(as_user, cast):
    http = as_user(cast["worker"])
    body = {"category": "0101", "description": "垃圾堆放", **INSIDE_G11, "idempotency_key": "k-1"}
    first = http.post("/api/v1/events/", body, format="json")
    again = http.post("/api/v1/events/", body, format="json")
    assert first.status_code == 201, first.json()
    assert again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["channel"] == "api"
    assert first["Location"] == f"/api/v1/events/{first.json()['id']}/"
    assert http.get(first["Location"]).json()["timeline"][0]["transition"] == "report"


def test_dispatch_action_and_409_with_the_guard_reason(as_user, cast, departments, file, walk):
    event = walk(file(), "accepted")
    http = as_user(cast["dispatcher"])
    refused = http.post(f"/api/v1/events/{event.pk}/dispatch/", {}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "transition_refused"
    assert refused.json()["message"] == "Choose the primary department."
    done = http.post(f"/api/v1/events/{event.pk}/dispatch/", {"primary": departments["S1_cg"].pk}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "dispatched"
    again = http.post(f"/api/v1/events/{event.pk}/dispatch/", {"primary": departments["S1_cg"].pk}, format="json")
    assert again.status_code == 409 and again.json()["detail"] == {"refusal": "state"}


def test_file_with_photos_and_extra_fields_in_a_form(as_user, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    http = as_user(cast["worker"])
    response = http.post("/api/v1/events/", {"category": "0401", "description": "占道经营", "latitude": 27.705,
                                             "longitude": 112.005, "extra": '{"stall": "night"}',
                                             "photos": [photo(), photo("b.jpg")]}, format="multipart",
                         HTTP_IDEMPOTENCY_KEY="form-1")
    assert response.status_code == 201, response.json()
    body = http.get(response["Location"]).json()
    assert body["extra"] == {"stall": "night"}
    assert [item["original_name"] for item in body["attachments"]] == ["photo.jpg", "b.jpg"]
    download = http.get(body["attachments"][0]["url"])
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert as_user(cast["outsider"]).get(body["attachments"][0]["url"]).status_code == 404
    # The header is the idempotency key as well.
    again = http.post("/api/v1/events/", {"category": "0401", "description": "占道经营", "latitude": 27.705,
                                          "longitude": 112.005}, format="multipart", HTTP_IDEMPOTENCY_KEY="form-1")
    assert again.status_code == 200 and again.json()["id"] == body["id"]


@pytest.mark.parametrize(("body", "field"), [
    ({"category": "9999", "description": "x", **INSIDE_G11}, "category"),
    ({"category": "01", "description": "x", **INSIDE_G11}, "category"),
    ({"category": "0101", "description": "", **INSIDE_G11}, "description"),
    ({"category": "0101", "description": "x", "latitude": 27.705}, "longitude"),
    ({"category": "0101", "description": "x", "latitude": 95, "longitude": 112.005}, "latitude"),
    ({"category": "0101", "description": "x", "latitude": 1.0, "longitude": 1.0}, "location"),
    ({"category": "0101", "description": "x", **INSIDE_G11, "urgency": "someday"}, "urgency"),
    ({"category": "0401", "description": "x", **INSIDE_G11, "extra": {"stall": "boat"}}, "extra.stall"),
])
def test_bad_input_names_the_field_and_files_nothing(as_user, cast, body, field):
    from events.models import Event

    response = as_user(cast["worker"]).post("/api/v1/events/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["detail"], response.json()
    assert field in response.json()["message"]
    assert not Event.objects.exists()


def test_staff_file_only_where_they_serve(as_user, cast):
    response = as_user(cast["outsider"]).post("/api/v1/events/", {"category": "0101", "description": "x", **INSIDE_G11},
                                              format="json")
    assert response.status_code == 400 and list(response.json()["detail"]) == ["grid"]


def test_messages_follow_the_request_language(as_user, cast):
    http = as_user(cast["worker"])
    response = http.post("/api/v1/events/", {"category": "0101", "description": "x", "latitude": 1, "longitude": 1},
                         format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["detail"]["location"] == ["该位置不在本市任何网格内。"]


def test_list_filters(as_user, cast, departments, file, walk, tree):
    from events.models import Event

    garbage = file()
    stall = file(cast["grid_leader"], category="0401", latitude=27.705, longitude=112.015)
    dispatched = walk(file(category="0102", latitude=27.706, longitude=112.006), "dispatched")
    Event.objects.filter(pk=stall.pk).update(light="red")
    http = as_user(cast["dispatcher"])

    def ids(query):
        response = http.get(f"/api/v1/events/?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("") == {garbage.pk, stall.pk, dispatched.pk}
    assert ids("state=reported") == {garbage.pk, stall.pk}
    assert ids("state=reported&state=dispatched") == {garbage.pk, stall.pk, dispatched.pk}
    assert ids("category=0101") == {garbage.pk}
    assert ids("category=01") == {garbage.pk, dispatched.pk}
    assert ids(f"area={tree['G12'].pk}") == {stall.pk}
    assert ids(f"area={tree['C1'].pk}") == {garbage.pk, stall.pk, dispatched.pk}
    assert ids(f"area={tree['G31'].pk}") == set()
    assert ids(f"department={departments['S1_cg'].pk}") == {dispatched.pk}
    assert ids("overdue=true") == {stall.pk}
    assert ids("overdue=false") == {garbage.pk, dispatched.pk}
    assert ids("reported_after=2000-01-01T00:00:00Z") == {garbage.pk, stall.pk, dispatched.pk}
    assert ids("reported_before=2000-01-01T00:00:00Z") == set()
    bad = http.get("/api/v1/events/?state=lost")
    assert bad.status_code == 400 and list(bad.json()["detail"]) == ["state"]


def test_cursor_pagination_walks_every_event_once(as_user, cast, file):
    filed = {file().pk for _ in range(7)}
    http = as_user(cast["dispatcher"])
    seen, url = [], "/api/v1/events/?page_size=3"
    while url:
        page = http.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(filed) and len(seen) == 7


def test_detail_has_timeline_departments_and_actions(as_user, cast, file, walk):
    event = walk(file(), "dispatched")
    body = as_user(cast["handler"]).get(f"/api/v1/events/{event.pk}/").json()
    assert [entry["transition"] for entry in body["timeline"]] == ["report", "accept", "dispatch"]
    assert body["timeline"][1]["actor"] == "s1_dispatcher"
    assert body["departments"][0]["department"]["name"] == "乐坪街道城管中队"
    assert {action["name"] for action in body["actions"]} >= {"sign", "return"}


def test_someone_who_is_not_an_actor_gets_403(as_user, cast, file):
    event = file()
    response = as_user(cast["worker"]).post(f"/api/v1/events/{event.pk}/accept/", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "transition_forbidden"


def test_every_transition_is_an_action_and_each_answers_404_out_of_scope(as_user, cast, file):
    from workflow.machine import FILING, TRANSITIONS

    other = file(cast["outsider"], latitude=27.405, longitude=112.205)
    http = as_user(cast["dispatcher"])
    for transition in TRANSITIONS:
        if transition.name in FILING:
            continue
        response = http.post(f"/api/v1/events/{other.pk}/{transition.name}/", {}, format="json")
        assert response.status_code == 404, transition.name


def test_the_whole_loop_through_the_api(as_user, cast, departments, file):
    event = file()
    dispatcher, handler, worker = as_user(cast["dispatcher"]), as_user(cast["handler"]), as_user(cast["worker"])
    steps = [
        (dispatcher, "accept", {}, "accepted"),
        (dispatcher, "dispatch", {"primary": departments["S1_cg"].pk, "assisting": [departments["A_cg"].pk]}, "dispatched"),
        (handler, "sign", {}, "handling"),
        (handler, "request_postponement", {"reason": "等材料", "amount": 2, "unit": "work_days"}, "handling"),
        (dispatcher, "approve_postponement", {"note": "同意"}, "handling"),
        (handler, "feedback", {"result": "已清理"}, "handled"),
        (worker, "verify_pass", {}, "verified"),
        (dispatcher, "assess", {"rating": "satisfied", "comment": "电话回访"}, "closed"),
        (dispatcher, "archive", {}, "archived"),
    ]
    for http, name, body, state in steps:
        response = http.post(f"/api/v1/events/{event.pk}/{name}/", body, format="json")
        assert response.status_code == 200, (name, response.json())
        assert response.json()["state"] == state
    assert response.json()["postpone_count"] == 1 and response.json()["rating"] == "satisfied"


def test_datetimes_with_any_offset_python_accepts_are_answered(as_user, cast, file):
    file()
    http = as_user(cast["dispatcher"])
    response = http.get("/api/v1/events/?reported_before=0238-10-13T13%3A47%3A00.7437%2B23%3A35")
    assert response.status_code == 200 and response.json()["results"] == []
    assert http.get("/api/v1/events/?reported_after=0001-01-01T00:00:00%2B05:00").status_code == 400
    assert http.post("/api/v1/events/1/accept-it/", {}, format="json").status_code == 404
