"""The number of queries of each list endpoint is pinned, and does not grow with the
number of rows: an N+1 regression fails here."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from residents.models import KeyPlace
from tests.residents.factories import ResidentFactory, RoomFactory

pytestmark = pytest.mark.django_db

# Each list: the address's lockout check (django-axes), the key lookup, the user's scope (role assignments; their groups; guardian
# grants to the user and, if they are in any, their groups), then the page itself (plus one per prefetched relation).
PINNED = {
    "/api/v1/areas/": 7,
    "/api/v1/grids/": 7,
    "/api/v1/departments/": 7,
    "/api/v1/role-assignments/": 7,
    "/api/v1/buildings/": 7,
    "/api/v1/housing-units/": 7,
    "/api/v1/key-places/": 7,
    "/api/v1/categories/": 3,
    "/api/v1/sla-policies/": 4,
    "/api/v1/events/": 8,  # + which named duplicates the user may see (one query per page)
    "/api/v1/notifications/": 3,
    "/api/v1/residents/": 7,
}


def _add_rows(tree, file, make_user, count, offset):
    for index in range(count):
        file()
        room = RoomFactory(unit__building__grid=tree["G11"])
        ResidentFactory(grid=tree["G11"], room=room, household=None)
        KeyPlace.objects.create(grid=tree["G11"], name=f"场所{offset + index}", kind="market")
        make_user(Role.PARTTIME_WORKER, area=tree["G11"])


def _count(http, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = http.get(url)
    assert response.status_code == 200, response.json()
    return len(queries), len(response.json()["results"])


@pytest.fixture
def admin_http(as_user, cast, tree, make_user):
    from accounts.services import role_grant

    admin = make_user(Role.ADMIN, area=tree["S1"], username="s1_admin")
    role_grant(actor=None, user=admin, role=Role.DISPATCHER, area=tree["S1"])  # receives the new-case notifications
    return as_user(admin)


def test_list_endpoints_have_a_fixed_number_of_queries(admin_http, tree, file, make_user, cast):
    _add_rows(tree, file, make_user, 2, 0)
    admin_http.get("/api/v1/categories/")  # the first request records the key's use
    few = {url: _count(admin_http, url) for url in PINNED}
    _add_rows(tree, file, make_user, 4, 10)
    many = {url: _count(admin_http, url) for url in PINNED}
    growing = [url for url in PINNED if url not in ("/api/v1/areas/", "/api/v1/grids/", "/api/v1/departments/",
                                                    "/api/v1/categories/", "/api/v1/sla-policies/")]
    assert all(many[url][1] > few[url][1] > 1 for url in growing), (few, many)
    assert all(many[url][1] > 1 for url in PINNED)
    assert {url: counts[0] for url, counts in many.items()} == PINNED
