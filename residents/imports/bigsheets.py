"""A sheet too big for python-calamine to hold whole (more than
``IMPORT_XLSX_CALAMINE_CELLS`` cells: calamine keeps ~120 bytes a cell), read by calamine
in parts.

One pass over the sheet's XML cuts its rows, at row boundaries, into parts of about
``IMPORT_XLSX_PART_BYTES`` bytes; each part becomes a sheet of a scratch workbook that
takes the original's shared strings, styles and date system (``private_temporary``:
0600 in var/tmp, unlinked from the start, so nothing of it stays even after a crash).
That workbook is opened once — the shared strings parsed once, held by calamine in
about a third of the memory openpyxl's list of them takes — and its sheets are loaded
one after the other. Each part's cells keep their references, so rows keep their
numbers as Excel shows them; cells are positions from column A (as the streamed
reader's merged ranges, ``workbooks._merged_in_xml``, count them). Cells are read by
calamine as for a sheet read whole: the same types, dates and escapes.
"""

import re
import zipfile
import zlib

from django.conf import settings

from residents.files import private_temporary

_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData(\s[^>]*?)?(/?)>")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")
_DIMENSION_ELEMENT = re.compile(rb"<(?:\w+:)?dimension\s[^>]*/>")
_WORKBOOK_PROPERTIES = re.compile(rb"<(?:\w+:)?workbookPr(\s[^>]*?)?/?>")
_DATE1904 = re.compile(rb"""\sdate1904\s*=\s*["'](?:1|true)["']""")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row(\s[^>]*?)?/?>")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")
_BLOCK = 1 << 22
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"


class DamagedSheet(Exception):
    """The sheet's XML is not what a worksheet holds (cut short)."""


def records_in_parts(path, part: str, shared: str | None, styles: str | None, damaged):
    """``(row number, cells)`` of the sheet stored in ``part`` of the .xlsx at ``path``
    (``shared``, ``styles``: the workbook's shared strings and styles parts, if any);
    ``damaged()``: the error to raise for a damaged sheet — before any row is given, as
    when the sheet is read whole (every part is loaded once first)."""
    from python_calamine import CalamineWorkbook

    with private_temporary() as scratch:
        try:
            count = _scratch_workbook(path, part, shared, styles, scratch)
        except (DamagedSheet, zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, zlib.error):
            raise damaged() from None
        if not count:
            return
        scratch.flush()
        workbook = None
        try:
            workbook = CalamineWorkbook.from_path(f"/proc/self/fd/{scratch.fileno()}")
            for index in range(count):
                workbook.get_sheet_by_index(index)  # loaded and dropped: a damaged part fails the file here
        except Exception:  # noqa: BLE001 (python-calamine's errors, zip or XML, derive from Exception)
            if workbook is not None:
                workbook.close()  # its own descriptor of the scratch file
            raise damaged() from None
        try:
            for index in range(count):
                sheet = workbook.get_sheet_by_index(index)
                if sheet.start is None:
                    continue  # a part of empty rows
                first, offset = sheet.start
                lead = [""] * offset
                rows = sheet.to_python(skip_empty_area=True)
                del sheet
                for number, cells in enumerate(rows, start=first + 1):
                    yield number, lead + cells if offset else cells
                del rows
        finally:
            workbook.close()


def _scratch_workbook(path, part: str, shared: str | None, styles: str | None, scratch) -> int:
    """Write the scratch workbook of ``part``'s rows into ``scratch``; how many sheets
    (parts) it has."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        properties = _WORKBOOK_PROPERTIES.search(source.read("xl/workbook.xml"))
        with source.open(part) as member:
            count, last = 0, 0
            head, prefix, rows = _head(member)
            for rows_of_part in rows:
                count += 1
                lead, last = _numbered(rows_of_part, last, prefix)
                with target.open(f"xl/worksheets/sheet{count}.xml", "w", force_zip64=True) as sheet:
                    sheet.write(head)
                    sheet.write(lead)
                    sheet.write(rows_of_part)
                    sheet.write(b"</%ssheetData></%sworksheet>" % (prefix, prefix))
        if not count:
            return 0
        for name, kind in ((shared, "sharedStrings"), (styles, "styles")):
            if name:
                with source.open(name) as original, target.open(f"xl/{kind}.xml", "w", force_zip64=True) as copy:
                    while block := original.read(_BLOCK):
                        copy.write(block)
        sheets = range(1, count + 1)
        target.writestr("[Content_Types].xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_TYPES}.worksheet+xml"/>' for i in sheets)
            + (f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPES}.sharedStrings+xml"/>' if shared else "")
            + (f'<Override PartName="/xl/styles.xml" ContentType="{_TYPES}.styles+xml"/>' if styles else "")
            + "</Types>"))
        target.writestr("_rels/.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE}">'
                        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
                        "</Relationships>")
        # Dates as Excel shows them: in the 1904 date system when the workbook is.
        date_system = '<workbookPr date1904="1"/>' if properties and _DATE1904.search(properties[1] or b"") else ""
        target.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" '
                        f'xmlns:r="{_RELATIONSHIPS}">{date_system}<sheets>'
                        + "".join(f'<sheet name="p{i}" sheetId="{i}" r:id="rId{i}"/>' for i in sheets) + "</sheets></workbook>")
        target.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                      for i in sheets)
            + (f'<Relationship Id="rIdS" Type="{_RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>' if shared else "")
            + (f'<Relationship Id="rIdT" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>' if styles else "")
            + "</Relationships>"))
    return count


def _numbered(rows: bytes, last: int, prefix: bytes) -> tuple[bytes, int]:
    """What a part's rows need before them, and the number of their last row (``last``:
    the part before's). A row without a number follows the row before it; calamine would
    count a part's first one from 1, so an empty row numbered ``last`` goes before it."""
    first = _ROW_TAG.search(rows)
    lead = b'<%srow r="%d"/>' % (prefix, last) if first and last and not _ROW_NUMBER.search(first[1] or b"") else b""
    tags = list(_ROW_TAG.finditer(rows, max(0, len(rows) - 65536)))  # the last rows, as a rule numbered
    if tags and (found := _ROW_NUMBER.search(tags[-1][1] or b"")):
        return lead, int(found[1])
    number = last
    for match in _ROW_TAG.finditer(rows):  # rows without numbers: counted
        found = _ROW_NUMBER.search(match[1] or b"")
        number = int(found[1]) if found else number + 1
    return lead, number


def _head(member) -> tuple[bytes, bytes, object]:
    """(the sheet's XML up to its rows, without its dimension; the namespace prefix of
    its elements; the rows cut into parts)."""
    buffer = b""
    while True:
        block = member.read(_BLOCK)
        buffer += block
        start = _SHEET_DATA.search(buffer)
        if start or not block:
            break
    if start is None:
        return b"", b"", iter(())  # a worksheet without rows
    head = _DIMENSION_ELEMENT.sub(b"", buffer[:start.start()]) + b"<%ssheetData>" % start[1]
    if start[3]:  # <sheetData/>: no rows
        return head, start[1], iter(())
    return head, start[1], _parts(member, buffer[start.end():], settings.IMPORT_XLSX_PART_BYTES)


def _parts(member, pending: bytes, size: int):
    """The sheet's rows (the XML after ``<sheetData>``: ``pending`` and what the member
    still holds) in parts of at least ``size`` bytes, each ending before a row's tag."""
    searched = 0  # where </sheetData> is not (an end tag cut by a block is looked for again)
    while True:
        end = _SHEET_DATA_END.search(pending, max(0, searched - 64))
        limit = end.start() if end else len(pending)
        begin = 0
        while limit - begin > size and (cut := _ROW_TAG.search(pending, begin + size, limit)):
            yield pending[begin:cut.start()]
            begin = cut.start()
        if end:
            if pending[begin:limit].strip():
                yield pending[begin:limit]
            return
        pending = pending[begin:]
        searched = len(pending)
        block = member.read(_BLOCK)
        if not block:
            raise DamagedSheet
        pending += block
