"""Coverage against a fixed data set, and the pages (with their scoping)."""

import datetime

import pytest

from patrols.selectors import coverage_for
from patrols.services import finding_file
from tests.patrols.test_plans import walk

D = datetime.date.fromisoformat


@pytest.mark.django_db
def test_coverage_figures_for_a_fixed_week(cast, tree, small_checklist, housing, walk_event):
    g11, worker = tree["G11"], cast["worker"]
    daily, weekly = small_checklist["daily"], small_checklist["weekly"]
    b1, b2 = housing["b1"], housing["b2"]
    # Week of Monday 2 March 2026. Monday: grid + 1号楼; Thursday: grid + 1号楼 again (the
    # same weekly slot: counts once) + 2号楼; the rental room is never checked.
    walk(worker, g11, "2026-03-02", [(daily, "grid", g11.pk), (weekly, "building", b1.pk)])
    thursday = walk(worker, g11, "2026-03-05", [(daily, "grid", g11.pk), (weekly, "building", b1.pk),
                                                 (weekly, "building", b2.pk)])
    # Two findings on Thursday's round; one is accepted as a case.
    first, _ = finding_file(actor=worker, round_id=thursday.pk, key="f1", description="垃圾", category="0101",
                            latitude=27.705, longitude=112.005, at=thursday.started_at)
    finding_file(actor=worker, round_id=thursday.pk, key="f2", description="通道堵塞", category="0801",
                 latitude=27.705, longitude=112.005, at=thursday.started_at)
    walk_event(first.event, "accepted")
    # …on Thursday (the fixed data set's time; the service stamps now).
    from events.models import Event
    from tests.patrols.conftest import local

    Event.objects.filter(pk=first.event_id).update(accepted_at=local("2026-03-05", 12))

    units = {u.code: u for u in coverage_for(user=cast["dispatcher"], kind="grid", first=D("2026-03-02"), last=D("2026-03-08"))}
    m = units[g11.code].measures
    # Due: daily × 7 days + weekly × 2 buildings (2号楼 from Tuesday, still in the week) + monthly × 1 room.
    assert (m["slots_due"], m["slots_checked"]) == (7 + 2 + 1, 2 + 2)
    assert (m["pairs_due"], m["pairs_checked"]) == (1 + 2 + 1, 1 + 2)
    assert m["objects_visited"] == 2
    assert m["rounds"] == 2 and m["hours"] == pytest.approx(4.0)
    assert (m["findings"], m["findings_valid"]) == (2, 1)
    ratios = units[g11.code].ratios
    assert ratios["ontime_patrol_rate"] == pytest.approx(4 / 10)
    assert ratios["patrol_coverage_rate"] == pytest.approx(3 / 4)
    assert ratios["valid_finding_rate"] == pytest.approx(1 / 2)
    # G12 has the daily item only, never checked.
    assert units[tree["G12"].code].measures["slots_due"] == 7
    assert units[tree["G12"].code].ratios["ontime_patrol_rate"] == 0

    # Rolled up: the community holds G11 and G12; the worker is assessed on G11.
    community = coverage_for(user=cast["dispatcher"], kind="community", first=D("2026-03-02"), last=D("2026-03-08"))
    assert [(c.code, c.measures["slots_due"], c.measures["slots_checked"]) for c in community] == [(tree["C1"].code, 17, 4)]
    workers = {u.id: u for u in coverage_for(user=cast["dispatcher"], kind="worker", first=D("2026-03-02"), last=D("2026-03-08"))}
    assert workers[worker.pk].measures["slots_checked"] == 4 and workers[worker.pk].measures["slots_due"] == 10


@pytest.fixture
def walk_event(walk):
    return walk


@pytest.mark.django_db
def test_pages_for_the_worker_and_the_command_center(client, cast, tree, checklist):
    client.force_login(cast["worker"])
    home = client.get("/patrols/")
    assert home.status_code == 200 and "开始巡查".encode() in home.content or b"Start a round" in home.content
    started = client.post("/patrols/start/", {"key": "page-key", "grid": tree["G11"].pk})
    assert started.status_code == 302
    round_url = started["Location"]
    page = client.get(round_url)
    assert page.status_code == 200 and b"offline-queue.js" in page.content and b"slot-button" in page.content
    # Posting the same form again (a double tap) continues the same round.
    assert client.post("/patrols/start/", {"key": "page-key", "grid": tree["G11"].pk})["Location"] == round_url

    client.force_login(cast["dispatcher"])
    assert client.get(round_url).status_code == 200
    assert client.get("/patrols/coverage/?kind=grid").status_code == 200
    assert client.get("/patrols/coverage/?kind=street").status_code == 200
    assert client.get("/patrols/overdue/").status_code == 200
    listed = client.get(f"/patrols/rounds/?grid={tree['G11'].pk}")
    assert listed.status_code == 200 and round_url.encode() in listed.content
    client.force_login(cast["outsider"])
    assert client.get(round_url).status_code == 404
    assert round_url.encode() not in client.get("/patrols/rounds/").content
