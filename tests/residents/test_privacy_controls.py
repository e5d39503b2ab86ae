"""Issue 13: the exact-search budget and its log, need-to-know special-group tags on every
surface, who may import (command, page, API), and import files at rest (encrypted,
0600, downloads logged, purged after the retention)."""

import datetime
import os
import stat
import time

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from residents.models import ImportStatus, PersonalDataAccess, ResidentImport
from residents.services import resident_tag_add
from tests.residents.conftest import row
from tests.residents.factories import ResidentFactory

pytestmark = pytest.mark.django_db
NUMBER = "11010519491231002X"


# --- The exact-search budget ------------------------------------------------------------------


def test_exact_searches_are_logged_and_budgeted_name_search_is_free(client, staff, tree, settings):
    settings.RESIDENT_EXACT_SEARCH_BUDGET = 3
    ResidentFactory(grid=tree["G12"], name="王秀英", number=NUMBER, phone="13800138000")
    client.force_login(staff["doctor"])

    found = client.get(reverse("residents:search"), {"q": NUMBER})
    missed = client.get(reverse("residents:search"), {"q": "13800138001"})
    client.get(reverse("residents:search"), {"q": "138 0013 8000"})
    refused = client.get(reverse("residents:search"), {"q": NUMBER})
    for _ in range(5):
        by_name = client.get(reverse("residents:search"), {"q": "王"})

    assert found.status_code == 200 and "王秀英" in found.content.decode()
    assert missed.status_code == 200 and "王秀英" not in missed.content.decode()
    assert refused.status_code == 429 and "王秀英" not in refused.content.decode()
    assert "已按身份证号或电话查询 3 次" in refused.content.decode()
    assert by_name.status_code == 200 and "王秀英" in by_name.content.decode()
    log = list(PersonalDataAccess.objects.filter(actor=staff["doctor"]).order_by("id").values_list("action", "field", "row_count"))
    assert log == [("search", "id_number", 1), ("search", "phone", 0), ("search", "phone", 1), ("refused", "id_number", None)]


def test_the_api_q_spends_the_same_budget_and_log(client, staff, tree, settings):
    """Issue 21's API ``q`` finds by exact ID number and phone too: those searches count
    against the same budget as the page's and are logged; a name search stays free."""
    settings.RESIDENT_EXACT_SEARCH_BUDGET = 2
    ResidentFactory(grid=tree["G12"], name="王秀英", number=NUMBER, phone="13800138000")
    client.force_login(staff["doctor"])

    by_number = client.get("/api/v1/residents/", {"q": NUMBER})
    page = client.get(reverse("residents:search"), {"q": "138 0013 8000"})
    refused = client.get("/api/v1/residents/", {"q": "13800138000"})
    by_name = client.get("/api/v1/residents/", {"q": "秀英"})

    assert [row["name"] for row in by_number.json()["results"]] == ["王秀英"]
    assert page.status_code == 200 and "王秀英" in page.content.decode()
    assert refused.status_code == 429 and "王秀英" not in refused.content.decode()
    assert refused.json()["code"] == "throttled" and "已按身份证号或电话查询 2 次" in refused.json()["message"]
    assert [row["name"] for row in by_name.json()["results"]] == ["王秀英"]
    log = list(PersonalDataAccess.objects.filter(actor=staff["doctor"]).order_by("id").values_list("action", "field", "row_count"))
    assert log == [("search", "id_number", 1), ("search", "phone", 1), ("refused", "phone", None)]


def test_the_budget_is_per_user_and_per_window(client, staff, tree, settings):
    settings.RESIDENT_EXACT_SEARCH_BUDGET = 1
    settings.RESIDENT_EXACT_SEARCH_WINDOW = 1
    ResidentFactory(grid=tree["G12"], number=NUMBER)
    client.force_login(staff["doctor"])
    client.get(reverse("residents:search"), {"q": NUMBER})
    time.sleep(1.1)
    assert client.get(reverse("residents:search"), {"q": NUMBER}).status_code == 200  # the window moved on
    assert client.get(reverse("residents:search"), {"q": NUMBER}).status_code == 429

    client.force_login(staff["police"])
    assert client.get(reverse("residents:search"), {"q": NUMBER}).status_code == 200


def test_administrators_find_refusals_in_the_access_log(client, staff, tree, settings, django_user_model, make_user):
    settings.RESIDENT_EXACT_SEARCH_BUDGET = 0
    client.force_login(staff["parttime"])
    client.get(reverse("residents:search"), {"q": "13800138000"})
    superuser = django_user_model.objects.create_superuser("root", password="pass-12345")
    for admin, sees in ((superuser, True), (staff["admin"], True), (make_user(Role.ADMIN, area=tree["S2"]), False)):
        client.force_login(admin)
        page = client.get("/admin/residents/personaldataaccess/", {"action__exact": "refused"})
        assert page.status_code == 200 and ("yuetang_parttime" in page.content.decode()) is sees


# --- Need-to-know special groups -----------------------------------------------------------------


@pytest.fixture
def tagged(tree, staff):
    drug = ResidentFactory(grid=tree["G12"], name="周强")
    elderly = ResidentFactory(grid=tree["G12"], name="王奶奶")
    since = datetime.date(2024, 1, 1)  # both visits long overdue: on the home cards too
    resident_tag_add(actor=staff["worker"], resident=drug, group="drug_user", since=since)
    resident_tag_add(actor=staff["worker"], resident=elderly, group="elderly_alone", since=since)
    return drug, elderly


def _surfaces(client, resident) -> str:
    pages = [reverse("residents:detail", args=[resident.pk]), reverse("residents:visits"), reverse("residents:overdue"), "/"]
    return "".join(client.get(url).content.decode() for url in pages)


@pytest.mark.parametrize(("role", "sees_drug", "sees_elderly"), [
    ("worker", True, True), ("police", True, True), ("admin", True, True),
    ("doctor", False, True), ("parttime", False, True), ("leader", False, False),
])
def test_special_group_tags_follow_need_to_know_on_every_page(client, staff, tagged, role, sees_drug, sees_elderly):
    from residents.selectors import care_tags_to_visit, overdue_tags

    drug, elderly = tagged
    client.force_login(staff[role])

    drug_pages, elderly_pages = _surfaces(client, drug), _surfaces(client, elderly)
    tags = {tag.group for tag in care_tags_to_visit(staff[role])}
    overdue = {tag.group for tag in overdue_tags(staff[role], today=timezone.localdate())}

    assert ("吸毒人员" in drug_pages) is sees_drug
    assert ("独居/空巢老人" in elderly_pages) is sees_elderly
    assert tags == overdue == {g for g, seen in (("drug_user", sees_drug), ("elderly_alone", sees_elderly)) if seen}


def test_a_city_configures_who_sees_which_group(client, staff, tagged, settings):
    settings.SPECIAL_GROUP_ROLES = {"drug_user": ["police"], "elderly_alone": ["grid_worker", "police", "doctor", "leader"]}
    drug, elderly = tagged

    client.force_login(staff["worker"])
    assert "吸毒人员" not in _surfaces(client, drug)
    client.force_login(staff["leader"])
    assert "独居/空巢老人" in _surfaces(client, elderly)
    client.force_login(staff["police"])
    assert "吸毒人员" in _surfaces(client, drug)


# --- Who may import ------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "allowed"), [("worker", True), ("admin", True), ("doctor", False), ("parttime", False),
                                               ("leader", False), ("police", False)])
def test_import_is_a_permission_of_roles_on_the_page_the_api_and_the_command(client, staff, write_csv, role, allowed):
    path = write_csv([row(name="新人", id_number=NUMBER, grid="43130200100102")])
    client.force_login(staff[role])

    with path.open("rb") as handle:
        page = client.post(reverse("residents:import_list"), {"file": handle})
    with path.open("rb") as handle:
        api = client.post("/api/v1/residents/imports/", {"file": handle})
    if allowed:
        assert page.status_code == 302 and api.status_code == 201
        call_command("import_residents", str(path), "--user", staff[role].username)
    else:
        assert page.status_code == 403 and "您的角色无权导入实有人口" in page.content.decode()
        assert api.status_code == 403
        with pytest.raises(CommandError):
            call_command("import_residents", str(path), "--user", staff[role].username)
        assert not ResidentImport.objects.exists()


def test_a_city_adds_an_importing_role(staff, write_csv, settings):
    settings.RESIDENT_IMPORT_ROLES = ["admin", "grid_leader", "grid_worker", "parttime_worker"]
    path = write_csv([row(name="新人", id_number=NUMBER, grid="43130200100102")])
    call_command("import_residents", str(path), "--user", staff["parttime"].username)
    assert ResidentImport.objects.get().created == 1


# --- Import files at rest ---------------------------------------------------------------------------


def _import(client, user, path):
    client.force_login(user)
    with path.open("rb") as handle:
        client.post(reverse("residents:import_list"), {"file": handle})
    return ResidentImport.objects.latest("id")


def test_import_files_and_error_reports_are_encrypted_private_and_their_downloads_logged(client, staff, write_csv, make_user, tree):
    path = write_csv([row(name="好人", id_number=NUMBER, grid="43130200100102", phone="13800138000"),
                      row(name="坏人", id_number="110105194912310021", grid="43130200100102", phone="13912345678")])
    job = _import(client, staff["worker"], path)
    assert job.status == ImportStatus.DONE and (job.created, job.errors) == (1, 1)

    for stored in (job.file, job.error_file):
        raw = open(stored.path, "rb").read()
        assert raw.startswith(b"GOVENC1")
        assert b"13800138000" not in raw and b"13912345678" not in raw and NUMBER.encode() not in raw
        assert stat.S_IMODE(os.stat(stored.path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(stored.path)).st_mode) == 0o700

    download = client.get(reverse("residents:import_errors", args=[job.pk]))
    api = client.get(f"/api/v1/residents/imports/{job.pk}/errors/")
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"
    assert api.status_code == 200
    assert PersonalDataAccess.objects.filter(action="download", actor=staff["worker"]).count() == 2

    # Only the importer and the administrators above them read it.
    client.force_login(staff["other_worker"])
    assert client.get(reverse("residents:import_errors", args=[job.pk])).status_code == 404
    client.force_login(staff["doctor"])
    assert client.get(f"/api/v1/residents/imports/{job.pk}/errors/").status_code == 404
    client.force_login(staff["admin"])
    assert client.get(reverse("residents:import_errors", args=[job.pk])).status_code == 200
    client.force_login(make_user(Role.ADMIN, area=tree["S2"]))
    assert client.get(reverse("residents:import_errors", args=[job.pk])).status_code == 404


def test_retention_deletes_the_files_and_keeps_the_record_and_the_log(client, staff, write_csv, settings):
    from residents.tasks import resident_files_purge_task

    settings.RESIDENT_FILE_RETENTION_DAYS = 30
    old = _import(client, staff["worker"], write_csv([row(name="甲", id_number="110105194912310021", grid="43130200100102")]))
    client.get(reverse("residents:import_errors", args=[old.pk]))
    new = _import(client, staff["worker"], write_csv([row(name="乙", id_number=NUMBER, grid="43130200100102")], name="n.csv"))
    ResidentImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=31))
    paths = [old.file.path, old.error_file.path]

    assert resident_files_purge_task() == 1
    assert resident_files_purge_task() == 0  # twice is harmless

    old.refresh_from_db()
    new.refresh_from_db()
    assert not any(os.path.exists(p) for p in paths)
    assert not old.file and not old.error_file and old.files_purged_at is not None
    assert (old.rows, old.errors) == (1, 1)  # the record stays
    assert os.path.exists(new.file.path)
    assert PersonalDataAccess.objects.filter(action="download").count() == 1  # and the log
    client.force_login(staff["worker"])
    assert client.get(reverse("residents:import_errors", args=[old.pk])).status_code == 302


def test_a_file_stored_in_clear_before_is_still_read(staff, tree):
    from residents.files import private_storage

    name = private_storage().save("residents/imports/legacy.csv", ContentFile("姓名\n".encode()))
    os.chmod(private_storage().path(name), 0o644)
    with open(private_storage().path(name), "wb") as handle:
        handle.write(b"clear")
    assert private_storage().open(name).read() == b"clear"
