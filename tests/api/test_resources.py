"""Areas, grids, departments, role assignments, housing, places, catalogue, SLA,
notifications and the dashboard: each scoped, out of scope answering 404."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role, RoleAssignment
from residents.models import KeyPlace
from tests.residents.factories import RoomFactory
from workflow.models import Notification

pytestmark = pytest.mark.django_db


def test_areas_are_the_users_subtrees(as_user, cast, tree):
    http = as_user(cast["dispatcher"])
    codes = [row["code"] for row in http.get("/api/v1/areas/").json()["results"]]
    assert codes == [tree[name].code for name in ("S1", "C1", "G11", "G12")]
    detail = http.get(f"/api/v1/areas/{tree['C1'].pk}/").json()
    assert detail["parent"] == tree["S1"].pk and detail["level"] == "community"
    assert http.get(f"/api/v1/areas/{tree['S2'].pk}/").status_code == 404
    within = http.get(f"/api/v1/areas/?within={tree['C1'].pk}").json()["results"]
    assert [row["code"] for row in within] == [tree["G11"].code, tree["G12"].code]
    assert http.get(f"/api/v1/areas/?within={tree['S2'].pk}").status_code == 404


def test_grids_have_geojson_boundaries_and_a_point_lookup(as_user, cast, tree):
    http = as_user(cast["dispatcher"])
    grids = http.get("/api/v1/grids/").json()["results"]
    assert {row["code"] for row in grids} == {tree["G11"].code, tree["G12"].code}
    assert grids[0]["boundary"]["type"] == "Polygon"
    assert grids[0]["bbox"] == [112.0, 27.7, 112.01, 27.71]
    found = http.get("/api/v1/grids/lookup/?lat=27.705&lon=112.005")
    assert found.status_code == 200 and found.json()["code"] == tree["G11"].code
    # A point in a grid outside the user's scope, and a point outside every grid.
    assert http.get("/api/v1/grids/lookup/?lat=27.405&lon=112.205").status_code == 404
    assert http.get("/api/v1/grids/lookup/?lat=10&lon=10").status_code == 404
    bad = http.get("/api/v1/grids/lookup/?lat=95&lon=112")
    assert bad.status_code == 400 and list(bad.json()["detail"]) == ["lat"]
    assert http.get(f"/api/v1/grids/{tree['C1'].pk}/").status_code == 404


def test_departments_serving_the_users_areas(as_user, cast, departments):
    http = as_user(cast["dispatcher"])
    codes = {row["code"] for row in http.get("/api/v1/departments/").json()["results"]}
    assert codes == {"CITY-CG", "A-CG", "S1-CG"}
    assert http.get(f"/api/v1/departments/{departments['S2_cg'].pk}/").status_code == 404
    handler = as_user(cast["other_handler"])
    assert http.get(f"/api/v1/departments/{departments['S1_cg'].pk}/").status_code == 200
    assert handler.get(f"/api/v1/departments/{departments['S1_cg'].pk}/").status_code == 404


def test_role_assignments_for_administrators(as_user, cast, street_admin, tree, make_user):
    http = as_user(street_admin)
    newcomer = make_user(Role.PARTTIME_WORKER, area=tree["G12"], username="newcomer")
    listed = http.get("/api/v1/role-assignments/?active=true").json()["results"]
    assert cast["outsider"].pk not in {row["user"] for row in listed}
    assert newcomer.pk in {row["user"] for row in listed}
    created = http.post("/api/v1/role-assignments/", {"user": newcomer.pk, "role": "grid_worker", "area": tree["G11"].pk,
                                                      "title": ""}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["area"]["code"] == tree["G11"].code
    revoked = http.post(f"/api/v1/role-assignments/{created.json()['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    assert RoleAssignment.objects.get(pk=created.json()["id"]).revoked_by == street_admin
    outside = http.post("/api/v1/role-assignments/", {"user": newcomer.pk, "role": "grid_worker", "area": tree["G31"].pk},
                        format="json")
    assert outside.status_code == 404
    wrong_level = http.post("/api/v1/role-assignments/", {"user": newcomer.pk, "role": "dispatcher", "area": tree["G11"].pk},
                            format="json")
    assert wrong_level.status_code == 400 and wrong_level.json()["code"] == "invalid"
    other_assignment = RoleAssignment.objects.filter(user=cast["outsider"]).get()
    assert http.get(f"/api/v1/role-assignments/{other_assignment.pk}/").status_code == 404
    # A grid worker manages nobody: the list is empty.
    assert as_user(cast["worker"]).get("/api/v1/role-assignments/").json()["results"] == []


def test_buildings_housing_units_and_key_places(as_user, cast, tree):
    room = RoomFactory(unit__building__grid=tree["G11"], use="rental", owner_name="李四")
    far_room = RoomFactory(unit__building__grid=tree["G31"])
    place = KeyPlace.objects.create(grid=tree["G11"], name="月塘小学", kind="school")
    far_place = KeyPlace.objects.create(grid=tree["G31"], name="青树小学", kind="school")
    http = as_user(cast["worker"])
    assert [row["id"] for row in http.get("/api/v1/buildings/").json()["results"]] == [room.building_id]
    assert http.get(f"/api/v1/buildings/{far_room.building_id}/").status_code == 404
    units = http.get(f"/api/v1/housing-units/?building={room.building_id}").json()["results"]
    assert units == [{"id": room.pk, "building": room.building_id, "building_name": room.building.name, "unit": "1单元",
                      "number": room.number, "use": "rental", "owner_name": "李四", "grid": tree["G11"].pk}]
    assert http.get(f"/api/v1/housing-units/{far_room.pk}/").status_code == 404
    assert [row["name"] for row in http.get("/api/v1/key-places/?kind=school").json()["results"]] == ["月塘小学"]
    assert http.get(f"/api/v1/key-places/{place.pk}/").status_code == 200
    assert http.get(f"/api/v1/key-places/{far_place.pk}/").status_code == 404


def test_categories_and_sla_policies(as_user, cast):
    http = as_user(cast["worker"])
    bigs = http.get("/api/v1/categories/?big=true&page_size=100").json()["results"]
    assert [row["code"] for row in bigs][:2] == ["01", "02"]
    smalls = http.get("/api/v1/categories/?parent=03&page_size=100").json()["results"]
    assert smalls and all(row["code"].startswith("03") for row in smalls)
    policies = http.get("/api/v1/sla-policies/?category=0101").json()["results"]
    assert {row["urgency"] for row in policies} == {"normal", "urgent", "critical"}
    assert {limit["stage"] for limit in policies[0]["limits"]} >= {"accept", "dispatch", "total"}


def test_notifications_are_the_callers_own(as_user, cast, file):
    file()  # notifies the street's command center
    http = as_user(cast["dispatcher"])
    rows = http.get("/api/v1/notifications/?unread=true").json()["results"]
    assert rows and all(Notification.objects.get(pk=row["id"]).user == cast["dispatcher"] for row in rows)
    assert as_user(cast["worker"]).get(f"/api/v1/notifications/{rows[0]['id']}/").status_code == 404
    assert http.post("/api/v1/notifications/read/", {"ids": [rows[0]["id"]]}, format="json").json() == {"marked": 1}
    assert len(http.get("/api/v1/notifications/?unread=true").json()["results"]) == len(rows) - 1


def test_dashboard_figures(as_user, cast, file):
    file()
    http = as_user(cast["dispatcher"])
    figures = http.get("/api/v1/dashboard/").json()
    assert figures["totals"]["new"] == 1 and len(figures["per_day"]) == 30
    assert as_user(cast["outsider"]).get("/api/v1/dashboard/").json()["totals"]["new"] == 0
    today = timezone.localdate()
    bad = http.get(f"/api/v1/dashboard/?start={today}&end={today - datetime.timedelta(days=1)}")
    assert bad.status_code == 400 and list(bad.json()["detail"]) == ["end"]
    assert http.get("/api/v1/dashboard/?start=2020-01-01&end=2026-01-01").json()["detail"].keys() == {"start"}
