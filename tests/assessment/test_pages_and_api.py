"""Pages and API: scoped like everything else (a street leader sees only their street's
units; another unit is a 404), the scorecard's click-through to the counted events,
the .xlsx export in the meeting layout, bad periods, hotspots and root-cause tasks,
problems and trends, the two-way evaluation form."""

import io

import pytest
from django.utils import translation
from django.utils.translation import gettext
from freezegun import freeze_time
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from accounts.models import Role
from assessment.models import HotspotTask, TwoWayEvaluation
from events.models import Event
from tests.assessment.conftest import at

PERIOD = "period=2026-10"


@pytest.fixture
def leader(cast, client):
    """The street leader of S1 (乐坪街道)."""
    client.force_login(cast["leader"])
    return client


@pytest.mark.django_db
def test_street_leader_sees_only_their_streets_units(october, leader, tree, departments):
    streets = leader.get(f"/api/v1/assessment/results/?kind=street&{PERIOD}").json()
    assert [unit["code"] for unit in streets["units"]] == [tree["S1"].code]
    s1 = streets["units"][0]
    assert s1["ratios"]["ontime_handling_rate"] == {"numerator": 5, "denominator": 7, "rate": 5 / 7}
    assert (s1["score"], s1["rank"], streets["frozen"]) == (72.62, 1, False)
    grids = leader.get(f"/api/v1/assessment/results/?kind=grid&{PERIOD}").json()
    assert sorted(unit["code"] for unit in grids["units"]) == [tree["G11"].code, tree["G12"].code]
    depts = leader.get(f"/api/v1/assessment/results/?kind=department&{PERIOD}").json()
    assert [unit["code"] for unit in depts["units"]] == [departments["S1_cg"].code]
    workers = leader.get(f"/api/v1/assessment/results/?kind=worker&{PERIOD}").json()
    assert {unit["code"] for unit in workers["units"]} == {"g11_worker", "c1_leader"}


@pytest.mark.django_db
def test_units_out_of_scope_are_404(october, leader, tree, departments):
    assert leader.get(f"/api/v1/assessment/results/street/{tree['S1'].pk}/?{PERIOD}").status_code == 200
    assert leader.get(f"/api/v1/assessment/results/street/{tree['S2'].pk}/?{PERIOD}").status_code == 404
    assert leader.get(f"/api/v1/assessment/results/department/{departments['A_cg'].pk}/?{PERIOD}").status_code == 404
    assert leader.get(f"/assessment/unit/street/{tree['S2'].pk}/?{PERIOD}").status_code == 404
    assert leader.get(f"/assessment/unit/street/{tree['S2'].pk}/closing_rate/numerator/?{PERIOD}").status_code == 404
    # A node of another level under the wrong kind is no unit either.
    assert leader.get(f"/assessment/unit/street/{tree['C1'].pk}/?{PERIOD}").status_code == 404


@pytest.mark.django_db
def test_scorecard_and_click_through(october, leader, tree):
    page = leader.get(f"/assessment/unit/street/{tree['S1'].pk}/?{PERIOD}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "On-time handling rate" in text and "71.4%" in text and "72.62" in text
    counted = leader.get(f"/assessment/unit/street/{tree['S1'].pk}/ontime_handling_rate/numerator/?{PERIOD}")
    codes = {event.code for event in counted.context["page"]}
    assert codes == {october[name].code for name in ("E1", "E3", "E4", "E9", "E10")}
    due = leader.get(f"/assessment/unit/street/{tree['S1'].pk}/ontime_handling_rate/denominator/?{PERIOD}")
    assert due.context["page"].paginator.count == 7
    assert leader.get(f"/assessment/unit/street/{tree['S1'].pk}/no_such/numerator/?{PERIOD}").status_code == 404


@pytest.mark.django_db
def test_rankings_compare_and_points_pages(october, leader, tree):
    for url in ("/assessment/", "/assessment/compare/", "/assessment/points/", "/assessment/problems/",
                "/assessment/hotspots/", "/assessment/evaluation/"):
        response = leader.get(f"{url}?{PERIOD}")
        assert response.status_code == 200, url
    ranking = leader.get(f"/assessment/?kind=street&{PERIOD}").content.decode()
    assert tree["S1"].name in ranking and tree["S2"].name not in ranking
    # Star grids: G11 scored 72.62; G12 had nothing to count and is not listed.
    points = leader.get(f"/assessment/points/?{PERIOD}")
    assert [(grid.code, grid.score) for grid in points.context["star_grids"]] == [(tree["G11"].code, 72.62)]


@pytest.mark.django_db
def test_bad_period(october, leader):
    response = leader.get("/api/v1/assessment/results/?period=2026-13", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "is not a period" in response.content.decode()
    page = leader.get("/assessment/?period=2026-13", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "不是有效的考核周期" in page.content.decode()


@pytest.mark.django_db
def test_xlsx_export_in_the_meeting_layout(october, client, cast, tree):
    client.force_login(cast["admin"])
    response = client.get(f"/assessment/export.xlsx?kind=street&{PERIOD}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "2026-10" in sheet["A1"].value and "排名" in sheet["A1"].value
    merged = {str(cell_range) for cell_range in sheet.merged_cells.ranges}
    columns = 3 + 3 * 13 + 1  # ten event ratios and three patrol ratios
    assert f"A1:{get_column_letter(columns)}1" in merged
    assert "A3:A4" in merged and "D3:F3" in merged
    assert sheet["A3"].value == "排名" and sheet["D3"].value == "处置率" and sheet["D4"].value == "分子"
    # S1 first: rank 1, 处置率 6 / 7, score 72.62; then S2; S3 without a rank.
    assert [sheet.cell(row=5, column=column).value for column in (1, 2, 4, 5)] == [1, tree["S1"].name, 6, 7]
    assert sheet.cell(row=5, column=columns).value == 72.62
    assert sheet.cell(row=6, column=2).value == tree["S2"].name
    assert sheet.cell(row=7, column=1).value is None


@pytest.mark.django_db
def test_problems_and_trends(october, leader, tree):
    problems = leader.get(f"/api/v1/assessment/problems/?{PERIOD}").json()["categories"]
    garbage = problems[0]
    # E1–E10 and E12 in S1; rated: E1 E2 E3 E9 E10, dissatisfied: E2.
    assert (garbage["category__code"], garbage["count"], garbage["rated"], garbage["dissatisfied"]) == ("0101", 11, 5, 1)
    # Narrowed to street S2 (outside the leader's scope): 404; to grid G11: the same 11.
    assert leader.get(f"/api/v1/assessment/problems/?{PERIOD}&area={tree['S2'].pk}").status_code == 404
    narrowed = leader.get(f"/api/v1/assessment/problems/?{PERIOD}&area={tree['G11'].pk}").json()["categories"]
    assert narrowed[0]["count"] == 11
    assert leader.get(f"/assessment/problems/?{PERIOD}&area={tree['C1'].pk}").status_code == 200
    trends = leader.get(f"/api/v1/assessment/trends/?{PERIOD}").json()
    day13 = next(row for row in trends["per_day"] if row["day"] == "2026-10-13")
    # E1, E2 reported and closed on the 13th; E2's handle stage missed its deadline.
    assert (day13["created"], day13["closed"], day13["overdue"]) == (2, 2, 1)


@pytest.mark.django_db
def test_time_to_close_percentiles(october, leader):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("percentile_cont is PostgreSQL's")
    durations = leader.get(f"/api/v1/assessment/trends/?{PERIOD}").json()["durations"][0]
    # Closed in October (hours): E9 0.67, E1 2.17, E3 2.33, E2 7.83, E4 25.67 → median 2.33;
    # 90th percentile 7.83 + 0.6 × (25.67 − 7.83) = 18.53.
    assert (durations["closed"], durations["median_hours"], durations["p90_hours"]) == (5, 2.3, 18.5)


@pytest.mark.django_db
def test_hotspot_and_root_cause_task(october, client, cast):
    client.force_login(cast["dispatcher"])
    spots = client.get(f"/api/v1/assessment/hotspots/?{PERIOD}&radius=200&min=3").json()["hotspots"]
    # Every S1 event lies at the same point in G11.
    assert spots[0]["code"] == "0101" and spots[0]["count"] == 11
    ids = [event["id"] for event in spots[0]["events"]]
    response = client.post("/assessment/hotspots/task/", {"events": ids, "radius": 200})
    assert response.status_code == 302
    task = HotspotTask.objects.get()
    assert task.links.count() == 11
    assert task.event.category.code == "0101" and task.event.state == "reported"
    assert response["Location"] == task.event.get_absolute_url()
    # Pressing the button again (or a retried request) files nothing new.
    again = client.post("/assessment/hotspots/task/", {"events": list(reversed(ids)), "radius": 200})
    assert again["Location"] == task.event.get_absolute_url()
    assert HotspotTask.objects.count() == 1 and task.links.count() == 11
    assert Event.objects.filter(channel="patrol").count() == 1
    # Someone who cannot see the events cannot file a task for them.
    client.force_login(cast["outsider"])
    refused = client.post("/api/v1/assessment/hotspots/", {"events": ids[:3], "radius": 200}, content_type="application/json")
    assert refused.status_code == 404


@pytest.mark.django_db
def test_two_way_evaluation(october, client, cast, tree, make_user):
    police = make_user(Role.POLICE, area=tree["G11"], username="g11_police")
    client.force_login(cast["worker"])
    with freeze_time(at(11, 5, 9)):
        page = client.get("/assessment/evaluation/")
        assert [pair["person"] for pair in page.context["pairs"]] == [police]
        client.post("/assessment/evaluation/", {"evaluatee": police.pk, "grid": tree["G11"].pk, "month": "2026-11",
                                                "grade": 4, "comment": "配合积极"})
        client.post("/assessment/evaluation/", {"evaluatee": police.pk, "grid": tree["G11"].pk, "month": "2026-11",
                                                "grade": 3, "comment": "改为良好"})
        evaluation = TwoWayEvaluation.objects.get()
        assert (evaluation.grade, evaluation.direction) == (3, "worker_police")
        # Refused (a month not started, no grade): the page comes back with the reason and the typed comment.
        refused = client.post("/assessment/evaluation/", {"evaluatee": police.pk, "grid": tree["G11"].pk,
                                                          "month": "2026-12", "grade": 4, "comment": "下月再评"})
        html = refused.content.decode()
        with translation.override("zh-hans"):
            not_started, no_grade_message = gettext("You cannot rate a month that has not started."), gettext("Choose a grade.")
        assert refused.status_code == 400 and not_started in html
        assert 'value="下月再评"' in html
        no_grade = client.post("/assessment/evaluation/", {"evaluatee": police.pk, "grid": tree["G11"].pk,
                                                           "month": "2026-11", "comment": "忘了选等级"})
        assert no_grade.status_code == 400 and no_grade_message in no_grade.content.decode()
        assert 'value="忘了选等级"' in no_grade.content.decode()
        assert TwoWayEvaluation.objects.get().grade == 3
        client.force_login(police)
        response = client.post("/api/v1/assessment/evaluations/", {"evaluatee": cast["worker"].pk, "grid": tree["G11"].pk,
                                                                   "month": "2026-11", "grade": 4}, content_type="application/json")
        assert response.status_code == 201
        # Not the police officer's counterpart: refused.
        response = client.post("/api/v1/assessment/evaluations/", {"evaluatee": cast["outsider"].pk, "grid": tree["G31"].pk,
                                                                   "month": "2026-11", "grade": 4}, content_type="application/json")
        assert response.status_code == 403
        # A month that has not started.
        response = client.post("/api/v1/assessment/evaluations/", {"evaluatee": cast["worker"].pk, "grid": tree["G11"].pk,
                                                                   "month": "2026-12", "grade": 4}, content_type="application/json")
        assert response.status_code == 400
    assert TwoWayEvaluation.objects.count() == 2


@pytest.mark.django_db
def test_anonymous_gets_nothing(client):
    assert client.get("/api/v1/assessment/results/").status_code in (401, 403)
    assert client.get("/assessment/").status_code == 302


@pytest.mark.django_db
def test_results_query_count_does_not_grow_with_units(october, leader, django_assert_max_num_queries):
    # + the patrol ratios' coverage: a fixed number of grouped queries (one per kind of object).
    with django_assert_max_num_queries(16 + 14):
        grids = leader.get(f"/api/v1/assessment/results/?kind=grid&{PERIOD}")
    assert len(grids.json()["units"]) == 2


@pytest.mark.django_db
def test_frozen_results_are_scoped_too(october, leader, tree):
    from assessment.periods import period_parse
    from assessment.services import assessment_snapshot

    with freeze_time(at(11, 2, 8)):
        assessment_snapshot(actor=None, period=period_parse("2026-10"))
    streets = leader.get(f"/api/v1/assessment/results/?kind=street&{PERIOD}").json()
    assert streets["frozen"] is True
    assert [(unit["code"], unit["score"], unit["rank"]) for unit in streets["units"]] == [(tree["S1"].code, 72.62, 1)]
    assert leader.get(f"/api/v1/assessment/results/street/{tree['S2'].pk}/?{PERIOD}").status_code == 404
