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
from residents.models import ImportStatus, KeyPlace
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


@pytest.mark.parametrize("upper, lower, row", [
    # The group title in the header row, the lower row naming the group's columns.
    (["姓名", "公民身份号码", "网格编码", "紧急联系人", ""], ["", "", "", "姓名", "联系电话"],
     ["王奶奶", id_number(sequence=1), GRID, "王儿子", PHONE]),
    # Groups over a header row: the person's own group, and the guardian's.
    (["老人信息", "", "", "监护人信息", ""], ["姓名", "公民身份号码", "网格编码", "姓名", "联系电话"],
     ["王奶奶", id_number(sequence=1), GRID, "王儿子", PHONE]),
    (["被监护人信息", "", "", "监护人信息", ""], ["姓名", "公民身份号码", "网格编码", "姓名", "联系电话"],
     ["王奶奶", id_number(sequence=1), GRID, "王儿子", PHONE]),
    (["帮扶对象", "", "", "帮扶责任人", ""], ["姓名", "身份证号", "所属网格", "姓名", "手机号"],
     ["王奶奶", id_number(sequence=1), GRID, "王干部", PHONE]),
    # The guardian's group first: the person's name is the second 姓名.
    (["监护人信息", "", "儿童信息", "", ""], ["姓名", "联系电话", "姓名", "公民身份号码", "网格编码"],
     ["王爸爸", PHONE, "王奶奶", id_number(sequence=1), GRID]),
])
def test_columns_under_a_group_title_naming_someone_else_are_that_ones(staff, upper, lower, row):
    """The son's, guardian's or helper's phone is never stored as the person's, nor their
    name as the person's name; the columns are named as not imported."""
    job = run(staff["worker"], csv_bytes(upper, [lower, row]), "groups.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), job.message
    assert any("（" in note and "not imported" in note for note in job.notes), job.notes
    resident = person(id_number(sequence=1))
    assert (resident.name, bool(resident.phone_hash)) == ("王奶奶", False)


@pytest.mark.parametrize("upper", [
    # A filing line above the header: its cells name the grid worker, not a group (the
    # worker's cell stands over the phone column alone).
    ["填报单位：月塘社区", "", "", "网格员：张三"],
    ["填报单位：", "", "", "网格员（签字）："],
    # The ledger's title and its date: a title over the person's own columns too.
    ["月塘社区留守儿童监护人信息表", "", "", "填表日期：2024-01-05"],
    # The person's own group.
    ["被监护人信息", "", "", ""],
    ["服务对象", "", "", "联系方式"],
])
def test_a_title_or_filing_line_above_the_header_leaves_the_persons_columns(staff, upper):
    header = ["姓名", "公民身份号码", "网格编码", "联系电话"]
    job = run(staff["worker"], csv_bytes(upper, [header, ["李小", id_number(sequence=1), GRID, PHONE]]), "title.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), job.message
    assert phone_of(id_number(sequence=1)) == crypto.lookup_hash(PHONE, field="phone")
    assert not any("not imported" in note for note in job.notes), job.notes


def merged_ledger() -> Workbook:
    """A 独居老人 ledger as Excel keeps it: a title over the table, then 姓名, 公民身份号码,
    网格编码 merged down over two rows beside 紧急联系人 merged across 姓名 | 联系电话."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["月塘社区独居老人及紧急联系人登记表"])
    sheet.merge_cells("A1:E1")
    sheet.append(["姓名", "公民身份号码", "网格编码", "紧急联系人", None])
    sheet.append([None, None, None, "姓名", "联系电话"])
    for column in "ABC":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("D2:E2")
    sheet.append(["王奶奶", id_number(sequence=1), GRID, "王儿子", PHONE])
    sheet.append(["李爷爷", "4313", GRID, "李女儿", "13900139000"])  # refused: a short ID number
    return workbook


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_a_merged_two_row_header_keeps_the_contacts_phone_out_and_its_report_round_trips(staff, settings, cells):
    """The .xlsx read whole or streamed: the emergency contact's columns are not imported;
    the error report names them so, and imported again after the fix it still stores no
    contact's phone as the person's."""
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    job = run(staff["worker"], xlsx_bytes(merged_ledger()), "ledger.xlsx")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 1), job.message
    assert any("联系电话（紧急联系人）" in note and "not imported" in note for note in job.notes), job.notes
    assert (person(id_number(sequence=1)).name, phone_of(id_number(sequence=1))) == ("王奶奶", "")

    rows = report_rows(job)
    header = rows[0]
    assert header[:5] == ["姓名", "公民身份号码", "网格编码", "姓名（紧急联系人）", "联系电话（紧急联系人）"], header
    fixed = Workbook()
    for line in rows:
        fixed.active.append(line)
    fixed.active.cell(row=2, column=2, value=id_number(sequence=3))
    again = run(staff["worker"], xlsx_bytes(fixed), "report.xlsx")

    assert (again.status, again.created, again.errors) == (ImportStatus.DONE, 1, 0), again.message
    assert (person(id_number(sequence=3)).name, phone_of(id_number(sequence=3))) == ("李爷爷", "")


@pytest.mark.parametrize("title", ["负责人信息", "法定代表人"])
def test_a_places_group_naming_its_manager_is_the_places_own_contact(staff, tmp_path, title):
    """A key place's 负责人 is the place's own contact: its group's columns are imported."""
    path = tmp_path / "places.csv"
    path.write_bytes(csv_bytes(["场所名称", "场所类型", "网格编码", title, ""],
                               [["", "", "", "负责人", "联系电话"], ["月塘小学", "学校", GRID, "李校长", "13900139000"]]))
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
