"""Each role sees exactly its subtree and nothing else (DESIGN §3)."""

import pytest
from django.http import Http404
from guardian.shortcuts import assign_perm

from accounts.models import Role
from accounts.scoping import (
    access_area,
    access_department,
    areas_visible_to,
    departments_visible_to,
    grids_visible_to,
    role_assignments_visible_to,
    users_visible_to,
)
from accounts.services import role_grant, role_revoke
from grids.models import Area

ALL = {"city", "A", "B", "S1", "S2", "S3", "C1", "C2", "C3", "G11", "G12", "G21", "G31"}


def names(tree, queryset):
    by_id = {area.pk: name for name, area in tree.items()}
    return {by_id[pk] for pk in queryset.values_list("pk", flat=True)}


@pytest.mark.parametrize(
    "role, node, expected",
    [
        (Role.GRID_WORKER, "G11", {"G11"}),
        (Role.PARTTIME_WORKER, "G12", {"G12"}),
        (Role.POLICE, "G21", {"G21"}),
        (Role.DOCTOR, "G31", {"G31"}),
        (Role.LEGAL, "G11", {"G11"}),
        (Role.LIAISON, "G12", {"G12"}),
        (Role.GRID_LEADER, "G11", {"G11"}),
        (Role.GRID_LEADER, "C1", {"C1", "G11", "G12"}),
        (Role.DISPATCHER, "S1", {"S1", "C1", "G11", "G12"}),
        (Role.DISPATCHER, "A", {"A", "S1", "S2", "C1", "C2", "G11", "G12", "G21"}),
        (Role.LEADER, "B", {"B", "S3", "C3", "G31"}),
        (Role.LEADER, "city", ALL),
        (Role.ADMIN, "S2", {"S2", "C2", "G21"}),
    ],
)
def test_each_role_sees_exactly_its_subtree(tree, make_user, role, node, expected):
    user = make_user(role, area=tree[node])

    assert names(tree, areas_visible_to(user)) == expected
    assert names(tree, grids_visible_to(user)) == {name for name in expected if name.startswith("G")}


def test_several_assignments_see_the_union(tree, make_user):
    police = make_user(Role.POLICE, area=tree["G11"])
    role_grant(actor=None, user=police, role=Role.POLICE, area=tree["G21"])

    assert names(tree, areas_visible_to(police)) == {"G11", "G21"}


def test_user_without_role_sees_nothing(tree, make_user):
    assert not areas_visible_to(make_user()).exists()


def test_revoked_role_no_longer_gives_access(tree, make_user):
    user = make_user(Role.DISPATCHER, area=tree["S1"])
    assignment = user.role_assignments.get()

    role_revoke(actor=None, assignment=assignment)
    user.refresh_from_db()

    assert not areas_visible_to(user).exists()


def test_inactive_user_sees_nothing(tree, make_user):
    user = make_user(Role.LEADER, area=tree["city"])
    user.is_active = False

    assert not areas_visible_to(user).exists()


def test_superuser_sees_everything(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="pass-12345")

    assert names(tree, areas_visible_to(root)) == ALL


def test_department_handler_sees_no_areas_and_only_own_department(tree, departments, make_user):
    handler = make_user(Role.DEPT_HANDLER, department=departments["S1_cg"])

    assert not areas_visible_to(handler).exists()
    assert set(departments_visible_to(handler)) == {departments["S1_cg"]}


def test_dispatcher_sees_departments_at_and_above_and_below_their_street_only(tree, departments, make_user):
    dispatcher = make_user(Role.DISPATCHER, area=tree["S1"])

    visible = set(departments_visible_to(dispatcher).values_list("code", flat=True))

    assert visible == {"CITY-CG", "A-CG", "S1-CG"}


def test_district_dispatcher_sees_street_departments_below(tree, departments, make_user):
    dispatcher = make_user(Role.DISPATCHER, area=tree["A"])

    visible = set(departments_visible_to(dispatcher).values_list("code", flat=True))

    assert visible == {"CITY-CG", "A-CG", "S1-CG", "S2-CG"}


def test_out_of_scope_area_answers_like_a_missing_one(tree, make_user):
    worker = make_user(Role.GRID_WORKER, area=tree["G11"])

    assert access_area(worker, tree["G11"].pk) == tree["G11"]
    with pytest.raises(Http404) as forbidden:
        access_area(worker, tree["G12"].pk)
    with pytest.raises(Http404) as missing:
        access_area(worker, 987654321)
    with pytest.raises(Http404):
        access_area(worker, "not-a-number")
    assert str(forbidden.value) == str(missing.value)


def test_out_of_scope_department_is_404(tree, departments, make_user):
    dispatcher = make_user(Role.DISPATCHER, area=tree["S1"])

    assert access_department(dispatcher, departments["S1_cg"].pk) == departments["S1_cg"]
    with pytest.raises(Http404):
        access_department(dispatcher, departments["B_cg"].pk)


def test_object_grant_through_guardian_adds_that_subtree(tree, make_user):
    cadre = make_user(Role.LIAISON, area=tree["G11"])

    assign_perm("grids.view_area", cadre, tree["S2"])
    cadre.refresh_from_db()

    assert names(tree, areas_visible_to(cadre)) == {"G11", "S2", "C2", "G21"}


def test_object_grant_to_a_department_group_reaches_its_members(tree, departments, make_user):
    handler = make_user(Role.DEPT_HANDLER, department=departments["S2_cg"])

    assign_perm("grids.view_area", departments["S2_cg"].group, tree["G21"])
    handler.refresh_from_db()

    assert names(tree, areas_visible_to(handler)) == {"G21"}


def test_role_assignments_and_users_visible_follow_the_subtree(tree, make_user):
    dispatcher = make_user(Role.DISPATCHER, area=tree["S1"], username="disp")
    inside = make_user(Role.GRID_WORKER, area=tree["G11"], username="inside")
    outside = make_user(Role.GRID_WORKER, area=tree["G21"], username="outside")

    visible_users = set(users_visible_to(dispatcher).values_list("username", flat=True))
    visible_roles = set(role_assignments_visible_to(dispatcher).values_list("user__username", flat=True))

    assert visible_users == {"disp", "inside"}
    assert visible_roles == {"disp", "inside"}
    assert outside.username not in visible_users
    assert inside.username in visible_users


def test_scope_queries_use_one_indexed_prefix_condition_per_node(tree, make_user):
    dispatcher = make_user(Role.DISPATCHER, area=tree["S1"])

    sql = str(areas_visible_to(dispatcher).query)

    assert "LIKE" in sql.upper()
    assert Area.objects.filter(path__startswith=tree["S1"].path).count() == 4


@pytest.mark.django_db
def test_a_department_is_reached_exactly_when_the_users_departments_list_holds_it(cast, departments):
    """``access_department`` (read by key, its place checked in memory) answers as
    ``departments_visible_to``, for every user of the cast and every department: one they
    work in, one inside their subtrees, one above them; not a sibling's."""
    from django.http import Http404

    from accounts.models import Department
    from accounts.scoping import access_department, departments_visible_to

    answers = []
    for user in cast.values():
        if not hasattr(user, "pk"):
            continue
        listed = set(departments_visible_to(user).values_list("pk", flat=True))
        for department in Department.objects.all():
            try:
                reached = access_department(user, department.pk).pk == department.pk
            except Http404:
                reached = False
            assert reached == (department.pk in listed), (user.username, department.code)
            answers.append(reached)
    assert len(answers) > 20 and any(answers) and not all(answers)  # both answers were given
    # The street dispatcher reaches the district's and the city's (above) and the street's own.
    assert access_department(cast["dispatcher"], departments["city_cg"].pk) == departments["city_cg"]
    with pytest.raises(Http404):
        access_department(cast["dispatcher"], "nonsense")
    with pytest.raises(Http404):
        access_department(cast["dispatcher"], 10**30)
