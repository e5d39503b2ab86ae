"""A group title merged across its columns in an .xlsx (紧急联系人 or 监护人 merged over
姓名 | 联系电话): every cell under the merge is the other person's, whatever it is, read
whole or streamed and in the error report imported again; a column after the merge is
the person's only when its name is merged down over both header rows — under a blank
upper cell it is left out and named, as in a CSV, which has no merges. And a lower header
row naming columns the template lacks (联系人, 工作单位) under a title is the header's
second line, while a data row holding only a 序号 and a 备注 is not."""

import pytest
from openpyxl import Workbook

from residents import crypto
from residents.models import ImportStatus
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

ID, OTHER = id_number(sequence=1), id_number(sequence=3)
OWN_PHONE, CONTACTS_PHONE = "13800138000", "13900139000"
UPPER = ["姓名", "公民身份号码", "网格编码", "紧急联系人", None, None]
LOWER = [None, None, None, "姓名", "联系电话", "联系电话"]


def ledger(upper: list, lower: list, rows: list[list], merges: list[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(upper)
    sheet.append(lower)
    for reference in merges:
        sheet.merge_cells(reference)
    for row in rows:
        sheet.append(row)
    return xlsx_bytes(workbook)


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_the_persons_phone_merged_down_after_a_merged_contact_group_is_the_persons(staff, settings, cells):
    """紧急联系人 merged across D1:E1 over 姓名 | 联系电话, the person's 联系电话 merged down
    over F1:F2: the elder's phone is F's, never E's; the report round-trips it."""
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    content = ledger(UPPER[:5] + ["联系电话"], LOWER, [["王奶奶", ID, GRID, "王儿子", CONTACTS_PHONE, OWN_PHONE],
                                                   ["李爷爷", "4313", GRID, "李女儿", "13700137000", "13600136000"]],
                     ["A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:F2"])
    job = run(staff["worker"], content, "elders.xlsx")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 1), (job.message, job.error_sample)
    assert person(ID).phone_hash == crypto.lookup_hash(OWN_PHONE, field="phone")
    assert any("紧急联系人·联系电话" in note and "not imported" in note for note in job.notes), job.notes

    rows = report_rows(job)
    assert rows[0][:6] == ["姓名", "公民身份号码", "网格编码", "紧急联系人·姓名", "紧急联系人·联系电话", "联系电话"], rows[0]
    fixed = Workbook()
    for line in rows:
        fixed.active.append(line)
    fixed.active.cell(row=2, column=2, value=OTHER)
    again = run(staff["worker"], xlsx_bytes(fixed), "report.xlsx")

    assert (again.status, again.created, again.errors) == (ImportStatus.DONE, 1, 0), (again.message, again.error_sample)
    assert person(OTHER).phone_hash == crypto.lookup_hash("13600136000", field="phone")


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_phone_after_a_contact_group_under_a_blank_cell_is_left_out(staff, kind):
    """Nothing says where 紧急联系人 ends when the next column's upper cell is blank (in an
    .xlsx, a column added beside the merge, which Excel does not widen): the phone after
    its columns is left out and named, never stored as the elder's (it may be the
    contact's second number)."""
    row = ["王奶奶", ID, GRID, "王儿子", CONTACTS_PHONE, OWN_PHONE]
    if kind == "xlsx":
        content = ledger(UPPER, LOWER, [row], ["A1:A2", "B1:B2", "C1:C2", "D1:E1"])
    else:
        content = csv_bytes([cell or "" for cell in UPPER], [[cell or "" for cell in LOWER], row])
    job = run(staff["worker"], content, f"elders.{kind}")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert person(ID).phone_hash == ""
    assert any("紧急联系人·联系电话" in note and "not imported" in note for note in job.notes), job.notes


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_a_column_under_a_merged_guardians_title_is_the_guardians_to_its_end(staff, settings, cells):
    """监护人 merged across 姓名 | 联系电话 | 民族: the 民族 is the guardian's (unmerged, a
    民族 after the phone under a blank cell is the child's); the child's own 民族 after
    the merge is the child's."""
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    upper = ["姓名", "公民身份号码", "网格编码", "监护人", None, None, None]
    lower = [None, None, None, "姓名", "联系电话", "民族", "民族"]
    content = ledger(upper, lower, [["王小", ID, GRID, "王父", CONTACTS_PHONE, "回族", "汉族"]],
                     ["A1:A2", "B1:B2", "C1:C2", "D1:F1"])
    job = run(staff["worker"], content, "children.xlsx")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    resident = person(ID)
    assert (resident.ethnicity, resident.phone_hash) == ("汉族", "")


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
@pytest.mark.parametrize("lower", [
    ["姓名", "户籍地址", "联系电话"],  # a guardian's own address inside the merge
    ["关系", "联系电话", None],  # no 姓名 shows whose: the merge does
    ["电话", "住址", None],
])
def test_nothing_under_a_merged_guardians_title_is_the_childs(staff, settings, cells, lower):
    """监护人 merged across its columns: the guardian's address, relation and phone are
    never the child's, whether or not a 姓名 among them shows whose they are."""
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    upper = ["姓名", "公民身份号码", "网格编码", "监护人", None, None]
    values = {"姓名": "王父", "户籍地址": "广东省深圳市", "联系电话": CONTACTS_PHONE, "电话": CONTACTS_PHONE, "关系": "父子",
              "住址": "广东省深圳市", None: None}
    width = 6 if lower[-1] else 5
    content = ledger(upper[:width], [None, None, None, *lower][:width],
                     [["王小", ID, GRID, *(values[name] for name in lower)][:width]],
                     ["A1:A2", "B1:B2", "C1:C2", f"D1:{'F' if width == 6 else 'E'}1"])
    job = run(staff["worker"], content, "children.xlsx")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    resident = person(ID)
    assert (resident.registered_address, resident.phone_hash, resident.relation_to_head) == ("", "", "")
    assert any("监护人·" in note and "not imported" in note for note in job.notes), job.notes


def test_a_data_row_under_serial_and_remarks_is_no_header_line(staff):
    """A first row holding only its 序号 and a 备注 that is a column's name (电话): a data
    row with nothing in it, not a second header line turning 备注 into a phone column."""
    header = ["序号", "姓名", "公民身份号码", "网格编码", "联系电话", "备注"]
    job = run(staff["worker"], csv_bytes(header, [["1", "", "", "", "", "电话"],
                                                  ["2", "王奶奶", ID, GRID, "", CONTACTS_PHONE]]), "serial.csv")

    assert (job.status, job.created) == (ImportStatus.DONE, 1), (job.message, job.error_sample)
    assert person(ID).phone_hash == ""
    assert not any("row 2" in note for note in job.notes), job.notes


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_lower_header_row_naming_columns_the_template_lacks_is_the_headers(staff, kind):
    """The person's columns merged down over two rows beside 紧急联系人 over 联系人 |
    工作单位 | 联系电话: the lower row is the header's second line, not a data row refused
    for its missing name and ID; the contact's phone is not the person's."""
    upper = ["姓名", "公民身份号码", "网格编码", "紧急联系人", "", ""]
    lower = ["", "", "", "联系人", "工作单位", "联系电话"]
    row = ["王奶奶", ID, GRID, "王儿子", "娄底市第一中学", CONTACTS_PHONE]
    if kind == "csv":
        content = csv_bytes(upper, [lower, row])
    else:
        content = ledger([cell or None for cell in upper], [cell or None for cell in lower], [row],
                         ["A1:A2", "B1:B2", "C1:C2", "D1:F1"])
    job = run(staff["worker"], content, f"elders.{kind}")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert person(ID).phone_hash == ""
    assert any("row 2" in note for note in job.notes), job.notes
    assert any("紧急联系人·联系电话" in note and "not imported" in note for note in job.notes), job.notes


def test_a_first_data_row_is_never_taken_for_a_second_header_line(staff):
    """A row holding a value that happens to be a column's name (住址 in 备注), with the
    person's own name and ID under the header's columns, is a row of data."""
    header = ["姓名", "公民身份号码", "网格编码", "备注"]
    job = run(staff["worker"], csv_bytes(header, [["王奶奶", ID, GRID, "住址"], ["李爷爷", OTHER, GRID, ""]]), "plain.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 2, 0), (job.message, job.error_sample)


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_a_title_merged_over_two_rows_above_the_header_still_groups(staff, settings, cells):
    """基本信息 merged A1:C2 and 紧急联系人 merged D1:E2 over the header on row 3: the
    contact's phone is not the person's; 联系电话 merged over F1:F3 names the person's."""
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["基本信息", None, None, "紧急联系人", None, "联系电话"])
    sheet.append([None] * 6)
    sheet.append(["姓名", "公民身份号码", "网格编码", "姓名", "联系电话", None])
    sheet.append(["王奶奶", ID, GRID, "王儿子", CONTACTS_PHONE, OWN_PHONE])
    for reference in ("A1:C2", "D1:E2", "F1:F3"):
        sheet.merge_cells(reference)
    job = run(staff["worker"], xlsx_bytes(workbook), "elders.xlsx")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert person(ID).phone_hash == crypto.lookup_hash(OWN_PHONE, field="phone")
    assert any("紧急联系人·联系电话" in note for note in job.notes), job.notes


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_a_merged_title_over_the_persons_own_id_is_the_tables(staff, settings, cells):
    """A title typed over the middle of the table and merged across the person's 公民身份号码
    and phone as well as the contact's columns (独居老人及紧急联系人信息): the table's title,
    as unmerged — the file imports with the person's ID and phone."""
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    upper = [None, None, None, "独居老人及紧急联系人信息", None, None, None]
    lower = ["网格编码", "姓名", "性别", "公民身份号码", "联系电话", "紧急联系人", "联系人电话"]
    gender = "男" if int(ID[16]) % 2 else "女"
    content = ledger(upper, lower, [[GRID, "王奶奶", gender, ID, OWN_PHONE, "王儿子", CONTACTS_PHONE]], ["D1:G1"])
    job = run(staff["worker"], content, "elders.xlsx")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert person(ID).phone_hash == crypto.lookup_hash(OWN_PHONE, field="phone")


@pytest.mark.parametrize("upper, lower", [
    # A note that lost a character may have said whose: 联系电话（监护人）.
    (None, ["姓名", "公民身份号码", "网格编码", "联系电话（监\ufffd人）"]),
    # A group title that lost one: 监护人.
    (["姓名", "公民身份号码", "网格编码", "监\ufffd人", None], [None, None, None, "姓名", "联系电话"]),
    # A name under the title that lost one: 姓名.
    (["姓名", "公民身份号码", "网格编码", "紧急联系人", None], [None, None, None, "姓\ufffd", "联系电话"]),
])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_damaged_header_never_makes_another_persons_phone_the_persons(staff, kind, upper, lower):
    """A header cell with a damaged character (�, or a byte that is neither UTF-8 nor GBK
    in a CSV) could have said whose the column is: it is not the person's."""
    row = ["王小", ID, GRID, *(["王父"] if len(lower) == 5 else []), CONTACTS_PHONE]
    if kind == "xlsx":
        workbook = Workbook()
        for line in ([upper] if upper else []) + [lower, row]:
            workbook.active.append(line)
        content = xlsx_bytes(workbook)
    else:
        lines = [[cell or "" for cell in line] for line in ([upper] if upper else []) + [lower, row]]
        content = "\r\n".join(",".join(line) for line in lines).encode("gb18030").replace("\ufffd".encode("gb18030"), b"\xff")
    job = run(staff["worker"], content, f"children.{kind}")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert person(ID).phone_hash == ""


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_group_title_above_a_blank_spacer_row_still_groups(staff, kind):
    """紧急联系人 on row 1, a blank row, the header on row 3: the contact's phone is not the
    person's."""
    upper = ["", "", "", "紧急联系人", ""]
    header = ["姓名", "公民身份号码", "网格编码", "姓名", "联系电话"]
    row = ["王奶奶", ID, GRID, "王儿子", CONTACTS_PHONE]
    if kind == "csv":
        content = csv_bytes(upper, [[""] * 5, header, row])
    else:
        workbook = Workbook()
        for line in ([cell or None for cell in upper], [], header, row):
            workbook.active.append(line)
        workbook.active.merge_cells("D1:E1")
        content = xlsx_bytes(workbook)
    job = run(staff["worker"], content, f"elders.{kind}")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    assert person(ID).phone_hash == ""
    assert any("紧急联系人·联系电话" in note for note in job.notes), job.notes


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_a_places_manager_and_cadre_merged_over_name_and_phone(staff, settings, tmp_path, cells):
    """A 九小场所 ledger with 负责人 merged over 姓名 | 电话 beside 包保干部 merged over 姓名 |
    电话: the lower row is the header's second line; the manager's name and phone are the
    place's contact, the cadre's are left out."""
    from residents.imports.places import key_places_import
    from residents.models import KeyPlace

    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["场所名称", "场所类型", "网格编码", "负责人", None, "包保干部", None])
    sheet.append([None, None, None, "姓名", "电话", "姓名", "电话"])
    sheet.append(["月塘超市", "市场", GRID, "李老板", "13800138000", "王干部", "13900139000"])
    for reference in ("A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:G1"):
        sheet.merge_cells(reference)
    path = tmp_path / "places.xlsx"
    workbook.save(path)

    result, _report = key_places_import(actor=staff["worker"], path=path)

    assert (result.created, result.errors) == (1, 0), (result.notes, _report.sample)
    place = KeyPlace.objects.get(name="月塘超市")
    assert (place.contact_name, place.contact_phone) == ("李老板", "13800138000")
    assert any("包保干部·电话" in note for note in result.notes), result.notes
