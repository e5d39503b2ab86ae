"""What Excel leaves in a ledger that must not reach the register as data (review 17): a
formula's error (#N/A of a VLOOKUP: an empty cell to python-calamine, which would clear a
stored phone or room), its text in a CSV, ID numbers whose last digits Excel zeroed but
whose check character passes, hidden rows, a cover sheet before the table; and a few
ledger spellings read as the user means them: an ID in groups of four, a date-time at
midnight, a line break inside a name, a stray control character in a short CSV."""

import datetime
import re
import zipfile

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from grids.models import Area
from residents import crypto
from residents.ids import check_char
from residents.imports import import_file
from residents.imports.places import key_places_import
from residents.imports.reading import ImportFileError
from residents.models import KeyPlace, Resident
from tests.residents.conftest import row
from tests.residents.test_imports import ID1, ID2

GRID = "43130200100102"
H = ["姓名", "公民身份号码", "网格编码", "联系电话", "楼栋", "房号"]
CALAMINE, STREAMED = 10**9, 1  # IMPORT_XLSX_CALAMINE_CELLS: the sheet read whole, or in parts
pytestmark = pytest.mark.django_db


def workbook(path, sheets: dict[str, list[list]], hidden_rows=()):
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for values in rows:
            sheet.append(values)
        for number in hidden_rows:
            sheet.row_dimensions[number].hidden = True
    book.save(path)
    return path


def stored(name: str) -> tuple:
    person = Resident.objects.get(name=name)
    phone = crypto.decrypt(person.phone_cipher, field="phone") if person.phone_cipher else ""
    return phone, person.room_id


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED], ids=["whole", "in-parts"])
def test_an_xlsx_formula_error_is_refused_and_clears_nothing(staff, tmp_path, settings, cells):
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    path = workbook(tmp_path / "first.xlsx", {"名单": [H, ["王秀英", ID1, GRID, "13800138000", "3栋", "301"],
                                                       ["李强", ID2, GRID, "13900139000", "3栋", "302"]]})
    import_file(actor=staff["worker"], path=path)
    before = {name: stored(name) for name in ("王秀英", "李强")}

    # A VLOOKUP that found nothing, and a reference to a deleted sheet (openpyxl writes these
    # texts as error cells, t="e", as Excel saves them).
    path = workbook(tmp_path / "second.xlsx", {"名单": [H, ["王秀英", ID1, GRID, "#N/A", "3栋", "301"],
                                                        ["李强", ID2, GRID, "13900139000", "3栋", "#REF!"]]})
    with zipfile.ZipFile(path) as archive:
        assert b't="e"' in archive.read("xl/worksheets/sheet1.xml")
    result, report = import_file(actor=staff["worker"], path=path)

    assert (result.rows, result.updated, result.unchanged, result.errors) == (2, 0, 0, 2), result.error_sample
    assert [(error["column"], error["reason"]) for error in result.error_sample] == [
        ("联系电话", "the cell holds Excel's formula error #N/A: type the value itself"),
        ("房号", "the cell holds Excel's formula error #REF!: type the value itself")]
    assert {name: stored(name) for name in before} == before

    # The report is an import file: unfixed, its error cells are refused again.
    saved = report.save()
    again = tmp_path / "errors.xlsx"
    again.write_bytes(saved.read())
    result, _report = import_file(actor=staff["worker"], path=again)
    assert (result.rows, result.errors, result.updated) == (2, 2, 0), result.error_sample
    assert {name: stored(name) for name in before} == before


def test_excel_error_text_in_a_csv_is_refused(staff, write_csv):
    result, _report = import_file(actor=staff["worker"], path=write_csv(
        [["#N/A", ID1, GRID, "", "#REF!", ""], ["李强", ID2, GRID, "#value!", "", ""]], headers=H))

    assert (result.created, result.errors) == (0, 2)
    assert {(error["row"], error["column"]) for error in result.error_sample} == {(2, "姓名"), (2, "楼栋"), (3, "联系电话")}
    assert not Resident.objects.exists()


def _zeroed() -> str:
    """An ID number as Excel leaves it (15 digits kept, then 000) whose check character
    still passes: someone else's valid number."""
    for sequence in range(100, 1000, 100):
        first17 = f"43132220080218{sequence:03d}"
        if check_char(first17) == "0":
            return first17 + "0"
    for day in range(10, 29):
        first17 = f"431322200802{day}000"
        if check_char(first17) == "0":
            return first17 + "0"
    raise AssertionError("no such number")


def test_an_id_ending_in_000_is_refused_in_a_file_whose_other_ids_excel_zeroed(staff, write_csv):
    zeroed = _zeroed()
    damaged = "431322200802181000"  # its check character fails: Excel's number
    result, report = import_file(actor=staff["worker"], path=write_csv(
        [["甲", zeroed, GRID, "", "", ""], ["乙", ID1, GRID, "", "", ""], ["丙", damaged, GRID, "", "", ""]], headers=H))

    assert (result.rows, result.created, result.errors) == (3, 1, 2), result.error_sample
    assert list(Resident.objects.values_list("name", flat=True)) == ["乙"]
    reasons = {error["row"]: error["reason"] for error in result.error_sample}
    assert reasons[2].startswith("ends in 000 like the ID numbers of this file that Excel stored as numbers")
    assert reasons[4].startswith("Excel stored the ID number as a number")
    rows = list(load_workbook(report.save()).active.iter_rows(min_row=2, values_only=True))
    assert [cells[0] for cells in rows] == ["甲", "丙"]  # in row order


def test_an_id_ending_in_000_in_a_file_without_excels_numbers_is_imported(staff, write_csv):
    zeroed = _zeroed()
    result, _report = import_file(actor=staff["worker"], path=write_csv(
        [["甲", zeroed, GRID, "", "", ""], ["乙", ID1, GRID, "", "", ""]], headers=H))

    assert (result.created, result.errors) == (2, 0), result.error_sample


def test_ledger_spellings_read_as_meant(staff, write_csv):
    grouped = " ".join([ID1[:4], ID1[4:8], ID1[8:12], ID1[12:16], ID1[16:]])  # 1101 0519 4912 3100 2X
    rows = [row(name="王\n秀英", id_number=grouped, grid=GRID, birth_date="1949-12-31 00:00:00", moved_in_on="2020/5/1 0:00"),
            row(name="李\x07强", id_number=ID2, grid=GRID, address="月塘路\n二楼")]
    result, _report = import_file(actor=staff["worker"], path=write_csv(rows))

    assert (result.created, result.errors) == (2, 0), result.error_sample
    first = Resident.objects.get(name="王 秀英")
    assert first.moved_in_on == datetime.date(2020, 5, 1)
    assert Resident.objects.get(name="李 强").registered_address == "月塘路\n二楼"  # an address keeps its lines


def test_a_short_csv_with_a_stray_control_character_is_read(staff, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text(f"姓名,公民身份号码,网格编码\r\n王\x07秀英,{ID1},{GRID}\r\n李\x1b强,{ID2},{GRID}\r\n", encoding="utf-8")

    result, _report = import_file(actor=staff["worker"], path=path)

    assert (result.created, result.errors) == (2, 0), result.error_sample


def test_a_move_in_date_before_birth_or_to_come_is_refused(staff, write_csv):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    result, _report = import_file(actor=staff["worker"], path=write_csv(
        [row(name="王秀英", id_number=ID1, grid=GRID, moved_in_on="1900-01-01"),
         row(name="李强", id_number=ID2, grid=GRID, moved_in_on=tomorrow)]))

    assert (result.created, result.errors) == (0, 2)
    assert [error["reason"] for error in result.error_sample] == [
        "is before the birth date in the ID number (1949-12-31)", "is in the future"]


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED], ids=["whole", "in-parts"])
def test_hidden_rows_are_read_and_said(staff, tmp_path, settings, cells):
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    path = workbook(tmp_path / "filtered.xlsx", {"名单": [H, ["王秀英", ID1, GRID, "", "", ""], ["李强", ID2, GRID, "", "", ""]]},
                    hidden_rows=[3])

    result, _report = import_file(actor=staff["worker"], path=path)

    assert result.created == 2
    assert "1 row is hidden in Excel (row 3) and was read like the others." in result.notes


def test_a_cover_sheet_before_the_table_names_the_sheet_to_choose(staff, tmp_path):
    path = workbook(tmp_path / "ledger.xlsx", {"填表说明": [["请按要求填写"], ["身份证号请设为文本"]],
                                               "名单": [H, ["王秀英", ID1, GRID, "", "", ""]]})

    with pytest.raises(ImportFileError) as refused:
        import_file(actor=staff["worker"], path=path)
    assert "Other sheets were not imported: “名单” (2 rows); choose one to import it." in str(refused.value), refused.value

    result, _report = import_file(actor=staff["worker"], path=path, sheet="名单")
    assert result.created == 1


def test_a_third_spelling_of_two_places_spelled_alike_is_refused(staff, tmp_path):
    grid_id = Area.objects.get(code=GRID).pk
    KeyPlace.objects.create(grid_id=grid_id, name="月塘小学（东校区）", kind="school")
    KeyPlace.objects.create(grid_id=grid_id, name="月塘小学(东校区)", kind="school")
    path = tmp_path / "places.csv"
    path.write_text(f"场所名称,场所类型,网格编码\r\n月塘小学（东校区),学校,{GRID}\r\n月塘诊所,诊所,{GRID}\r\n", encoding="utf-8")

    result, _report = key_places_import(actor=staff["worker"], path=path)

    assert (result.rows, result.created, result.errors) == (2, 1, 1), result.error_sample
    assert KeyPlace.objects.count() == 3
    assert result.error_sample[0]["reason"].startswith("places spelled like this are already recorded in the grid")


def _without_references(path):
    """The sheet as some generators write it: no r="…" on rows and cells."""
    with zipfile.ZipFile(path) as archive:
        parts = {item.filename: archive.read(item.filename) for item in archive.infolist()}
    parts["xl/worksheets/sheet1.xml"] = re.sub(rb'(<(?:row|c)\b[^>]*?) r="[A-Z]*[0-9]+"', rb"\1", parts["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED], ids=["whole", "in-parts"])
def test_error_cells_are_found_without_cell_references_and_rows_of_errors_alone_are_empty(staff, tmp_path, settings, cells):
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    import_file(actor=staff["worker"], path=workbook(tmp_path / "first.xlsx", {"名单": [
        H, ["王秀英", ID1, GRID, "13800138000", "3栋", "301"]]}))
    before = stored("王秀英")
    # 性别 worked out from an empty ID by a formula filled down past the data: #VALUE!
    path = _without_references(workbook(tmp_path / "second.xlsx", {"名单": [
        H + ["性别"], ["王秀英", ID1, GRID, "#N/A", "3栋", "301", "女"], [None, None, None, None, None, None, "#VALUE!"],
        [None, None, None, None, None, None, "#VALUE!"]]}, hidden_rows=[5]))
    with zipfile.ZipFile(path) as archive:
        assert b' r="' not in archive.read("xl/worksheets/sheet1.xml")

    result, _report = import_file(actor=staff["worker"], path=path)

    assert (result.rows, result.errors, result.updated) == (1, 1, 0), result.error_sample
    assert result.error_sample[0]["reason"] == "the cell holds Excel's formula error #N/A: type the value itself"
    assert stored("王秀英") == before
    assert not any("hidden" in note for note in result.notes)  # row 5 was hidden, and has no cells


def test_the_hidden_rows_of_a_sheet_that_is_refused_are_not_said_read(staff, tmp_path):
    path = workbook(tmp_path / "cover.xlsx", {"说明": [["请按要求填写"], ["身份证号请设为文本"]]}, hidden_rows=[2])

    with pytest.raises(ImportFileError) as refused:
        import_file(actor=staff["worker"], path=path)
    assert "hidden" not in str(refused.value)


def test_a_name_of_control_characters_alone_is_missing(staff, tmp_path):
    path = tmp_path / "bell.csv"
    path.write_text(f"姓名,公民身份号码,网格编码\r\n\x07,{ID1},{GRID}\r\n", encoding="utf-8")
    places = tmp_path / "places.csv"
    places.write_text(f"场所名称,场所类型,网格编码\r\n\x07,学校,{GRID}\r\n", encoding="utf-8")

    result, _report = import_file(actor=staff["worker"], path=path)
    place_result, _report = key_places_import(actor=staff["worker"], path=places)

    assert (result.errors, result.error_sample[0]["reason"]) == (1, "required")
    assert (place_result.errors, place_result.error_sample[0]["reason"]) == (1, "required")
    assert not Resident.objects.exists() and not KeyPlace.objects.exists()


def test_excels_numbers_mark_the_file_even_on_rows_refused_for_else_and_true_is_no_number(staff, write_csv, tmp_path):
    zeroed = _zeroed()
    result, _report = import_file(actor=staff["worker"], path=write_csv(
        [["甲", zeroed, GRID, "", "", ""], ["", "431322200802181000", GRID, "", "", ""]], headers=H))

    assert (result.created, result.errors) == (0, 2), result.error_sample  # the second row: no name, and Excel's ID

    path = workbook(tmp_path / "true.xlsx", {"名单": [H, ["乙", True, GRID, "", "", ""], ["甲", zeroed, GRID, "", "", ""]]})
    result, _report = import_file(actor=staff["worker"], path=path)
    assert (result.created, result.errors) == (1, 1), result.error_sample
    assert "Excel" not in result.error_sample[0]["reason"]


def test_a_15_digit_id_upgraded_to_one_ending_in_000_is_not_taken_for_excels(staff, write_csv):
    legacy = next(first17[:6] + first17[8:] for day in range(10, 29) for sequence in range(100, 1000, 100)
                  if check_char(first17 := f"4313021980{day % 9 + 1:02d}{day}{sequence:03d}") == "0")
    result, _report = import_file(actor=staff["worker"], upgrade_ids=True, path=write_csv(
        [["甲", legacy, GRID, "", "", ""], ["丙", "431322200802181000", GRID, "", "", ""]], headers=H))

    assert (result.created, result.errors) == (1, 1), result.error_sample


def test_a_report_imported_again_refuses_the_zeroed_row_the_user_left_as_it_was(staff, write_csv, tmp_path):
    zeroed = _zeroed()
    _result, report = import_file(actor=staff["worker"], path=write_csv(
        [["甲", zeroed, GRID, "", "", ""], ["戊", "431322200802181000", GRID, "", "", ""],
         ["丙", 43132220080218, GRID, "", "", "12345"]], headers=H))  # a 14-digit typo, refused for else: marks nothing
    book = load_workbook(report.save())
    sheet = book.active
    sheet.cell(row=3, column=2, value=ID1)  # 戊's number typed again; 甲's left as it was
    fixed = tmp_path / "fixed.xlsx"
    book.save(fixed)

    result, _report = import_file(actor=staff["worker"], path=fixed)

    assert set(Resident.objects.values_list("name", flat=True)) == {"戊"}
    assert result.error_sample[0]["row"] == 2
    assert result.error_sample[0]["reason"].startswith("the error report refused this number")

    sheet.cell(row=2, column=sheet.max_column).value = None  # 甲's number is right: its 错误原因 emptied
    book.save(fixed)
    result, _report = import_file(actor=staff["worker"], path=fixed)
    assert set(Resident.objects.values_list("name", flat=True)) == {"戊", "甲"}, result.error_sample


def test_a_15_digit_number_cell_or_a_line_problem_marks_the_file_only_when_excel_lost_digits(staff, tmp_path, write_csv):
    zeroed = _zeroed()
    path = workbook(tmp_path / "old.xlsx", {"名单": [H, ["", 110105491231002, GRID, "", "", ""], ["甲", zeroed, GRID, "", "", ""]]})
    result, _report = import_file(actor=staff["worker"], path=path)
    assert (result.created, result.errors) == (1, 1), result.error_sample  # all 15 digits kept: no mark

    path = tmp_path / "line.csv"
    path.write_text(f"{','.join(H)}\r\n乙,{zeroed},{GRID},,,\r\n丙,4.31322E+17,{GRID},,3栋,301,2单元\r\n", encoding="utf-8")
    result, _report = import_file(actor=staff["worker"], path=path)
    assert (result.created, result.errors) == (0, 2), result.error_sample  # a cell too many, and Excel's number


def test_the_error_sample_is_the_first_errors_in_row_order(staff, write_csv):
    zeroed = _zeroed()
    rows = [["甲", zeroed, GRID, "", "", ""], ["戊", "431322200802181000", GRID, "", "", ""]]
    rows += [["", ID1, GRID, "", "", ""]] * 120
    result, _report = import_file(actor=staff["worker"], path=write_csv(rows, headers=H))

    assert [error["row"] for error in result.error_sample][:3] == [2, 3, 4]
    assert len(result.error_sample) == 100


def test_a_header_below_twenty_empty_rows_is_found_on_a_sheet_read_whole(staff, tmp_path):
    path = workbook(tmp_path / "low.xlsx", {"名单": [[None]] * 21 + [H, ["王秀英", ID1, GRID, "", "", ""]]})
    with zipfile.ZipFile(path) as archive:
        assert b'r="22"' in archive.read("xl/worksheets/sheet1.xml")

    result, _report = import_file(actor=staff["worker"], path=path)

    assert (result.created, result.errors) == (1, 0)


def test_a_workbook_written_with_single_quotes_is_scanned_for_formula_errors(staff, tmp_path):
    import_file(actor=staff["worker"], path=workbook(tmp_path / "first.xlsx", {"名单": [H, ["王秀英", ID1, GRID, "13800138000", "", ""]]}))
    path = workbook(tmp_path / "quotes.xlsx", {"名单": [H, ["王秀英", ID1, GRID, "#N/A", "", ""]]})
    with zipfile.ZipFile(path) as archive:
        parts = {item.filename: archive.read(item.filename) for item in archive.infolist()}
    for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        declaration, end, body = parts[name].rpartition(b"?>")
        parts[name] = declaration + end + re.sub(rb'(\s[\w:]+)="([^"]*)"', rb"\1='\2'", body)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)

    result, _report = import_file(actor=staff["worker"], path=path)

    assert (result.updated, result.errors) == (0, 1), result.error_sample
    assert stored("王秀英")[0] == "13800138000"
