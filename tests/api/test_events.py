"""Events through the API: list with filters, filing, detail, transitions, scoping."""

import pytest

from tests.conftest import INSIDE_G11

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
    assert first.json()["timeline"][0]["transition"] == "report"


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
