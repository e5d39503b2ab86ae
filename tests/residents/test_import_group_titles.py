"""Two-row headers whose upper row groups columns (独居老人 and 留守儿童 ledgers: 紧急联系人
or 监护人信息 over 姓名 | 联系电话): the columns under a title naming someone else are that
one's, never the person's; the person's own group (老人信息, 被监护人信息), a table's
title and a filing line above the header (填报单位：…, 网格员：张三) leave the columns as
they are. Each imported as a real file (CSV, and .xlsx with merged cells read whole or
streamed) through the public surface, and its error report imported again. And a
required column that a note makes another column: the error says how to fix it."""

import io

import pytest
from django.core.files import File
from openpyxl import Workbook

from residents import crypto
from residents.imports import resident_import_start
from residents.models import ImportStatus, KeyPlace, Resident
from tests.residents.factories import id_number
from tests.residents.test_import_messy_ledgers import (
    CALAMINE,
    GRID,
    STREAMED,
    csv_bytes,
    person,
    report_rows,
    run,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def phone_of(number: str) -> str:
    return person(number).phone_hash


ID = id_number(sequence=1)
# 姓名 | 身份证号 | 网格编码 of the person, then another person's name and phone.
PAIR = ["姓名", "公民身份号码", "网格编码", "姓名", "联系电话"]
PAIR_ROW = ["王奶奶", ID, GRID, "王儿子", PHONE]


@pytest.mark.parametrize("upper, lower, row", [
    # The group title in the header row, the lower row naming the group's columns.
    (["姓名", "公民身份号码", "网格编码", "紧急联系人", ""], ["", "", "", "姓名", "联系电话"], PAIR_ROW),
    # Titles over a header row: the person's own group (as the ledger names them), and another's.
    (["老人信息", "", "", "监护人信息", ""], PAIR, PAIR_ROW),
    (["被监护人信息", "", "", "监护人信息", ""], PAIR, PAIR_ROW),
    (["被监护儿童信息", "", "", "监护人信息", ""], PAIR, PAIR_ROW),
    (["帮扶户信息", "", "", "帮扶责任人", ""], PAIR, PAIR_ROW),
    (["帮扶对象", "", "", "帮扶责任人", ""], ["姓名", "身份证号", "所属网格", "姓名", "手机号"], PAIR_ROW),
    (["基本信息", "", "", "家庭成员", ""], PAIR, PAIR_ROW),
    # The guardian's group first: the person's name is the second 姓名.
    (["监护人信息", "", "儿童信息", "", ""], ["姓名", "联系电话", "姓名", "公民身份号码", "网格编码"],
     ["王爸爸", PHONE, "王奶奶", ID, GRID]),
])
def test_columns_under_a_group_title_naming_someone_else_are_that_ones(staff, upper, lower, row):
    """The son's, guardian's or helper's phone is never stored as the person's, nor their
    name as the person's name; the columns are named as not imported."""
    job = run(staff["worker"], csv_bytes(upper, [lower, row]), "groups.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), job.message
    assert any(note.startswith("Columns of another person, under a title in the row above, not imported: ")
               and ("·联系电话" in note or "·手机号" in note) for note in job.notes), job.notes
    assert not any("not in the template" in note and "·" in note for note in job.notes), job.notes
    resident = person(ID)
    assert (resident.name, bool(resident.phone_hash)) == ("王奶奶", False)


def test_a_contacts_gender_and_relation_are_not_the_persons(staff):
    """性别 and 关系 under 紧急联系人: the son's 男 does not refuse the row as a wrong
    gender, nor is 儿子 stored as the elder's relation to the head of household."""
    upper = ["姓名", "公民身份号码", "网格编码", "户籍地址", "紧急联系人", "", "", ""]
    lower = ["", "", "", "", "姓名", "性别", "关系", "联系电话"]
    row = ["王奶奶", ID, GRID, "湖南省娄底市", "王儿子", "男" if int(ID[16]) % 2 == 0 else "女", "儿子", PHONE]
    job = run(staff["worker"], csv_bytes(upper, [lower, row]), "contact.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert any("紧急联系人·关系" in note and "紧急联系人·性别" in note for note in job.notes), job.notes
    resident = person(ID)
    assert (resident.relation_to_head, bool(resident.phone_hash), resident.registered_address) == ("", False, "湖南省娄底市")


GENDER = "男" if int(ID[16]) % 2 else "女"
BORN = f"{ID[6:10]}-{ID[10:12]}-{ID[12:14]}"


@pytest.mark.parametrize("title", ["紧急联系人", "主要社会关系", "赡养人"])
def test_a_contact_group_beside_columns_merged_down_is_found(staff, title):
    """The person's columns merged down over two rows, among them names that look like a
    date or a signature (出生年月, 监护人签字): the contact's 关系 and phone are not the
    person's."""
    upper = ["序号", "姓名", "出生年月", "公民身份号码", "网格编码", "监护人签字", title, "", ""]
    lower = ["", "", "", "", "", "", "姓名", "关系", "联系电话"]
    row = ["1", "王奶奶", "1950.01", ID, GRID, "", "王儿子", "儿子", PHONE]
    job = run(staff["worker"], csv_bytes(upper, [lower, row]), "elders.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert any(f"{title}·关系" in note for note in job.notes), job.notes
    assert (person(ID).relation_to_head, person(ID).phone_hash) == ("", "")


@pytest.mark.parametrize("upper, header, row", [
    # A title or a filing cell naming others, over the person's own columns (none repeated).
    (["附件2", "", "", "月塘社区留守儿童及监护人名单", "", "", ""], ["序号", "姓名", "性别", "身份证号", "联系电话", "民族", "网格编码"],
     ["1", "李小", GENDER, ID, PHONE, "汉族", GRID]),
    (["月塘社区独居老人名单", "", "", "包保干部 张三", "", ""], ["序号", "姓名", "性别", "身份证号", "联系电话", "网格编码"],
     ["1", "李小", GENDER, ID, PHONE, GRID]),
    (["社区", "月塘社区", "", "包保责任人", "", "", "张三"], ["序号", "姓名", "网格编码", "联系电话", "性别", "民族", "身份证号"],
     ["1", "李小", GRID, PHONE, GENDER, "汉族", ID]),
    # The person's own groups, named for what the ledger is about.
    (["序号", "帮扶家庭基本信息", "", "", "", "帮扶措施"], ["", "姓名", "性别", "联系电话", "网格编码", "身份证号"],
     ["1", "李小", GENDER, PHONE, GRID, ID]),
    (["姓名", "身份证号", "安置帮教人员基本信息", "", "", "", "网格编码"], ["", "", "性别", "出生日期", "民族", "联系电话", ""],
     ["李小", ID, GENDER, BORN, "汉族", PHONE, GRID]),
    (["序号", "网格编码", "网格员信息", "", "", "身份证号"], ["", "", "姓名", "性别", "联系电话", ""],
     ["1", GRID, "李小", GENDER, PHONE, ID]),
])
def test_titles_over_the_persons_own_columns_leave_them_the_persons(staff, upper, header, row):
    job = run(staff["worker"], csv_bytes(upper, [header, row]), "own.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    resident = person(ID)
    assert (resident.name, resident.phone_hash, resident.gender) == ("李小", crypto.lookup_hash(PHONE, field="phone"),
                                                                    "M" if GENDER == "男" else "F")
    assert not any("·" in note and "not imported" in note for note in job.notes), job.notes


@pytest.mark.parametrize("gender, relation", [
    ("性别（按身份证信息填写）", "与户主关系（户主填本人，其他按实际情况填写）"),
    ("性别（男/女）", "与户主关系（以户口簿信息为准）"),
    ("性别", "与户主关系（本人/配偶/子女/租客）"),
    ("性别（身份证信息）", "关系（与户主）"),
    ("性别（户籍信息）", "与户主关系（户籍信息）"),
    ("性别", "关系（户主）"),
])
def test_gender_and_relation_notes_that_say_how_to_fill_them_are_imported(staff, gender, relation):
    header = ["姓名", "公民身份号码", "网格编码", gender, relation]
    job = run(staff["worker"], csv_bytes(header, [["李小", ID, GRID, GENDER, "配偶"]]), "notes.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert (person(ID).gender, person(ID).relation_to_head) == ("M" if GENDER == "男" else "F", "配偶")


@pytest.mark.parametrize("upper, lower, row", [
    # The contact's name column says whose it is (赡养人姓名): the person has no phone.
    (["老人基本信息", "", "", "赡养人信息", "", ""], ["姓名", "公民身份号码", "网格编码", "赡养人姓名", "关系", "联系电话"],
     ["王奶奶", ID, GRID, "王儿子", "母子", PHONE]),
    # A row holding the group's title alone, the person's columns not merged down.
    (["", "", "", "", "紧急联系人", ""], ["姓名", "公民身份号码", "网格编码", "联系电话", "姓名", "联系电话"],
     ["王奶奶", ID, GRID, "", "王儿子", PHONE]),
])
def test_a_group_shows_whose_its_columns_are_without_a_repeated_name(staff, upper, lower, row):
    job = run(staff["worker"], csv_bytes(upper, [lower, row]), "elders.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert (person(ID).relation_to_head, person(ID).phone_hash) == ("", "")


@pytest.mark.parametrize("upper, lower", [
    (["网格编码", "出租人（房东）", "", "", "承租人", "", ""], ["", "姓名", "身份证号", "联系电话", "姓名", "身份证号", "联系电话"]),
    (["网格编码", "户主", "", "家庭成员", "", "", ""], ["", "姓名", "身份证号", "姓名", "与户主关系", "身份证号", "联系电话"]),
])
def test_a_file_whose_every_person_is_someone_elses_is_refused_naming_them(staff, upper, lower):
    """A rental or household ledger whose titles all name someone else: whose rows these
    are is not said, so nothing is guessed (the landlord was stored with the tenant's
    phone); the error names the titles and the fix."""
    row = [GRID, "王房东", ID, PHONE, "李租客", id_number(sequence=3), "13900139000"]
    job = run(staff["worker"], csv_bytes(upper, [lower, row]), "rental.csv")

    assert job.status == ImportStatus.FAILED
    titles = [cell for cell in upper[1:] if cell]
    assert f"(“{titles[0]}”、“{titles[1]}”)" in job.message and "本人信息" in job.message, job.message
    assert not Resident.objects.exists()


@pytest.mark.parametrize("title", ["志愿者信息", "户主信息", "承租人信息", "空巢老人（子女外出）", "网格员信息"])
def test_the_persons_own_block_titled_with_a_word_of_someone_elses_beside_a_contact(staff, title):
    """The person's block (志愿者信息 in a volunteers' roster, 承租人信息 in a tenants'
    ledger) holds 姓名 and 身份证号; the contact's only a 姓名: the block is the person's,
    the contact's phone is not, and so it stays through the error report's round trip."""
    upper = [title, "", "", "", "紧急联系人", ""]
    lower = ["姓名", "公民身份号码", "网格编码", "联系电话", "姓名", "联系电话"]
    rows = [["王奶奶", ID, GRID, PHONE, "王儿子", "13900139000"], ["李爷爷", "4313", GRID, PHONE, "李儿子", "13900139000"]]
    job = run(staff["worker"], csv_bytes(upper, [lower, *rows]), "own.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 1), job.message
    assert person(ID).phone_hash == crypto.lookup_hash(PHONE, field="phone")
    fixed = Workbook()
    for line in report_rows(job):
        fixed.active.append(line)
    fixed.active.cell(row=2, column=2, value=id_number(sequence=3))
    again = run(staff["worker"], xlsx_bytes(fixed), "report.xlsx")
    assert (again.status, again.created, again.errors) == (ImportStatus.DONE, 1, 0), again.message
    assert (person(id_number(sequence=3)).name, person(id_number(sequence=3)).phone_hash) == (
        "李爷爷", crypto.lookup_hash(PHONE, field="phone"))


@pytest.mark.parametrize("contact", ["联系人", "监护人姓名"])
def test_a_contacts_phone_beside_a_name_column_of_its_own_wording(staff, contact):
    upper = ["", "", "", "紧急联系人", ""]
    job = run(staff["worker"], csv_bytes(upper, [["姓名", "公民身份号码", "网格编码", contact, "联系电话"],
                                                 ["王奶奶", ID, GRID, "王儿子", PHONE]]), "contact.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), job.message
    assert person(ID).phone_hash == ""


def test_a_childs_name_column_of_its_own_wording_beside_the_guardians_name(staff):
    """儿童姓名 is the child's name column in the ledger's words: the guardian's 姓名 is
    never taken as the child's name; the file is refused, naming the guardian's column."""
    job = run(staff["worker"], csv_bytes(["儿童信息", "", "", "监护人", ""],
                                         [["儿童姓名", "公民身份号码", "网格编码", "姓名", "联系电话"], ["王小", ID, GRID, "王父", PHONE]]),
              "child.csv")

    assert job.status == ImportStatus.FAILED
    assert "“姓名” stands under “监护人”" in job.message, job.message
    assert not Resident.objects.exists()


@pytest.mark.parametrize("upper, header", [
    # A title typed into a middle cell above a single-row header.
    (["", "", "", "独居老人及紧急联系人信息", "", "", "", ""],
     ["序号", "网格编码", "姓名", "性别", "公民身份号码", "联系电话", "紧急联系人", "联系人电话"]),
    (["月塘社区", "", "", "留守儿童监护人信息", "", "", "", ""],
     ["序号", "网格编码", "姓名", "性别", "公民身份号码", "联系电话", "紧急联系人", "联系人电话"]),
])
def test_a_title_in_a_middle_cell_over_the_persons_own_columns_leaves_them(staff, upper, header):
    row = ["1", GRID, "王奶奶", GENDER, ID, PHONE, "王儿子", "13900139000"]
    job = run(staff["worker"], csv_bytes(upper, [header, row]), "centred.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), job.message
    assert (person(ID).phone_hash, person(ID).gender) == (crypto.lookup_hash(PHONE, field="phone"), "M" if GENDER == "男" else "F")


def test_a_title_over_the_table_leaves_the_contacts_group_beside_it(staff):
    """A title over the person's columns (空巢老人（子女外出）, merged down beside the
    table) does not cancel the contact's group next to it."""
    upper = ["空巢老人（子女外出）", "", "", "网格编码", "紧急联系人", "", ""]
    lower = ["姓名", "公民身份号码", "联系电话", "", "联系人姓名", "关系", "联系电话"]
    job = run(staff["worker"], csv_bytes(upper, [lower, ["王奶奶", ID, "", GRID, "王儿子", "母子", "13900139000"]]), "elders.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), job.message
    assert (person(ID).relation_to_head, person(ID).phone_hash) == ("", "")


def test_the_persons_gender_and_ethnicity_after_a_guardians_group_are_the_persons(staff):
    """监护人 over 姓名 | 联系电话, then the person's 性别 | 民族 under a blank cell: the
    group ends with the guardian's phone."""
    upper = ["姓名", "公民身份号码", "网格编码", "监护人", "", "", ""]
    lower = ["", "", "", "姓名", "联系电话", "性别", "民族"]
    job = run(staff["worker"], csv_bytes(upper, [lower, ["王小", ID, GRID, "王父", PHONE, GENDER, "汉族"]]), "child.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    resident = person(ID)
    assert (resident.gender, resident.ethnicity, resident.phone_hash) == ("M" if GENDER == "男" else "F", "汉族", "")


@pytest.mark.parametrize("upper", [["", "留守儿童及监护人信息", "", "", "", "", "", ""],
                                   ["留守儿童及监护人信息", "", "", "", "", "", "", "共35户"]])
def test_a_title_over_the_persons_own_name_is_the_tables(staff, upper):
    """A title typed into B1 (A is the narrow 序号 column), or in A1 beside a count:
    the columns under it are the person's, as with no title row."""
    header = ["序号", "姓名", "身份证号", "联系电话", "监护人", "监护人电话", "与户主关系", "网格编码"]
    job = run(staff["worker"], csv_bytes(upper, [header, ["1", "王小", ID, PHONE, "王父", "13900139000", "孙子", GRID]]), "t.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert (person(ID).relation_to_head, person(ID).phone_hash) == ("孙子", crypto.lookup_hash(PHONE, field="phone"))


def test_a_title_typed_over_the_persons_phone_still_takes_the_contacts_relation(staff):
    upper = ["", "", "", "", "独居老人紧急联系人", "", ""]
    header = ["序号", "姓名", "身份证号", "网格编码", "联系电话", "紧急联系人姓名", "关系"]
    job = run(staff["worker"], csv_bytes(upper, [header, ["1", "王奶奶", ID, GRID, PHONE, "王儿子", "母子"]]), "t.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert (person(ID).relation_to_head, person(ID).phone_hash) == ("", crypto.lookup_hash(PHONE, field="phone"))


@pytest.mark.parametrize("title, phone", [("包保干部", "联系电话"), ("网格员", "电话")])
def test_a_places_cadres_name_and_phone_are_not_the_places_contact(staff, tmp_path, title, phone):
    """A 九小场所 ledger with the place's 包保干部 or 网格员 over 姓名 | 联系电话 (姓名 is no
    column of a key place's): the cadre's phone is not the place's contact phone."""
    path = tmp_path / "places.csv"
    path.write_bytes(csv_bytes(["", "", "", "", title, ""],
                               [["场所名称", "场所类型", "网格编码", "负责人", "姓名", phone],
                                ["月塘超市", "市场", GRID, "李老板", "王干部", "13900139000"]]))
    from residents.imports.places import key_places_import

    result, _report = key_places_import(actor=staff["worker"], path=path)
    assert (result.created, result.errors) == (1, 0), result.notes
    place = KeyPlace.objects.get(name="月塘超市")
    assert (place.contact_name, place.contact_phone) == ("李老板", "")
    assert any(f"{title}·{phone}" in note for note in result.notes), result.notes


def test_a_places_contact_note_naming_its_owner_is_its_own(staff, tmp_path):
    path = tmp_path / "places.csv"
    path.write_bytes(csv_bytes(["场所名称", "场所类型", "网格编码", "负责人（经营者/产权人）", "联系电话"],
                               [["月塘超市", "市场", GRID, "李老板", "13900139000"]]))
    from residents.imports.places import key_places_import

    result, _report = key_places_import(actor=staff["worker"], path=path)
    assert (result.created, result.errors) == (1, 0), result.notes
    assert KeyPlace.objects.get(name="月塘超市").contact_name == "李老板"


def test_a_required_column_only_under_another_persons_title_refuses_the_file(staff):
    """A child's ledger without the child's ID number: the guardian's is never taken as
    the child's; the error names it as the guardian's column."""
    upper = ["儿童信息", "", "", "监护人信息", "", ""]
    lower = ["姓名", "出生日期", "网格编码", "姓名", "身份证号", "联系电话"]
    job = run(staff["worker"], csv_bytes(upper, [lower, ["王小", "2015-03-01", GRID, "王爸爸", ID, PHONE]]), "child.csv")

    assert job.status == ImportStatus.FAILED
    assert ("“身份证号” stands under “监护人信息” in the row above: it is that person's column; the file has no "
            "公民身份号码 column of the person's own") in job.message, job.message
    assert "name it" not in job.message  # no advice to rename the guardian's column


@pytest.mark.parametrize("upper, lower", [
    # A filing line above the header: its cells name the grid worker, not a group.
    (["填报单位：月塘社区", "", "", "网格员：张三", ""], None),
    (["填报单位：", "", "", "网格员（签字）：", ""], None),
    (["填报单位∶月塘社区", "", "", "网格员", "张三"], None),
    (["月塘社区", "", "", "网格员 张三", ""], None),
    (["填表人", "张三（网格员）", "", "", ""], None),
    # The ledger's title and its date: a title over the person's own columns too, or
    # typed into a middle cell to look centred.
    (["月塘社区留守儿童监护人信息表", "", "", "填表日期：2024-01-05", ""], None),
    (["", "", "月塘社区独居老人及紧急联系人台账", "", "2024年3月"], None),
    # The person's own group; a title naming others over the person's own fields.
    (["被监护人信息", "", "", "", ""], None),
    (["服务对象", "", "", "联系方式", ""], None),
    (["基本信息", "", "", "家庭及监护情况", ""], None),
    # After another person's name and phone, the person's own columns under no title.
    (["老人信息", "", "", "", "", "紧急联系人", "", ""],
     ["姓名", "公民身份号码", "网格编码", "联系电话", "户籍地址", "姓名", "联系电话", "人员类型"]),
])
def test_a_title_or_filing_line_above_the_header_leaves_the_persons_columns(staff, upper, lower):
    header = lower or ["姓名", "公民身份号码", "网格编码", "联系电话", "户籍地址"]
    row = ["李小", ID, GRID, PHONE, "湖南省娄底市"] + ([] if lower is None else ["王儿子", "13900139000", "流动"])
    job = run(staff["worker"], csv_bytes(upper, [header, row]), "title.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), job.message
    resident = person(ID)
    assert (resident.name, resident.phone_hash, resident.registered_address) == (
        "李小", crypto.lookup_hash(PHONE, field="phone"), "湖南省娄底市")
    if lower is None:
        assert not any("not imported" in note for note in job.notes), job.notes
    else:
        assert person(ID).residence_type == "floating"


def merged_ledger(title: str) -> Workbook:
    """A 独居老人 ledger as Excel keeps it: a title over the table, then 姓名, 公民身份号码,
    网格编码 merged down over two rows beside 紧急联系人 merged across 姓名 | 性别 | 关系 |
    联系电话."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["月塘社区独居老人及紧急联系人登记表"])
    sheet.merge_cells("A1:G1")
    sheet.append(["姓名", "公民身份号码", "网格编码", title, None, None, None])
    sheet.append([None, None, None, "姓名", "性别", "关系", "联系电话"])
    for column in "ABC":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("D2:G2")
    sheet.append(["王奶奶", ID, GRID, "王儿子", "男", "儿子", PHONE])
    sheet.append(["李爷爷", "4313", GRID, "李女儿", "女", "女儿", "13900139000"])  # refused: a short ID number
    return workbook


@pytest.mark.parametrize("cells, title", [(CALAMINE, "紧急联系人"), (STREAMED, "紧急联系人"), (CALAMINE, "赡养人"),
                                          (CALAMINE, "父母或其他监护人")])
def test_a_merged_two_row_header_keeps_the_contacts_columns_out_and_its_report_round_trips(staff, settings, cells, title):
    """The .xlsx read whole or streamed: the emergency contact's columns are not imported;
    the error report names them so, and imported again after the fix it still stores
    none of the contact's as the person's."""
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    job = run(staff["worker"], xlsx_bytes(merged_ledger(title)), "ledger.xlsx")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 1), job.message
    assert any(f"{title}·联系电话" in note and "not imported" in note for note in job.notes), job.notes
    resident = person(ID)
    assert (resident.name, resident.phone_hash, resident.relation_to_head) == ("王奶奶", "", "")

    rows = report_rows(job)
    assert rows[0][:7] == ["姓名", "公民身份号码", "网格编码", *(f"{title}·{name}" for name in ("姓名", "性别", "关系", "联系电话"))], rows[0]
    fixed = Workbook()
    for line in rows:
        fixed.active.append(line)
    fixed.active.cell(row=2, column=2, value=id_number(sequence=3))
    again = run(staff["worker"], xlsx_bytes(fixed), "report.xlsx")

    assert (again.status, again.created, again.errors) == (ImportStatus.DONE, 1, 0), (again.message, again.error_sample)
    resident = person(id_number(sequence=3))
    assert (resident.name, resident.phone_hash, resident.relation_to_head) == ("李爷爷", "", "")


@pytest.mark.parametrize("upper, lower", [
    (["场所名称", "场所类型", "网格编码", title, ""], ["", "", "", "负责人", "联系电话"])
    for title in ("负责人信息", "法定代表人", "安全责任人", "消防安全责任人", "业主信息", "出租人（房东）")
] + [(["月塘社区九小场所名单", "", "", "网格员 张三", ""], ["场所名称", "场所类型", "网格编码", "负责人", "联系电话"])])
def test_a_places_group_naming_its_manager_is_the_places_own_contact(staff, tmp_path, upper, lower):
    """A key place's 负责人 (责任人, 业主, a rented house's landlord) is the place's own
    contact: its group's columns are imported; so are they under a filing cell."""
    path = tmp_path / "places.csv"
    path.write_bytes(csv_bytes(upper, [lower, ["月塘小学", "学校", GRID, "李校长", "13900139000"]]))
    from residents.imports.places import key_places_import

    result, _report = key_places_import(actor=staff["worker"], path=path)
    assert (result.created, result.errors) == (1, 0), result.notes
    place = KeyPlace.objects.get(name="月塘小学")
    assert (place.contact_name, place.contact_phone) == ("李校长", "13900139000")


@pytest.mark.parametrize("language, hint", [
    ("en", "“姓名（外籍人员填英文名）” is read as another column than 姓名 because of its note in brackets: if it is the 姓名 "
           "column, name it 姓名"),
    ("zh-hans", "“姓名（外籍人员填英文名）”因括号中的注释被视为另一列，而不是姓名：如果这一列就是姓名，请把列名改为“姓名”"),
])
def test_a_required_column_taken_for_another_by_its_note_is_named_with_the_fix(staff, language, hint):
    """Who the row is takes only filling instructions as notes; a note it does not know
    refuses the file, and the error says which column and how to fix it."""
    header = ["姓名（外籍人员填英文名）", "公民身份号码", "联系电话", "网格编码"]
    content = csv_bytes(header, [["甲", id_number(sequence=1), PHONE, GRID]])
    job = resident_import_start(actor=staff["worker"], upload=File(io.BytesIO(content), name="notes.csv"), name="notes.csv",
                                language=language, run_inline=True)

    assert job.status == ImportStatus.FAILED
    assert hint in job.message, job.message
