"""Messy ledgers as grid workers keep them (the probe of issue 15): a sheet that starts
below blank rows or at B3, a hidden dictionary sheet in front, two columns for one
field, phones with a second number or an extension, header names with notes, invisible
characters pasted into IDs and names, merged cells over a family's rows — and the
error report when a refused row is also the first of a pair, or a line has a cell too
many. Each imported as a real file through the public surface."""

import io

import pytest
from django.core.files import File
from openpyxl import Workbook, load_workbook

from residents import crypto
from residents.imports import resident_import_start
from residents.imports.places import key_places_import
from residents.models import ImportStatus, KeyPlace, Resident
from tests.residents.factories import ResidentFactory, id_number

pytestmark = pytest.mark.django_db

GRID = "43130200100102"
SHORT = ["姓名", "公民身份号码", "联系电话", "网格编码"]
CALAMINE, STREAMED = 10**9, 1  # IMPORT_XLSX_CALAMINE_CELLS: the sheet read whole, or read in parts (bigsheets)


def run(actor, content: bytes, name: str, sheet: str = ""):
    job = resident_import_start(actor=actor, upload=File(io.BytesIO(content), name=name), name=name, sheet=sheet,
                                language="en", run_inline=True)
    if job.status == ImportStatus.DONE:
        assert job.rows == job.created + job.updated + job.unchanged + job.errors
    return job


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    return "\r\n".join(",".join(cells) for cells in [header, *rows]).encode() + b"\r\n"


def xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_bytes(job) -> bytes:
    with job.error_file.open("rb") as handle:  # the stored file opens once
        return handle.read()


def report_rows(job_or_bytes) -> list[list]:
    content = job_or_bytes if isinstance(job_or_bytes, bytes) else report_bytes(job_or_bytes)
    sheet = load_workbook(io.BytesIO(content)).active
    return [[cell.value for cell in line] for line in sheet.iter_rows()]


def person(number: str) -> Resident:
    return Resident.objects.select_related("room", "household").get(id_hash=crypto.lookup_hash(number, field="id_number"))


# --- #5: row numbers as Excel shows them ---------------------------------------------------------


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_a_table_starting_at_b3_keeps_excels_row_numbers_and_its_columns(staff, settings, cells):
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    workbook = Workbook()
    sheet = workbook.active
    for offset, values in enumerate([SHORT + ["楼栋"],
                                     ["甲", id_number(sequence=1), "123", GRID, "1栋"],  # row 4: a bad phone
                                     ["乙", id_number(sequence=3), "13800138003", GRID, "3栋"],  # row 5
                                     ["丙", id_number(sequence=3), "", GRID, ""]]):  # row 6: row 5's ID again
        for column, value in enumerate(values):
            sheet.cell(row=3 + offset, column=2 + column, value=value)  # the table starts at B3

    job = run(staff["worker"], xlsx_bytes(workbook), "b3.xlsx")

    assert job.status == ImportStatus.DONE, job.message
    assert any("The header is on row 3" in note for note in job.notes), job.notes
    assert [(e["row"], e["column"]) for e in job.error_sample] == [(4, "联系电话"), (6, "公民身份号码")]
    assert "row 5" in job.error_sample[1]["reason"]
    imported = person(id_number(sequence=3))
    assert (imported.name, imported.room, imported.phone_hash) == ("乙", None, crypto.lookup_hash("13800138003", field="phone"))
    report = report_rows(job)
    line = report[0].index("行号")
    assert [(cells[line], cells[report[0].index("姓名")]) for cells in report[1:]] == [(4, "甲"), (5, "乙"), (6, "丙")]


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_key_places_below_a_blank_row_are_reported_on_excels_rows(staff, settings, tmp_path, cells):
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([])  # row 1 blank
    sheet.append(["场所名称", "场所类型", "网格编码"])  # row 2
    sheet.append(["月塘小学", "学校", GRID])  # row 3
    sheet.append(["月塘诊所", "诊所", "99999999999999"])  # row 4: no such grid
    path = tmp_path / "places.xlsx"
    workbook.save(path)

    result, report = key_places_import(actor=staff["worker"], path=path)

    assert (result.created, result.errors) == (1, 1)
    assert [(e["row"], e["column"]) for e in report.sample] == [(4, "网格编码")]
    assert KeyPlace.objects.get().name == "月塘小学"


# --- #6: a hidden first sheet --------------------------------------------------------------------


def hidden_dictionary_workbook() -> Workbook:
    workbook = Workbook()
    dictionary = workbook.active
    dictionary.title = "字典"
    dictionary.append(["男"])
    dictionary.append(["女"])
    dictionary.sheet_state = "hidden"
    people = workbook.create_sheet("实有人口")
    people.append(SHORT)
    people.append(["甲", id_number(sequence=1), "", GRID])
    workbook.active = 1
    return workbook


def test_a_hidden_first_sheet_is_not_read_by_default(staff):
    job = run(staff["worker"], xlsx_bytes(hidden_dictionary_workbook()), "hidden.xlsx")

    assert job.status == ImportStatus.DONE, job.message
    assert (job.created, job.errors) == (1, 0)
    assert person(id_number(sequence=1)).name == "甲"
    notes = " ".join(job.notes)
    assert "“实有人口”" in notes and "“字典” (hidden, 2 rows)" in notes


def test_a_hidden_sheet_chosen_by_name_is_read(staff):
    workbook = hidden_dictionary_workbook()
    workbook["字典"].delete_rows(1, 2)
    workbook["字典"].append(SHORT)
    workbook["字典"].append(["乙", id_number(sequence=3), "", GRID])

    job = run(staff["worker"], xlsx_bytes(workbook), "hidden.xlsx", sheet="字典")

    assert job.status == ImportStatus.DONE, job.message
    assert [r.name for r in Resident.objects.all()] == ["乙"]


# --- #8: two columns for one field ---------------------------------------------------------------


def test_a_second_column_for_a_field_fills_the_first_ones_empty_cells_and_is_noted(staff):
    header = ["姓名", "姓名", "公民身份号码", "联系电话", "手机号", "网格编码"]
    rows = [["甲", "", id_number(sequence=1), "", "13800138000", GRID],  # the phone only in 手机号
            ["乙", "", id_number(sequence=3), "0738-8312345", "13900139000", GRID],  # both: the first column's
            ["", "丙", id_number(sequence=5), "", "", GRID]]  # the name only in the second 姓名: who, never filled

    job = run(staff["worker"], csv_bytes(header, rows), "two.csv")

    assert (job.created, job.errors) == (2, 1), job.error_sample
    assert job.error_sample == [{"row": 4, "column": "姓名", "reason": "required"}]
    assert person(id_number(sequence=1)).phone_hash == crypto.lookup_hash("13800138000", field="phone")
    assert person(id_number(sequence=3)).phone_hash == crypto.lookup_hash("07388312345", field="phone")
    notes = " ".join(job.notes)
    assert "联系电话 (“联系电话”、“手机号”): the first one's cells are imported; where one is empty" in notes
    assert "姓名 (“姓名”、“姓名”): only the first one's cells are imported" in notes


def test_a_column_about_someone_else_never_says_who_the_row_is(staff):
    """身份证号码（监护人）is the guardian's number, not the child's: a bracket naming
    someone else makes another column, and the ID number is never taken from a second
    column — the child's row without its own number is refused, the guardian untouched."""
    guardian = id_number(sequence=7)
    assert run(staff["worker"], csv_bytes(SHORT, [["王父", guardian, "", GRID]]), "father.csv").created == 1
    header = ["姓名", "公民身份号码", "网格编码", "监护人", "身份证号码（监护人）", "所属网格"]

    job = run(staff["worker"], csv_bytes(header, [["王小宝", "", GRID, "王父", guardian, "月塘第2网格"],
                                                  ["王小妹", id_number(sequence=9), GRID, "王父", guardian, "月塘第2网格"]]),
              "child.csv")

    assert (job.created, job.updated, job.errors) == (1, 0, 1), job.error_sample
    assert job.error_sample == [{"row": 2, "column": "公民身份号码", "reason": "required"}]
    assert person(guardian).name == "王父"
    assert person(id_number(sequence=9)).grid.code == GRID  # 网格编码, the template's own header, before 所属网格
    assert "身份证号码（监护人）" in " ".join(job.notes)


# --- #9: phones with a second number or an extension ---------------------------------------------


@pytest.mark.parametrize(("phone", "reason"), [
    ("13800130017;13900130017", "second number or an extension"),
    ("13800130017；13900130017", "second number or an extension"),
    ("13800130017/13900130017", "second number or an extension"),
    ("0738-8312345 ext 801", "second number or an extension"),
    ("0738-8312345#801", "second number or an extension"),
    ("0738-8312345x801", "second number or an extension"),
    ("0738-8312345-801", "a landline with the extension 801"),
])
def test_a_phone_cell_with_a_second_number_or_an_extension_is_refused(staff, phone, reason):
    job = run(staff["worker"], csv_bytes(SHORT, [["甲", id_number(sequence=1), phone, GRID]]), "phone.csv")

    assert (job.created, job.errors) == (0, 1)
    assert job.error_sample[0]["column"] == "联系电话"
    assert reason in job.error_sample[0]["reason"]
    assert "13900130017" not in str(job.error_sample)  # the summary is kept in clear: no second number in it


# --- #10: header names with notes ----------------------------------------------------------------


@pytest.mark.parametrize("header", [
    ["姓名（必填）", "身份证号码（必填）", "联系电话", "所属网格（必填）"],
    ["姓名", "身份证号码(18位)", "联系电话", "网格编码"],
    ["姓名", "身份证\u00a0号码", "联系电话", "网格编码"],
    ["姓名:", "公民身份号码：", "联系电话", "【必填】网格编码"],
    ["\u200b姓名", "公民身份号码\u3000", "联系电话[手机]", "网格编码"],
    ["姓名（全名）", "公民身份号码（必填，18位）", "联系电话（手机/座机）", "网格编码（见说明）", "与户主关系（本人/配偶/子女/父母）"],
    ["姓名", "公民身份号码（末位X为大写字母）", "联系电话", "网格编码", "性别（男/女）", "人员类型（户籍/流动/寄住/境外/未落户）"],
    # A clause saying whom to ask names no one else; a contact phone may be the person's or a relative's.
    ["姓名", "公民身份号码", "联系电话（本人或家属）", "网格编码（填写所属网格编码，可咨询网格负责人）"],
    ["姓名（与户口簿一致）", "公民身份号码（18位，其他证件请在备注说明）", "联系电话", "网格编码（不清楚的请联系社区）"],
    ["姓名", "公民身份号码", "联系电话", "网格编码（填写所属网格编码 可咨询网格负责人）"],
    ["姓名", "公民身份号码", "联系电话", "网格编码（有疑问请咨询社区）"],
    ["姓名", "公民身份号码", "联系电话", "网格编码（不清楚的可咨询所在社区居委会或网格员）"],
    ["姓名", "公民身份号码", "联系电话", "网格编码（见“网格清单”工作表）"],
    # Who the row is: filling instructions clerks write.
    ["姓名（必填项，请核对后填写）", "公民身份号码（请设置为文本格式，X用大写）", "联系电话", "网格编码"],
    ["姓名（少数民族姓名中间用·隔开）", "公民身份号码（第二代居民身份证号码，15或18位）", "联系电话", "网格编码"],
    ["姓名（不超过50个字，与身份证上一致）", "身份证号码（若无身份证填其他证件号码）", "联系电话", "网格编码"],
    ["姓名（不超过10个汉字）", "身份证号码（17位数字+1位校验码，第18位为X的请大写）", "联系电话", "网格编码"],
])
def test_header_names_with_notes_spaces_or_colons_are_recognised(staff, header):
    cells = ["甲", id_number(sequence=1), "13800138000", GRID] + [""] * (len(header) - 4)
    job = run(staff["worker"], csv_bytes(header, [cells]), "notes.csv")

    assert job.status == ImportStatus.DONE, job.message
    assert (job.created, job.errors) == (1, 0)
    assert not [note for note in job.notes if "not imported" in note]  # every column recognised
    assert person(id_number(sequence=1)).phone_hash == crypto.lookup_hash("13800138000", field="phone")


# --- #12: invisible characters ------------------------------------------------------------------


def test_invisible_characters_in_ids_and_names_are_dropped(staff):
    numbers = [id_number(sequence=n) for n in (1, 3, 5, 7, 9)]
    rows = [["甲", numbers[0] + "\u200b", "", GRID],  # a zero-width space after it
            ["乙", "\ufeff" + numbers[1], "", GRID],  # a BOM in front
            ["丙", numbers[2][:6] + "\u2060" + numbers[2][6:], "", GRID],  # a word joiner inside
            ["丁", numbers[3][:6] + "\u00a0" + numbers[3][6:], "", GRID]]  # a non-breaking space inside
    content = csv_bytes(SHORT, rows) + f"\ufeff戊\u200b,{numbers[4]},,{GRID}\r\n".encode()  # a second file pasted on

    job = run(staff["worker"], content, "invisible.csv")

    assert (job.created, job.errors) == (5, 0), job.error_sample
    assert [person(number).name for number in numbers] == ["甲", "乙", "丙", "丁", "戊"]


# --- #13, #14: the error report ------------------------------------------------------------------


def test_a_pairs_first_row_refused_for_scope_is_not_called_imported(staff, tree):
    number = id_number(sequence=77)
    ResidentFactory(name="外区人", number=number, grid=tree["G21"])

    job = run(staff["worker"], csv_bytes(SHORT, [["甲", number, "", GRID], ["乙", number, "", GRID]]), "pair.csv")

    assert (job.created, job.errors) == (0, 2)
    report = report_rows(job)
    reasons = {cells[report[0].index("行号")]: cells[report[0].index("错误原因")] for cells in report[1:]}
    assert "may not register or change this person" in reasons[2]
    assert "imported" not in reasons[2]
    assert "row 2" in reasons[3]


def test_a_line_with_a_cell_too_many_keeps_every_cell_in_the_report(staff):
    header = ["姓名", "公民身份号码", "联系电话", "户籍地址", "网格编码", "入住日期"]
    content = csv_bytes(header, [["甲", id_number(sequence=1), "", "娄底市,娄星区", GRID, "2020-05-01"]])  # unquoted comma

    job = run(staff["worker"], content, "comma.csv")

    assert (job.created, job.errors) == (0, 1)
    content = report_bytes(job)
    report = report_rows(content)
    assert report[0] == [*header, "行号", "错误列", "错误原因", "多出的单元格"]  # importable as it is
    reason = report[1][-2]
    assert "a comma too many" in reason
    assert f"甲 | {id_number(sequence=1)} |  | 娄底市 | 娄星区 | {GRID} | 2020-05-01" in reason
    again = run(staff["worker"], content, "report.xlsx")
    assert (again.status, again.created, again.errors) == (ImportStatus.DONE, 0, 1)


def test_a_line_with_a_cell_too_many_is_refused_from_its_report_until_its_cells_are_moved(staff):
    """The cells beyond the header go into the report's 多出的单元格: imported again
    unchanged, the row is refused again (cut off, or shifted, it would import wrong
    data); with the cells moved into their columns, it imports whole."""
    header = ["姓名", "公民身份号码", "网格编码", "楼栋", "房号", "户籍地址"]
    rows = [["甲", id_number(sequence=1), GRID, "3栋", "301", "娄底市,娄星区"],  # the comma in the last column's text
            ["乙", id_number(sequence=3), GRID, "3栋", "2单元", "302", "娄底市"]]  # a cell too many in the middle
    job = run(staff["worker"], csv_bytes(header, rows), "comma.csv")
    assert (job.created, job.errors) == (0, 2)
    content = report_bytes(job)
    report = report_rows(content)
    assert report[0][-1] == "多出的单元格"
    assert [line[:6] + line[-1:] for line in report[1:]] == [
        ["甲", id_number(sequence=1), GRID, "3栋", "301", "娄底市", "娄星区"],
        ["乙", id_number(sequence=3), GRID, "3栋", "2单元", "302", "娄底市"]]

    again = run(staff["worker"], content, "report.xlsx")

    assert (again.created, again.errors) == (0, 2)
    assert all("beyond the header's last column" in sample["reason"] for sample in again.error_sample)
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    sheet.cell(row=2, column=6, value="娄底市,娄星区")
    sheet.cell(row=2, column=len(report[0])).value = None
    buffer = io.BytesIO()
    book.save(buffer)

    fixed = run(staff["worker"], buffer.getvalue(), "fixed.xlsx")

    assert (fixed.created, fixed.errors) == (1, 1)  # 乙's row, left as it was, still refused
    assert person(id_number(sequence=1)).registered_address == "娄底市,娄星区"


# --- #11: merged cells over a family's rows -----------------------------------------------------


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_cells_merged_down_over_a_familys_rows_give_each_row_their_value(staff, settings, cells):
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "公民身份号码", "网格编码", "楼栋", "房号", "户号", "与户主关系"])
    sheet.append(["户主", id_number(sequence=1), GRID, "3栋", "301", "H1", "户主"])  # row 2
    sheet.append(["妻", id_number(sequence=2), None, None, None, None, "配偶"])
    sheet.append(["子", id_number(sequence=3), None, None, None, None, "子女"])
    sheet.append(["邻居", id_number(sequence=5), GRID, "4栋", "401", "H2", "户主"])  # row 5: not merged
    sheet.append([None, None, None, None, None, None, None])  # row 6: blank under a merged 楼栋
    for column in "CDEF":
        sheet.merge_cells(f"{column}2:{column}4")
    sheet.merge_cells("D5:D6")

    job = run(staff["worker"], xlsx_bytes(workbook), "merged.xlsx")

    assert (job.rows, job.created, job.errors) == (4, 4, 0), job.error_sample
    family = [person(id_number(sequence=n)) for n in (1, 2, 3)]
    assert {(p.room.number, p.household.number, p.grid.code) for p in family} == {("301", "H1", GRID)}
    assert {p.room.building.name for p in family} == {"3栋"}
    assert any("Merged cells" in note and "C2:C4" in note for note in job.notes), job.notes


def test_rows_numbered_in_advance_are_empty_rows_not_errors(staff, tmp_path):
    """A ledger's template numbers its rows to the end of the page: rows that hold only
    their 序号 are skipped as empty (and said so), not reported three times "required"."""
    header = ["序号", *SHORT]
    rows = [["1", "甲一", id_number(sequence=91), "", GRID], ["2", "甲二", id_number(sequence=93), "", GRID],
            ["3", "", "", "", ""], ["4", "", "", "", ""], ["5", "", "", "", ""], ["6", "坏号", "123", "", GRID]]
    job = run(staff["worker"], csv_bytes(header, rows), "numbered.csv")
    assert (job.status, job.rows, job.created, job.errors) == (ImportStatus.DONE, 3, 2, 1)
    assert any("3 rows with nothing in the columns imported" in note for note in job.notes), job.notes

    places = tmp_path / "places.csv"
    places.write_bytes(csv_bytes(["序号", "场所名称", "场所类型", "网格编码"],
                                 [["1", "月塘超市", "市场", GRID], ["2", "", "", ""], ["3", "", "", ""]]))
    result, _report = key_places_import(actor=staff["worker"], path=places)
    assert (result.rows, result.created, result.errors) == (1, 1, 0)
    assert any("2 rows with nothing in the columns imported" in note for note in result.notes), result.notes


def test_a_place_keeps_its_contacts_name_with_its_phone(staff, tmp_path):
    """负责人 / 负责人电话 and 联系人 / 联系电话 in one ledger: the first pair in the file is
    imported together (the template's own 联系电话 does not jump ahead of 负责人电话)."""
    path = tmp_path / "places.csv"
    path.write_bytes(csv_bytes(["场所名称", "场所类型", "网格编码", "负责人", "负责人电话", "联系人", "联系电话"],
                               [["月塘小学", "学校", GRID, "李校长", "13900139000", "王老师", "13800138000"]]))
    result, _report = key_places_import(actor=staff["worker"], path=path)
    assert (result.created, result.errors) == (1, 0)
    place = KeyPlace.objects.get(name="月塘小学")
    assert (place.contact_name, place.contact_phone) == ("李校长", "13900139000")


@pytest.mark.parametrize("qualified", ["姓名（曾用名）", "联系电话（单位）", "联系电话（家长）", "联系电话（父/母）", "联系电话（非本人）",
                                       "联系电话（请填写监护人电话）", "身份证号码（监护人身份证）", "身份证号码（本人或监护人）",
                                       "姓名（本人或户主）", "出生日期（农历）", "户籍地址（省）", "户籍地址（本人或户主）",
                                       # A clause that starts as advice and says whose it is.
                                       "身份证号码（咨询监护人后填写监护人身份证号）", "姓名（请联系户主填写户主姓名）",
                                       "联系电话（询问监护人后填写监护人电话）", "联系电话（请联系家属）",
                                       "联系电话(不是本人)", "联系电话（除本人外）", "联系电话（本人以外）", "联系电话（本人除外）",
                                       # Advice that leaves a bare 本人 behind; a fallback to a relative.
                                       "联系电话（监护人，本人不清楚的请联系社区）", "联系电话（本人，没有的填家属）",
                                       # Relations of everyday speech; who the row is takes filling instructions only.
                                       "身份证号码（儿子）", "身份证号码（爱人）", "身份证号码（房主）", "姓名（儿子）", "姓名（如：张三）",
                                       "联系电话（儿子）", "联系电话（老伴）", "联系电话（邻居）", "联系电话（帮扶责任人）",
                                       "联系电话（Guardian）", "联系电话（工作）", "姓名（拼音）", "姓名（登记人）", "姓名（2）",
                                       "身份证号码（后四位）", "身份证号码（勿填本人）", "联系电话（孩子）", "联系电话（媳妇）",
                                       "联系电话（亲戚）", "联系电话（保姆）", "联系电话（楼栋长）", "联系电话（不包括本人）",
                                       "户籍地址（原籍）", "出生日期（旧历）", "姓名（以前的）", "身份证号码（以前用的）"])
def test_a_note_naming_someone_else_or_another_kind_makes_another_column(staff, qualified):
    """A bracket that says whose or which (a former name, a work phone, a parent's, a
    lunar date) is not a note on how to fill the column: the column is another one, not
    imported (and named), and never fills the person's own field."""
    header = [qualified, *SHORT]
    job = run(staff["worker"], csv_bytes(header, [["别人的", "甲", id_number(sequence=1), "", GRID]]), "qualified.csv")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), job.message
    assert any(qualified in note and "not imported" in note for note in job.notes), job.notes
    resident = person(id_number(sequence=1))
    assert (resident.name, bool(resident.phone_hash), resident.registered_address) == ("甲", False, "")
