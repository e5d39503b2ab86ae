"""Staff around the small tree of tests/conftest.py, and helpers to file events and walk
them through the machine."""

import pytest

from accounts.models import Role
from events.services import event_file
from workflow.services import event_transition


@pytest.fixture
def cast(tree, departments, make_user):
    """Who is who: a street dispatcher (乐坪), the district's dispatcher, a handler of the
    street's 城管中队, the worker and leader of grid G11, a street leader, an outsider."""
    return {
        "dispatcher": make_user(Role.DISPATCHER, area=tree["S1"], username="s1_dispatcher", email="d@example.org", phone="13800000001"),
        "district_dispatcher": make_user(Role.DISPATCHER, area=tree["A"], username="a_dispatcher"),
        "handler": make_user(Role.DEPT_HANDLER, department=departments["S1_cg"], username="s1_handler"),
        "other_handler": make_user(Role.DEPT_HANDLER, department=departments["S2_cg"], username="s2_handler"),
        "worker": make_user(Role.GRID_WORKER, area=tree["G11"], username="g11_worker"),
        "grid_leader": make_user(Role.GRID_LEADER, area=tree["C1"], username="c1_leader"),
        "leader": make_user(Role.LEADER, area=tree["S1"], username="s1_leader"),
        "outsider": make_user(Role.GRID_WORKER, area=tree["G31"], username="g31_worker"),
        "admin": make_user(username="root", is_superuser=True, is_staff=True),
    }


# A point inside grid G11 (the square 112.00–112.01 E, 27.70–27.71 N).
INSIDE_G11 = {"latitude": 27.705, "longitude": 112.005}


@pytest.fixture
def file(cast):
    def file_event(actor=None, *, category="0101", **extra):
        actor = actor or cast["worker"]
        values = {"channel": "grid_worker", "description": "路边有一堆暴露垃圾", **INSIDE_G11, **extra}
        event, _created = event_file(actor=actor, category=category, **values)
        return event

    return file_event


@pytest.fixture
def walk(cast, departments):
    """Walk an event forward through the usual path up to ``state``."""
    steps = [
        ("accepted", "dispatcher", "accept", {}),
        ("dispatched", "dispatcher", "dispatch", {"primary": departments["S1_cg"].pk}),
        ("handling", "handler", "sign", {}),
        ("handled", "handler", "feedback", {"result": "已清理"}),
        ("verified", "worker", "verify_pass", {}),
        ("closed", "dispatcher", "assess", {"rating": "satisfied"}),
        ("archived", "dispatcher", "archive", {}),
    ]

    def walk_to(event, state):
        for reached, who, name, params in steps:
            if event.state == state:
                break
            event = event_transition(actor=cast[who], event_id=event.pk, name=name, **params)
            assert event.state == reached
        return event

    return walk_to
