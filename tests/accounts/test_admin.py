"""The Django admin, scoped: a street administrator sees and edits only their street."""

import json

import pytest
from django.urls import reverse

from accounts.models import Role, RoleAssignment, User
from grids.models import Area
from tests.conftest import square


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_street_admin_sees_only_their_street_in_the_area_list(tree, street_admin, admin_client_for):
    client = admin_client_for(street_admin)

    response = client.get(reverse("admin:grids_area_changelist"))

    assert response.status_code == 200
    codes = {area.code for area in response.context["cl"].result_list}
    assert codes == {"431302001000", "431302001001", "43130200100101", "43130200100102"}


def test_street_admin_cannot_open_an_area_outside_their_street(tree, street_admin, admin_client_for):
    client = admin_client_for(street_admin)

    inside = client.get(reverse("admin:grids_area_change", args=[tree["G11"].pk]))
    outside = client.get(reverse("admin:grids_area_change", args=[tree["G21"].pk]))

    assert inside.status_code == 200
    # Django admin answers a row outside the queryset like a missing one.
    assert outside.status_code == 302 and outside.url == reverse("admin:index")


def test_street_admin_adds_a_grid_inside_and_is_refused_outside(tree, street_admin, admin_client_for):
    client = admin_client_for(street_admin)
    form = {
        "parent": tree["C1"].pk, "code": "43130200100103", "name": "新网格", "level": "grid",
        "grid_type": "basic", "exclusive_kind": "", "households": "300", "population": "800",
        "boundary": json.dumps(square(112.00, 27.72)),
    }

    created = client.post(reverse("admin:grids_area_add"), form)
    assert created.status_code == 302, created.context["adminform"].form.errors
    assert Area.objects.get(code="43130200100103").name == "新网格"

    outside = client.post(reverse("admin:grids_area_add"), {**form, "parent": tree["C2"].pk, "code": "43130200200103"})
    assert outside.status_code == 200
    assert "parent" in outside.context["adminform"].form.errors
    assert not Area.objects.filter(code="43130200200103").exists()


def test_admin_form_shows_a_bad_boundary_next_to_the_field(tree, street_admin, admin_client_for):
    client = admin_client_for(street_admin)
    form = {
        "parent": tree["C1"].pk, "code": "43130200100104", "name": "坏网格", "level": "grid", "grid_type": "basic",
        "boundary": json.dumps({"type": "Point", "coordinates": [112, 27]}),
    }

    response = client.post(reverse("admin:grids_area_add"), form)

    assert response.status_code == 200
    assert "边界必须是 Polygon 或 MultiPolygon，而不是 Point" in str(response.context["adminform"].form.errors["boundary"])


def test_street_admin_sees_and_grants_roles_only_in_their_street(tree, street_admin, make_user, admin_client_for):
    make_user(Role.GRID_WORKER, area=tree["G11"], username="inside")
    make_user(Role.GRID_WORKER, area=tree["G21"], username="outside")
    newcomer = make_user(Role.PARTTIME_WORKER, area=tree["G12"], username="newcomer")
    client = admin_client_for(street_admin)

    listing = client.get(reverse("admin:accounts_roleassignment_changelist"))
    users = {assignment.user.username for assignment in listing.context["cl"].result_list}
    assert users == {"leping_admin", "inside", "newcomer"}

    granted = client.post(reverse("admin:accounts_roleassignment_add"),
                          {"user": newcomer.pk, "role": Role.GRID_WORKER, "area": tree["G12"].pk, "title": ""})
    assert granted.status_code == 302
    assert RoleAssignment.objects.filter(user=newcomer, role=Role.GRID_WORKER, area=tree["G12"]).exists()

    refused = client.post(reverse("admin:accounts_roleassignment_add"),
                          {"user": newcomer.pk, "role": Role.GRID_WORKER, "area": tree["G21"].pk, "title": ""})
    assert refused.status_code == 200
    assert "area" in refused.context["adminform"].form.errors


def test_street_admin_creates_a_user_with_a_first_role_in_their_street(tree, street_admin, admin_client_for):
    client = admin_client_for(street_admin)

    response = client.post(reverse("admin:accounts_user_add"), {
        "username": "wang", "full_name": "王芳", "phone": "0738-8123456",
        "password1": "a-long-pass-phrase-1", "password2": "a-long-pass-phrase-1",
        "role": Role.GRID_WORKER, "area": tree["G11"].pk, "title": "",
    })

    assert response.status_code == 302
    user = User.objects.get(username="wang")
    assert user.check_password("a-long-pass-phrase-1")
    assert user.role_assignments.get().area == tree["G11"]
    users = client.get(reverse("admin:accounts_user_changelist")).context["cl"].result_list
    assert "wang" in {u.username for u in users}


def test_street_admin_cannot_edit_a_user_with_a_role_outside(tree, street_admin, make_user, admin_client_for):
    both = make_user(Role.GRID_WORKER, area=tree["G11"], username="both")
    from accounts.services import role_grant

    role_grant(actor=None, user=both, role=Role.LEADER, area=tree["city"])
    client = admin_client_for(street_admin)

    response = client.get(reverse("admin:accounts_user_change", args=[both.pk]))

    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_street_admin_imports_geojson_through_the_admin(tree, street_admin, admin_client_for, tmp_path):
    client = admin_client_for(street_admin)
    upload = tmp_path / "grids.geojson"
    upload.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "43130200100105", "name": "导入网格"}, "geometry": square(112.0, 27.73)},
        {"type": "Feature", "properties": {"code": "43130200200105", "name": "越界网格"}, "geometry": square(112.0, 27.74)},
    ]}), encoding="utf-8")

    with upload.open("rb") as handle:
        response = client.post(reverse("admin:grids_area_import"), {"file": handle})

    assert response.status_code == 200
    report = response.context["report"]
    assert report.created == ["43130200100105"]
    assert [problem.number for problem in report.errors] == [2]


def test_grid_worker_has_no_admin(tree, make_user, admin_client_for):
    worker = make_user(Role.GRID_WORKER, area=tree["G11"])
    client = admin_client_for(worker)

    response = client.get(reverse("admin:grids_area_changelist"))

    assert response.status_code == 302


def test_admin_deletes_only_empty_areas_and_through_the_service(tree, street_admin, make_user, admin_client_for):
    from accounts.models import AuditEntry

    make_user(Role.GRID_WORKER, area=tree["G12"])
    client = admin_client_for(street_admin)

    staffed = client.get(reverse("admin:grids_area_delete", args=[tree["G12"].pk]))
    with_children = client.get(reverse("admin:grids_area_delete", args=[tree["C1"].pk]))
    deleted = client.post(reverse("admin:grids_area_delete", args=[tree["G11"].pk]), {"post": "yes"})

    assert staffed.status_code == 403
    assert with_children.status_code == 403
    assert deleted.status_code == 302
    assert not Area.objects.filter(pk=tree["G11"].pk).exists()
    assert AuditEntry.objects.filter(action="area_delete", object_id=str(tree["G11"].pk)).exists()
