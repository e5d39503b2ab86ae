"""Point → grid resolution: inside, outside, on edges and vertices, nested grids, and
the index following boundary changes."""

from grids import spatial
from grids.models import Area, BoundaryRevision
from grids.services import area_create, area_update
from tests.conftest import square


def test_point_inside_a_grid_resolves_to_it(tree):
    assert spatial.grid_id_at(lat=27.705, lon=112.005) == tree["G11"].pk
    assert spatial.grid_id_at(lat=27.705, lon=112.015) == tree["G12"].pk
    assert spatial.grid_at(lat=27.405, lon=112.205) == tree["G31"]


def test_point_outside_every_grid_resolves_to_none(tree):
    assert spatial.grid_id_at(lat=27.69, lon=112.005) is None
    assert spatial.grid_id_at(lat=27.705, lon=112.035) is None
    assert spatial.grid_at(lat=0.0, lon=0.0) is None


def test_point_on_a_shared_edge_resolves_to_the_smaller_code_every_time(tree):
    # lon 112.01 is the edge between G11 (…101) and G12 (…102).
    results = {spatial.grid_id_at(lat=27.705, lon=112.01) for _ in range(5)}

    assert results == {tree["G11"].pk}


def test_point_on_a_shared_vertex_is_deterministic(tree):
    assert spatial.grid_id_at(lat=27.70, lon=112.01) == tree["G11"].pk
    assert spatial.grid_id_at(lat=27.71, lon=112.02) == tree["G12"].pk


def test_point_on_the_outer_edge_belongs_to_the_grid(tree):
    assert spatial.grid_id_at(lat=27.70, lon=112.005) == tree["G11"].pk


def test_second_level_grid_wins_over_its_grid(tree):
    sub = area_create(actor=None, parent=tree["G11"], code="4313020010010101", name="二级网格", level="subgrid",
                      boundary=square(112.000, 27.700, 0.005))

    assert spatial.grid_id_at(lat=27.702, lon=112.002) == sub.pk
    assert spatial.grid_id_at(lat=27.708, lon=112.008) == tree["G11"].pk


def test_index_follows_a_boundary_change_made_through_the_service(tree):
    assert spatial.grid_id_at(lat=27.705, lon=112.045) is None

    area_update(actor=None, area=tree["G21"], boundary=square(112.04, 27.70))

    assert spatial.grid_id_at(lat=27.705, lon=112.045) == tree["G21"].pk
    assert spatial.grid_id_at(lat=27.705, lon=112.025) is None


def test_index_follows_a_change_made_by_another_process(tree):
    """Another process changes a boundary and bumps the revision: this process's index
    must notice at its next check (here every lookup: GRID_INDEX_CHECK_SECONDS = 0)."""
    assert spatial.grid_id_at(lat=27.405, lon=112.205) == tree["G31"].pk
    Area.objects.filter(pk=tree["G31"].pk).update(boundary=square(112.30, 27.40))
    BoundaryRevision.objects.filter(pk=1).update(token="changed-by-another-process")

    assert spatial.grid_id_at(lat=27.405, lon=112.205) is None
    assert spatial.grid_id_at(lat=27.405, lon=112.305) == tree["G31"].pk


def test_no_grids_resolves_to_none(db):
    spatial.invalidate()

    assert spatial.grid_id_at(lat=27.7, lon=112.0) is None
