"""A sheet too big to read whole is read by python-calamine in parts
(``IMPORT_XLSX_CALAMINE_CELLS``, ``IMPORT_XLSX_PART_BYTES``): imported so, a file gives
exactly what it gives read whole — row numbers, columns from a table starting at B,
merged cells, dates (in Excel's 1904 date system too), shared strings as Excel writes
them, numbers Excel made of IDs — and a damaged sheet is refused by name."""

import datetime
import io
import os
import zipfile

import pytest
from django.conf import settings as django_settings
from openpyxl import Workbook

from residents import crypto
from residents.models import Household, ImportStatus, Resident, Room
from tests.residents.factories import id_number
from tests.residents.test_import_messy_ledgers import CALAMINE, GRID, STREAMED, report_rows, run, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "公民身份号码", "联系电话", "网格编码", "楼栋", "房号", "户号", "入住日期"]


def ledger() -> bytes:
    """A ledger as offices keep them: a title merged over the table, which starts at B2;
    a family's 楼栋 and 户号 merged down; an empty row; a date typed as a date; an ID that
    Excel made a number; a line break typed in a name (Excel's _x000D_)."""
    workbook = Workbook()
    sheet = workbook.active
    rows = [
        ["月塘社区实有人口台账"],
        HEADER,
        ["王一", id_number(sequence=1), "13800138001", GRID, "1栋", "101", "H-1", datetime.date(2020, 5, 1)],
        ["王二", id_number(sequence=3), "13800138003", GRID, None, "101", None, "2021-06-02"],
        [],
        ["李三", 431302198001010000, "13800138005", GRID, "2栋", "201", "H-2", None],  # an ID Excel made a number
        ["赵\r四", id_number(sequence=7), "", GRID, "2栋", "202", "H-3", None],
        ["钱五", id_number(sequence=9), "123", GRID, "3栋", "301", "H-4", None],  # a bad phone
    ]
    for number, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=2):
            sheet.cell(row=number, column=column, value=value)
    sheet.merge_cells("B1:I1")
    sheet.merge_cells("F3:F4")
    sheet.merge_cells("H3:H4")
    return xlsx_bytes(workbook)


def outcome(job) -> tuple:
    people = sorted(
        (resident.name, resident.phone_hash, resident.moved_in_on, resident.household.number if resident.household else None,
         resident.room.building.name if resident.room else None)
        for resident in Resident.objects.select_related("household", "room__building"))
    report = report_rows(job)
    named = [position for position, name in enumerate(report[0]) if name is not None]  # read in parts, cells start at A
    report = [[line[position] for position in named] for line in report]
    return (job.status, job.rows, job.created, job.errors, job.error_sample, job.notes, report, people)


def forget_everyone():
    Resident.objects.all().delete()
    Household.objects.all().delete()
    Room.objects.all().delete()


def scratch_files() -> int:
    """Open files of this process in var/tmp (the scratch workbook is one while read)."""
    directory = str(django_settings.VAR_DIR / "tmp")
    count = 0
    for descriptor in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{descriptor}").startswith(directory)
        except OSError:
            continue
    return count


@pytest.mark.parametrize("part_bytes", [1, 300, 4 * 1024 * 1024])
def test_a_sheet_read_in_parts_gives_what_it_gives_read_whole(staff, settings, part_bytes):
    content = ledger()
    settings.IMPORT_XLSX_CALAMINE_CELLS = CALAMINE
    whole = run(staff["worker"], content, "ledger.xlsx")
    expected = outcome(whole)
    assert (whole.status, whole.rows, whole.created, whole.errors) == (ImportStatus.DONE, 5, 3, 2), whole.error_sample
    assert [(sample["row"], sample["column"]) for sample in whole.error_sample] == [(6, "公民身份号码"), (8, "联系电话")]
    forget_everyone()

    settings.IMPORT_XLSX_CALAMINE_CELLS, settings.IMPORT_XLSX_PART_BYTES = STREAMED, part_bytes
    open_before = scratch_files()
    parts = run(staff["worker"], content, "ledger.xlsx")

    assert outcome(parts) == expected
    assert scratch_files() == open_before  # the scratch workbook is closed (and was never linked)


def excel_written(rows: list[list], *, properties: str = "<workbookPr/>", numbered: bool = True,
                  strings_target: str = "/xl/sharedStrings.xml") -> bytes:
    """A workbook as Excel and other writers write it: text in shared strings, a date as
    a number styled as a date (in the 1904 date system when ``properties`` say so); rows
    and cells with their references, or without (``numbered``: as SAX-style writers do)."""
    strings: dict[str, int] = {}
    epoch = datetime.date(1904, 1, 1) if "date1904" in properties else datetime.date(1899, 12, 30)

    def cell(column: int, number: int, value) -> str:
        reference = f' r="{"ABCDEFGH"[column]}{number}"' if numbered else ""
        if isinstance(value, datetime.date):
            return f'<c{reference} s="1"><v>{(value - epoch).days}</v></c>'
        return f'<c{reference} t="s"><v>{strings.setdefault(value, len(strings))}</v></c>'

    sheet_rows = "".join(
        (f'<row r="{number}">' if numbered else "<row>") + "".join(cell(column, number, value) for column, value in enumerate(row))
        + "</row>" for number, row in enumerate(rows, start=1))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
        f'formats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
        f'"/xl/workbook.xml" ContentType="{kinds}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{kinds}.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="{kinds}.'
        f'sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="{kinds}.styles+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}"><Relationship Id="rId1" '
        f'Type="{relationships}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{relationships}">'
        + properties + '<sheets><sheet name="实有人口" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}">'
        f'<Relationship Id="rId1" Type="{relationships}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{relationships}/sharedStrings" Target="{strings_target}"/>'
        f'<Relationship Id="rId3" Type="{relationships}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{main}"><fonts count="1"><font/></fonts>'
        '<fills count="1"><fill/></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">' + "".join(f"<si><t>{text}</t></si>" for text in strings) + "</sst>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}">'
        f"<sheetData>{sheet_rows}</sheetData></worksheet>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize("properties, strings_target", [
    ("<workbookPr/>", "/xl/sharedStrings.xml"),
    ('<workbookPr date1904="1"/>', "sharedStrings.xml"),
    ('<workbookPr date1904="1"></workbookPr>', "../xl/sharedStrings.xml"),  # as some writers close it; a relative path
    ("<workbookPr date1904 = 'true'/>", "sharedStrings.xml"),
])
@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_shared_strings_and_the_date_system_are_read_as_excel_shows_them(staff, settings, cells, properties, strings_target):
    settings.IMPORT_XLSX_CALAMINE_CELLS = cells
    rows = [["姓名", "公民身份号码", "网格编码", "入住日期"], ["王一", id_number(sequence=1), GRID, datetime.date(2020, 5, 1)]]
    job = run(staff["worker"], excel_written(rows, properties=properties, strings_target=strings_target), "ledger.xlsx")

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 1, 0), (job.message, job.error_sample)
    resident = Resident.objects.get(id_hash=crypto.lookup_hash(id_number(sequence=1), field="id_number"))
    assert (resident.name, resident.moved_in_on) == ("王一", datetime.date(2020, 5, 1))


def numberless_ledger() -> list[list]:
    rows = [["姓名", "公民身份号码", "联系电话", "网格编码"]]
    for sequence in range(1, 31):
        rows.append([f"居民{sequence}", id_number(sequence=2 * sequence + 1), "13800138000", GRID])
    rows[20][2] = "123"  # row 21: a bad phone
    rows[25][1] = rows[2][1]  # row 26: row 3's ID number again
    return rows


@pytest.mark.parametrize("part_bytes", [1, 200, 2000])
def test_rows_without_numbers_keep_excels_numbers_in_parts(staff, settings, part_bytes):
    """Rows and cells written without references (as SAX-style writers do): each part
    goes on from the part before, so errors are reported on Excel's rows and the row
    with an earlier row's ID number is told from it."""
    content = excel_written(numberless_ledger(), numbered=False)
    settings.IMPORT_XLSX_CALAMINE_CELLS = CALAMINE
    whole = run(staff["worker"], content, "ledger.xlsx")
    expected = outcome(whole)
    assert [(sample["row"], sample["column"]) for sample in whole.error_sample] == [(21, "联系电话"), (26, "公民身份号码")]
    forget_everyone()

    settings.IMPORT_XLSX_CALAMINE_CELLS, settings.IMPORT_XLSX_PART_BYTES = STREAMED, part_bytes
    assert outcome(run(staff["worker"], content, "ledger.xlsx")) == expected


@pytest.mark.parametrize("cells", [CALAMINE, STREAMED])
def test_a_sheet_damaged_near_its_end_imports_nothing_and_keeps_no_file_open(staff, settings, cells):
    """A stray end tag in a late row: refused before any row is written, read whole or in
    parts (every part is loaded before the first row is given), and the scratch workbook
    of clear personal data is closed even so."""
    settings.IMPORT_XLSX_CALAMINE_CELLS, settings.IMPORT_XLSX_PART_BYTES, settings.RESIDENT_IMPORT_BATCH = cells, 200, 5
    source = zipfile.ZipFile(io.BytesIO(excel_written(numberless_ledger())))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<row r="29">', b'<row r="29"></c>')
            archive.writestr(item, data)
    open_before = scratch_files()

    job = run(staff["worker"], buffer.getvalue(), "ledger.xlsx")

    assert (job.status, job.created) == (ImportStatus.FAILED, 0), (job.status, job.created, job.message)
    assert "is damaged and cannot be read" in job.message
    assert not Resident.objects.exists()
    assert scratch_files() == open_before


def test_a_sheet_cut_short_is_refused_by_name_when_read_in_parts(staff, settings):
    settings.IMPORT_XLSX_CALAMINE_CELLS = STREAMED
    source = zipfile.ZipFile(io.BytesIO(ledger()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[:data.index(b"</sheetData>") - 40]  # the rows cut off mid-cell
            archive.writestr(item, data)

    job = run(staff["worker"], buffer.getvalue(), "ledger.xlsx")

    assert job.status == ImportStatus.FAILED
    assert "is damaged and cannot be read" in job.message and "Sheet" in job.message, job.message
    assert not Resident.objects.exists()
