"""Reading an import file: CSV or .xlsx told apart by content (the sheet to read and its
rows: ``workbooks``; a CSV's lines: ``csvlines``), the header row found among the first
rows, one clear error for a file that cannot be read as a whole (docs/residents.md,
*Import columns*).

Shared by every table import (residents; buildings and housing come in with them): the
caller gives its columns and their aliases (``Columns``), and gets a ``Table`` — the
header as found, the position of each known column, the records ``(row number, cells)``
or ``(row number, LineProblem)`` for a line that cannot be a row, and notes for the
result (rows skipped above the header, other sheets and their row counts, columns not
imported, the encodings met, merged cells filled). A second column for one field (联系
电话 and 手机号) fills the first one's empty cells.
"""

import codecs
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from residents.imports.csvlines import CsvLines, LineProblem, cells_problem, overflow_column
from residents.imports.groups import names_someone_else, under_groups
from residents.imports.headers import NOTE, Columns, squeeze
from residents.imports.marks import hidden_rows_note
from residents.imports.workbooks import ImportFileError, Merged, read_xlsx, sheet_sizes

HEADER_SEARCH_ROWS = 20


@dataclass
class Table:
    header: list[str]
    positions: dict[str, int]
    rows: Iterator
    notes: list[str] = field(default_factory=list)
    header_row: int = 1
    # A column whose field an earlier column has (联系电话 and 手机号): its position → the
    # first column's position.
    duplicates: dict[int, int] = field(default_factory=dict)


# --- Opening the file -------------------------------------------------------------------------


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    controls = sum(head.count(bytes([byte])) for byte in (*range(0, 9), 11, 12, *range(14, 32)))
    # More than 1% of the bytes, and a NUL or more than a few stray ones (a BEL, an ESC
    # pasted into a short CSV: that row is reported, the file is read): a binary file
    # has them by hundreds, and NULs.
    return controls * 100 > len(head) and (controls > 32 or b"\x00" in head)


def read_table(path, columns: Columns, *, sheet: str = "") -> Table:
    """The table of a CSV or .xlsx file (told apart by content, not by name). Row numbers
    are as a spreadsheet shows them."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        records, notes, merged, hidden = read_xlsx(path, sheet)
        sheets_note = list(notes)  # the other sheets
        try:
            table = _table(records, columns, notes, None, merged)
        except ImportFileError as error:
            if not sheet and sheets_note:  # the first sheet is a cover or the instructions: the others are named
                error.args = (" ".join([str(error), *sheets_note]),)
            raise
        table.notes += hidden_rows_note([number for number in hidden if number > table.header_row])
        merged = [item for item in merged if item.first > table.header_row and item.last > item.first]
        if merged:
            table.rows = _merged_filled(table.rows, merged, table.notes)
        return _finished(table)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is an old Excel 97–2003 (.xls) file; save it as .xlsx (Excel Workbook) or CSV and try again."))
    if _looks_binary(head):
        raise ImportFileError(_("This is not a CSV or .xlsx file."))
    lines = CsvLines(path, head)
    table = _table(iter(lines), columns, [], lines)
    table.rows = _with_encoding_notes(table.rows, lines, table.notes)
    return _finished(table)


def _finished(table: Table) -> Table:
    """The table's rows as imported: a replacement character only in columns not
    imported kept, a second column of a field filling the first one's empty cells, and
    an error report's 多出的单元格 refused until emptied."""
    overflow = overflow_column(table.header)
    _with_replacements_kept(table, overflow)
    if table.duplicates:
        table.rows = _duplicates_filled(table.rows, sorted(table.duplicates.items()))
    if overflow is not None:
        table.rows = _overflow_refused(table.rows, overflow)
    return table


def _with_replacements_kept(table: Table, overflow: int | None) -> None:
    """A row whose replacement characters (�) are all in columns not imported (备注)
    imports: nothing lost is stored; once read, a note says so. (A report's 多出的单元格,
    ``overflow``, counts as imported: its cells go back into the row.)"""
    imported = set(table.positions.values()) | set(table.duplicates)
    if overflow is not None:
        imported.add(overflow)
    table.rows = _replacements_kept(table.rows, imported, table.header, table.notes)


def _replacements_kept(rows, imported: set[int], header: list[str], notes: list[str]):
    kept, columns = 0, set()
    for number, cells in rows:
        if cells.__class__ is LineProblem and cells.replaced:
            damaged = {position for position, cell in enumerate(cells.cells) if cell.__class__ is str and "\ufffd" in cell}
            if not damaged & imported:
                kept += 1
                columns |= damaged
                yield number, cells.cells
                continue
        yield number, cells
    if kept:
        names = "、".join(f"“{header[position]}”" if position < len(header) and header[position] else str(position + 1)
                         for position in sorted(columns))
        notes.append(ngettext("%(rows)s row holds a replacement character (�) only in columns that are not imported "
                              "(%(columns)s): it was not refused for it.",
                              "%(rows)s rows hold a replacement character (�) only in columns that are not imported "
                              "(%(columns)s): they were not refused for it.", kept) % {"rows": kept, "columns": names})


def _overflow_refused(rows, position: int):
    """An error report imported again: a row whose 多出的单元格 still holds cells is that
    row's problem, until they are moved into their columns."""
    for number, cells in rows:
        if cells.__class__ is not LineProblem and position < len(cells) and not blank_cell(cells[position]):
            yield number, LineProblem(_("the row has cells beyond the header's last column (in “多出的单元格”): move them "
                                        "into their columns and empty that cell"), cells)
        else:
            yield number, cells


def _with_encoding_notes(rows, lines: CsvLines, notes: list[str]):
    """The rows; once read, a note when the file mixes encodings (each line was decoded
    in its own)."""
    yield from rows
    if len([name for name in lines.encodings if name != "UTF-16"]) > 1:
        notes.append(_("The file mixes encodings: %(counts)s lines; each line was read in its own encoding.")
                     % {"counts": "、".join(f"{name} {count}" for name, count in lines.encodings.most_common())})


def _merged_filled(rows, merged: list[Merged], notes: list[str]):
    """The rows of a sheet with ranges merged over data rows (楼栋, 房号, 户号 merged down
    over a family's rows): each cell of a range takes its value, as Excel shows it, in
    the rows that hold something else; once read, a note names the ranges filled."""
    starting: dict[int, list[Merged]] = {}
    for item in merged:
        starting.setdefault(item.first, []).append(item)
    active: list[tuple[Merged, object]] = []
    used: list[str] = []
    for number, cells in rows:
        problem = cells.__class__ is LineProblem  # reported, its cells filled too (for its report row)
        shown = cells.cells if problem else cells
        if number in starting:
            for item in starting.pop(number):
                value = shown[item.start] if 0 <= item.start < len(shown) else ""
                if not blank_cell(value):  # a damaged value (�) too: the rows below are refused for it then
                    active.append((item, value))
        if active:
            active = [(item, value) for item, value in active if item.last >= number]
            if active and not all(map(blank_cell, shown)):
                shown = list(shown)
                for item, value in active:
                    for position in range(max(item.start, 0), min(item.end + 1, len(shown))):
                        if blank_cell(shown[position]):
                            shown[position] = value
                            if item.ref not in used:
                                used.append(item.ref)
        if problem:
            cells.cells = shown
            yield number, cells
        elif shown is not cells and any(value.__class__ is str and "\ufffd" in value for _item, value in active):
            yield number, cells_problem(shown)  # a damaged merged value is each of its rows' problem
        else:
            yield number, shown
    if used:
        shown = "、".join(used[:5]) + ("…" if len(used) > 5 else "")
        notes.append(_("Merged cells were read as Excel shows them: each row of a merged range took its value (%(ranges)s).")
                     % {"ranges": shown})


def _duplicates_filled(rows, pairs: list[tuple[int, int]]):
    """The rows, each column that an earlier column's field has (``(later, first)``
    positions) filling the earlier one's cell where that is empty."""
    for number, cells in rows:
        if cells.__class__ is not LineProblem:
            size = len(cells)
            for later, first in pairs:
                if later < size and blank_cell(cells[first]) and not blank_cell(cells[later]):
                    cells = list(cells)
                    cells[first] = cells[later]
        yield number, cells


def blank_cell(cell) -> bool:
    """Whether a cell holds nothing: none, or only whitespace."""
    return cell is None or (cell.__class__ is str and not cell.strip())


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
    dimension of an .xlsx's sheet (``sheet``, else the first visible one in tab order; 0,
    unknown, when it records none or the file cannot be read so). Only the top of the
    sheet's XML is read: opening the workbook with openpyxl, as this did, read every
    shared string, and a sheet without a dimension whole (3.8 s for 100,000 rows, before
    the import began)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(b"PK"):
            sizes = sheet_sizes(path)
            rows, _cells = sizes.get(sheet or next(iter(sizes), ""), (None, 0))
            return max(0, (rows or 1) - 1)
        handle.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(0, lines - 1)


# --- The header row ---------------------------------------------------------------------------


def _table(records: Iterator, columns: Columns, notes: list[str], lines: CsvLines | None,
           merged: list[Merged] = ()) -> Table:
    """Find the header among the first rows: the row naming most known columns; a title
    above it is skipped (and said so), and a header merged over two rows takes the
    upper row's name where the lower row's cell is empty. Group titles in the row above
    reach over their merged cells (``merged``: a sheet's ranges), else over the blank
    cells to their right."""
    first: list = []
    counted = 0  # the first rows that hold something (a sheet read whole gives its empty leading rows too)
    for item in records:
        first.append(item)
        counted += item[1].__class__ is LineProblem or not all(map(blank_cell, item[1]))
        if counted >= HEADER_SEARCH_ROWS:
            break
    # A line with a damaged character (�) may be the header: its other names still count.
    candidates = [(number, cells.cells if cells.__class__ is LineProblem else cells) for number, cells in first
                  if cells.__class__ is not LineProblem or _damaged(cells)]
    candidates = [(number, cells) for number, cells in candidates if not all(map(blank_cell, cells))]
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
    across = {position for item in merged if item.first == item.last == header_row and item.end > item.start
              for position in range(item.start, item.end + 1)}
    if lower is not None and _continues_header(header, lower, columns, across):
        # A header over two rows (a group such as 住址 above 楼栋 / 单元 / 房号): the lower
        # row's names, but an unknown one only under a cell naming no known column.
        header += [""] * (len(lower) - len(header))
        header = [_text(below) if columns.key_of(below) or (not blank_cell(below) and not columns.key_of(name)) else name
                  for name, below in zip(header, list(lower) + [""] * len(header), strict=False)]
        header_row += 1
    upper, reach = _merged_above(rows_by_number, header_row, header, merged, columns)
    if upper is not None:
        for position, name in enumerate(header):
            if not name and position < len(upper) and columns.key_of(upper[position]):
                header[position] = _text(upper[position])  # merged down from the row above
        header, others = under_groups(header, upper, columns, reach)
    else:
        others = {}
    duplicates: dict[int, int] = {}
    try:
        positions = column_positions(header, columns, notes, duplicates, others)
    except ImportFileError as error:
        error.first_rows, error.merged = first, merged  # for header_fits
        raise
    if header_row > 1:
        notes.insert(0, _("The header is on row %(row)s; the rows above it (a title or a merged header) were skipped.")
                     % {"row": header_row})
    if lines is not None:
        lines.width = len(header)
    rest = [item for item in first if item[0] > header_row]
    if lines is not None:
        rest = [(number, _fitted(lines, cells)) for number, cells in rest]
    return Table(header=header, positions=positions, rows=chain(rest, records), notes=notes, header_row=header_row,
                 duplicates=duplicates)


def header_fits(error: ImportFileError, columns: Columns) -> bool:
    """Whether a file refused for its header (``error``) has, among its first rows, a
    header of ``columns`` (another kind of ledger): judged on those rows as read, without
    reading the file again."""
    first = getattr(error, "first_rows", None)
    if not first:
        return False
    try:
        _table(iter(first), columns, [], None, error.merged)
    except ImportFileError:
        return False
    return True


def _merged_above(rows_by_number: dict, header_row: int, header: list[str], merged: list[Merged],
                  columns: Columns) -> tuple[list | None, dict[int, int]]:
    """The row above the header as Excel shows it, and how far each of its merged cells
    reaches (first position → last). A range merged down from higher up shows its value
    there too (紧急联系人 merged over D1:E2 above the header on row 3), and one merged down
    over the header row names its column (姓名 merged over A1:A3). A blank row between
    the header and the row above it (a spacer) is passed over."""
    number = header_row - 1
    if (number not in rows_by_number and number - 1 in rows_by_number
            and not any(item.first <= number <= item.last for item in merged)):
        number -= 1
    above = rows_by_number.get(number)  # None: blank, or cells merged down from above
    upper = [] if above is None else list(above)
    reach = {}
    for item in merged:
        if not item.first <= number <= item.last or item.start < 0:
            continue
        anchor = rows_by_number.get(item.first)
        value = anchor[item.start] if anchor is not None and item.start < len(anchor) else None
        if item.first < number and not blank_cell(value):
            upper += [""] * (item.start + 1 - len(upper))
            if blank_cell(upper[item.start]):
                upper[item.start] = value
        if item.last >= header_row:
            if columns.key_of(value):
                header.extend([""] * (item.start + 1 - len(header)))
                header[item.start] = header[item.start] or _text(value)
        elif item.end > item.start:
            reach[item.start] = item.end
    return (upper if above is not None or any(not blank_cell(cell) for cell in upper) else None), reach


def _damaged(problem: LineProblem) -> bool:
    """Whether a line's problem is only a damaged character (shown as �): its cells are
    all there."""
    return any(cell.__class__ is str and "\ufffd" in cell for cell in problem.cells)


def _fitted(lines: CsvLines, cells):
    """A row read before the header was known, checked against its width."""
    if cells.__class__ is not LineProblem:
        return lines.fit(cells)
    if not cells.replaced:
        return cells
    fitted = lines.fit(cells.cells)
    return fitted if fitted.__class__ is LineProblem else LineProblem(cells.reason, fitted, replaced=True)


def _continues_header(header: list[str], cells, columns: Columns, across: set[int]) -> bool:
    """Whether a row under the header row is its second line: it names known columns
    and nothing else; or it names one, and each cell it holds stands under a cell merged
    across columns (``across``: 负责人 merged over 姓名 | 电话), or under a group title
    naming someone else or a blank cell to its right (紧急联系人 over 联系人 | 工作单位 |
    联系电话, beside 姓名 and 身份证号 merged down). A data row holds the person's own
    values under those, or its 序号 and 备注 under theirs."""
    named = [position for position, cell in enumerate(cells) if not blank_cell(cell)]
    known = [position for position in named if columns.key_of(cells[position])]
    if not known:
        return False
    if len(known) == len(named):
        return True
    titled = [position for position, name in enumerate(header) if name and not columns.key_of(name)
              and names_someone_else(name, columns.own)]
    return all(position in across or (
        bool(titled) and position >= titled[0] and all(not header[between] for between in range(
            max(title for title in titled if title <= position) + 1, min(position + 1, len(header)))))
        for position in named)


def column_positions(header: list[str], columns: Columns, notes: list[str],
                     duplicates: dict[int, int] | None = None, others: dict[int, tuple] | None = None) -> dict[str, int]:
    """key → position of each known column; one clear error for missing required ones;
    a note naming the columns that are not imported — those of another person, under a
    group title (``others``: position → (name, title)), in a note of their own — and one
    naming the columns of a field that an earlier column has (their positions → its, in
    ``duplicates``)."""
    positions, unknown, repeated = {}, [], {}
    others = others or {}
    found: dict[str, list[int]] = {}
    for position, name in enumerate(header):
        squeezed = squeeze(name)
        if not squeezed or squeezed in columns.ignored or NOTE.sub("", squeezed) in columns.ignored:
            continue
        key = None if position in others else columns.key_of(squeezed)
        if key is None:
            unknown.append(name)
        else:
            found.setdefault(key, []).append(position)
    template = set(columns.headers)
    for key, places in found.items():
        if key == "grid":
            # 网格编码 before an alias such as 所属网格, which ledgers fill with the grid's name.
            places.sort(key=lambda position: squeeze(header[position]) not in template)
        positions[key] = places[0]
        if len(places) > 1:
            repeated[key] = places
    missing = [header for header, key, required, _length in columns.columns if required and key not in positions]
    damaged = [name for name in unknown if "\ufffd" in name]
    if missing:
        parts = [_("missing columns: %(columns)s") % {"columns": "、".join(missing)}]
        if unknown:
            parts.append(_("unknown columns: %(columns)s") % {"columns": "、".join(unknown)})
        if damaged:
            parts.append(_("the header row holds a damaged character (shown as �) in %(columns)s: retype the name")
                         % {"columns": "、".join(f"“{name}”" for name in damaged)})
        parts += _noted_required(unknown, missing, columns, {header[position]: named for position, named in others.items()})
        raise ImportFileError(
            _("The headers do not match the template (%(problems)s). The columns are: %(columns)s.")
            % {"problems": "; ".join(parts), "columns": "、".join(columns.headers)}
        )
    grouped = [header[position] for position in sorted(others)]
    if grouped:
        notes.append(_("Columns of another person, under a title in the row above, not imported: %(columns)s.")
                     % {"columns": "、".join(grouped)})
    if damaged:
        notes.append(_("Columns whose name holds a damaged character (shown as �), not imported: %(columns)s. Retype the "
                       "name to import them.") % {"columns": "、".join(f"“{name}”" for name in damaged)})
    unknown = [name for name in unknown if name not in grouped and name not in damaged]
    if unknown:
        notes.append(_("Columns not imported (not in the template): %(columns)s.") % {"columns": "、".join(unknown)})
    names = {key: name for name, key, _required, _length in columns.columns}
    for key, places in repeated.items():
        shown = {"column": names[key], "names": "、".join(f"“{header[position]}”" for position in places)}
        if key in columns.identity:
            # Who the row is never comes from another column (a guardian's ID number).
            notes.append(_("Several columns are %(column)s (%(names)s): only the first one's cells are imported.") % shown)
            continue
        if duplicates is not None:
            duplicates.update(dict.fromkeys(places[1:], places[0]))
        notes.append(_("Several columns are %(column)s (%(names)s): the first one's cells are imported; where one is empty, "
                       "the next column's cell is taken.") % shown)
    return positions


def _noted_required(unknown: list[str], missing: list[str], columns: Columns, grouped: dict[str, tuple]) -> list[str]:
    """For a required column missing because a note made its header another column
    (姓名（外籍人员填英文名）: a note that is not a filling instruction), how to fix it; or
    because the column stands under another person's title (``grouped``: its name as
    shown → (its own name, the title))."""
    keys = {header: key for header, key, _required, _length in columns.columns}
    hints = []
    for name in unknown:
        own, title = grouped.get(name, (name, ""))
        key = columns.by_name.get(NOTE.sub("", squeeze(own)).rstrip(":："))
        header = next((header for header in missing if keys[header] == key), None)
        if key is not None and header is not None and title:
            hints.append(_("“%(name)s” stands under “%(title)s” in the row above: it is that person's column; the file has "
                           "no %(column)s column of the person's own") % {"name": own, "title": title, "column": header})
        elif key is not None and header is not None:
            hints.append(_("“%(name)s” is read as another column than %(column)s because of its note in brackets: if it "
                           "is the %(column)s column, name it %(column)s")
                         % {"name": name, "column": header})
    return hints


def _text(value) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "TRUE" if value else "FALSE"  # as Excel shows a logical cell
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()
