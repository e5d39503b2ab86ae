from accounts.models import Role
from accounts.selectors import grid_teams
from grids.models import Grid


def test_team_is_complete_with_leader_on_the_community_and_worker_on_the_grid(tree, make_user):
    make_user(Role.GRID_LEADER, area=tree["C1"], full_name="李秀英")
    make_user(Role.GRID_WORKER, area=tree["G11"], full_name="张伟")
    make_user(Role.PARTTIME_WORKER, area=tree["G11"])

    teams = {team.grid.code: team for team in grid_teams([tree["G11"], tree["G12"]])}

    assert teams["43130200100101"].complete
    assert [m.name for m in teams["43130200100101"].members_with_role(Role.GRID_LEADER)] == ["李秀英"]
    assert teams["43130200100101"].members_with_role(Role.GRID_LEADER)[0].inherited
    assert teams["43130200100102"].missing == [Role.GRID_WORKER]


def test_a_grid_without_leader_is_incomplete(tree, make_user):
    make_user(Role.GRID_WORKER, area=tree["G21"])

    (team,) = grid_teams([tree["G21"]])

    assert team.missing == [Role.GRID_LEADER]
    assert not team.complete


def test_team_model_is_configurable(tree, make_user, settings):
    settings.GRID_TEAM_MODEL = "1+3+N"
    make_user(Role.GRID_LEADER, area=tree["G31"])
    make_user(Role.GRID_WORKER, area=tree["G31"])

    (team,) = grid_teams([tree["G31"]])

    assert team.missing == [Role.LIAISON, Role.LEGAL]


def test_teams_of_many_grids_take_two_queries(tree, make_user, django_assert_num_queries):
    for grid in ("G11", "G12", "G21", "G31"):
        make_user(Role.GRID_WORKER, area=tree[grid])
    grids = list(Grid.objects.all())

    with django_assert_num_queries(2):
        teams = grid_teams(grids)

    assert len(teams) == 4


def test_second_level_grid_is_led_by_the_leader_of_its_grid_or_community(tree, make_user):
    from grids.services import area_create
    from tests.conftest import square

    sub = area_create(actor=None, parent=tree["G11"], code="4313020010010101", name="二级网格", level="subgrid",
                      boundary=square(112.0, 27.7, 0.005))
    make_user(Role.GRID_LEADER, area=tree["C1"], full_name="社区网格长")
    make_user(Role.GRID_WORKER, area=sub)

    (team,) = grid_teams([sub])

    assert team.complete
    assert [m.name for m in team.members_with_role(Role.GRID_LEADER)] == ["社区网格长"]
