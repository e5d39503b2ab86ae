"""The demo city and generated cities: idempotent, reproducible, non-overlapping."""

import hashlib
import json
from io import StringIO

import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import shape

from accounts.models import Department, Role, RoleAssignment, User
from accounts.scoping import areas_visible_to
from accounts.selectors import grid_teams
from grids import spatial
from grids.models import GRID_LEVELS, Area, AreaLevel


def assert_no_overlaps(grids):
    polygons = [shape(grid.boundary) for grid in grids]
    tree = shapely.STRtree(polygons)
    for i, polygon in enumerate(polygons):
        for j in tree.query(polygon, predicate="intersects"):
            if j != i:
                assert polygon.intersection(polygons[j]).area < polygon.area * 1e-9, (grids[i].code, grids[j].code)


def test_demo_city_loads_and_loading_again_changes_nothing(db):
    from events.models import Event

    out = StringIO()
    call_command("load_demo_city", stdout=out)
    counts = (Area.objects.count(), User.objects.count(), Department.objects.count(), RoleAssignment.objects.count(),
              Event.objects.count())
    paths = list(Area.objects.order_by("code").values_list("code", "path", "updated_at"))

    call_command("load_demo_city", stdout=StringIO())

    assert "60 grids" in out.getvalue() and "city_admin" in out.getvalue()
    assert "Demo events: 8" in out.getvalue()
    assert (Area.objects.count(), User.objects.count(), Department.objects.count(), RoleAssignment.objects.count(),
            Event.objects.count()) == counts
    assert set(Event.objects.values_list("state", flat=True)) == {
        "reported", "accepted", "dispatched", "handling", "handled", "verified", "closed"}
    assert list(Area.objects.order_by("code").values_list("code", "path", "updated_at")) == paths


def test_demo_city_is_realistic(db):
    call_command("load_demo_city", stdout=StringIO())

    levels = {level: Area.objects.filter(level=level).count() for level in AreaLevel.values}
    assert levels["city"] == 1 and levels["district"] == 2 and levels["street"] == 4
    assert levels["community"] == 10 and levels["grid"] == 60 and levels["subgrid"] == 2
    assert Area.objects.filter(grid_type="exclusive").count() == 5
    grids = list(Area.objects.filter(level="grid"))
    assert_no_overlaps(grids)
    assert_no_overlaps(list(Area.objects.filter(level="subgrid")))
    for grid in Area.objects.filter(level__in=GRID_LEVELS):
        found = Area.objects.get(pk=spatial.grid_id_at(lat=grid.label_lat, lon=grid.label_lon))
        # The grid itself, or the second-level grid inside it (the split grid).
        assert found == grid or (grid.numchild and found.path.startswith(grid.path)), grid.code
    for role in Role.values:
        assert RoleAssignment.objects.filter(role=role).exists(), role
    incomplete = [team.grid.code for team in grid_teams(grids) if not team.complete]
    assert incomplete == ["43130200200206", "43132110020106"]
    leping_admin = User.objects.get(username="leping_admin")
    assert {a.code[:9] for a in areas_visible_to(leping_admin)} == {"431302001"}
    assert User.objects.get(username="yuetang_worker").check_password("demo12345")


def _fingerprint(city_code):
    rows = Area.objects.filter(code__startswith=city_code[:4]).order_by("code").values_list("code", "name", "path", "boundary", "households")
    staff = User.objects.filter(username__startswith=f"g{city_code[:4]}_").order_by("username").values_list("username", "full_name")
    return hashlib.sha256(json.dumps([list(rows), list(staff)], ensure_ascii=False, default=str).encode()).hexdigest()


def test_generated_city_is_reproducible_and_well_formed(db):
    call_command("generate_city", "--grids", "150", "--seed", "3", stdout=StringIO())
    first = _fingerprint("439900000000")

    call_command("generate_city", "--grids", "150", "--seed", "3", "--replace", stdout=StringIO())

    assert _fingerprint("439900000000") == first
    grids = list(Area.objects.filter(level="grid"))
    assert len(grids) == 150
    assert_no_overlaps(grids)
    assert Area.objects.filter(level="community").count() == 13  # 12 full blocks of 12 grids and one of 6
    city = Area.objects.get(code="439900000000")
    assert Area.objects.filter(path__startswith=city.path).count() == 1 + 1 + 2 + 13 + 150
    # Tree counters are consistent (what treebeard would compute).
    for area in Area.objects.all():
        assert area.numchild == Area.objects.filter(path__startswith=area.path, depth=area.depth + 1).count()
    sample = grids[::17]
    for grid in sample:
        assert spatial.grid_id_at(lat=grid.label_lat, lon=grid.label_lon) == grid.pk
    worker = User.objects.get(username=f"g4399_w{grids[0].code}")
    assert {a.pk for a in areas_visible_to(worker)} == {grids[0].pk}


def test_a_different_seed_gives_a_different_city(db):
    call_command("generate_city", "--grids", "30", "--seed", "1", stdout=StringIO())
    first = _fingerprint("439900000000")

    call_command("generate_city", "--grids", "30", "--seed", "2", "--replace", stdout=StringIO())

    assert _fingerprint("439900000000") != first


def test_generating_over_an_existing_city_needs_replace(db):
    call_command("generate_city", "--grids", "12", stdout=StringIO())

    with pytest.raises(CommandError, match="exists already"):
        call_command("generate_city", "--grids", "12", stdout=StringIO())


def test_generated_city_next_to_the_demo_city(db):
    call_command("load_demo_city", stdout=StringIO())
    call_command("generate_city", "--grids", "24", "--city-code", "439800000000", stdout=StringIO())

    assert Area.objects.filter(level="city").count() == 2
    assert Area.objects.filter(level="grid").count() == 84
