"""Reading an .xlsx import file (``reading`` tells it from a CSV): the sheet to read —
the one chosen, else the first visible worksheet (a hidden sheet, such as the dropdown
values of a government template, is never read unless chosen) — its records ``(row
number, cells)`` numbered as Excel shows the rows, its merged ranges, and notes naming
the other sheets with their row counts.

A sheet is read whole by python-calamine, or in parts (``bigsheets``) when it holds
more than ``IMPORT_XLSX_CALAMINE_CELLS`` cells. The two give the same row numbers (the
first counting the sheet's leading empty rows, the second from each part's first row).
Cells are positions in the row as read (calamine read whole leaves out empty leading
columns, the parts start at column A); the header's positions and the merged ranges are
positions of the same reader.
"""

import html
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from residents.imports.bigsheets import records_in_parts
from residents.imports.csvlines import cells_problem, unguard
from residents.imports.marks import SheetMarks, column_number, with_errors


class ImportFileError(Exception):
    """The file as a whole cannot be imported (wrong type, empty, wrong headers)."""


@dataclass(frozen=True)
class Merged:
    """A merged range: rows ``first``–``last`` (as numbered), cells ``start``–``end``
    (positions in the records' rows), and its Excel reference. One over several rows is
    filled in (楼栋 merged down over a family's rows); one within a row above the header
    shows how far a group title reaches (紧急联系人 merged across 姓名 | 联系电话)."""

    first: int
    last: int
    start: int
    end: int
    ref: str


def _xlsx_sheets(path):
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError, zipfile.BadZipFile) as error:
        raise ImportFileError(_("This is not a CSV or .xlsx file.")) from error
    except Exception as error:  # python-calamine's own errors (zip, XML) derive from Exception
        raise ImportFileError(_("This is not a CSV or .xlsx file.")) from error


_DIMENSION = re.compile(rb"""<dimension ref=["']([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?["']""")
_TAG = re.compile(rb"<(?:\w+:)?(sheet|Relationship)\s([^>]*?)/?>")
_ATTRIBUTE = re.compile(rb"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")  # either quote: valid XML, and calamine reads it
_MERGE = re.compile(rb"""<(?:\w+:)?mergeCell\s+ref=["']([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)["']""")
# What a damaged or unusual archive raises when a part is read (bad compressed data, an
# unsupported compression method, an encrypted part, a truncated file).
_UNREADABLE = (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zlib.error)


def _column_letters(number: int) -> str:
    """``1`` → ``A``, ``27`` → ``AA``."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _relationships(archive: zipfile.ZipFile) -> dict[bytes, tuple[bytes, str]]:
    """The workbook's relationships: id → (type, the last word of its URI; the part's
    name in the archive, resolved as a path from xl/)."""
    found = {}
    for kind, attributes in _TAG.findall(archive.read("xl/_rels/workbook.xml.rels")):
        values = {name: double or single for name, double, single in _ATTRIBUTE.findall(attributes)}
        if kind == b"Relationship" and b"Id" in values and b"Target" in values:
            target = html.unescape(values[b"Target"].decode())
            name = posixpath.normpath(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
            found[values[b"Id"]] = (values.get(b"Type", b"").rsplit(b"/", 1)[-1], name)
    return found


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name → its part in the archive, in the workbook's tab order with the
    hidden sheets last (from xl/workbook.xml and its relationships: a part's file name
    says nothing of the order)."""
    targets = {key: name for key, (_kind, name) in _relationships(archive).items()}
    parts, hidden = {}, {}
    for kind, attributes in _TAG.findall(archive.read("xl/workbook.xml")):
        values = {name: double or single for name, double, single in _ATTRIBUTE.findall(attributes)}
        relation = next((value for key, value in values.items() if key.endswith(b":id")), None)
        if kind == b"sheet" and b"name" in values and relation in targets:
            visible = values.get(b"state", b"visible") == b"visible"
            (parts if visible else hidden)[html.unescape(values[b"name"].decode())] = targets[relation]
    return parts | hidden


def _shared_parts(archive: zipfile.ZipFile) -> tuple[str | None, str | None]:
    """The archive names of the workbook's shared strings and styles, each ``None`` when
    it has none."""
    names = set(archive.namelist())
    found = {kind: name for kind, name in _relationships(archive).values() if name in names}
    return found.get(b"sharedStrings"), found.get(b"styles")


def sheet_sizes(path) -> dict[str, tuple[int | None, int]]:
    """(rows, cells) of each worksheet by name (visible sheets first, in tab order), from
    the dimension it records at the top of its XML; a sheet that records none: rows
    unknown, a cell per 60 bytes of its XML. Empty when the archive cannot be read so
    (the reader then says what is wrong)."""
    sizes = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name, part in _sheet_parts(archive).items():
                if not part.startswith("xl/worksheets/"):
                    continue  # a chartsheet: no rows
                try:
                    info = archive.getinfo(part)
                except KeyError:
                    continue
                with archive.open(info) as member:
                    match = _DIMENSION.search(member.read(4096))
                if match and match[3]:
                    rows = int(match[4]) - int(match[2]) + 1
                    sizes[name] = (rows, rows * (column_number(match[3]) - column_number(match[1]) + 1))
                else:
                    sizes[name] = (None, info.file_size // 60)
    except (*_UNREADABLE, KeyError):
        return {}
    return sizes


def read_xlsx(path, wanted: str) -> tuple:
    """(records, notes, merged ranges, hidden rows' numbers) of the chosen sheet (by
    default the first visible worksheet); the notes name the other sheets with their row
    counts."""
    from python_calamine import SheetVisibleEnum

    workbook = _xlsx_sheets(path)
    sheets = [meta for meta in workbook.sheets_metadata if str(meta.typ).endswith("WorkSheet")]
    names = [meta.name for meta in sheets] or workbook.sheet_names
    if not names:
        raise ImportFileError(_("The file is empty."))
    if wanted and wanted not in names:
        raise ImportFileError(_("The file has no sheet named “%(sheet)s”; its sheets are: %(sheets)s.")
                              % {"sheet": wanted, "sheets": "、".join(names)})
    hidden = {meta.name for meta in sheets if meta.visible != SheetVisibleEnum.Visible}  # Hidden, VeryHidden
    chosen = wanted or next((name for name in names if name not in hidden), names[0])
    sizes = sheet_sizes(path)
    notes = _other_sheets(workbook, names, chosen, hidden, sizes)

    def damaged() -> ImportFileError:
        return ImportFileError(_("The sheet “%(sheet)s” is damaged and cannot be read: open the file in Excel, save it "
                                 "again and import it again.") % {"sheet": chosen})

    try:
        with zipfile.ZipFile(path) as archive:
            part, (shared, styles) = _sheet_parts(archive).get(chosen), _shared_parts(archive)
    except _UNREADABLE:
        part = None
    if part is None:  # its formulas' errors could not be looked for (they would read as empty cells)
        raise damaged()
    marks = SheetMarks(path, part)  # formula errors and hidden rows, found while calamine loads the sheet
    if sizes.get(chosen, (None, 0))[1] > settings.IMPORT_XLSX_CALAMINE_CELLS:
        # A sheet too big to hold whole: read in parts.
        records = records_in_parts(path, part, shared, styles, damaged)
        marks.join()
        return _calamine_records(with_errors(records, marks.errors, 0)), notes, _merged_in_xml(path, chosen), marks.hidden
    try:
        sheet = workbook.get_sheet_by_index(workbook.sheet_names.index(chosen))
    except Exception as error:  # python-calamine's errors (a damaged part: its zip data or XML) derive from Exception
        raise damaged() from error
    offset = sheet.start[1] if sheet.start else 0  # calamine's rows start at the first column with a cell
    merged = [_merged(first + 1, last + 1, start, end, offset) for (first, start), (last, end) in sheet.merged_cell_ranges or ()]
    marks.join()
    # python-calamine's rows begin at the sheet's first row, empty leading rows included
    # (its ``start`` says where the cells begin; counting from it numbered every row too far).
    return (_calamine_records(with_errors(enumerate(sheet.iter_rows(), start=1), marks.errors, offset)),
            notes, sorted((item for item in merged if item is not None), key=_position), marks.hidden)


def _position(item: Merged) -> tuple[int, int]:
    return item.first, item.start


def _calamine_records(rows):
    for number, cells in rows:
        try:
            text = "".join(cells)  # one C call for a row of text cells
        except TypeError:  # a number or date among them
            text = "".join(cell for cell in cells if cell.__class__ is str)
        yield number, _checked(cells, text)


def _checked(cells: list, text: str):
    """A row's cells (``text``: its text cells joined), the formula guard's apostrophe
    taken off, or its problem (a NUL byte, a replacement character)."""
    if "'" in text:
        cells = unguard(cells)
    return cells_problem(cells) if "\x00" in text or "\ufffd" in text else cells


def _other_sheets(workbook, names: list[str], chosen: str, hidden: set[str], sizes: dict) -> list[str]:
    """A note naming the sheets not read, with their row counts (hidden ones said so)."""
    others = []
    for name in names:
        if name == chosen:
            continue
        rows, cells = sizes.get(name, (None, 0))
        if rows is None and cells <= settings.IMPORT_XLSX_CALAMINE_CELLS:
            try:
                loaded = workbook.get_sheet_by_index(workbook.sheet_names.index(name))
                rows = sum(1 for row in loaded.iter_rows() if any(c not in ("", None) for c in row))
            except Exception:  # noqa: BLE001 (python-calamine's errors: a damaged sheet is named without a count)
                rows = None
        if name in hidden:
            if rows:
                others.append(_("“%(sheet)s” (hidden, %(rows)s rows)") % {"sheet": name, "rows": rows})
        elif rows is None:
            others.append(f"“{name}”")
        elif rows:
            others.append(_("“%(sheet)s” (%(rows)s rows)") % {"sheet": name, "rows": rows})
    if not others:
        return []
    return [_("Read the sheet “%(sheet)s”. Other sheets were not imported: %(others)s; choose one to import it.")
            % {"sheet": chosen, "others": "、".join(others)}]


def _merged(first: int, last: int, start: int, end: int, offset: int) -> Merged | None:
    """A range over rows ``first``–``last`` and columns ``start``–``end`` (0-based, of
    the sheet), its cells as positions of rows that begin at column ``offset``; ``None``
    for a single cell."""
    if last <= first and end <= start:
        return None
    ref = f"{_column_letters(start + 1)}{first}:{_column_letters(end + 1)}{last}"
    return Merged(first=first, last=last, start=start - offset, end=end - offset, ref=ref)


def _merged_in_xml(path, name: str) -> list[Merged]:
    """The merged ranges of a streamed sheet, from its XML (openpyxl's read-only sheets
    do not give them): the ``mergeCell`` elements after its rows, looked for chunk by
    chunk (each chunk with the end of the one before, for an element cut in two)."""
    found = set()
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_parts(archive).get(name)
            if part is None:
                return []
            with archive.open(part) as member:
                tail = b""
                for chunk in iter(lambda: member.read(1 << 20), b""):
                    window = tail + chunk
                    if b"mergeCell" in window:
                        found.update(_MERGE.findall(window))
                    tail = window[-200:]
    except (*_UNREADABLE, KeyError):
        return []
    merged = [_merged(int(r1), int(r2), column_number(c1) - 1, column_number(c2) - 1, 0) for c1, r1, c2, r2 in found]
    return sorted((item for item in merged if item is not None), key=_position)
