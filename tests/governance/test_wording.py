"""Chinese wording that collided or read badly (issue 21): the admin's 修改 links and
greeting by name, the postponement's time unit, full-width colons."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.fixture
def chinese():
    return Client(headers={"accept-language": "zh-hans"})


def test_the_admin_says_修改_and_greets_the_person_by_name(chinese, cast):
    admin = cast["admin"]
    admin.full_name = "刘建国"
    admin.save(update_fields=["full_name"])
    chinese.force_login(admin)

    html = chinese.get(reverse("admin:index")).content.decode()

    assert "刘建国" in html and "变化" not in html
    assert "修改" in html


def test_the_postponement_unit_is_a_time_unit_and_colons_are_full_width(chinese, cast, file, walk):
    event = walk(file(), "handling")
    chinese.force_login(cast["handler"])

    html = chinese.get(reverse("events:detail", args=[event.pk])).content.decode()

    assert "时间单位" in html and "考核对象" not in html
    chinese.force_login(cast["dispatcher"])
    html = chinese.get(reverse("grids:team_list")).content.decode()
    assert "配置模式：" in html and "配置模式:" not in html


def test_an_administrators_home_points_at_their_tasks(chinese, tree, make_user):
    from accounts.models import Role

    admin = make_user(Role.ADMIN, area=tree["S1"], username="s1_admin")
    chinese.force_login(admin)

    home = chinese.get(reverse("home"))

    tasks = home.context["panels"]["admin"]
    # G12 has 610 households and 1700 people (over 500 / 1500); no grid of S1 has a team.
    assert [grid["code"] for grid in tasks["oversize"]] == ["43130200100102"]
    assert tasks["incomplete_teams"] == 2
    html = home.content.decode()
    assert f'{reverse("grids:team_list")}?incomplete=1' in html and "超出规模标准的网格" in html
