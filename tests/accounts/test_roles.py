import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEntry, Role, RoleAssignment
from accounts.scoping import areas_visible_to
from accounts.services import ADMIN_GROUP_NAME, role_grant, role_revoke


@pytest.mark.parametrize(
    "role, node",
    [
        (Role.GRID_WORKER, "S1"),
        (Role.GRID_WORKER, "C1"),
        (Role.POLICE, "A"),
        (Role.DISPATCHER, "G11"),
        (Role.DISPATCHER, "C1"),
        (Role.GRID_LEADER, "S1"),
    ],
)
def test_role_on_a_level_it_cannot_be_held_is_refused(tree, make_user, role, node):
    with pytest.raises(ValidationError) as error:
        role_grant(actor=None, user=make_user(), role=role, area=tree[node])

    assert "cannot be held on" in str(error.value)


def test_department_role_needs_a_department(tree, make_user):
    with pytest.raises(ValidationError, match="held on a department"):
        role_grant(actor=None, user=make_user(), role=Role.DEPT_HANDLER, area=tree["S1"])


def test_area_role_needs_an_area(departments, make_user):
    with pytest.raises(ValidationError, match="node of the area tree"):
        role_grant(actor=None, user=make_user(), role=Role.DISPATCHER, department=departments["S1_cg"])


def test_granting_twice_keeps_one_active_assignment(tree, make_user):
    user = make_user()

    first = role_grant(actor=None, user=user, role=Role.GRID_WORKER, area=tree["G11"])
    second = role_grant(actor=None, user=user, role=Role.GRID_WORKER, area=tree["G11"])

    assert first.pk == second.pk
    assert RoleAssignment.objects.filter(user=user).count() == 1


def test_street_admin_cannot_grant_outside_their_street(tree, street_admin, make_user):
    with pytest.raises(PermissionDenied):
        role_grant(actor=street_admin, user=make_user(), role=Role.GRID_WORKER, area=tree["G21"])


def test_street_admin_grants_inside_their_street_and_it_is_audited(tree, street_admin, make_user):
    worker = make_user(username="new_worker")

    assignment = role_grant(actor=street_admin, user=worker, role=Role.GRID_WORKER, area=tree["G12"])

    assert assignment.granted_by == street_admin
    entry = AuditEntry.objects.filter(action="role_grant", object_id=str(assignment.pk)).get()
    assert entry.actor == street_admin
    assert entry.changes["user"] == "new_worker"


def test_admin_role_makes_staff_and_revoking_it_undoes_that(tree, make_user):
    user = make_user()

    assignment = role_grant(actor=None, user=user, role=Role.ADMIN, area=tree["S1"])
    user.refresh_from_db()
    assert user.is_staff
    assert user.groups.filter(name=ADMIN_GROUP_NAME).exists()
    assert user.has_perm("grids.change_area")

    role_revoke(actor=None, assignment=assignment)
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.filter(name=ADMIN_GROUP_NAME).exists()


def test_department_role_joins_the_department_group(departments, make_user):
    user = make_user(Role.DEPT_HANDLER, department=departments["A_cg"])

    assert user.groups.filter(pk=departments["A_cg"].group_id).exists()

    role_revoke(actor=None, assignment=user.role_assignments.get())
    assert not user.groups.filter(pk=departments["A_cg"].group_id).exists()


def test_revoked_assignment_is_kept_as_history(tree, make_user):
    user = make_user(Role.GRID_WORKER, area=tree["G11"])

    role_revoke(actor=None, assignment=user.role_assignments.get())

    kept = RoleAssignment.objects.get(user=user)
    assert kept.revoked_at is not None
    assert not areas_visible_to(user).exists()
