"""Shared fixtures: a small area tree built through the services, and staff."""

import pytest
from django.utils import translation

from accounts.models import Role, User
from accounts.services import department_create, role_grant
from grids import spatial
from grids.services import area_create


def square(west: float, south: float, size: float = 0.01) -> dict:
    """A lon/lat square as a GeoJSON Polygon (counter-clockwise)."""
    east, north = round(west + size, 6), round(south + size, 6)
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]}


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    """Each test starts with no point → grid index in this process."""
    spatial.invalidate()


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
