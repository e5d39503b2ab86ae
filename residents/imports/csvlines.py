"""Reading a CSV file line by line, so that every line is accounted for.

Python's ``csv`` reader alone lets one bad line take others with it: a cell that opens
a quote and never closes it swallows every following line into one cell, a NUL byte
or a cell over 131,072 characters stops the whole file. Here each physical line is
decoded and split on its own:

- the file's encoding is decided over all of it (``survey``): UTF-8, or GB18030 (what
  Excel on a Chinese Windows saves). Each line is then decoded on its own, so a UTF-8
  file with GBK rows pasted into it reads correctly whatever the position of those rows:
  a line with Chinese text valid as UTF-8 is UTF-8, a line that is not valid UTF-8 is
  GBK; a short GBK line that happens to be valid UTF-8 too (郑伟 is, as ``֣ΰ``) is read
  in a GBK file as GBK, and in a UTF-8 file reported with both readings (a name with
  accents, José, stays UTF-8). A line of a UTF-8 file that is UTF-8 but for a damaged
  character, a line that is neither, and a replacement character (�) are reported,
  never stored. UTF-16 (Excel's "Unicode text") is decoded whole;
- lines end at LF or CRLF; a file whose lines end at CR alone (old Mac "CSV") is read so;
- a line without quotes is split on the delimiter (the common case, one C call); a
  line with quotes is parsed strictly; a quoted cell may span lines (Alt+Enter in an
  Excel cell) only when its closing quote comes within ``JOIN_LINES`` lines and the
  record then has the header's number of cells — otherwise the line that opened the
  quote is reported and reading goes on with the next line. Nor does a quote join lines
  that hold a row's worth of delimiters (the header's number of cells less one): such a
  quote is a stray one, and the lines it would have taken are read as they are;
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

from governance.encodings import NARROW, WIDE, gbk_text, has_two_byte, mostly_utf8, not_latin, reads_as_gbk, words

MAX_CELL = 32767  # Excel's limit for a cell
# The error report's column for the cells of a line beyond the header's last column: a
# row with something in it is refused until those cells are moved into their columns.
OVERFLOW = "多出的单元格"


JOIN_LINES = 20
# The apostrophe that exports and error reports put in front of these (formula guard).
GUARDED = ("=", "+", "-", "@", "\t", "\r")


def overflow_column(header: list) -> int | None:
    """The position of a report's 多出的单元格 (whatever spaces or note it was given)."""
    return next((position for position, name in enumerate(header)
                 if "".join(str(name or "").split()).startswith(OVERFLOW)), None)


UTF8, GB18030 = "UTF-8", "GB18030"
_DECIDED = 1000  # lines one encoding leads by that decide a file that is not UTF-8 throughout


@dataclass
class LineProblem:
    """A line that cannot be read as a row: the reason, and its cells as far as they
    can be made out (for the error report)."""

    reason: str
    cells: list = field(default_factory=list)
    # Only a replacement character (�) in some cells, the row read in full otherwise: the
    # row imports when no column imported holds one (``reading._replacements_kept``).
    replaced: bool = False


def _nul() -> str:
    return _("the line holds a NUL byte (binary data); remove it")


def _replaced() -> str:
    return _("the line holds a replacement character (a question mark in a black diamond) where a character was lost "
             "(in an earlier conversion); retype what it stands for")


def cells_problem(cells: list) -> LineProblem:
    """The problem of a row of typed cells (.xlsx) whose text holds a NUL (Excel's
    ``_x0000_``; the database stores none) or the replacement character: the row's,
    as for a line of a CSV. Its cells for the report: without the NUL, with the �."""
    if any(cell.__class__ is str and "\x00" in cell for cell in cells):
        return LineProblem(_nul(), [cell.replace("\x00", "") if cell.__class__ is str else cell for cell in cells])
    return LineProblem(_replaced(), list(cells), replaced=True)


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
        # Lines end at LF (or CRLF); at CR alone only in a file without LF.
        self.end = b"\r" if b"\n" not in head and b"\r" in head.rstrip(b"\r") else b"\n"
        sample = self._sample(head)
        self.delimiter = "\t" if sum(line.count("\t") for line in sample) > sum(line.count(",") for line in sample) else ","
        self.width = None  # the header's number of cells, once known
        self.widest = 0  # the most cells of a record read so far (the header's, before it is known)
        self.encoding = None  # the file's, once surveyed
        self.clean = False  # valid UTF-8 throughout, once surveyed

    def _sample(self, head: bytes) -> list[str]:
        if self.utf16:
            text = head.decode("utf-16", errors="ignore")
        else:
            text = head.decode("utf-8", errors="ignore") or head.decode("gb18030", errors="ignore")
        return text.splitlines()[:20]

    # --- physical lines -----------------------------------------------------------------

    def survey(self) -> str:
        """The file's encoding, from all of it: UTF-8 when it is valid UTF-8 throughout
        (unless its only non-ASCII text is what short GBK text looks like in UTF-8, and
        reads as Chinese in GBK), else the one most of its non-ASCII lines are in. And
        ``self.clean``: valid UTF-8 throughout, without a replacement character (the
        common case: each line is then only decoded)."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        wide = narrow = replaced = suspect = False
        self.clean = False
        with open(self.path, "rb") as handle:
            try:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    text = decoder.decode(chunk)
                    wide = wide or WIDE.search(text) is not None
                    narrow = narrow or (not wide and NARROW.search(text) is not None)
                    replaced = replaced or "\ufffd" in text
                    suspect = suspect or has_two_byte(chunk)  # ~1 ms a MB
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                pass
            else:
                if wide or not narrow:
                    self.clean = not replaced and not suspect
                    return UTF8
                handle.seek(0)
                try:
                    as_gbk = handle.read().decode("gb18030")
                except UnicodeDecodeError:
                    return UTF8
                return GB18030 if gbk_text(as_gbk) else UTF8
            handle.seek(0)
            votes = Counter()
            for raw in _byte_lines(handle, self.end):
                if not raw.isascii():
                    try:
                        votes[UTF8 if WIDE.search(raw.decode("utf-8")) else None] += 1
                    except UnicodeDecodeError:
                        votes[GB18030] += 1
                    if abs(votes[UTF8] - votes[GB18030]) >= _DECIDED:
                        break
        return UTF8 if votes[UTF8] >= votes[GB18030] else GB18030

    def _lines(self):
        """(number, text with its line end) or (number, LineProblem) of every line."""
        if self.utf16:
            with open(self.path, encoding="utf-16", newline="") as handle:
                for number, text in enumerate(_split_text_lines(handle), start=1):
                    self.encodings["UTF-16"] += 1
                    yield number, text
            return
        self.encoding = self.survey()
        in_gbk = self.encoding == GB18030
        with open(self.path, "rb") as handle:
            for number, raw in enumerate(_byte_lines(handle, self.end), start=1):
                if number == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
                if self.clean:
                    yield number, raw.decode("utf-8")
                    continue
                if raw.isascii():
                    yield number, raw.decode("ascii")
                    continue
                try:
                    text = raw.decode("utf-8")
                    if in_gbk and not WIDE.search(text):
                        text = raw.decode("gb18030")  # GBK that is valid UTF-8 too (郑伟 as ֣ΰ)
                        self.encodings[GB18030] += 1
                    elif not in_gbk and not WIDE.search(text) and not_latin(text) and reads_as_gbk(raw):
                        gbk = raw.decode("gb18030")
                        yield number, LineProblem(
                            _("the line reads as “%(gbk)s” in GBK but as “%(utf8)s” in UTF-8: the file mixes encodings; "
                              "keep the right reading and remove the mark (a question mark in a black diamond), or save "
                              "the file again as UTF-8 CSV") % {"gbk": words(gbk), "utf8": words(text)},
                            [cell if cell.isascii() else "\ufffd" + cell for cell in _cells_of(gbk, self.delimiter)])
                        continue
                    else:
                        self.encodings[UTF8] += 1
                except UnicodeDecodeError:
                    text = self._not_utf8(raw, in_gbk)
                    if text.__class__ is LineProblem:
                        yield number, text
                        continue
                    self.encodings[GB18030] += 1
                yield number, text

    def _not_utf8(self, raw: bytes, in_gbk: bool) -> str | LineProblem:
        """A line that is not valid UTF-8: its GBK text, or its problem — UTF-8 but for a
        damaged character (in a UTF-8 file), or neither UTF-8 nor GBK. A problem's cells
        as far as they read, the damage shown as �."""
        if not in_gbk and mostly_utf8(raw):
            return LineProblem(_("the line is UTF-8 text with a damaged character (shown as a question mark in a black diamond); retype it"),
                               _cells_of(raw.decode("utf-8", errors="replace"), self.delimiter))
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            return LineProblem(_("the line holds bytes that are neither UTF-8 nor GBK text (shown as a question mark in a black diamond); "
                                 "retype them or save the file again as UTF-8 CSV"),
                               _cells_of(raw.decode("gb18030" if in_gbk else "utf-8", errors="replace"), self.delimiter))

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
                yield number, LineProblem(_nul(), _cells_of(text.replace("\x00", ""), delimiter))
                continue
            if '"' not in text:
                cells = text.rstrip("\r\n").split(delimiter)
            else:
                cells = _parse(text, delimiter)
                if cells.__class__ is LineProblem and cells.reason == OPEN_QUOTE:
                    cells, taken = self._join(text, next_line, delimiter)
                    pushed.extend(reversed(taken))
                    if cells.__class__ is not LineProblem and any("\ufffd" in cell for cell in cells):
                        text += "\ufffd"  # a line joined to it holds one
            if cells.__class__ is LineProblem:
                yield number, cells
                continue
            if len(text) > MAX_CELL and max(map(len, cells)) > MAX_CELL:
                yield number, LineProblem(_("a cell has %(length)s characters; a cell holds at most %(limit)s")
                                          % {"length": max(map(len, cells)), "limit": MAX_CELL}, _clip(cells))
                continue
            if "'" in text:
                cells = unguard(cells)
            if self.width is not None:
                cells = self.fit(cells)
            else:
                self.widest = max(self.widest, len(cells))
            if "\ufffd" in text and cells.__class__ is not LineProblem:
                cells = LineProblem(_replaced(), cells, replaced=True)
            yield number, cells

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
        JOIN_LINES lines with the header's width and does not swallow rows; else
        (LineProblem, lines taken)."""
        taken = []
        joined = text
        row_width = self.width or self.widest  # the header's, or before it is known the widest record's
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
                if cells.__class__ is not LineProblem and (self.width is None or len(cells) == self.width) and \
                        not _swallows_rows(cells, delimiter, row_width):
                    return cells, []
                break
        return LineProblem(_("a quote (\") opens a cell and is not closed on this line; close it or remove it"),
                           _cells_of(text, delimiter)), taken


OPEN_QUOTE = "open quote"


def _swallows_rows(cells: list[str], delimiter: str, row_width: int) -> bool:
    """Whether a cell that spans lines holds a row's worth of delimiters: the lines of
    whole rows taken in by a stray quote (``"娄底市`` … ``3栋"``), not the lines of one
    cell typed with Alt+Enter."""
    return row_width > 1 and any("\n" in cell and cell.count(delimiter) >= row_width - 1 for cell in cells)


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


def _byte_lines(handle, end: bytes):
    """Lines of a binary file, each with its end: the file's own lines at LF, else split
    at ``end`` (CR)."""
    if end == b"\n":
        yield from handle
        return
    rest = b""
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        parts = (rest + chunk).split(end)
        rest = parts.pop()
        yield from (part + end for part in parts)
    if rest:
        yield rest


def _split_text_lines(handle: io.TextIOBase):
    """Lines of a text file, each with its end, split at \\n only (as the byte reader)."""
    rest = ""
    for chunk in iter(lambda: handle.read(1 << 20), ""):
        parts = (rest + chunk).split("\n")
        rest = parts.pop()
        yield from (part + "\n" for part in parts)
    if rest:
        yield rest
