"""What a worksheet's XML says of its cells that python-calamine's values do not.

- A formula's error (``#N/A`` of a VLOOKUP that found nothing, ``#REF!``): calamine gives
  an empty cell, and an empty cell of a column the file has clears what is stored (a
  phone, a room). The cell is given as the error's text instead, which the checks refuse
  (``EXCEL_ERRORS``), as they refuse that text typed into a CSV.
- The rows hidden (a ledger filtered to one grid): read like the others, and said so.

One pass over the sheet's XML, block by block, in a thread while calamine loads the
sheet (it lets go of the GIL meanwhile); only a block holding an error cell or a hidden
row is looked at further.
"""

import re
import threading
import zipfile
import zlib

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# The errors Excel (and WPS) show in a cell whose formula failed.
EXCEL_ERRORS = frozenset({
    "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA",
    "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#EXTERNAL!", "#PYTHON!",
})

_BLOCK = 1 << 20
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(/?)>")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(/?)>")
_ERROR_TYPE = re.compile(rb"""\bt\s*=\s*["']e["']""")
_HIDDEN = re.compile(rb"""\bhidden\s*=\s*["'](?:1|true)["']""")
_REFERENCE = re.compile(rb"""\br\s*=\s*["']([A-Z]{1,3})[0-9]+["']""")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["']([0-9]+)["']""")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_ROW_END = re.compile(rb"</(?:\w+:)?row>")


def column_number(letters: bytes) -> int:
    """1 for A, 26 for Z, 27 for AA."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


class SheetMarks:
    """The error cells (``errors``: row number → {column index from A: the error's
    text}) and the hidden rows (``hidden``) of the worksheet ``part`` of the .xlsx at
    ``path``, found in a thread started at once; ``join`` waits for them. A part that
    cannot be read gives none (calamine then says the sheet is damaged)."""

    def __init__(self, path, part: str):
        self.errors: dict[int, dict[int, str]] = {}
        self.hidden: list[int] = []
        self._thread = threading.Thread(target=self._scan, args=(path, part), daemon=True)
        self._thread.start()

    def join(self) -> "SheetMarks":
        self._thread.join()
        return self

    def _scan(self, path, part: str) -> None:
        self._row = 0  # the number of the last row looked at (rows without r="…" follow it)
        try:
            with zipfile.ZipFile(path) as archive, archive.open(part) as member:
                pending = b""
                while True:
                    block = member.read(_BLOCK)
                    window = pending + block
                    if not block:
                        self._look(window)
                        return
                    # Up to the last row's end tag: a row cut by the block is looked at whole next time.
                    cut = window.rfind(b"</row>") + 6
                    if cut < 6 and (ends := list(_ROW_END.finditer(window, max(0, len(window) - len(block) - 16)))):
                        cut = ends[-1].end()  # </x:row>
                    if cut >= 6:
                        self._look(window[:cut])
                        pending = window[cut:]
                    else:
                        pending = window
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError, KeyError, zlib.error):
            return

    def _look(self, xml: bytes) -> None:
        """Walk the rows of ``xml`` (whole rows) when it holds an error cell or a hidden
        row; else only number its last row."""
        if b"hidden" not in xml and b"'e'" not in xml and b'"e"' not in xml:
            tags = list(_ROW_TAG.finditer(xml, max(0, len(xml) - 65536)))
            if tags and (found := _ROW_NUMBER.search(tags[-1][1])):
                self._row = int(found[1])
                return
        tags = list(_ROW_TAG.finditer(xml))
        for index, tag in enumerate(tags):
            found = _ROW_NUMBER.search(tag[1])
            self._row = number = int(found[1]) if found else self._row + 1
            if tag[2]:
                continue  # <row/>: no cells
            body = xml[tag.end():tags[index + 1].start() if index + 1 < len(tags) else len(xml)]
            cells = list(_CELL_TAG.finditer(body))
            if cells and _HIDDEN.search(tag[1]):
                self.hidden.append(number)
            if b"'e'" in body or b'"e"' in body:
                column = 0
                for cell in cells:
                    reference = _REFERENCE.search(cell[1])
                    column = column_number(reference[1]) if reference else column + 1
                    if _ERROR_TYPE.search(cell[1]):
                        end = None if cell[2] else _CELL_END.search(body, cell.end())
                        value = _VALUE.search(body, cell.end(), end.start()) if end else None
                        text = value[1].decode("utf-8", "replace").strip() if value else ""
                        self.errors.setdefault(number, {})[column - 1] = text or "#N/A"


def hidden_rows_note(hidden: list[int]) -> list[str]:
    """The note saying which rows below the header are hidden in Excel."""
    if not hidden:
        return []
    shown = "、".join(str(number) for number in sorted(hidden)[:10]) + ("…" if len(hidden) > 10 else "")
    return [ngettext("%(count)s row is hidden in Excel (row %(rows)s) and was read like the others.",
                         "%(count)s rows are hidden in Excel (rows %(rows)s) and were read like the others.",
                     len(hidden)) % {"count": len(hidden), "rows": shown}]


def with_errors(records, errors: dict[int, dict[int, str]], offset: int):
    """``records`` (row number, cells) with each error cell's text in its place (cells
    are positions from column ``offset``)."""
    if not errors:
        yield from records
        return
    for number, cells in records:
        found = errors.get(number)
        if found and isinstance(cells, list):
            cells = list(cells)
            for column, text in found.items():
                position = column - offset
                if position >= 0:
                    if position >= len(cells):
                        cells.extend([""] * (position + 1 - len(cells)))
                    cells[position] = text
        yield number, cells


def blank_or_error(cell) -> bool:
    """Whether a cell holds nothing, or only an Excel error's text (a formula filled down
    past the data): in telling an empty row."""
    return cell is None or (cell.__class__ is str and (not cell.strip() or cell.strip().upper() in EXCEL_ERRORS))


def excel_error_in(cells: list) -> bool:
    """Whether a cell of the row is the text of an Excel error (a CSV saved from a sheet
    whose formulas failed, or an .xlsx's error cell as ``with_errors`` gives it)."""
    return any(cell.__class__ is str and cell.upper() in EXCEL_ERRORS for cell in cells)


def excel_error_message(text: str) -> str:
    return _("the cell holds Excel's formula error %(error)s: type the value itself") % {"error": text}
