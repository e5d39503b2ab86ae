"""Scopes are read from memory (``accounts.scoping.SCOPES``) until what they are made of
changes: a revoked role or a new one is felt by the very next request."""

import pytest

from accounts.models import Role
from accounts.services import role_grant, role_revoke
from governance.cache import derived_clear_all

pytestmark = pytest.mark.django_db


def test_a_revoked_role_is_felt_by_the_next_request(as_user, cast, file, django_capture_on_commit_callbacks):
    event = file()
    http = as_user(cast["dispatcher"])
    derived_clear_all()  # the setup has committed
    assert http.get(f"/api/v1/events/{event.pk}/").status_code == 200
    assert http.get(f"/api/v1/events/{event.pk}/").status_code == 200  # now from memory
    with django_capture_on_commit_callbacks(execute=True):  # as when the revocation commits
        role_revoke(actor=None, assignment=cast["dispatcher"].role_assignments.get())
    assert http.get(f"/api/v1/events/{event.pk}/").status_code == 404


def test_a_new_role_is_felt_by_the_next_request(as_user, cast, tree, file, django_capture_on_commit_callbacks):
    event = file()
    http = as_user(cast["other_handler"])
    derived_clear_all()
    assert http.get(f"/api/v1/events/{event.pk}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        role_grant(actor=None, user=cast["other_handler"], role=Role.LEADER, area=tree["S1"])
    assert http.get(f"/api/v1/events/{event.pk}/").status_code == 200


def test_a_moved_area_is_felt_by_the_next_request(as_user, cast, tree, django_capture_on_commit_callbacks):
    from grids.services import area_move
    from workflow.services import event_file

    event, _created = event_file(actor=None, channel="resident", category="0101", description="花山的垃圾",
                                 latitude=27.705, longitude=112.025, reporter_name="王五", reporter_contact="13900002222")
    http = as_user(cast["dispatcher"])  # of street S1
    derived_clear_all()
    assert http.get(f"/api/v1/events/{event.pk}/").status_code == 404  # G21 lies under S2
    with django_capture_on_commit_callbacks(execute=True):
        area_move(actor=None, area=tree["C2"], new_parent=tree["S1"])  # the subtree's paths change by raw SQL
    assert http.get(f"/api/v1/events/{event.pk}/").status_code == 200
