"""Coverage against a fixed data set, and the pages (with their scoping)."""

import datetime

import pytest

from patrols.selectors import coverage_for
from patrols.services import finding_file
from tests.patrols.test_plans import walk as walk_a_round

D = datetime.date.fromisoformat


@pytest.fixture
def fixed_week(cast, tree, small_checklist, housing, walk):
    """Week of Monday 2 March 2026 in G11. Monday: grid + 1号楼; Thursday: grid + 1号楼
    again (the same weekly slot: counts once) + 2号楼; the rental room is never checked.
    Two findings on Thursday's round; one is accepted as a case (on Thursday)."""
    from events.models import Event
    from tests.patrols.conftest import local

    g11, worker = tree["G11"], cast["worker"]
    daily, weekly = small_checklist["daily"], small_checklist["weekly"]
    b1, b2 = housing["b1"], housing["b2"]
    monday = walk_a_round(worker, g11, "2026-03-02", [(daily, "grid", g11.pk), (weekly, "building", b1.pk)])
    thursday = walk_a_round(worker, g11, "2026-03-05", [(daily, "grid", g11.pk), (weekly, "building", b1.pk),
                                                         (weekly, "building", b2.pk)])
    first, _ = finding_file(actor=worker, round_id=thursday.pk, key="f1", description="垃圾", category="0101",
                            latitude=27.705, longitude=112.005, at=thursday.started_at)
    second, _ = finding_file(actor=worker, round_id=thursday.pk, key="f2", description="通道堵塞", category="0801",
                             latitude=27.705, longitude=112.005, at=thursday.started_at)
    walk(first.event, "accepted")
    # …on Thursday (the fixed data set's time; the service stamps now); both reported then.
    Event.objects.filter(pk__in=[first.event_id, second.event_id]).update(reported_at=local("2026-03-05", 10))
    Event.objects.filter(pk=first.event_id).update(accepted_at=local("2026-03-05", 12))
    return {"monday": monday, "thursday": thursday, "valid": first, "invalid": second}


@pytest.mark.django_db
def test_coverage_figures_for_a_fixed_week(cast, tree, fixed_week):
    g11, worker = tree["G11"], cast["worker"]
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


WEEK = "2026-03-02..2026-03-08"


@pytest.mark.django_db
def test_patrol_ratios_are_assessment_ratios_in_the_composite_score(cast, tree, departments, fixed_week):
    from assessment.periods import period_parse
    from assessment.seed import ratio_seed
    from assessment.selectors import formula_current, results_compute, results_compute_all

    ratio_seed()  # migrations seed the definitions; tests with real transactions flush them
    week = period_parse(WEEK)
    assert [term["ratio"] for term in formula_current()["terms"]][-3:] == [
        "patrol_coverage_rate", "ontime_patrol_rate", "valid_finding_rate"]
    grids = {unit.code: unit for unit in results_compute(user=None, kind="grid", period=week)}
    g11 = grids[tree["G11"].code]
    assert (g11.counts["patrol_coverage_rate"], g11.counts["ontime_patrol_rate"], g11.counts["valid_finding_rate"]) == (
        (3, 4), (4, 10), (1, 2))
    # The two findings are G11's events: one valid (accepted, not handled), one only reported.
    assert (g11.counts["ontime_handling_rate"], g11.counts["closing_rate"], g11.counts["rework_rate"]) == ((0, 1), (0, 1), (0, 0))
    # 按期处置率 0×54 + 结案率 0×27 + 巡查覆盖率 ¾×4 + 按期巡查率 0.4×3 + 有效发现率 ½×3, over the
    # weights counted (返工率 has nothing to count): 5.7 × 100 / 91.
    assert g11.score == 6.26 and g11.rank == 1
    # G12: no events, its daily item never checked: patrols alone give it a score of 0.
    g12 = grids[tree["G12"].code]
    assert (g12.counts["ontime_patrol_rate"], g12.counts["valid_finding_rate"], g12.score) == ((0, 7), (0, 0), 0.0)
    # The community adds its grids up; the worker is measured on G11; departments have no patrols.
    community = {unit.code: unit for unit in results_compute(user=None, kind="community", period=week)}[tree["C1"].code]
    assert community.counts["ontime_patrol_rate"] == (4, 17)
    worker = next(unit for unit in results_compute(user=None, kind="worker", period=week) if unit.id == cast["worker"].pk)
    assert (worker.counts["patrol_coverage_rate"], worker.counts["valid_finding_rate"]) == ((3, 4), (1, 2))
    assert all(unit.counts.get("ontime_patrol_rate", (0, 0)) == (0, 0)
               for unit in results_compute(user=None, kind="department", period=week))
    # The snapshot path (every kind at once) gives the same figures.
    every = results_compute_all(period=week)
    for kind in ("grid", "community", "worker", "street"):
        one_kind = results_compute(user=None, kind=kind, period=week)
        assert sorted((u.id, u.counts["ontime_patrol_rate"], u.score) for u in every[kind]) == sorted(
            (u.id, u.counts["ontime_patrol_rate"], u.score) for u in one_kind), kind


@pytest.mark.django_db
def test_patrol_ratio_scorecard_links_to_coverage_and_definitions_are_checked(client, cast, tree, fixed_week):
    from django.core.exceptions import ValidationError

    from assessment.models import RatioDefinition
    from assessment.seed import ratio_seed

    ratio_seed()
    client.force_login(cast["dispatcher"])
    page = client.get(f"/assessment/unit/grid/{tree['G11'].pk}/?period={WEEK}")
    assert page.status_code == 200
    assert "巡查覆盖率" in page.content.decode() and b"/patrols/coverage/?kind=grid&amp;first=2026-03-02" in page.content
    # Patrol ratios count coverage, not events: no event list behind them.
    assert client.get(f"/assessment/unit/grid/{tree['G11'].pk}/patrol_coverage_rate/numerator/?period={WEEK}").status_code == 404
    ratio = RatioDefinition.objects.get(code="valid_finding_rate")
    ratio.numerator = {"patrol": "kilometres"}
    with pytest.raises(ValidationError, match="pairs_due"):
        ratio.full_clean()
    ratio.numerator = {"state": "closed"}  # events over patrol measures
    with pytest.raises(ValidationError, match="巡查计量项"):
        ratio.full_clean()


@pytest.mark.django_db
def test_overdue_list_is_paged_by_grid_for_any_area(client, cast, tree, small_checklist, settings):
    """Keyset pages of grids in tree order: every grid of the area is reached, none twice,
    whatever the area's size; another area's grids never; an area out of scope is a 404."""
    from grids.models import GRID_LEVELS, Area
    from patrols import selectors

    dispatcher = cast["dispatcher"]  # the street S1: grids G11 and G12 (each overdue: the daily item)
    mine = list(selectors.overdue_page(user=dispatcher, size=10)["grids"])
    assert len(mine) >= 2
    seen, after, pages = [], "", 0
    while True:
        page = selectors.overdue_page(user=dispatcher, after=after, size=1)
        seen += [grid.pk for grid in page["grids"]]
        assert {row[0].pk for row in page["rows"]} <= {grid.pk for grid in page["grids"]}
        pages += 1
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == [grid.pk for grid in mine] and pages == len(mine)
    assert not set(seen) & set(Area.objects.filter(level__in=GRID_LEVELS).exclude(path__startswith=tree["S1"].path)
                                .values_list("pk", flat=True))

    client.force_login(dispatcher)
    first = client.get("/patrols/overdue/")
    assert first.status_code == 200 and tree["G11"].name in first.content.decode()
    # Narrowed to one grid's community, then to an area out of scope.
    assert client.get(f"/patrols/overdue/?area={tree['C1'].pk}").status_code == 200
    assert client.get(f"/patrols/overdue/?area={tree['S2'].pk}").status_code == 404
    paged = client.get(f"/patrols/overdue/?after={mine[0].path}")
    assert paged.status_code == 200 and tree["G11"].name not in paged.content.decode().split('id="overdue-table"')[1]


@pytest.mark.django_db
def test_overdue_api_pages_and_scoping(cast, tree, small_checklist):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(cast["dispatcher"])
    seen, after = [], ""
    for _page in range(10):
        answer = api.get("/api/v1/patrols/overdue/", {"after": after} if after else {}).json()
        seen += answer["grids"]
        if not answer["next"]:
            break
        after = answer["next"]
    assert tree["G11"].code in seen and tree["G12"].code in seen and tree["G21"].code not in seen
    first = api.get("/api/v1/patrols/overdue/", {"area": tree["C1"].pk}).json()
    assert {row["grid_code"] for row in first["results"]} == {tree["G11"].code, tree["G12"].code}
    assert {row["item_name"] for row in first["results"]} == {"暴露垃圾"}
    assert api.get("/api/v1/patrols/overdue/", {"area": tree["S2"].pk}).status_code == 404
