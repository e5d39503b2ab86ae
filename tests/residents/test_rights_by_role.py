"""The residents pages offer each role only what it may use: import, export and care
visits links appear by right, a hidden link answers 403 when followed, and staff of
departments only (no area) get a 403 that says why instead of empty pages."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role

IMPORT, EXPORT, VISITS = "/residents/imports/", "/residents/export/", "/residents/visits/"
# role → (import, export, care visits)
RIGHTS = {
    "worker": (True, True, True),
    "grid_leader": (True, True, True),
    "parttime": (False, False, True),
    "police": (False, True, False),
    "doctor": (False, False, False),
    "leader": (False, True, False),
    "admin": (True, True, False),
    "dispatcher": (False, False, False),
}


@pytest.fixture
def everyone(staff, tree, make_user, departments):
    return {
        **staff,
        "grid_leader": make_user(Role.GRID_LEADER, area=tree["C1"], username="yuetang_leader"),
        "dispatcher": make_user(Role.DISPATCHER, area=tree["S1"], username="leping_dispatcher"),
        "handler": make_user(Role.DEPT_HANDLER, department=departments["S1_cg"], username="leping_cgzd"),
        "dept_admin": make_user(Role.DEPT_ADMIN, department=departments["S1_cg"], username="leping_cgzd_admin"),
    }


def signed_in(user) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(RIGHTS))
def test_links_by_right_and_hidden_links_refused(everyone, role):
    client = signed_in(everyone[role])
    for url in (reverse("residents:search"), reverse("residents:my_grid"), reverse("residents:overdue")):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        for link, allowed in zip((IMPORT, EXPORT, VISITS), RIGHTS[role], strict=True):
            assert (f'href="{link}"' in html) == allowed, (url, link)
    for link, allowed in zip((IMPORT, EXPORT, VISITS), RIGHTS[role], strict=True):
        if not allowed:
            assert client.get(link).status_code == 403, link
            assert client.get(reverse("residents:import_template")).status_code == (200 if RIGHTS[role][0] else 403)
        else:
            assert client.get(link).status_code == 200, link


@pytest.mark.django_db
def test_the_search_page_says_what_and_where_it_searches(everyone, tree):
    html = signed_in(everyone["leader"]).get(reverse("residents:search")).content.decode()
    assert 'id="search-help"' in html and tree["S1"].name in html


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["handler", "dept_admin"])
def test_department_staff_are_told_the_residents_pages_are_not_theirs(everyone, role, tree):
    from residents.models import Building

    building = Building.objects.create(grid=tree["G12"], name="1栋")
    client = signed_in(everyone[role])
    home = client.get("/").content.decode()
    for link in ("/residents/", "/grids/teams/"):
        assert f'href="{link}"' not in home
    urls = [reverse("residents:search"), reverse("residents:my_grid"), reverse("residents:overdue"), VISITS, IMPORT,
            EXPORT, reverse("residents:import_template"), reverse("residents:notice_board", args=[building.pk]),
            reverse("grids:team_list")]
    for url in urls:
        page = client.get(url)
        assert page.status_code == 403, url
        assert "your roles are in departments" in page.content.decode(), url
    assert "department queue" in client.get(reverse("residents:search")).content.decode()
