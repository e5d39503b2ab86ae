"""Reading a CSV file line by line, so that every line is accounted for.

Python's ``csv`` reader alone lets one bad line take others with it: a cell that opens
a quote and never closes it swallows every following line into one cell, a NUL byte
or a cell over 131,072 characters stops the whole file. Here each physical line is
decoded and split on its own:

- a line is decoded as UTF-8 and, failing that, as GB18030 (what Excel on a Chinese
  Windows saves): a UTF-8 file with GBK rows pasted into it reads correctly, line by
  line, whatever the position of those rows; a line that is neither is reported, never
  stored with replacement characters. UTF-16 (Excel's "Unicode text") is decoded whole;
- a line without quotes is split on the delimiter (the common case, one C call); a
  line with quotes is parsed strictly; a quoted cell may span lines (Alt+Enter in an
  Excel cell) only when its closing quote comes within ``JOIN_LINES`` lines and the
  record then has the header's number of cells — otherwise the line that opened the
  quote is reported and reading goes on with the next line;
- a NUL byte, a cell longer than Excel's 32,767 characters, a line with more or fewer
  cells than the header are reported as problems of that line.

Each record is ``(line number, cells)`` or ``(line number, LineProblem)``; the line
number is the file's first line of the record (which is the spreadsheet's row number
unless a quoted cell spans lines above it).
"""

import codecs
import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_CELL = 32767  # Excel's limit for a cell
JOIN_LINES = 20
# The apostrophe that exports and error reports put in front of these (formula guard).
GUARDED = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class LineProblem:
    """A line that cannot be read as a row: the reason, and its cells as far as they
    can be made out (for the error report)."""

    reason: str
    cells: list = field(default_factory=list)


def unguard(cells: list) -> list:
    """Remove the formula guard's leading apostrophe (``'=…``, ``'+86…``, ``'-王六``)."""
    return [cell[1:] if cell.__class__ is str and cell[:1] == "'" and cell[1:2] in GUARDED and len(cell) > 1 else cell
            for cell in cells]


class CsvLines:
    """The records of a CSV file (see the module docstring). ``encodings`` counts the
    lines read per encoding, for the result's notes."""

    def __init__(self, path, head: bytes):
        self.path = path
        self.encodings: Counter = Counter()
        self.utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        sample = self._sample(head)
        self.delimiter = "\t" if sum(line.count("\t") for line in sample) > sum(line.count(",") for line in sample) else ","
        self.width = None  # the header's number of cells, once known

    def _sample(self, head: bytes) -> list[str]:
        if self.utf16:
            text = head.decode("utf-16", errors="ignore")
        else:
            text = head.decode("utf-8", errors="ignore") or head.decode("gb18030", errors="ignore")
        return text.splitlines()[:20]

    # --- physical lines -----------------------------------------------------------------

    def _lines(self):
        """(number, text with its line end) or (number, LineProblem) of every line."""
        if self.utf16:
            with open(self.path, encoding="utf-16", newline="") as handle:
                for number, text in enumerate(_split_text_lines(handle), start=1):
                    self.encodings["UTF-16"] += 1
                    yield number, text
            return
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    try:
                        text = raw.decode("gb18030")
                    except UnicodeDecodeError:
                        yield number, LineProblem(
                            _("the line holds bytes that are neither UTF-8 nor GBK text; save the file again as UTF-8 CSV"),
                            _cells_of(raw.decode("gb18030", errors="replace").replace("\ufffd", "?"), self.delimiter),
                        )
                        continue
                    self.encodings["GB18030"] += 1
                else:
                    if not raw.isascii():
                        self.encodings["UTF-8"] += 1
                yield number, text

    # --- records ------------------------------------------------------------------------

    def __iter__(self):
        lines = self._lines()
        pushed: list = []  # lines read ahead for a quoted cell that did not close, to read again
        delimiter = self.delimiter

        def next_line():
            return pushed.pop() if pushed else next(lines, None)

        while True:
            item = next_line()
            if item is None:
                return
            number, text = item
            if text.__class__ is LineProblem:
                yield item
                continue
            if "\x00" in text:
                yield number, LineProblem(_("the line holds a NUL byte (binary data); remove it"),
                                          _cells_of(text.replace("\x00", ""), delimiter))
                continue
            if '"' not in text:
                cells = text.rstrip("\r\n").split(delimiter)
            else:
                cells = _parse(text, delimiter)
                if cells.__class__ is LineProblem and cells.reason == OPEN_QUOTE:
                    cells, taken = self._join(text, next_line, delimiter)
                    pushed.extend(reversed(taken))
            if cells.__class__ is LineProblem:
                yield number, cells
                continue
            if len(text) > MAX_CELL and max(map(len, cells)) > MAX_CELL:
                yield number, LineProblem(_("a cell has %(length)s characters; a cell holds at most %(limit)s")
                                          % {"length": max(map(len, cells)), "limit": MAX_CELL}, _clip(cells))
                continue
            if "'" in text:
                cells = unguard(cells)
            yield number, self.fit(cells) if self.width is not None else cells

    def fit(self, cells: list):
        """The cells of a row checked against the header's width: empty cells past it
        are dropped; more or fewer cells are a LineProblem."""
        width = self.width
        if len(cells) == width:
            return cells
        if len(cells) < width:
            if any(cells):
                return LineProblem(_("the line has %(count)s cells, the header has %(width)s")
                                   % {"count": len(cells), "width": width}, cells)
            return cells
        if any(cells[width:]):
            return LineProblem(_("the line has %(count)s cells, the header has %(width)s (a comma too many?)")
                               % {"count": len(cells), "width": width}, cells)
        return cells[:width]

    def _join(self, text: str, next_line, delimiter: str):
        """A record whose quoted cell spans lines: (cells, []) when it closes within
        JOIN_LINES lines with the header's width; else (LineProblem, lines taken)."""
        taken = []
        joined = text
        for _count in range(JOIN_LINES):
            item = next_line()
            if item is None:
                break
            taken.append(item)
            if item[1].__class__ is LineProblem or "\x00" in item[1]:
                break
            joined += item[1]
            if item[1].count('"') % 2:
                cells = _parse(joined, delimiter)
                if cells.__class__ is not LineProblem and (self.width is None or len(cells) == self.width):
                    return cells, []
                break
        return LineProblem(_("a quote (\") opens a cell and is not closed on this line; close it or remove it"),
                           _cells_of(text, delimiter)), taken


OPEN_QUOTE = "open quote"


def _parse(text: str, delimiter: str):
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=True), [])
    except csv.Error as error:
        message = str(error)
        if "unexpected end of data" in message:
            return LineProblem(OPEN_QUOTE)
        if "field larger" in message:
            return LineProblem(_("a cell has more than %(limit)s characters") % {"limit": MAX_CELL},
                               _clip(_cells_of(text, delimiter)))
        return LineProblem(_("a quote (\") stands inside a cell; write it twice (\"\") inside a quoted cell"),
                           _cells_of(text, delimiter))


def _cells_of(text: str, delimiter: str) -> list[str]:
    """The cells of a line that cannot be parsed, as far as they can be made out."""
    return [cell.strip('"') for cell in text.rstrip("\r\n").split(delimiter)]


def _clip(cells: list[str]) -> list[str]:
    return [cell if len(cell) <= MAX_CELL else cell[:MAX_CELL - 1] + "…" for cell in cells]


def _split_text_lines(handle: io.TextIOBase):
    """Lines of a text file, each with its end, split at \\n only (as the byte reader)."""
    rest = ""
    for chunk in iter(lambda: handle.read(1 << 20), ""):
        parts = (rest + chunk).split("\n")
        rest = parts.pop()
        yield from (part + "\n" for part in parts)
    if rest:
        yield rest
