"""An import changes only what its file says (review 14). A list of names, ID numbers and
grids imported over people already recorded keeps their phones, housing, types and
dates — a column the file does not have is left as stored, an empty cell of a column it
has clears the value. Key places likewise; and a place spelled with full-width brackets
or other spaces is the place already there; a grid named by its name; Excel's numbers
in a grid code or phone get Excel's reason. A key places ledger goes through the import
page and the API as a residents file does."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from grids.models import Area
from residents.imports import import_file
from residents.models import KeyPlace, ResidenceType, Resident, ResidentImport
from tests.residents.conftest import row
from tests.residents.factories import id_number
from tests.residents.test_imports import ID1, ID2, start

GRID = "43130200100102"
NEW_ID = id_number(sequence=7)
FULL = [
    row(name="王秀英", id_number=ID1, phone="13800130000", ethnicity="回族", residence_type="流动", address="湖南省娄底市",
        grid=GRID, building="3栋", unit="1单元", room="301", household="H301", relation="户主", moved_in_on="2020-05-01"),
    row(name="李强", id_number=ID2, phone="0738-8312345", ethnicity="汉族", residence_type="寄住", address="广东省",
        grid=GRID, building="3栋", unit="1单元", room="302", household="H302", relation="户主", moved_in_on="2021-06-01"),
]


def stored() -> dict:
    return {person.name: (person.phone_mask, person.phone_hash, person.ethnicity, person.residence_type,
                          person.registered_address, person.room_id, person.household_id, person.relation_to_head,
                          person.moved_in_on)
            for person in Resident.objects.all()}


@pytest.mark.django_db
def test_a_list_of_names_and_ids_keeps_what_it_does_not_mention(staff, write_csv):
    import_file(actor=staff["worker"], path=write_csv(FULL, name="full.csv"))
    before = stored()
    assert before["王秀英"][0] and before["王秀英"][5] is not None and before["王秀英"][3] == ResidenceType.FLOATING

    roster = write_csv([["王秀英", ID1, GRID], ["李强", ID2, GRID], ["赵六", NEW_ID, GRID]],
                       headers=["姓名", "公民身份号码", "网格编码"], name="roster.csv")
    result, _report = import_file(actor=staff["worker"], path=roster)

    assert (result.created, result.updated, result.unchanged, result.errors) == (1, 0, 2, 0), result.error_sample
    after = stored()
    assert {name: after[name] for name in before} == before
    assert (after["赵六"][0], after["赵六"][3], after["赵六"][5]) == ("", ResidenceType.REGISTERED, None)  # the defaults


@pytest.mark.django_db
def test_a_column_the_file_has_changes_and_an_empty_cell_clears(staff, write_csv):
    import_file(actor=staff["worker"], path=write_csv(FULL, name="full.csv"))
    before = stored()

    changed = write_csv([["王秀英", ID1, GRID, ""], ["李强", ID2, GRID, "13900139000"]],
                        headers=["姓名", "公民身份号码", "网格编码", "联系电话"], name="phones.csv")
    result, _report = import_file(actor=staff["worker"], path=changed)

    assert (result.updated, result.unchanged) == (2, 0)
    after = stored()
    assert after["王秀英"][0] == "" and after["李强"][0] != before["李强"][0]
    assert [value[2:] for value in after.values()] == [value[2:] for value in before.values()]  # the rest as stored


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_writing_threads_keep_the_same_columns(staff, write_csv, settings):
    settings.RESIDENT_IMPORT_BATCH = 1
    start(staff["worker"], write_csv(FULL, name="full.csv"))
    before = stored()

    job = start(staff["worker"], write_csv([["王秀英", ID1, GRID, "3栋"], ["李强", ID2, GRID, "3栋"]],
                                           headers=["姓名", "公民身份号码", "网格编码", "楼栋"], name="buildings.csv"))

    # A building without 房号 names no room: the people stay in theirs, everything as stored.
    assert (job.updated, job.unchanged, job.errors) == (0, 2, 0), job.error_sample
    assert stored() == before

    job = start(staff["worker"], write_csv([["王秀英", ID1, GRID, "3栋", "1单元", ""], ["李强", ID2, GRID, "3栋", "1单元", "401"]],
                                           headers=["姓名", "公民身份号码", "网格编码", "楼栋", "单元", "房号"], name="rooms.csv"))

    assert (job.updated, job.unchanged, job.errors) == (2, 0, 0), job.error_sample
    after = stored()
    assert after["王秀英"][5] is None and after["李强"][5] not in (None, before["李强"][5])  # 房号 emptied, changed
    assert {name: value[:5] + value[6:] for name, value in after.items()} == \
        {name: value[:5] + value[6:] for name, value in before.items()}


def places(tmp_path, rows, name="places.csv", user="yuetang_worker") -> str:
    file = tmp_path / name
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    file.write_text(buffer.getvalue(), encoding="utf-8-sig")
    out = io.StringIO()
    call_command("import_key_places", str(file), "--user", user, "--language", "en", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_key_places_a_file_without_contacts_keeps_them_and_names_match_as_spelled_otherwise(staff, tmp_path):
    places(tmp_path, [["场所名称", "场所类型", "网格编码", "地址", "负责人", "联系电话"],
                            ["月塘 小学（东校区）", "学校", GRID, "月塘路 1 号", "李校长", "0738-8312345"]])
    kept = KeyPlace.objects.values_list("name", "address", "contact_name", "contact_phone").get()

    out = places(tmp_path, [["场所名称", "场所类型", "所属网格"],
                                  ["月塘\u3000小学(东校区)", "学校", "月塘第2网格"],
                                  ["月塘  小学（东校区）", "学校", GRID],
                                  ["月塘 小学（东校区）", "学校", GRID + ".0"]], name="names.csv")

    assert KeyPlace.objects.values_list("name", "address", "contact_name", "contact_phone").get() == kept
    assert "3 rows: 0 created, 0 updated, 1 unchanged, 2 with errors" in out, out
    reasons = [cells[-1] for cells in load_workbook(tmp_path / "names-errors.xlsx").active.iter_rows(min_row=2, values_only=True)]
    assert reasons[1:] == ["the same place is already in row 2 of this file"] * 2 and "row 3、4" in reasons[0], reasons


@pytest.mark.django_db
def test_key_places_excel_numbers_get_excels_reason(staff, tmp_path):
    out = places(tmp_path, [["场所名称", "场所类型", "网格编码", "联系电话"],
                                  ["月塘加油站", "加油站", "4.31302E+13", ""],
                                  ["月塘市场", "市场", GRID, "1.38001E+10"],
                                  ["月塘医院", "医院", GRID, "13800130000.0"]])

    reasons = [cells[-1] for cells in load_workbook(tmp_path / "places-errors.xlsx").active.iter_rows(min_row=2, values_only=True)]
    assert len(reasons) == 2 and "grid code as a number" in reasons[0] and "phone number as a number" in reasons[1], (out, reasons)
    assert list(KeyPlace.objects.values_list("name", "contact_phone")) == [("月塘医院", "13800130000")]


@pytest.mark.django_db
def test_key_places_round_trip_through_the_page_and_the_api(client, staff, tmp_path):
    """A key places ledger uploaded on the import page like a residents file; its error
    report downloaded, fixed with openpyxl and uploaded through the API: exactly the fixed
    row comes in, the good one stays unchanged."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["场所名称", "类别", "所属网格", "电话"],
                                  ["月塘小学", "学校", GRID, "0738-8312345"],
                                  ["月塘网吧", "网吧", GRID, "1.38001E+10"]])
    client.force_login(staff["worker"])

    response = client.post(reverse("residents:import_list"), {
        "kind": "key_places", "file": SimpleUploadedFile("场所.csv", buffer.getvalue().encode("gbk"))})

    job = ResidentImport.objects.get()
    assert response.status_code == 302, response.content.decode()[:500]
    assert (job.kind, job.status, job.rows, job.created, job.errors) == ("key_places", "done", 2, 1, 1), job.message
    html = client.get(response["Location"]).content.decode()
    assert "重点场所" in html or "key places" in html
    report = load_workbook(io.BytesIO(b"".join(client.get(reverse("residents:import_errors", args=[job.pk])).streaming_content)))
    sheet = report.active
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["场所名称", "类别", "所属网格", "电话"] and sheet.max_row == 2
    sheet.cell(row=2, column=4, value="13800130000")
    fixed = io.BytesIO()
    report.save(fixed)

    again = client.post("/api/v1/residents/imports/", {"kind": "key_places", "file": SimpleUploadedFile("fixed.xlsx", fixed.getvalue())})

    assert again.status_code == 201 and again.json()["kind"] == "key_places"
    assert {key: again.json()[key] for key in ("status", "rows", "created", "updated", "unchanged", "errors")} == {
        "status": "done", "rows": 1, "created": 1, "updated": 0, "unchanged": 0, "errors": 0}
    assert dict(KeyPlace.objects.values_list("name", "contact_phone")) == {"月塘小学": "07388312345", "月塘网吧": "13800130000"}
    assert not Resident.objects.exists()


@pytest.mark.django_db
def test_a_person_moved_to_another_grid_leaves_the_old_grids_room_and_household(staff, tree, write_csv):
    import_file(actor=None, path=write_csv(FULL, name="full.csv"))
    before = stored()

    result, _report = import_file(actor=None, path=write_csv([["王秀英", ID1, tree["G11"].code]],
                                                             headers=["姓名", "公民身份号码", "网格编码"], name="moved.csv"))

    assert (result.updated, result.errors) == (1, 0), result.error_sample
    after = stored()
    assert (after["王秀英"][5], after["王秀英"][6]) == (None, None)  # G12's room and household are not G11's
    assert after["王秀英"][:5] == before["王秀英"][:5] and after["李强"] == before["李强"]
    assert Resident.objects.get(name="王秀英").grid_id == tree["G11"].pk


@pytest.mark.django_db
def test_key_places_spelled_alike_the_exact_name_decides_and_circled_digits_are_not_digits(staff, tmp_path):
    grid = Area.objects.get(code=GRID)
    for name, contact in (("月塘小学（东校区）", "甲"), ("月塘小学(东校区)", "乙"), ("月塘②号工地", "丙")):
        KeyPlace.objects.create(grid=grid, name=name, kind="school", contact_name=contact)  # stored before names were folded

    places(tmp_path, [["场所名称", "场所类型", "网格编码", "负责人"],
                      ["月塘小学(东校区)", "学校", GRID, "丁"], ["月塘2号工地", "工地", GRID, "戊"]], name="second.csv")

    assert dict(KeyPlace.objects.values_list("name", "contact_name")) == {
        "月塘小学（东校区）": "甲", "月塘小学(东校区)": "丁", "月塘②号工地": "丙", "月塘2号工地": "戊"}


@pytest.mark.django_db
def test_the_kind_error_lists_the_words_a_cell_takes_in_any_language(staff, tmp_path):
    places(tmp_path, [["场所名称", "场所类型", "网格编码"], ["月塘小学", "School", GRID]])

    reasons = [cells[-1] for cells in load_workbook(tmp_path / "places-errors.xlsx").active.iter_rows(min_row=2, values_only=True)]
    assert len(reasons) == 1 and "学校、医院" in reasons[0] and "School" not in reasons[0], reasons


@pytest.mark.django_db
def test_a_ledger_uploaded_as_the_other_kind_is_told_which_kind_it_is(client, staff, tmp_path, write_csv):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["场所名称", "场所类型", "网格编码"], ["月塘小学", "学校", GRID]])
    client.force_login(staff["worker"])

    client.post(reverse("residents:import_list"), {"file": SimpleUploadedFile("场所.csv", buffer.getvalue().encode())})
    client.post(reverse("residents:import_list"), {"kind": "key_places",
                                                   "file": SimpleUploadedFile("人口.csv", write_csv(FULL).read_bytes())})

    places_as_residents, residents_as_places = ResidentImport.objects.order_by("pk")
    assert places_as_residents.status == residents_as_places.status == "failed"
    # The page's language, Chinese here.
    assert "此文件像是重点场所台账：请选择“重点场所”" in places_as_residents.message, places_as_residents.message
    assert "此文件像是实有人口台账：请选择“实有人口”" in residents_as_places.message, residents_as_places.message
    assert not KeyPlace.objects.exists() and not Resident.objects.exists()


@pytest.mark.django_db
def test_a_grid_name_two_grids_have_is_refused_saying_so(staff, tree, tmp_path, write_csv):
    Area.objects.filter(pk=tree["G11"].pk).update(name="月塘第2网格")  # G12's name too

    result, _report = import_file(actor=staff["admin"], path=write_csv([["王秀英", ID1, "月塘第2网格"]],
                                                                       headers=["姓名", "公民身份号码", "所属网格"]))
    places(tmp_path, [["场所名称", "场所类型", "所属网格"], ["月塘小学", "学校", "月塘第2网格"]], user="leping_admin")

    assert [error["reason"] for error in result.error_sample] == [
        "more than one grid in your area is named so: write the grid's code"]
    reasons = [cells[-1] for cells in load_workbook(tmp_path / "places-errors.xlsx").active.iter_rows(min_row=2, values_only=True)]
    assert reasons == ["more than one grid in your area is named so: write the grid's code"], reasons


@pytest.mark.django_db
def test_imports_tell_campaigns_which_grids_changed_and_an_unchanged_file_tells_nothing(staff, tree, tmp_path, write_csv):
    from residents.signals import registry_changed

    sent = []

    def receiver(sender, grid_ids, **kwargs):
        sent.append((sender.__name__, grid_ids))

    registry_changed.connect(receiver, dispatch_uid="test-import-registry")
    try:
        import_file(actor=None, path=write_csv(FULL, name="full.csv"))
        import_file(actor=None, path=write_csv(FULL, name="full.csv"))  # unchanged
        import_file(actor=None, path=write_csv([["王秀英", ID1, tree["G11"].code]], headers=["姓名", "公民身份号码", "网格编码"],
                                               name="moved.csv"))
        places(tmp_path, [["场所名称", "场所类型", "网格编码"], ["月塘小学", "学校", GRID]])
        places(tmp_path, [["场所名称", "场所类型", "网格编码"], ["月塘小学", "学校", GRID]], name="again.csv")
    finally:
        registry_changed.disconnect(dispatch_uid="test-import-registry")

    g11, g12 = tree["G11"].pk, tree["G12"].pk
    assert sent == [("Resident", [g12]), ("Resident", sorted([g11, g12])), ("KeyPlace", [g12])]  # the grid left too


@pytest.mark.django_db
def test_a_ledger_of_the_other_kind_is_told_so_from_the_rows_read_once(staff, tmp_path, monkeypatch):
    import residents.imports as imports
    from residents.imports import reading

    calls = []
    real = reading.read_table

    def counted(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "read_table", counted)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["重点场所台账"], ["场所名称", "场所类型", "网格编码"], ["月塘小学", "学校", GRID]])
    path = tmp_path / "places.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")

    with pytest.raises(imports.ImportFileError, match="looks like a ledger of key places"):
        import_file(actor=staff["worker"], path=path)
    assert len(calls) == 1  # the header judged on the rows read, the file not read again


@pytest.mark.django_db
def test_a_grid_name_with_full_width_digits_or_spaces_is_the_grid(staff, tree, tmp_path, write_csv):
    name = tree["G12"].name  # 月塘第2网格
    spelled = [name.replace("2", "２"), name.replace("第", " 第 "), name.replace("网格", "\u3000网格")]
    result, _report = import_file(actor=staff["admin"], path=write_csv(
        [["王秀英", ID1, spelled[0]], ["李强", ID2, spelled[1]], ["赵六", NEW_ID, spelled[2]]],
        headers=["姓名", "公民身份号码", "所属网格"]))
    places(tmp_path, [["场所名称", "场所类型", "所属网格"], ["月塘小学", "学校", spelled[0]]], user="leping_admin")

    assert (result.created, result.errors) == (3, 0), result.error_sample
    assert set(Resident.objects.values_list("grid_id", flat=True)) == {tree["G12"].pk}
    assert KeyPlace.objects.get(name="月塘小学").grid_id == tree["G12"].pk

    Area.objects.filter(pk=tree["G11"].pk).update(name=name.replace("2", " ２"))  # the same name, spelled otherwise
    result, _report = import_file(actor=staff["admin"], path=write_csv([["王秀英", ID1, name]],
                                                                       headers=["姓名", "公民身份号码", "所属网格"]))
    assert [error["reason"] for error in result.error_sample] == [
        "more than one grid in your area is named so: write the grid's code"]
