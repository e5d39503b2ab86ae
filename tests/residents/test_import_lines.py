"""Lines that cannot be read as they are (a damaged character, bytes that are neither
UTF-8 nor GBK, a stray quote) are reported with the damage shown as �, and the error
report they go into stays an import file: imported again unchanged, such a row is
refused again, never stored with the replacement character; retyped, it imports."""

import io

import pytest
from django.core.files import File
from openpyxl import load_workbook

from residents.imports import HEADERS, resident_import_start
from residents.models import ImportStatus, Resident
from tests.residents.conftest import row
from tests.residents.factories import id_number
from tests.residents.test_import_round_trip import GRID, run

pytestmark = pytest.mark.django_db


def report(job) -> bytes:
    with job.error_file.open("rb") as handle:
        return handle.read()


def csv_line(cells) -> bytes:
    return ",".join(cells).encode("utf-8") + b"\r\n"


def test_a_damaged_line_goes_round_the_report_without_being_stored_until_retyped(staff):
    worker = staff["worker"]
    damaged = row(name="张伟", id_number=id_number(sequence=61), grid=GRID, address="娄底市娄星区")
    neither = row(name="李四", id_number=id_number(sequence=63), grid=GRID)
    content = (csv_line(HEADERS) + csv_line(row(name="好一", id_number=id_number(sequence=65), grid=GRID))
               + csv_line(damaged).replace("区".encode(), "区".encode()[:2])  # a byte of 区 lost
               + csv_line(neither).replace("李".encode(), b"\xff\xfe"))  # neither UTF-8 nor GBK
    job = run(worker, content, "ledger.csv")
    assert (job.rows, job.created, job.errors) == (3, 1, 2)
    assert [sample["reason"] for sample in job.error_sample] == [
        "the line is UTF-8 text with a damaged character (shown as a question mark in a black diamond); retype it",
        "the line holds bytes that are neither UTF-8 nor GBK text (shown as a question mark in a black diamond); retype them or save the file again as "
        "UTF-8 CSV"]

    # The report shows what was read, the damage as �; imported again as it is, the
    # two rows are refused again and nothing with � is stored.
    first_report = report(job)
    sheet = load_workbook(io.BytesIO(first_report)).active
    cells = [[cell.value for cell in line] for line in sheet.iter_rows(min_row=2)]
    assert cells[0][:4] == ["张伟", None, None, damaged[3]] and cells[0][7] == "娄底市娄星\ufffd"
    assert cells[1][0] == "\ufffd\ufffd四"
    again = run(worker, first_report, "report.xlsx")
    assert (again.rows, again.created, again.updated, again.errors) == (2, 0, 0, 2)
    assert not Resident.objects.filter(name__contains="\ufffd").exists()
    assert not Resident.objects.filter(registered_address__contains="\ufffd").exists()

    # Retyped in the report, both import; the first import's person is untouched.
    book = load_workbook(io.BytesIO(first_report))
    sheet = book.active
    sheet.cell(row=2, column=HEADERS.index("户籍地址") + 1, value="娄底市娄星区")
    sheet.cell(row=3, column=HEADERS.index("姓名") + 1, value="李四")
    buffer = io.BytesIO()
    book.save(buffer)
    fixed = run(worker, buffer.getvalue(), "fixed.xlsx")
    assert (fixed.rows, fixed.created, fixed.errors) == (2, 2, 0), fixed.error_sample
    assert Resident.objects.get(name="张伟").registered_address == "娄底市娄星区"
    assert sorted(Resident.objects.values_list("name", flat=True)) == ["好一", "张伟", "李四"]


@pytest.mark.parametrize("cells_read_whole", [10**9, 1])  # read by calamine, streamed by openpyxl
def test_a_nul_or_replacement_character_in_an_xlsx_cell_is_that_rows_problem(staff, write_xlsx, settings, cells_read_whole):
    """Excel writes a NUL as _x0000_, which the reader turns back into one: the row is
    reported, the other rows import (the NUL once failed the whole import in the
    database's COPY)."""
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells_read_whole
    path = write_xlsx([
        row(name="好二", id_number=id_number(sequence=71), grid=GRID, building="1栋"),
        row(name="坏楼", id_number=id_number(sequence=73), grid=GRID, building="1_x0000_栋"),
        row(name="坏名\ufffd", id_number=id_number(sequence=75), grid=GRID),
        row(name="好三", id_number=id_number(sequence=77), grid=GRID),
    ])
    with open(path, "rb") as handle:
        job = run(staff["worker"], handle.read(), "ledger.xlsx")
    assert (job.rows, job.created, job.errors) == (4, 2, 2)
    assert sorted(Resident.objects.values_list("name", flat=True)) == ["好三", "好二"]
    assert {sample["row"] for sample in job.error_sample} == {3, 4}


# IMPORT_XLSX_CALAMINE_CELLS: the sheet read by calamine, or streamed by openpyxl (the
# reader turns Excel's escape _x0000_ back into a NUL on both).
@pytest.mark.parametrize(("cells_read_whole", "damage"), [(10**9, "_x0000_"), (10**9, "\ufffd"), (1, "_x0000_"), (1, "\ufffd")])
def test_a_damaged_row_inside_a_merged_range_is_its_own_problem(staff, settings, cells_read_whole, damage):
    """A family's 户号 merged down over its rows, one row damaged: that row is reported,
    the others take the merged value (the damaged row once stopped the whole import)."""
    from openpyxl import Workbook

    settings.IMPORT_XLSX_CALAMINE_CELLS = cells_read_whole
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "公民身份号码", "联系电话", "网格编码", "户号"])
    sheet.append(["甲", id_number(sequence=81), "", GRID, "H-81"])
    sheet.append([f"乙{damage}", id_number(sequence=83), "", GRID, None])
    sheet.append(["丙", id_number(sequence=85), "", GRID, None])
    sheet.merge_cells("E2:E4")
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = run(staff["worker"], buffer.getvalue(), "family.xlsx")

    assert (job.rows, job.created, job.errors) == (3, 2, 1)
    assert [sample["row"] for sample in job.error_sample] == [3]
    assert set(Resident.objects.values_list("name", "household__number")) == {("甲", "H-81"), ("丙", "H-81")}
    # The damaged row's report row has the merged value too: fixed, it joins its household.
    reported = load_workbook(io.BytesIO(report(job))).active
    assert [cell.value for cell in reported[2]][4] == "H-81"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_replacement_character_only_in_a_column_not_imported_keeps_the_row(staff, write_xlsx, kind):
    """A 备注 that lost a character in an earlier conversion stores nothing lost: the
    row imports (said so in a note); a � in a column imported still refuses its row,
    and a row refused for another reason keeps its 备注 in the report, whose import,
    corrected, imports it."""
    headers = [*HEADERS, "备注"]
    rows = [row(name="好一", id_number=id_number(sequence=91), grid=GRID) + ["低保\ufffd户"],
            row(name="坏\ufffd名", id_number=id_number(sequence=93), grid=GRID) + ["无"],
            row(name="错号", id_number=id_number(sequence=95)[:-1] + "0", grid=GRID) + ["'=备\ufffd注"],
            row(name="好二", id_number=id_number(sequence=97), grid=GRID) + [""]]
    if kind == "csv":
        content = b"".join(csv_line(cells) for cells in [headers, *rows])
    else:
        with open(write_xlsx(rows, headers=headers), "rb") as handle:
            content = handle.read()

    job = run(staff["worker"], content, f"ledger.{kind}")

    assert (job.rows, job.created, job.errors) == (4, 2, 2), job.error_sample
    assert sorted(Resident.objects.values_list("name", flat=True)) == ["好一", "好二"]
    assert any("2 rows hold a replacement character (�) only in columns that are not imported (“备注”)" in note
               for note in job.notes), job.notes
    reasons = {sample["row"]: sample["reason"] for sample in job.error_sample}
    assert "replacement character" in reasons[3] and "check character" in reasons[4]

    book = load_workbook(io.BytesIO(report(job)))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    lines = {line[header.index("行号")].value: line for line in sheet.iter_rows(min_row=2)}
    assert lines[4][header.index("备注")].value == "'=备\ufffd注"  # the formula guard again, removed on the way in
    lines[4][header.index("公民身份号码")].value = id_number(sequence=95)
    fixed = io.BytesIO()
    book.save(fixed)

    again = run(staff["worker"], fixed.getvalue(), "fixed.xlsx")

    assert (again.rows, again.created, again.errors) == (2, 1, 1), again.error_sample
    assert Resident.objects.filter(name="错号").exists()


@pytest.mark.parametrize("cells_read_whole", [10**9, 1])  # read by calamine, streamed by openpyxl
def test_excel_escapes_read_alike_on_both_xlsx_paths(staff, write_xlsx, settings, cells_read_whole):
    """Excel's _x000D_ is a carriage return on both paths; escapes above _x00FF_ (and a
    lone surrogate's, _xD800_) stay text on both, as calamine reads them (the streamed
    path once crashed the import on _xD800_)."""
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells_read_whole
    path = write_xlsx([row(name="好一", id_number=id_number(sequence=41), grid=GRID, address="月塘_x4E2D_路_xD800_"),
                       row(name="好二", id_number=id_number(sequence=43), grid=GRID, address="一_x000D_二")])
    with open(path, "rb") as handle:
        job = run(staff["worker"], handle.read(), "escapes.xlsx")

    assert (job.rows, job.created, job.errors) == (2, 2, 0), job.error_sample
    assert dict(Resident.objects.values_list("name", "registered_address")) == {"好一": "月塘_x4E2D_路_xD800_", "好二": "一\r二"}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_header_with_a_damaged_character_is_still_the_header(staff, write_xlsx, kind):
    """A header line whose 备注 lost a byte is still the header (its first data row is not
    taken for it): the rows import and the damaged column is named; a damaged 姓名 refuses
    the file naming the damage, not the first row's values."""
    rows = [row(name="好一", id_number=id_number(sequence=101), grid=GRID) + ["无"],
            row(name="好二", id_number=id_number(sequence=103), grid=GRID) + [""]]

    def content(damaged: str) -> bytes:
        headers = [*HEADERS, "备注"]
        if kind == "xlsx":
            with open(write_xlsx(rows, headers=[damaged[:-1] + "\ufffd" if name == damaged else name for name in headers]),
                      "rb") as handle:
                return handle.read()
        line = csv_line(headers).replace(damaged.encode(), damaged.encode()[:-1], 1)  # the last byte of its last character lost
        return line + b"".join(csv_line(cells) for cells in rows)

    job = run(staff["worker"], content("备注"), f"ledger.{kind}")
    assert (job.rows, job.created, job.errors) == (2, 2, 0), job.error_sample
    assert any("“备\ufffd”" in note and "damaged character" in note for note in job.notes), job.notes

    failed = resident_import_start(actor=staff["worker"], upload=File(io.BytesIO(content("姓名")), name=f"ledger.{kind}"),
                                   name=f"ledger.{kind}", language="en", run_inline=True)
    assert failed.status == ImportStatus.FAILED
    assert "missing columns: 姓名" in failed.message and "damaged character (shown as �) in “姓\ufffd”" in failed.message
    assert "好一" not in failed.message, failed.message
