"""The error report: an import file of its own (docs/residents.md, *Error report*).

It holds, in the file's row order, every refused row with its cells as the file had
them — a number stays a number (an ID that Excel turned into one is refused again,
never "repaired" into a wrong person's number), text is neutralised against formula
injection (the reader removes that apostrophe again) — plus ``行号``, ``错误列`` and
``错误原因``. A row refused because its ID number is already on an earlier row of the
file comes with that earlier row, so that importing the report again meets the same
pair and refuses the later row again, instead of applying it as an update over the
first; deleting one of the two rows is how the user chooses.

Rows come in two sorted streams (refused while validating; refused while writing, a
batch later) and are spooled to temporary files, so memory stays bounded whatever the
number of bad rows; ``save`` merges them in row order.
"""

import bisect
import heapq
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.files import File
from django.utils.translation import gettext as _
from openpyxl import Workbook

from residents.exports import safe_cell
from residents.files import private_temporary
from residents.imports.csvlines import MAX_CELL, OVERFLOW, overflow_column

SAMPLE_ERRORS = 100


def _row_of(error: dict) -> int:
    return error["row"]


@dataclass
class RowError:
    row: int
    column: str
    reason: str
    first_row: int | None = None  # a duplicate: the earlier row with the same ID number


class _Spool:
    """Records (row number, cells, [(column, reason)]) pickled to a temporary file."""

    def __init__(self):
        self.handle = None

    def add(self, record: tuple) -> None:
        if self.handle is None:
            self.handle = private_temporary()
        pickle.dump(record, self.handle, protocol=pickle.HIGHEST_PROTOCOL)

    def __iter__(self) -> Iterator[tuple]:
        if self.handle is None:
            return
        self.handle.seek(0)
        while True:
            try:
                yield pickle.load(self.handle)
            except EOFError:
                return

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


class ErrorReport:
    def __init__(self, header: list[str], error_headers: list[str],
                 reread: Callable[[set[int]], Iterator[tuple[int, list]]] = lambda numbers: iter(()), *,
                 pair_column: str = "公民身份号码", pair_message: Callable[[], str] | None = None):
        self.header = header
        # What the first row of an in-file pair says: the column and the words of the key
        # the rows share (the ID number; for key places, the place's name in its grid).
        self.pair_column = pair_column
        self.pair_message = pair_message or (lambda: _(
            "this row was imported; row %(rows)s of the file has the same ID number: delete the row you do not want "
            "before importing this report again"))
        # A report imported again keeps what its 多出的单元格 held, until the user moves it.
        self.overflow_at = overflow_column(header)
        self.keep = [position for position, name in enumerate(header)
                     if name not in error_headers and position != self.overflow_at]
        self.overflowed = False  # a row with cells beyond the header: the report gets OVERFLOW
        self.error_headers = error_headers
        # reread(numbers) yields the (number, cells) of the file's rows with those numbers,
        # in order: the first rows of duplicates, which were imported.
        self.reread = reread
        self.count = 0
        self.sample: list[dict] = []
        self.validated = _Spool()  # in row order
        self.written = _Spool()  # in row order too (batches are written in order)
        self.held = _Spool()  # in row order too: rows held back to the end of the file
        self.partners: dict[int, list[int]] = {}  # first row → later rows with its ID number

    def add(self, number: int, cells: list, errors: list[RowError], *, written: bool = False, held: bool = False) -> None:
        self.count += 1
        self.overflowed = self.overflowed or bool(self._overflow(cells))
        for error in errors:
            if len(self.sample) < SAMPLE_ERRORS or error.row < self.sample[-1]["row"]:
                # The first errors in row order (rows refused while writing, or held back, come later).
                bisect.insort(self.sample, {"row": error.row, "column": error.column, "reason": error.reason},
                              key=_row_of)
                del self.sample[SAMPLE_ERRORS:]
            if error.first_row is not None:
                self.partners.setdefault(error.first_row, []).append(number)
        spool = self.held if held else self.written if written else self.validated
        spool.add((number, list(cells), [(e.column, e.reason) for e in errors]))

    def save(self) -> File | None:
        """The .xlsx report (``None`` when no row was refused)."""
        if not self.count:
            return None
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("errors"))
        sheet.append([safe_cell(self.header[p]) for p in self.keep] + self.error_headers + ([OVERFLOW] if self.overflowed else []))
        partners = self.partners
        firsts = ((number, cells, []) for number, cells in self.reread(set(partners))) if partners else iter(())
        merged = heapq.merge(self.validated, self.written, self.held, firsts, key=lambda record: record[0])
        pending = None
        for record in merged:
            if pending is not None and pending[0] == record[0]:
                pending[2].extend(record[2])  # refused while writing, and also the first of a pair
                continue
            if pending is not None:
                self._append(sheet, pending)
            pending = (record[0], record[1], list(record[2]))
        if pending is not None:
            self._append(sheet, pending)
        handle = private_temporary()
        workbook.save(handle)
        handle.seek(0)
        self.validated.close()
        self.written.close()
        self.held.close()
        return File(handle)

    def _append(self, sheet, record) -> None:
        number, cells, errors = record
        later = self.partners.get(number)
        # The first row of a pair passed validation; with errors of its own it was refused
        # while being written (a person outside the importer's scope): not imported.
        if later and not errors:
            errors.append((self.pair_column, self.pair_message() % {"rows": "、".join(map(str, later))}))
        overflow = self._overflow(cells)
        if len(cells) > len(self.header) and overflow:
            # More cells than the header (a comma too many): the reason holds the whole line,
            # cell by cell, and 多出的单元格 the cells beyond the header — so the row is
            # refused again until the user has moved them into their columns.
            errors.append(("", _("the line's cells, one by one: %(cells)s")
                           % {"cells": " | ".join("" if cell is None else str(cell) for cell in cells)}))
        values = [_cell(cells[p]) if p < len(cells) else "" for p in self.keep]
        reasons = "；".join(reason for _c, reason in errors)
        sheet.append(values + [number, "、".join(dict.fromkeys(c for c, _r in errors if c)) or _("whole line"),
                               _cell(reasons)] + ([_cell(overflow)] if self.overflowed else []))

    def _overflow(self, cells: list) -> str:
        """The cells of a row beyond the header's last column (and what a report's own
        多出的单元格 held), joined with commas; "" when there are none."""
        extra = [cells[self.overflow_at]] if self.overflow_at is not None and self.overflow_at < len(cells) else []
        extra += cells[len(self.header):]
        return ",".join("" if cell is None else str(cell) for cell in extra).strip(",")


def _cell(value):
    """A cell as the file had it: numbers and dates as they were, text neutralised."""
    if value is None:
        return ""
    if value.__class__ is str and len(value) > MAX_CELL:
        value = value[:MAX_CELL - 1] + "…"
    return safe_cell(value)
