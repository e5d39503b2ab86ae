"""Login, home, team and area pages: Chinese by default, scoped, 404 out of scope."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Role


@pytest.fixture
def chinese():
    with translation.override("zh-hans"):
        yield


def test_login_page_is_in_chinese_by_default(client, db, chinese):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "登录" in text and "用户名" in text and "网格化服务管理平台" in text


def test_english_is_available(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    response = client.get(reverse("login"), headers={"accept-language": "en"})

    assert "Log in" in response.content.decode()


def test_home_needs_login(client, db):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_then_home_shows_my_roles_and_scope(client, tree, make_user, chinese):
    make_user(Role.DISPATCHER, area=tree["S1"], username="disp", password="pass-12345")

    response = client.post(reverse("login"), {"username": "disp", "password": "pass-12345"}, follow=True)

    text = response.content.decode()
    assert "指挥中心坐席" in text and "乐坪街道" in text
    assert response.context["grid_count"] == 2
    assert response.context["area_count"] == 4


def test_wrong_password_gets_a_readable_error(client, db, make_user, chinese):
    make_user(username="someone", password="pass-12345")

    response = client.post(reverse("login"), {"username": "someone", "password": "wrong"})

    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_team_page_lists_only_grids_in_scope_with_status(client, tree, make_user, chinese):
    leader = make_user(Role.GRID_LEADER, area=tree["C1"], username="leader")
    make_user(Role.GRID_WORKER, area=tree["G11"], username="worker")
    client.force_login(leader)

    response = client.get(reverse("grids:team_list"))

    teams = {team.grid.code: team for team in response.context["page"]}
    assert set(teams) == {"43130200100101", "43130200100102"}
    assert teams["43130200100101"].complete
    assert teams["43130200100102"].missing == [Role.GRID_WORKER]
    assert "缺" in response.content.decode()

    incomplete = client.get(reverse("grids:team_list"), {"incomplete": "1"})
    assert [team.grid.code for team in incomplete.context["page"]] == ["43130200100102"]


def test_area_page_in_scope_shows_the_grid(client, tree, make_user):
    worker = make_user(Role.GRID_WORKER, area=tree["G12"])
    client.force_login(worker)

    response = client.get(reverse("grids:area_detail", args=[tree["G12"].pk]))

    assert response.status_code == 200
    assert "610 户，超过上限 500 户" in response.content.decode()


def test_area_page_out_of_scope_is_404_like_a_missing_one(client, tree, make_user):
    worker = make_user(Role.GRID_WORKER, area=tree["G11"])
    client.force_login(worker)

    forbidden = client.get(reverse("grids:area_detail", args=[tree["G21"].pk]))
    missing = client.get(reverse("grids:area_detail", args=[999999]))

    assert forbidden.status_code == missing.status_code == 404


def test_team_page_of_a_user_without_an_area_is_refused(client, tree, make_user):
    """No area, no teams to show: a 403 that says why instead of an empty page."""
    client.force_login(make_user())

    response = client.get(reverse("grids:team_list"))

    assert response.status_code == 403
