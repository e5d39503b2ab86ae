"""Reading an import file: CSV or .xlsx told apart by content, the sheet to read, the
header row found among the first rows, one clear error for a file that cannot be read as
a whole (docs/residents.md, *Import columns*).

Shared by every table import (residents; buildings and housing come in with them): the
caller gives its columns and their aliases (``Columns``), and gets a ``Table`` — the
header as found, the position of each known column, the records ``(row number, cells)``
or ``(row number, LineProblem)`` for a line that cannot be a row, and notes for the
result (rows skipped above the header, other sheets and their row counts, columns not
imported, the encodings met).
"""

import codecs
import datetime
import html
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain

from django.conf import settings
from django.utils.translation import gettext as _

from residents.imports.csvlines import CsvLines, LineProblem, unguard

HEADER_SEARCH_ROWS = 20


class ImportFileError(Exception):
    """The file as a whole cannot be imported (wrong type, empty, wrong headers)."""


@dataclass
class Columns:
    """An import's columns: (header, key, required, max length) in template order, the
    other names files give them, and the headers read and ignored."""

    columns: list[tuple[str, str, bool, int]]
    aliases: dict[str, list[str]]
    ignored: set[str]

    def __post_init__(self):
        self.by_name = {name: key for name, key, _required, _length in self.columns}
        for header, names in self.aliases.items():
            for name in names:
                self.by_name[_squeeze(name)] = self.by_name[header]
        self.headers = [column[0] for column in self.columns]

    def key_of(self, name) -> str | None:
        return self.by_name.get(_squeeze(name))


def _squeeze(name) -> str:
    """A header as compared: no spaces (``姓 名``), no required-mark ``*``, no line break."""
    if name is None:
        return ""
    text = str(name)
    for char in " \u3000\n\r\t*＊":
        text = text.replace(char, "")
    return text


@dataclass
class Table:
    header: list[str]
    positions: dict[str, int]
    rows: Iterator
    notes: list[str] = field(default_factory=list)
    header_row: int = 1


# --- Opening the file -------------------------------------------------------------------------


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    controls = sum(head.count(bytes([byte])) for byte in (*range(0, 9), 11, 12, *range(14, 32)))
    return controls * 100 > len(head)


def read_table(path, columns: Columns, *, sheet: str = "") -> Table:
    """The table of a CSV or .xlsx file (told apart by content, not by name). Row numbers
    are as a spreadsheet shows them."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        records, notes = _read_xlsx(path, sheet)
        return _table(records, columns, notes, None)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is an old Excel 97–2003 (.xls) file; save it as .xlsx (Excel Workbook) or CSV and try again."))
    if _looks_binary(head):
        raise ImportFileError(_("This is not a CSV or .xlsx file."))
    lines = CsvLines(path, head)
    table = _table(iter(lines), columns, [], lines)
    table.rows = _with_encoding_notes(table.rows, lines, table.notes)
    return table


def _with_encoding_notes(rows, lines: CsvLines, notes: list[str]):
    """The rows; once read, a note when the file mixes encodings (each line was decoded
    in its own)."""
    yield from rows
    if len([name for name in lines.encodings if name != "UTF-16"]) > 1:
        notes.append(_("The file mixes encodings: %(counts)s lines; each line was read in its own encoding.")
                     % {"counts": "、".join(f"{name} {count}" for name, count in lines.encodings.most_common())})


def _xlsx_sheets(path):
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError, zipfile.BadZipFile) as error:
        raise ImportFileError(_("This is not a CSV or .xlsx file.")) from error
    except Exception as error:  # python-calamine's own errors (zip, XML) derive from Exception
        raise ImportFileError(_("This is not a CSV or .xlsx file.")) from error


_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?"')
_TAG = re.compile(rb"<(?:\w+:)?(sheet|Relationship)\s([^>]*?)/?>")
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')
# What a damaged or unusual archive raises when a part is read (bad compressed data, an
# unsupported compression method, an encrypted part, a truncated file).
_UNREADABLE = (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError, zlib.error)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name → its part in the archive, in the workbook's tab order (from
    xl/workbook.xml and its relationships: a part's file name says nothing of the order)."""
    targets, parts = {}, {}
    for kind, attributes in _TAG.findall(archive.read("xl/_rels/workbook.xml.rels")):
        values = dict(_ATTRIBUTE.findall(attributes))
        if kind == b"Relationship" and b"Id" in values and b"Target" in values:
            target = html.unescape(values[b"Target"].decode())
            targets[values[b"Id"]] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    for kind, attributes in _TAG.findall(archive.read("xl/workbook.xml")):
        values = dict(_ATTRIBUTE.findall(attributes))
        relation = next((value for key, value in values.items() if key.endswith(b":id")), None)
        if kind == b"sheet" and b"name" in values and relation in targets:
            parts[html.unescape(values[b"name"].decode())] = targets[relation]
    return parts


def _sheet_sizes(path) -> dict[str, tuple[int | None, int]]:
    """(rows, cells) of each worksheet by name, from the dimension it records at the top
    of its XML; a sheet that records none: rows unknown, a cell per 60 bytes of its XML.
    Empty when the archive cannot be read so (the reader then says what is wrong)."""
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
                    sizes[name] = (rows, rows * (_column_number(match[3]) - _column_number(match[1]) + 1))
                else:
                    sizes[name] = (None, info.file_size // 60)
    except (*_UNREADABLE, KeyError):
        return {}
    return sizes


def _read_xlsx(path, wanted: str):
    """The records of the chosen sheet (the first worksheet by default) and notes naming
    the other sheets with their row counts."""
    workbook = _xlsx_sheets(path)
    names = [meta.name for meta in workbook.sheets_metadata if str(meta.typ).endswith("WorkSheet")] or workbook.sheet_names
    if not names:
        raise ImportFileError(_("The file is empty."))
    if wanted and wanted not in names:
        raise ImportFileError(_("The file has no sheet named “%(sheet)s”; its sheets are: %(sheets)s.")
                              % {"sheet": wanted, "sheets": "、".join(names)})
    chosen = wanted or names[0]
    sizes = _sheet_sizes(path)
    limit = settings.IMPORT_XLSX_CALAMINE_CELLS
    notes = []
    others = []
    for name in names:
        if name == chosen:
            continue
        rows, cells = sizes.get(name, (None, 0))
        if rows is None and cells <= limit:
            try:
                loaded = workbook.get_sheet_by_index(workbook.sheet_names.index(name))
                rows = sum(1 for row in loaded.iter_rows() if any(c not in ("", None) for c in row))
            except Exception:  # noqa: BLE001 (python-calamine's errors: a damaged sheet is named without a count)
                rows = None
        if rows is None:
            others.append(f"“{name}”")
        elif rows:
            others.append(_("“%(sheet)s” (%(rows)s rows)") % {"sheet": name, "rows": rows})
    if others:
        notes.append(_("Read the sheet “%(sheet)s”. Other sheets were not imported: %(others)s; choose one to import it.")
                     % {"sheet": chosen, "others": "、".join(others)})
    index = workbook.sheet_names.index(chosen)
    if sizes.get(chosen, (None, 0))[1] > limit:
        return _openpyxl_records(path, chosen), notes  # streamed: a sheet too big to hold in memory
    try:
        sheet = workbook.get_sheet_by_index(index)
    except Exception as error:  # python-calamine's errors (a damaged part: its zip data or XML) derive from Exception
        raise ImportFileError(_("The sheet “%(sheet)s” is damaged and cannot be read: open the file in Excel, save it "
                                "again and import it again.") % {"sheet": chosen}) from error
    return _calamine_records(sheet), notes


def _calamine_records(sheet):
    first = sheet.start[0] + 1 if sheet.start else 1
    for number, cells in enumerate(sheet.iter_rows(), start=first):
        try:
            guarded = "'" in "".join(cells)  # one C call for a row of text cells
        except TypeError:  # a number or date among them
            guarded = any(cell.__class__ is str and cell[:1] == "'" for cell in cells)
        yield number, unguard(cells) if guarded else cells


def _openpyxl_records(path, name: str):
    from openpyxl import load_workbook

    handle = open(path, "rb")  # noqa: SIM115 (a file object: openpyxl would judge the file by its name)
    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
        for number, cells in enumerate(workbook[name].iter_rows(values_only=True), start=1):
            cells = ["" if cell is None else cell for cell in cells]
            yield number, unguard(cells) if any(c.__class__ is str and c[:1] == "'" for c in cells) else cells
        workbook.close()
    finally:
        handle.close()


def rows_numbered(path, columns: Columns, sheet: str, numbers: set[int]):
    """The file's rows with these numbers, in order (the first rows of in-file
    duplicates, for the error report)."""
    last = max(numbers)
    for number, cells in read_table(path, columns, sheet=sheet).rows:
        if number in numbers:
            yield number, cells.cells if cells.__class__ is LineProblem else cells
        if number >= last:
            return


def count_rows(path, sheet: str = "") -> int:
    """Rows in the file, for progress: lines of a CSV (quick, by bytes) or the recorded
    dimension of an .xlsx's sheet (``sheet``, else the first in the workbook's order; 0,
    unknown, when it records none or the file cannot be read so). Only the top of the
    sheet's XML is read: opening the workbook with openpyxl, as this did, read every
    shared string, and a sheet without a dimension whole (3.8 s for 100,000 rows, before
    the import began)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(b"PK"):
            sizes = _sheet_sizes(path)
            rows, _cells = sizes.get(sheet or next(iter(sizes), ""), (None, 0))
            return max(0, (rows or 1) - 1)
        handle.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(0, lines - 1)


# --- The header row ---------------------------------------------------------------------------


def _table(records: Iterator, columns: Columns, notes: list[str], lines: CsvLines | None) -> Table:
    """Find the header among the first rows: the row naming most known columns; a title
    above it is skipped (and said so), and a header merged over two rows takes the
    upper row's name where the lower row's cell is empty."""
    first: list = []
    for item in records:
        first.append(item)
        if len(first) >= HEADER_SEARCH_ROWS:
            break
    candidates = [(number, cells) for number, cells in first if cells.__class__ is not LineProblem
                  and any(cell not in ("", None) and str(cell).strip() for cell in cells)]
    if not candidates:
        raise ImportFileError(_("The file is empty."))
    scores = [sum(1 for cell in cells if columns.key_of(cell)) for _number, cells in candidates]
    best = max(range(len(candidates)), key=lambda index: (scores[index], -index))
    if scores[best] == 0:
        best = 0
    header_row, cells = candidates[best]
    header = [_text(cell) for cell in cells]
    rows_by_number = dict(candidates)
    lower = rows_by_number.get(header_row + 1)
    if lower is not None and _continues_header(lower, columns):
        # A header over two rows (a group such as 住址 above 楼栋 / 单元 / 房号).
        header += [""] * (len(lower) - len(header))
        header = [_text(below) if columns.key_of(below) else name for name, below in zip(header, list(lower) + [""] * len(header), strict=False)]
        header_row += 1
    upper = rows_by_number.get(header_row - 1)
    if upper is not None:
        for position, name in enumerate(header):
            if not name and position < len(upper) and columns.key_of(upper[position]):
                header[position] = _text(upper[position])  # merged down from the row above
    positions = column_positions(header, columns, notes)
    if header_row > 1:
        notes.insert(0, _("The header is on row %(row)s; the rows above it (a title or a merged header) were skipped.")
                     % {"row": header_row})
    if lines is not None:
        lines.width = len(header)
    rest = [item for item in first if item[0] > header_row]
    if lines is not None:
        rest = [(number, lines.fit(cells) if cells.__class__ is not LineProblem else cells) for number, cells in rest]
    return Table(header=header, positions=positions, rows=chain(rest, records), notes=notes, header_row=header_row)


def _continues_header(cells, columns: Columns) -> bool:
    """Whether a row under the header row is its second line: it names known columns
    and nothing else."""
    named = [cell for cell in cells if cell not in ("", None) and str(cell).strip()]
    return bool(named) and all(columns.key_of(cell) for cell in named)


def column_positions(header: list[str], columns: Columns, notes: list[str]) -> dict[str, int]:
    """key → position of each known column; one clear error for missing required ones;
    a note naming the columns that are not imported."""
    positions, unknown = {}, []
    for position, name in enumerate(header):
        squeezed = _squeeze(name)
        if not squeezed or squeezed in columns.ignored:
            continue
        key = columns.key_of(squeezed)
        if key is None:
            unknown.append(name)
        elif key not in positions:
            positions[key] = position
    missing = [header for header, key, required, _length in columns.columns if required and key not in positions]
    if missing:
        parts = [_("missing columns: %(columns)s") % {"columns": "、".join(missing)}]
        if unknown:
            parts.append(_("unknown columns: %(columns)s") % {"columns": "、".join(unknown)})
        raise ImportFileError(
            _("The headers do not match the template (%(problems)s). The columns are: %(columns)s.")
            % {"problems": "; ".join(parts), "columns": "、".join(columns.headers)}
        )
    if unknown:
        notes.append(_("Columns not imported (not in the template): %(columns)s.") % {"columns": "、".join(unknown)})
    return positions


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()
