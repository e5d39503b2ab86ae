"""Departments' grants end with their work (workflow/grants.py): returning, dispatching
again, escalating away and special closure take the department's read access away, in
every surface (scoping, pages, API); a case closed normally stays readable by the
department that carried it; the data migration removes grants given before."""

import importlib

import pytest
from django.apps import apps
from guardian.shortcuts import assign_perm

from accounts.scoping import events_visible_to
from events.models import EventGroupObjectPermission
from workflow.services import event_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(tree, make_user):
    """Another department of the street (乐坪), with a handler."""
    from accounts.models import Role
    from accounts.services import department_create

    department = department_create(actor=None, code="S1-SJ", name="乐坪街道市容所", area=tree["S1"], kind="urban_management")
    return department, make_user(Role.DEPT_HANDLER, department=department, username="s1_sj_handler")


def _sees(user, event) -> bool:
    return events_visible_to(user).filter(pk=event.pk).exists()


def test_a_returned_event_is_no_longer_readable_by_the_department(file, walk, cast, client):
    event = walk(file(), "handling")
    assert _sees(cast["handler"], event)
    event_transition(actor=cast["handler"], event_id=event.pk, name="return", reason="不属于我部门")
    assert not _sees(cast["handler"], event)
    client.force_login(cast["handler"])
    assert client.get(f"/api/v1/events/{event.pk}/").status_code == 404
    assert client.get(f"/events/{event.pk}/").status_code == 404
    assert not EventGroupObjectPermission.objects.filter(content_object=event).exists()


def test_dispatching_again_moves_the_grant_to_the_new_department(file, walk, cast, second):
    department, other = second
    event = walk(file(), "dispatched")
    event_transition(actor=cast["handler"], event_id=event.pk, name="return", reason="转市容所")
    assert not _sees(other, event)
    event_transition(actor=cast["dispatcher"], event_id=event.pk, name="dispatch", primary=department.pk)
    assert not _sees(cast["handler"], event)
    assert _sees(other, event)


def test_assisting_departments_lose_the_grant_when_the_case_is_escalated(file, walk, cast, departments, second):
    department, other = second
    event = walk(file(), "accepted")
    event_transition(actor=cast["dispatcher"], event_id=event.pk, name="dispatch", primary=departments["S1_cg"].pk,
                     assisting=[department.pk])
    assert _sees(cast["handler"], event) and _sees(other, event)
    event_transition(actor=cast["dispatcher"], event_id=event.pk, name="escalate")
    assert not _sees(cast["handler"], event) and not _sees(other, event)


def test_special_closure_ends_the_departments_access(file, walk, cast):
    event = walk(file(), "handling")
    event_transition(actor=cast["leader"], event_id=event.pk, name="close_special", reason="无法处置")
    assert not _sees(cast["handler"], event)


def test_the_department_that_carried_the_case_keeps_reading_it_after_closing_and_archiving(file, walk, cast):
    event = walk(file(), "archived")
    assert _sees(cast["handler"], event)
    assert not _sees(cast["other_handler"], event)


def test_the_data_migration_removes_stale_grants_and_keeps_current_ones(file, walk, cast, departments):
    current = walk(file(), "handling")
    stale = walk(file(latitude=27.706), "accepted")
    assign_perm("events.view_event", departments["S2_cg"].group, stale)  # left over from before the fix
    assign_perm("events.view_event", departments["S2_cg"].group, current)
    assert _sees(cast["other_handler"], stale)
    migration = importlib.import_module("events.migrations.0008_issue14_revoke_stale_grants")
    migration.revoke_stale(apps, None)
    assert not _sees(cast["other_handler"], stale) and not _sees(cast["other_handler"], current)
    assert _sees(cast["handler"], current)
