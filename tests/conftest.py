"""Shared fixtures: a small area tree built through the services, staff, and events."""

import pytest
from django.utils import translation

from accounts.models import Role, User
from accounts.services import department_create, role_grant
from events.services import event_code_days_forget
from governance.cache import derived_clear_all
from grids import spatial
from grids.services import area_create
from workflow.services import event_file, event_transition


def square(west: float, south: float, size: float = 0.01) -> dict:
    """A lon/lat square as a GeoJSON Polygon (counter-clockwise)."""
    east, north = round(west + size, 6), round(south + size, 6)
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]}


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    """Each test starts with no point → grid index in this process, and none of the
    values derived from the database (governance.cache.Derived) that an earlier test's
    rolled-back rows left in memory."""
    spatial.invalidate()
    derived_clear_all()
    event_code_days_forget()


@pytest.fixture(autouse=True)
def _english_by_default():
    """Tests read messages in English unless they switch to Chinese themselves."""
    with translation.override("en"):
        yield


@pytest.fixture
def tree(db):
    """city ─ district A ─ street S1 ─ community C1 ─ grids G11, G12
                      └ street S2 ─ community C2 ─ grid G21
           └ district B ─ town S3 ─ village C3 ─ grid G31

    G11 and G12 share the edge lon = 112.01; G21 is east of G12; G31 is far away.
    """
    a = {}
    a["city"] = area_create(actor=None, parent=None, code="431300000000", name="娄底市", level="city")
    a["A"] = area_create(actor=None, parent=a["city"], code="431302000000", name="娄星区", level="district")
    a["B"] = area_create(actor=None, parent=a["city"], code="431321000000", name="双峰县", level="district")
    a["S1"] = area_create(actor=None, parent=a["A"], code="431302001000", name="乐坪街道", level="street")
    a["S2"] = area_create(actor=None, parent=a["A"], code="431302002000", name="花山街道", level="street")
    a["S3"] = area_create(actor=None, parent=a["B"], code="431321100000", name="永丰镇", level="street")
    a["C1"] = area_create(actor=None, parent=a["S1"], code="431302001001", name="月塘社区", level="community")
    a["C2"] = area_create(actor=None, parent=a["S2"], code="431302002001", name="花山社区", level="community")
    a["C3"] = area_create(actor=None, parent=a["S3"], code="431321100201", name="青树村", level="community")
    a["G11"] = area_create(actor=None, parent=a["C1"], code="43130200100101", name="月塘第1网格", level="grid",
                           boundary=square(112.00, 27.70), households=320, population=900)
    a["G12"] = area_create(actor=None, parent=a["C1"], code="43130200100102", name="月塘第2网格", level="grid",
                           boundary=square(112.01, 27.70), households=610, population=1700)
    a["G21"] = area_create(actor=None, parent=a["C2"], code="43130200200101", name="花山第1网格", level="grid",
                           boundary=square(112.02, 27.70), grid_type="exclusive", exclusive_kind="school")
    a["G31"] = area_create(actor=None, parent=a["C3"], code="43132110020101", name="青树第1网格", level="grid",
                           boundary=square(112.20, 27.40))
    for area in a.values():
        area.refresh_from_db()
    return a


@pytest.fixture
def reference_data(db):
    """The seeded catalogue and work calendar. Migrations seed them, but tests that use
    real transactions flush the database afterwards, so load them again (idempotent)."""
    from events.catalogue import catalogue_load
    from workflow import calendar
    from workflow.calendar_seed import calendar_seed

    catalogue_load()
    calendar_seed()
    calendar.invalidate()


@pytest.fixture
def departments(tree):
    return {
        "city_cg": department_create(actor=None, code="CITY-CG", name="市城管局", area=tree["city"], kind="urban_management"),
        "A_cg": department_create(actor=None, code="A-CG", name="娄星区城管局", area=tree["A"], kind="urban_management"),
        "S1_cg": department_create(actor=None, code="S1-CG", name="乐坪街道城管中队", area=tree["S1"], kind="urban_management"),
        "S2_cg": department_create(actor=None, code="S2-CG", name="花山街道城管中队", area=tree["S2"], kind="urban_management"),
        "B_cg": department_create(actor=None, code="B-CG", name="双峰县城管局", area=tree["B"], kind="urban_management"),
    }


@pytest.fixture
def make_user(db):
    counter = {"n": 0}

    def make(role=None, *, area=None, department=None, username=None, password="pass-12345", **extra):
        counter["n"] += 1
        user = User.objects.create_user(username=username or f"user{counter['n']}", password=password, **extra)
        if role is not None:
            role_grant(actor=None, user=user, role=role, area=area, department=department)
        return user

    return make


@pytest.fixture
def street_admin(tree, make_user):
    return make_user(Role.ADMIN, area=tree["S1"], username="leping_admin")


# --- Events and the workflow ---------------------------------------------------------

@pytest.fixture
def cast(tree, departments, make_user, reference_data):
    """Who is who: a street dispatcher (乐坪), the district's dispatcher, a handler of the
    street's 城管中队, the worker and leader of grid G11, a street leader, an outsider."""
    return {
        "dispatcher": make_user(Role.DISPATCHER, area=tree["S1"], username="s1_dispatcher", email="d@example.org", phone="13800000001"),
        "district_dispatcher": make_user(Role.DISPATCHER, area=tree["A"], username="a_dispatcher"),
        "handler": make_user(Role.DEPT_HANDLER, department=departments["S1_cg"], username="s1_handler"),
        "dept_admin": make_user(Role.DEPT_ADMIN, department=departments["S1_cg"], username="s1_dept_admin"),
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
