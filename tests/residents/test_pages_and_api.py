"""Pages and API: each answers 404 for an object outside the user's scope; search,
notice board, import upload with progress and error report, template."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from residents.imports import HEADERS, resident_import_start
from residents.models import Building, ResidentImport, Unit
from tests.residents.conftest import row
from tests.residents.factories import ResidentFactory, RoomFactory, id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def outsider_objects(tree, staff, write_csv):
    """A resident, building and import that belong to G21 / its worker."""
    resident = ResidentFactory(grid=tree["G21"], name="花山人")
    building = Building.objects.create(grid=tree["G21"], name="9栋")
    path = write_csv([row(name="某", id_number="bad", grid="43130200200101")])
    with open(path, "rb") as handle:
        job = resident_import_start(actor=staff["other_worker"], upload=SimpleUploadedFile("x.csv", handle.read()), name="x.csv")
    return {"resident": resident, "building": building, "import": job}


@pytest.mark.parametrize(("method", "url"), [
    ("get", lambda o: reverse("residents:detail", args=[o["resident"].pk])),
    ("post", lambda o: reverse("residents:detail", args=[o["resident"].pk])),
    ("get", lambda o: reverse("residents:notice_board", args=[o["building"].pk])),
    ("get", lambda o: reverse("residents:import_detail", args=[o["import"].pk])),
    ("get", lambda o: reverse("residents:import_errors", args=[o["import"].pk])),
    ("get", lambda o: f"/api/v1/residents/{o['resident'].pk}/"),
    ("post", lambda o: f"/api/v1/residents/{o['resident'].pk}/reveal/"),
    ("get", lambda o: f"/api/v1/residents/imports/{o['import'].pk}/"),
    ("get", lambda o: f"/api/v1/residents/imports/{o['import'].pk}/errors/"),
], ids=["detail", "reveal-page", "board", "import", "import-errors", "api-detail", "api-reveal", "api-import", "api-import-errors"])
def test_out_of_scope_objects_are_not_found(client, staff, outsider_objects, method, url):
    client.force_login(staff["worker"])

    response = getattr(client, method)(url(outsider_objects), {"field": "phone", "reason": "x"} if method == "post" else None)

    assert response.status_code == 404
    assert "花山人" not in response.content.decode(errors="ignore")


def test_the_owner_sees_their_import_and_its_errors(client, staff, outsider_objects):
    client.force_login(staff["other_worker"])
    job = outsider_objects["import"]

    assert client.get(reverse("residents:import_detail", args=[job.pk])).status_code == 200
    assert client.get(reverse("residents:import_errors", args=[job.pk])).status_code == 200
    assert client.get(f"/api/v1/residents/imports/{job.pk}/errors/").status_code == 200


def test_lists_and_search_hold_only_the_scope(client, staff, outsider_objects, tree):
    ResidentFactory(grid=tree["G12"], name="花山同名")
    client.force_login(staff["worker"])

    names = [r["name"] for r in client.get("/api/v1/residents/").json()["results"]]
    page = client.get(reverse("residents:search"), {"q": "花山"}).content.decode()

    assert names == ["花山同名"]
    assert "花山同名" in page and "花山人" not in page


def test_search_finds_by_name_id_and_phone_with_the_people_responsible(client, staff, tree):
    room = RoomFactory(unit=Unit.objects.create(building=Building.objects.create(grid=tree["G12"], name="3栋"), name="1单元"),
                       number="301")
    ResidentFactory(grid=tree["G12"], room=room, name="王秀英", number="11010519491231002X", phone="13800138000")
    client.force_login(staff["admin"])

    for query in ("王秀", "秀英", "11010519491231002x", "138 0013 8000"):
        html = client.get(reverse("residents:search"), {"q": query}).content.decode()
        assert "王秀英" in html, query
        assert "3栋" in html and "301" in html and "月塘第2网格" in html
        assert "张伟" in html and "孙海" in html  # grid worker, grid police
    assert "王秀英" not in client.get(reverse("residents:search"), {"q": "13800138001"}).content.decode()
    # The API's q finds the same ways.
    for query in ("秀英", "11010519491231002X", "13800138000"):
        found = client.get("/api/v1/residents/", {"q": query}).json()["results"]
        assert [row["name"] for row in found] == ["王秀英"], query


def test_search_takes_a_fixed_number_of_queries(staff, tree):
    from accounts.scoping import forget_scope
    from residents.selectors import resident_search

    ResidentFactory(grid=tree["G12"], name="李一")
    with CaptureQueriesContext(connection) as one:
        assert len(resident_search(staff["admin"], "李")) == 1
    for n in range(30):
        ResidentFactory(grid=tree["G12" if n % 2 else "G11"], name=f"李{n}")
    forget_scope(staff["admin"])
    with CaptureQueriesContext(connection) as many:
        assert len(resident_search(staff["admin"], "李")) == 31

    # The user's scope (computed once per request), the residents, the grids' staff.
    assert len(many.captured_queries) == len(one.captured_queries) <= 6


def test_the_resident_list_endpoint_query_count_does_not_grow(client, staff, tree):
    client.force_login(staff["admin"])
    for _n in range(5):
        ResidentFactory(grid=tree["G12"], room=RoomFactory(unit__building__grid=tree["G12"]))
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/residents/")
    for _n in range(20):
        ResidentFactory(grid=tree["G12"], room=RoomFactory(unit__building__grid=tree["G12"]))
    with CaptureQueriesContext(connection) as large:
        response = client.get("/api/v1/residents/")

    assert len(response.json()["results"]) == 25
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_notice_board_lists_who_answers_for_a_building(client, staff, tree, make_user):
    leader = make_user(Role.GRID_LEADER, area=tree["C1"], username="yuetang_leader", full_name="李秀英")
    building = Building.objects.create(grid=tree["G12"], name="3栋", leader_name="赵桂兰", leader_phone="13900000003")
    Unit.objects.create(building=building, name="1单元", leader=staff["parttime"], leader_phone="13900000004")
    client.force_login(staff["worker"])

    html = client.get(reverse("residents:notice_board", args=[building.pk])).content.decode()

    for text in ("赵桂兰", "13900000003", "1单元", "13900000004", leader.full_name, "张伟", "孙海", "吴芳"):
        assert text in html


def test_reveal_through_the_page_and_the_api(client, staff, tree):
    resident = ResidentFactory(grid=tree["G12"], number="11010519491231002X")
    client.force_login(staff["police"])

    page = client.post(reverse("residents:detail", args=[resident.pk]), {"field": "id_number", "reason": "核查"})
    api = client.post(f"/api/v1/residents/{resident.pk}/reveal/", {"field": "phone", "reason": "联系"})
    no_reason = client.post(f"/api/v1/residents/{resident.pk}/reveal/", {"field": "phone", "reason": ""})

    assert "11010519491231002X" in page.content.decode() and page["Cache-Control"] == "no-store"
    assert api.status_code == 200 and api.json()["value"].startswith("138")
    assert no_reason.status_code == 400
    client.force_login(staff["parttime"])
    assert client.post(f"/api/v1/residents/{resident.pk}/reveal/", {"field": "phone", "reason": "x"}).status_code == 403


def test_upload_through_the_page_shows_progress_and_errors_in_the_users_language(client, staff, write_csv):
    path = write_csv([row(name="王", id_number=id_number(sequence=1), grid="43130200100102"),
                      row(name="坏", id_number="110105194912310021", grid="43130200100102")])
    client.force_login(staff["worker"])

    response = client.post(reverse("residents:import_list"), {"file": SimpleUploadedFile("名单.csv", path.read_bytes())})

    job = ResidentImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("residents:import_detail", args=[job.pk])
    html = client.get(response["Location"]).content.decode()
    assert "校验码错误" in html and reverse("residents:import_errors", args=[job.pk]) in html
    assert (job.created, job.errors) == (1, 1)


def test_upload_through_the_api_reports_progress(client, staff, write_xlsx):
    path = write_xlsx([row(name="王", id_number=id_number(sequence=1), grid="43130200100102")])
    client.force_login(staff["worker"])

    created = client.post("/api/v1/residents/imports/", {"file": SimpleUploadedFile("a.xlsx", path.read_bytes())})
    progress = client.get(f"/api/v1/residents/imports/{created.json()['id']}/")

    assert created.status_code == 201
    assert progress.json()["status"] == "done" and progress.json()["progress"] == 100 and progress.json()["created"] == 1


def test_the_blank_template_has_the_import_headers(client, staff):
    client.force_login(staff["worker"])

    response = client.get(reverse("residents:import_template"))

    sheet = load_workbook(__import__("io").BytesIO(response.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADERS


def test_overdue_visits_page_lists_per_grid_and_worker(client, staff, tree):
    from residents.services import resident_tag_add

    resident = ResidentFactory(grid=tree["G12"])
    resident_tag_add(actor=staff["worker"], resident=resident, group="community_correction", since=datetime.date(2020, 1, 1))
    client.force_login(staff["admin"])

    html = client.get(reverse("residents:overdue")).content.decode()

    assert "月塘第2网格" in html and "张伟" in html


def test_pages_need_a_login(client):
    assert client.get(reverse("residents:search")).status_code == 302
    assert client.get("/api/v1/residents/").status_code == 401  # no credentials: 401 with WWW-Authenticate (docs/api.md)
