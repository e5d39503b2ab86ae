"""Rounds through the API: a lost connection replayed twice applies once, a finding goes
through the normal filing entry point, scoping answers 404, the checklist is versioned."""

import io

import pytest
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from events.models import Event
from patrols.models import PatrolCheck, PatrolFinding, PatrolRound, PatrolSlot, TrackPoint
from patrols.services import patrol_item_revise
from workflow.models import TimelineEntry, Timer

API = "/api/v1/patrols"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def photo(name="p.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def points(start_ms, count, *, lat=27.7050, step=0.0001, every=5000, accuracy=8):
    return [{"at": start_ms + i * every, "lat": lat + i * step, "lon": 112.005, "accuracy": accuracy} for i in range(count)]


@pytest.mark.django_db
def test_a_round_replayed_twice_applies_once(cast, tree, small_checklist, housing):
    api = client_for(cast["worker"])
    started = api.post(f"{API}/rounds/", {"key": "round-1", "grid": tree["G11"].pk}, format="json")
    assert started.status_code == 201, started.content
    round_id = started.json()["id"]
    start_ms = int(timezone.now().timestamp() * 1000)
    batch = {"key": "t-1", "points": points(start_ms, 10)}
    check = {"key": "check-1", "item": small_checklist["weekly"].pk, "object_kind": "building",
             "object_id": housing["b1"].pk, "result": "problem", "note": "通道堆物", "photos": [photo()]}
    finding = {"key": "finding-1", "description": "消防通道被杂物堵塞", "check_key": "check-1", "photos": [photo("f.png")]}

    # The phone sends everything, loses the answers, and the offline queue sends it all again.
    for attempt in range(2):
        assert api.post(f"{API}/rounds/", {"key": "round-1", "grid": tree["G11"].pk}, format="json").json()["id"] == round_id
        answer = api.post(f"{API}/rounds/{round_id}/track/", batch, format="json").json()
        assert answer == ({"accepted": 10, "duplicates": 0, "refused": []} if attempt == 0 else
                          {"accepted": 0, "duplicates": 10, "refused": []})
        check["photos"] = [photo()]
        response = api.post(f"{API}/rounds/{round_id}/checks/", check, format="multipart")
        assert response.status_code == (201 if attempt == 0 else 200), response.content
        finding["photos"] = [photo("f.png")]
        response = api.post(f"{API}/rounds/{round_id}/findings/", finding, format="multipart")
        assert response.status_code == (201 if attempt == 0 else 200), response.content
        assert api.post(f"{API}/rounds/{round_id}/end/", {"key": "end-1"}, format="json").json()["status"] == "ended"

    # An hour later the queue replays the finding once more: the same finding comes back.
    PatrolRound.objects.filter(pk=round_id).update(started_at=timezone.now() - timezone.timedelta(hours=3),
                                                   ended_at=timezone.now() - timezone.timedelta(hours=1))
    finding["photos"] = [photo("f.png")]
    assert api.post(f"{API}/rounds/{round_id}/findings/", finding, format="multipart").status_code == 200
    check["photos"] = [photo()]
    assert api.post(f"{API}/rounds/{round_id}/checks/", check, format="multipart").status_code == 200

    assert PatrolRound.objects.count() == 1
    assert TrackPoint.objects.filter(round_id=round_id).count() == 10
    assert PatrolCheck.objects.count() == 1 and PatrolSlot.objects.count() == 1
    assert PatrolCheck.objects.get().photos.count() == 1
    assert PatrolFinding.objects.count() == 1
    round = PatrolRound.objects.get()
    assert round.point_count == 10
    assert 95 < round.distance_m < 105  # 9 steps of 0.0001° of latitude ≈ 100 m

    # The finding went through the normal filing entry point: channel patrol, the item's
    # small class, the position, the photo, the report transition and its SLA timers.
    event = Event.objects.get()
    assert event.channel == "patrol" and event.state == "reported"
    assert event.category.code == "0801"
    assert event.grid_id == tree["G11"].pk and event.latitude is not None
    assert event.attachments.count() == 1
    assert TimelineEntry.objects.filter(event=event, transition="report").count() == 1
    assert Timer.objects.filter(event=event).exists()
    assert PatrolFinding.objects.get().item_check == PatrolCheck.objects.get()


@pytest.mark.django_db
def test_a_round_started_offline_is_written_by_its_key_replayed_twice_applies_once(cast, tree, small_checklist, housing):
    """The phone starts a round without a connection: the start (its key) and everything
    recorded behind it, addressed by the round's key, are queued; the queue sends it all
    when the connection is back, loses the answers and sends it all again."""
    api = client_for(cast["worker"])
    began = timezone.now() - timezone.timedelta(minutes=20)
    start_ms = int(began.timestamp() * 1000)
    by_key = f"{API}/rounds/key/offline-1"
    queued = [
        ("json", f"{API}/rounds/", {"key": "offline-1", "grid": tree["G11"].pk, "at": began.isoformat()}),
        ("json", f"{by_key}/track/", {"key": "t-1", "points": points(start_ms + 1000, 60)}),
        ("multipart", f"{by_key}/checks/", {"key": "c-1", "item": small_checklist["weekly"].pk, "object_kind": "building",
                                             "object_id": housing["b1"].pk, "result": "problem", "at": began.isoformat()}),
        ("multipart", f"{by_key}/findings/", {"key": "f-1", "description": "通道堆物", "check_key": "c-1"}),
        ("json", f"{by_key}/track/", {"key": "t-2", "points": points(start_ms + 301_000, 40)}),
        ("json", f"{by_key}/end/", {"key": "e-1", "at": timezone.now().isoformat()}),
    ]
    # Before the start has reached the server, the round's key names nothing.
    assert api.post(f"{by_key}/track/", {"points": points(start_ms, 1)}, format="json").status_code == 404
    for attempt in range(2):
        for body_format, url, body in queued:
            response = api.post(url, body, format=body_format)
            assert response.status_code in ((200, 201) if attempt == 0 else (200,)), (url, response.content)
    round = PatrolRound.objects.get()
    assert round.client_key == "offline-1" and round.started_at == began and round.status == "ended"
    assert round.point_count == 100 == TrackPoint.objects.filter(round=round).count()
    assert PatrolCheck.objects.get().round == round and PatrolFinding.objects.get().round == round
    assert Event.objects.count() == 1
    # The page the phone opens once the start is sent; another worker's key is a 404.
    web = __import__("django.test", fromlist=["Client"]).Client()
    web.force_login(cast["worker"])
    assert web.get("/patrols/rounds/key/offline-1/")["Location"] == f"/patrols/rounds/{round.pk}/"
    web.force_login(cast["dispatcher"])
    assert web.get("/patrols/rounds/key/offline-1/").status_code == 404
    assert client_for(cast["dispatcher"]).post(f"{by_key}/end/", {}, format="json").status_code == 404


@pytest.mark.django_db
def test_a_track_batch_is_one_insert_whatever_its_size(cast, tree, checklist, django_assert_max_num_queries):
    api = client_for(cast["worker"])
    began = timezone.now() - timezone.timedelta(hours=2)
    round_id = api.post(f"{API}/rounds/", {"key": "r", "grid": tree["G11"].pk, "at": began.isoformat()}, format="json").json()["id"]
    start = int(began.timestamp() * 1000)
    api.post(f"{API}/rounds/{round_id}/track/", {"points": points(start, 100, step=0.00001)}, format="json")
    # 500 points of which the first 100 were sent before (a merged replay): the new ones
    # are stored, the old ones counted, the distance walked on from the last fix.
    # The walker's round locked (its ownership checked in the same query), one INSERT, one
    # UPDATE, and the (save)point around them: nothing per point, no scope queries.
    with django_assert_max_num_queries(5) as queries:
        answer = api.post(f"{API}/rounds/{round_id}/track/", {"points": points(start, 500, step=0.00001)}, format="json")
    assert answer.json() == {"accepted": 400, "duplicates": 100, "refused": []}
    assert sum("INSERT" in query["sql"] for query in queries.captured_queries) == 1
    round = PatrolRound.objects.get(pk=round_id)
    assert round.point_count == 500 == TrackPoint.objects.filter(round=round).count()
    assert 550 < round.distance_m < 560  # 499 steps of 0.00001° ≈ 1.11 m


@pytest.mark.django_db
def test_track_keeps_gaps_and_poor_fixes_refuses_bad_points(cast, tree, checklist):
    api = client_for(cast["worker"])
    began = timezone.now() - timezone.timedelta(minutes=30)
    round_id = api.post(f"{API}/rounds/", {"key": "r", "grid": tree["G11"].pk, "at": began.isoformat()}, format="json").json()["id"]
    start = int(began.timestamp() * 1000)
    first = points(start, 3)
    # Ten minutes without a fix, then a poor fix and two good ones.
    later = points(start + 600_000, 3, lat=27.7080)
    later[0]["accuracy"] = 500
    bad = [{"at": "not a time", "lat": 27.7, "lon": 112.0}, {"at": start + 1000, "lat": 95, "lon": 112.0}]
    # The later batch arrives first (replayed out of order); the distance is walked again.
    api.post(f"{API}/rounds/{round_id}/track/", {"points": later}, format="json")
    answer = api.post(f"{API}/rounds/{round_id}/track/", {"points": first + bad}, format="json").json()
    assert answer["accepted"] == 3
    assert [r["index"] for r in answer["refused"]] == [3, 4]
    assert answer["refused"][1]["reason"] == "位置缺失或超出范围。"  # Chinese first
    round = PatrolRound.objects.get(pk=round_id)
    assert round.point_count == 6
    # Two good steps before the gap, one after (the poor fix is left out): ≈ 3 × 11 m.
    assert 30 < round.distance_m < 37
    segments = api.get(f"{API}/rounds/{round_id}/track/").json()["segments"]
    assert [len(s) for s in segments] == [3, 3]
    assert segments[1][0][2] == 500  # the poor fix is kept, with its accuracy


@pytest.mark.django_db
def test_scoping_answers_404_and_only_the_walker_writes(cast, tree, checklist):
    api = client_for(cast["worker"])
    round_id = api.post(f"{API}/rounds/", {"key": "r", "grid": tree["G11"].pk}, format="json").json()["id"]
    outsider = client_for(cast["outsider"])
    for path in ("", "track/", "map/"):
        assert outsider.get(f"{API}/rounds/{round_id}/{path}").status_code == 404
    assert outsider.post(f"{API}/rounds/{round_id}/track/", {"points": []}, format="json").status_code == 404
    assert outsider.get(f"{API}/plan/?grid={tree['G11'].pk}").status_code == 404
    assert outsider.get(f"{API}/rounds/").json()["results"] == []
    # The street's dispatcher sees the round and its map, but cannot write in it.
    dispatcher = client_for(cast["dispatcher"])
    assert dispatcher.get(f"{API}/rounds/{round_id}/map/").status_code == 200
    assert dispatcher.post(f"{API}/rounds/{round_id}/end/", {}, format="json").status_code == 400
    # A worker cannot start a round in a grid they do not patrol.
    refused = outsider.post(f"{API}/rounds/", {"key": "x", "grid": tree["G11"].pk}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    # Coverage lists only the grids in scope.
    codes = {unit["code"] for unit in outsider.get(f"{API}/coverage/?kind=grid").json()["units"]}
    assert codes == {tree["G31"].code}


@pytest.mark.django_db
def test_catalogue_is_versioned_and_past_checks_keep_their_text(cast, tree, checklist):
    api = client_for(cast["worker"])
    catalogue = api.get(f"{API}/catalogue/").json()
    assert len(catalogue) == 15 and sum(len(c["items"]) for c in catalogue) >= 84
    item = catalogue[8]["items"][0]  # 市容环境 / 暴露垃圾, the whole grid, daily
    assert (item["target"], item["frequency"], item["default_category"]) == ("grid", "daily", "0101")
    round_id = api.post(f"{API}/rounds/", {"key": "r", "grid": tree["G11"].pk}, format="json").json()["id"]
    api.post(f"{API}/rounds/{round_id}/checks/", {"key": "c1", "item": item["item"], "object_kind": "grid",
                                                  "object_id": tree["G11"].pk, "result": "done"}, format="multipart")
    version = patrol_item_revise(actor=cast["admin"], item_id=item["item"], name="暴露垃圾和积存垃圾", frequency="weekly")
    assert version.number == 2
    detail = api.get(f"{API}/rounds/{round_id}/").json()
    assert detail["checks"][0]["item_name"] == "暴露垃圾" and detail["checks"][0]["version"] == 1
    current = [i for c in api.get(f"{API}/catalogue/").json() for i in c["items"] if i["item"] == item["item"]][0]
    assert (current["name"], current["version"], current["frequency"]) == ("暴露垃圾和积存垃圾", 2, "weekly")
    from accounts.models import AuditEntry

    assert AuditEntry.objects.filter(action="patrol_item_revise", object_id=str(item["item"])).count() == 1


@pytest.mark.django_db
def test_round_list_query_count_is_pinned(cast, tree, checklist, django_assert_max_num_queries):
    api = client_for(cast["worker"])
    for n in range(3):
        round_id = api.post(f"{API}/rounds/", {"key": f"r{n}", "grid": tree["G11"].pk}, format="json").json()["id"]
        api.post(f"{API}/rounds/{round_id}/end/", {}, format="json")
    dispatcher = client_for(cast["dispatcher"])
    with django_assert_max_num_queries(6):
        response = dispatcher.get(f"{API}/rounds/")
    assert len(response.json()["results"]) == 3
