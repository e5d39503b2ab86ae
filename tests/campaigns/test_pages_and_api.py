"""Pages and API: create and publish from the page, the worker's list and form, progress
up the tree, scoping (404 out of scope), the API's answers (idempotent), the ledger
export's layout and masking."""

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from campaigns.models import Answer, Campaign, Target
from residents.models import PersonalDataAccess
from residents.privacy import strict_id_mask
from tests.campaigns.conftest import GAS_FORM

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


def test_dispatcher_creates_and_publishes_on_the_page(registry, crew, tree, client, reference_data):
    client_for(client, crew["dispatcher"])
    page = client.get("/campaigns/new/?preset=gas")
    assert page.status_code == 200 and "has_gas" in page.content.decode()
    response = client.post("/campaigns/new/", {
        "name": "燃气排查", "area": tree["S1"].pk, "target_kind": "household", "starts_on": "2026-01-01",
        "ends_on": "2030-01-01", "problem_category": "", "form_json": json.dumps(GAS_FORM)})
    # Problems need a small class to be filed as: a clear error, nothing created.
    assert response.status_code == 200 and "请选择问题上报时使用的事件小类" in response.content.decode()
    assert not Campaign.objects.exists()
    from events.models import Category

    category = Category.objects.get(code="0804")
    response = client.post("/campaigns/new/", {
        "name": "燃气排查", "area": tree["S1"].pk, "target_kind": "household", "starts_on": "2026-01-01",
        "ends_on": "2030-01-01", "problem_category": category.pk, "form_json": json.dumps(GAS_FORM)})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    client.post(f"/campaigns/{campaign.pk}/publish/")
    assert Target.objects.filter(campaign=campaign).count() == 3
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "月塘社区" in page and 'data-targets="3"' in page
    grid_page = client.get(f"/campaigns/{campaign.pk}/?area={tree['C1'].pk}").content.decode()
    assert 'data-area="43130200100101"' in grid_page


def test_worker_answers_on_the_phone_pages(registry, make_campaign, crew, tree, client):
    campaign = make_campaign()
    client_for(client, crew["worker"])
    listing = client.get(f"/campaigns/{campaign.pk}/targets?status=open").content.decode()
    assert "1栋1单元101 #H1" in listing and "2栋1单元101 #H4" not in listing  # G12's is not mine
    h1 = Target.objects.get(campaign=campaign, label="1栋1单元101 #H1")
    card = client.get(f"/campaigns/targets/{h1.pk}/").content.decode()
    member = registry["H1_people"][0]
    assert member.id_mask in card and member.name in card
    assert "*" in member.id_mask
    # A missing required answer: 400 with the field's message, nothing recorded.
    response = client.post(f"/campaigns/targets/{h1.pk}/", {"idempotency_key": "p1", "outcome": "visited", "has_gas": "yes"})
    assert response.status_code == 400 and "是否有泄漏：此项为必填" in response.content.decode()
    assert not Answer.objects.exists()
    for _ in range(2):  # sent twice (offline replay): recorded once
        response = client.post(f"/campaigns/targets/{h1.pk}/", {"idempotency_key": "p2", "outcome": "not_home"})
        assert response.status_code == 302
    assert Target.objects.get(pk=h1.pk).attempts == 1
    response = client.post(f"/campaigns/targets/{h1.pk}/", {"idempotency_key": "p3", "outcome": "visited",
                                                           "has_gas": "yes", "leak": "yes", "latitude": "27.705",
                                                           "longitude": "112.005"})
    assert response.status_code == 302 and response["Location"] == f"/campaigns/targets/{h1.pk}/"
    client.post(f"/campaigns/targets/{h1.pk}/event", {"idempotency_key": "e"})
    h1.refresh_from_db()
    assert h1.status == "done" and h1.problem and h1.event is not None


def test_out_of_scope_answers_404(registry, make_campaign, crew, client):
    campaign = make_campaign()
    h1 = Target.objects.get(campaign=campaign, label="1栋1单元101 #H1")
    client_for(client, crew["outsider"])
    for url in (f"/campaigns/{campaign.pk}/", f"/campaigns/{campaign.pk}/targets", f"/campaigns/targets/{h1.pk}/",
                f"/campaigns/{campaign.pk}/not-done", f"/campaigns/{campaign.pk}/map.json",
                f"/api/v1/campaigns/{campaign.pk}/", f"/api/v1/campaigns/{campaign.pk}/progress/",
                f"/api/v1/campaigns/{campaign.pk}/targets/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/api/v1/campaigns/targets/{h1.pk}/answers/", {"outcome": "not_home"},
                       headers={"Idempotency-Key": "o"}).status_code == 404
    # G12's worker sees the campaign but not G11's targets, and no export.
    client_for(client, crew["g12_worker"])
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 200
    assert client.get(f"/campaigns/targets/{h1.pk}/").status_code == 404
    assert client.get(f"/campaigns/{campaign.pk}/ledger.xlsx").status_code == 404
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/progress/?area={crew['worker'].role_assignments.first().area_id}"
                      ).status_code == 404


def test_api_answers_are_idempotent_and_progress_rolls_up(registry, make_campaign, crew, tree, client):
    campaign = make_campaign()
    h1 = Target.objects.get(campaign=campaign, label="1栋1单元101 #H1")
    client_for(client, crew["worker"])
    url = f"/api/v1/campaigns/targets/{h1.pk}/answers/"
    body = {"outcome": "visited", "values": {"has_gas": "no"}, "latitude": 27.705, "longitude": 112.005}
    first = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "api-1"})
    again = client.post(url, body, content_type="application/json", headers={"Idempotency-Key": "api-1"})
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    bad = client.post(url, {"outcome": "visited", "values": {}}, content_type="application/json",
                      headers={"Idempotency-Key": "api-2"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "has_gas" in bad.json()["detail"]
    client_for(client, crew["dispatcher"])
    progress = client.get(f"/api/v1/campaigns/{campaign.pk}/progress/").json()
    assert progress["node"]["visited"] == 1 and progress["node"]["targets"] == 3
    assert [child["area"]["code"] for child in progress["children"]] == ["431302001001"]
    tree_rows = client.get(f"/api/v1/campaigns/{campaign.pk}/progress/?tree=1").json()["nodes"]
    assert {row["area"]["code"]: row["visited"] for row in tree_rows} == {
        "431302001000": 1, "431302001001": 1, "43130200100101": 1, "43130200100102": 0}
    features = client.get(f"/campaigns/{campaign.pk}/map.json").json()["features"]
    assert {f["properties"]["code"]: f["properties"]["share"] for f in features} == {
        "43130200100101": 0.5, "43130200100102": 0.0}
    grid = client.get(f"/api/v1/campaigns/{campaign.pk}/progress/?area={tree['G11'].pk}").json()
    assert [(child["worker"]["name"], child["visited"]) for child in grid["children"]] == [("g11_worker", 1)]


def test_target_list_query_count_is_fixed(registry, make_campaign, crew, client):
    campaign = make_campaign()
    client_for(client, crew["dispatcher"])
    url = f"/api/v1/campaigns/{campaign.pk}/targets/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).json()["results"]) == 3
    from tests.campaigns.conftest import _household, _room

    for number in range(5):
        _household(registry["H1"].grid, f"N{number}", _room(registry["H1"].grid, "8栋", "1单元", str(number)), 1)
    from campaigns.services import campaign_refresh

    campaign_refresh(actor=None, campaign=campaign)
    with CaptureQueriesContext(connection) as more:
        assert len(client.get(url).json()["results"]) == 8
    assert len(more) == len(few)


def test_an_answer_through_the_api_costs_a_fixed_number_of_queries(registry, make_campaign, crew, client):
    """The answer path, as an integration client posts it with its API key: the lockout
    check, the key, the caller's scope (3), the target; then, in the transaction, the
    target locked, the answer, the target, the grid's and the worker's counter rows
    (locked in key order and moved by one statement). No idempotency lookup for a new key, no row of the street,
    district or city (they are summed from the grids when read)."""
    from api.services import api_client_create

    campaign = make_campaign()
    h1 = Target.objects.get(campaign=campaign, label="1栋1单元101 #H1")
    h2 = Target.objects.get(campaign=campaign, label="1栋1单元102 #H2")
    _client, key = api_client_create(actor=None, name="phone", user=crew["worker"])
    auth = {"Authorization": f"Token {key}"}

    def post(target, outcome, idempotency_key, values=None):
        return client.post(f"/api/v1/campaigns/targets/{target.pk}/answers/",
                           {"outcome": outcome, "values": values or {}, "latitude": 27.7, "longitude": 112.0},
                           content_type="application/json", headers={**auth, "Idempotency-Key": idempotency_key})

    assert post(h1, "not_home", "q0").status_code == 201  # the key's first use also records it as used
    with CaptureQueriesContext(connection) as visit:
        assert post(h1, "visited", "q1", {"has_gas": "yes", "leak": "yes", "hose_age": "9"}).status_code == 201
    with CaptureQueriesContext(connection) as attempt:
        assert post(h2, "not_home", "q2").status_code == 201
    assert len(visit) == len(attempt) == 12, [query["sql"][:80] for query in visit.captured_queries]
    # A replay (its insert collides on the key and is rolled back) returns the first
    # answer and changes nothing.
    replay = post(h2, "not_home", "q2")
    assert replay.status_code == 200 and replay.json()["idempotency_key"] == "q2"
    assert Answer.objects.filter(target__campaign=campaign).count() == 3
    assert Target.objects.get(pk=h2.pk).attempts == 1


def test_export_layout_masking_and_log(registry, make_campaign, crew, tree, client):
    from campaigns.answers import target_answer

    campaign = make_campaign()
    h2 = Target.objects.get(campaign=campaign, label="1栋1单元102 #H2")
    target_answer(actor=crew["worker"], target=h2, outcome="visited", idempotency_key="x",
                  values={"has_gas": "yes", "leak": "yes", "hose_age": "2"})
    client_for(client, crew["dispatcher"])
    response = client.get(f"/campaigns/{campaign.pk}/ledger.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["汇总", "排查台账"]
    summary = list(book["汇总"].values)
    assert summary[1][:4] == ("单位", "编码", "应排查", "已排查")
    assert summary[-1][:4] == ("合计：乐坪街道", "431302001000", 3, 1)
    rows = list(book["排查台账"].values)
    assert rows[0][:6] == ("序号", "街道", "社区", "网格", "网格员", "排查对象")
    assert rows[0][-4:] == ("是否使用燃气", "是否有泄漏", "软管使用年限", "备注")
    h2_row = next(row for row in rows[1:] if row[5] == "1栋1单元102 #H2")
    person = registry["H2_people"][0]
    assert h2_row[1:4] == ("乐坪街道", "月塘社区", "月塘第1网格")
    # The dispatcher may not reveal ID numbers: the strict mask (region prefix and check
    # character), never the stored mask beside the birth date (residents.privacy).
    assert h2_row[7] == strict_id_mask(person.id_mask) and h2_row[7].count("*") == 13
    assert h2_row[9:13] == ("已走访", 1, "是", "是否有泄漏")
    assert h2_row[-4:-1] == ("是", "是", "2")  # the ledger is in the language of the request (Chinese)
    log = PersonalDataAccess.objects.get(action="export")
    assert log.actor == crew["dispatcher"] and log.row_count == 3 and log.filters["campaign"] == campaign.pk
    # The same ledger through the API, for the G11 grid only; logged too. Grid workers get 404.
    response = client.get(f"/api/v1/campaigns/{campaign.pk}/ledger.xlsx?area={tree['G11'].pk}")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content)))["排查台账"].values)
    assert response.status_code == 200 and len(rows) == 3
    assert PersonalDataAccess.objects.filter(action="export").count() == 2
    client_for(client, crew["worker"])
    assert client.get(f"/api/v1/campaigns/{campaign.pk}/ledger.xlsx").status_code == 404


def test_a_phones_queue_posted_at_once(registry, make_campaign, crew, tree, client):
    """The batch endpoint: each answer as the single endpoint would record it — good ones
    written, a bad one refused with its field, one out of scope 404, a replay of the same
    queue changes nothing — and the counters equal a recount."""
    from campaigns.counters import progress_drift

    campaign = make_campaign()
    h1 = Target.objects.get(campaign=campaign, label="1栋1单元101 #H1")
    h2 = Target.objects.get(campaign=campaign, label="1栋1单元102 #H2")
    h4 = Target.objects.get(campaign=campaign, label="2栋1单元101 #H4")  # G12: not the worker's grid
    client_for(client, crew["worker"])
    queue = {"answers": [
        {"target": h1.pk, "idempotency_key": "b1", "outcome": "not_home"},
        {"target": h1.pk, "idempotency_key": "b2", "outcome": "visited", "values": {"has_gas": "no"}},
        {"target": h2.pk, "idempotency_key": "b3", "outcome": "visited", "values": {"has_gas": "yes"}},  # leak missing
        {"target": h2.pk, "idempotency_key": "b4", "outcome": "visited",
         "values": {"has_gas": "yes", "leak": "yes", "hose_age": "8"}, "latitude": 27.7, "longitude": 112.0},
        {"target": h4.pk, "idempotency_key": "b5", "outcome": "not_home"},
        {"target": h1.pk, "idempotency_key": "b6", "outcome": "not_home"},  # after the visit: refused
    ]}
    first = client.post("/api/v1/campaigns/answers/", queue, content_type="application/json")
    assert first.status_code == 200
    results = first.json()["results"]
    assert [result["status"] for result in results] == [201, 201, 400, 201, 404, 400]
    assert "leak" in results[2]["detail"] and results[4]["code"] == "not_found"
    assert results[3]["answer"]["problems"] == ["leak", "hose_age"]
    h1.refresh_from_db()
    h2.refresh_from_db()
    assert (h1.status, h1.attempts, h2.status, h2.problem) == ("done", 2, "done", True)
    assert h1.last_answer.idempotency_key == "b2"
    again = client.post("/api/v1/campaigns/answers/", queue, content_type="application/json").json()["results"]
    assert [result["status"] for result in again] == [200, 200, 400, 200, 404, 400]
    assert Answer.objects.filter(target__campaign=campaign).count() == 3
    assert progress_drift(campaign) == []
    grid = client.get(f"/api/v1/campaigns/{campaign.pk}/progress/?area={tree['G11'].pk}").json()["node"]
    assert (grid["visited"], grid["problems"]) == (2, 1)
