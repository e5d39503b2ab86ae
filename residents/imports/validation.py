"""Validating one row of a residents file (docs/residents.md, *Import columns*).

This runs once per row of files of a million rows, so the common case — every cell
text, every value well formed — goes through a straight path of C-level calls
(``str.strip``, one regex, the check character from the digits' bytes, the birth date
compared as text). Anything unusual takes the general path, which is also the one
that words the errors (``residents.ids``), so both paths accept and refuse the same
cells with the same reasons.
"""

import datetime
import hashlib
import os
import re
import unicodedata
from operator import gt, itemgetter, mul

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import grids_visible_to
from residents import crypto
from residents.ids import (
    CHECK_CHARS,
    EXCEL_NUMBER,
    FEMALE,
    MALE,
    WEIGHTS,
    InvalidNumber,
    excel_number_message,
    kept_whole,
    parse_id_number,
)
from residents.imports.columns import COLUMNS
from residents.imports.firstrows import FirstRows
from residents.imports.marks import EXCEL_ERRORS, blank_or_error, excel_error_in, excel_error_message
from residents.imports.reading import _text
from residents.imports.report import RowError
from residents.models import ResidenceType
from residents.phones import phone_normalise

GENDER_WORDS = {"男": MALE, "男性": MALE, "M": MALE, "女": FEMALE, "女性": FEMALE, "F": FEMALE}
RESIDENCE_WORDS = {
    "户籍": ResidenceType.REGISTERED, "户籍人口": ResidenceType.REGISTERED,
    "流动": ResidenceType.FLOATING, "流动人口": ResidenceType.FLOATING,
    "寄住": ResidenceType.LODGING, "寄住人口": ResidenceType.LODGING,
    "境外": ResidenceType.FOREIGN, "境外人员": ResidenceType.FOREIGN,
    "未落户": ResidenceType.UNREGISTERED, "未落户人员": ResidenceType.UNREGISTERED,
    **{value: value for value in ResidenceType.values},
}
RESIDENCE_WORDS = {word: str(value) for word, value in RESIDENCE_WORDS.items()}  # plain text, for COPY lines too
# A date, with the time a date-time cell exported from Excel or WPS adds (2020/5/1 0:00).
_DATE = re.compile(r"(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[ T]+[0-2]?\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)?")
# The straight path's shapes; what they do not match goes through residents.ids.
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
# The check character from the digits' bytes: sum(byte × weight) − ord("0") × sum(weights).
_ZEROS = ord("0") * sum(WEIGHTS)
_KEPT = 100_000  # entries of the validator's caches of dates
_LENGTHS = tuple(column[3] for column in COLUMNS)
_REQUIRED = tuple(index for index, column in enumerate(COLUMNS) if column[2])
(C_NAME, C_GENDER, C_BIRTH, C_ID, C_PHONE, C_ETHNICITY, C_TYPE, C_ADDRESS, C_GRID, C_BUILDING, C_UNIT, C_ROOM,
 C_HOUSEHOLD, C_RELATION, C_MOVED_IN) = range(len(COLUMNS))

# Positions in a validated row; R_COPY (optional) is ``copy_tail`` of the row.
(R_LINE, R_GRID, R_BUILDING, R_UNIT, R_ROOM, R_HOUSEHOLD, R_NAME, R_GENDER, R_BIRTH, R_ID_CIPHER, R_ID_HASH, R_ID_MASK,
 R_PHONE_CIPHER, R_PHONE_HASH, R_PHONE_MASK, R_ETHNICITY, R_TYPE, R_ADDRESS, R_RELATION, R_MOVED_IN, R_COPY) = range(21)
# COPY's text format: \N is NULL; backslash, tab, newline and CR in text are escaped.
COPY_NULL = "\\N"
_COPY_UNSAFE = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_tail(row: list) -> str:
    """The resident columns from ``grid_id`` to ``moved_in_on`` but room and household
    (``writing.RESIDENT_COLUMNS``) as one line of COPY's text format, without its
    newline. The validator makes it (``copy_line``) while it has the values at hand, so
    that the thread writing the batch only puts the room's and household's ids in front."""
    moved_in = row[R_MOVED_IN]
    return copy_line(row[R_GRID], row[R_NAME], row[R_GENDER], row[R_BIRTH].isoformat(), row[R_ID_CIPHER], row[R_ID_HASH],
                     row[R_ID_MASK], row[R_PHONE_CIPHER], row[R_PHONE_HASH], row[R_PHONE_MASK], row[R_ETHNICITY], row[R_TYPE],
                     row[R_ADDRESS], row[R_RELATION], moved_in.isoformat() if moved_in else COPY_NULL)


def copy_line(grid_id, name, gender, birth, id_cipher, id_hash, id_mask, phone_cipher, phone_hash, phone_mask, ethnicity,
              residence_type, address, relation, moved_in) -> str:
    """``copy_tail`` of these values, the dates given as text (``moved_in``: ``\\N`` for none)."""
    if _COPY_UNSAFE.search(name + ethnicity + address + relation):
        name, ethnicity, address, relation = (value.translate(_COPY_ESCAPES) for value in (name, ethnicity, address, relation))
    return (f"{grid_id}\t{name}\t{gender}\t{birth}\t\\\\x{id_cipher.hex()}\t\\\\x{id_hash}\t{id_mask}\t"
            f"\\\\x{phone_cipher.hex()}\t\\\\x{phone_hash}\t{phone_mask}\t{ethnicity}\t{residence_type}\t{address}\t"
            f"{relation}\t{moved_in}")


def _date(value) -> datetime.date:
    if value.__class__ is str and len(value) == 10 and value[4] == value[7] == "-":
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass  # the pattern below decides, as for any other shape
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = _DATE.fullmatch(_text(value))
    if match is None:
        raise ValueError
    return datetime.date(int(match[1]), int(match[2]), int(match[3]))


def visible(cells: list) -> list:
    """The text cells without invisible format characters (Unicode category Cf: a BOM
    where two files were pasted together, a zero-width space or a word joiner copied
    from a web page), stripped again."""
    return [cell if cell.__class__ is not str or cell.isprintable()
            else "".join(char for char in cell if unicodedata.category(char) != "Cf").strip() for cell in cells]


def one_line(name: str) -> str:
    """A name as stored: a control character (a line break typed with Alt+Enter, a tab,
    a BEL), a non-breaking or ideographic space in it made one space (an address keeps
    its line breaks)."""
    if name.isprintable():
        return name
    return " ".join("".join(" " if unicodedata.category(char) == "Cc" else char for char in name).split())


class Protector:
    """``crypto.protect`` for many values of one field: the same cipher, keyed hash and
    mask (``crypto.decrypt`` and ``crypto.lookup_hash`` agree with them), made with
    less work per value: nonces are cut from one read of the system's random source per
    4,096 values, and the HMAC-SHA256 starts from the key's precomputed inner and
    outer states (RFC 2104) instead of setting the key up again for every value."""

    BLOCK = 4096

    def __init__(self, field: str):
        keys = crypto.keys()
        self.encrypt = keys.aead.encrypt
        self.field = field.encode()
        self.prefix = f"{field}:".encode()
        key = keys.hmac_key.ljust(64, b"\0")  # 32 bytes: shorter than SHA-256's block
        self.inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        self.outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))
        self.mask = crypto.MASKS[field]
        self.renew()

    def renew(self) -> None:
        """Drop the nonces read ahead: a process forked from this one (a validating
        worker, ``imports.parallel``) must never use the ones its parent has left."""
        self.nonces, self.used = b"", self.BLOCK

    def __call__(self, value: str) -> tuple[bytes, str, str]:
        if not value:
            return b"", "", ""
        if self.used == self.BLOCK:
            self.nonces, self.used = os.urandom(crypto.NONCE_BYTES * self.BLOCK), 0
        start = self.used * crypto.NONCE_BYTES
        self.used += 1
        nonce = self.nonces[start:start + crypto.NONCE_BYTES]
        data = value.encode()
        inner = self.inner.copy()
        inner.update(self.prefix + (data if len(data) != 15 else crypto.hashed_form(value, field=self.field.decode()).encode()))
        outer = self.outer.copy()
        outer.update(inner.digest())
        return nonce + self.encrypt(nonce, data, self.field), outer.hexdigest(), self.mask(value)


class RowValidator:
    """Turns one row's cells into the values to write, or a list of errors. Holds the
    maps loaded once per import: the grids in the importer's scope by code."""

    def __init__(self, *, actor, positions: dict[str, int], upgrade_ids: bool):
        self.positions = positions
        self.upgrade_ids = upgrade_ids
        grids = grids_visible_to(actor) if actor is not None else all_grids()
        self.grids = grids_by_code_or_name(grids.values_list("code", "name", "id"))
        self.today = timezone.localdate()
        self.births: dict[str, tuple | bool] = {}  # see _born
        self.dates: dict[str, tuple] = {}  # see _moved_in
        self.seen = FirstRows()  # 63 bits of each ID hash → first row number
        self.protect_id = Protector("id_number")
        self.protect_phone = Protector("phone")

        # (key, position or -1) for every column, in COLUMNS order.
        self.layout = [(key, positions.get(key, -1)) for _header, key, _required, _length in COLUMNS]
        # Every column present: one C call picks the cells of a row long enough.
        self.width = max(positions.values()) + 1
        self.pick = itemgetter(*[position for _key, position in self.layout]) if len(positions) == len(COLUMNS) else None

    def blank(self, raw: list) -> bool:
        """Whether the row has nothing in the columns imported: a ledger's rows numbered
        in advance hold only their 序号, or only the errors of formulas filled down past
        the data (性别 from an empty ID: #VALUE!) (asked of refused rows only)."""
        size = len(raw)
        return all(blank_or_error(raw[position]) for _key, position in self.layout if 0 <= position < size)

    def read(self, raw: list) -> tuple[list, bool]:
        """The row's cells in COLUMNS order: text stripped (and without invisible
        characters); dates, and a number in the ID column (reported below), kept as they
        are. And whether all are text."""
        if self.pick is not None and len(raw) >= self.width:
            try:
                cells = list(map(str.strip, self.pick(raw)))
            except TypeError:  # a cell that is not text: an empty or typed .xlsx cell
                pass
            else:
                # One C call says the row has no invisible character (nor a tab, a line
                # break, a non-breaking space: those take the loop in visible too).
                joined = "".join(cells)
                if "#" in joined and excel_error_in(cells):
                    return cells, False  # refused in _shape_errors
                return cells if joined.isprintable() else visible(cells), True
        size = len(raw)
        cells = []
        for key, position in self.layout:
            value = raw[position] if 0 <= position < size else None
            if value is None:
                cells.append("")
            elif value.__class__ is str:
                cells.append(value.strip())
            elif isinstance(value, datetime.date) and key in ("birth_date", "moved_in_on"):
                cells.append(value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and key == "id_number":
                # A 15-digit number survives a number cell; longer ones lost digits (refused below).
                cells.append(str(int(value)) if kept_whole(value) else value)
            else:
                cells.append(_text(value))
        joined = "".join(cell for cell in cells if cell.__class__ is str)
        if not joined.isprintable():
            cells = visible(cells)
        return cells, all(cell.__class__ is str for cell in cells) and not ("#" in joined and excel_error_in(cells))

    def _shape_errors(self, number: int, cells: list) -> list[RowError]:
        errors = []
        for (header, _key, required, length), value in zip(COLUMNS, cells, strict=True):
            if value.__class__ is str and value.upper() in EXCEL_ERRORS:
                errors.append(RowError(number, header, excel_error_message(value.upper())))
            elif required and not value:
                errors.append(RowError(number, header, _("required")))
            elif value.__class__ is str and len(value) > length:
                errors.append(RowError(number, header, _("longer than %(length)s characters") % {"length": length}))
        return errors

    def _id_number(self, raw: str) -> tuple[str, datetime.date, str, str]:
        """(normalised value, birth date, the date as ISO text, gender) of a valid ID
        number; ``InvalidNumber``."""
        value = raw.upper()
        if len(value) == 18 and _ID18.fullmatch(value) and \
                CHECK_CHARS[(sum(map(mul, value[:17].encode(), WEIGHTS)) - _ZEROS) % 11] == value[17]:
            born = self.births.get(value[6:14])
            if born is None:
                born = self._born(value[6:14])
            if born:
                return value, born[0], born[1], MALE if ord(value[16]) & 1 else FEMALE  # odd sequence digit: male
        number = parse_id_number(raw, upgrade_legacy=self.upgrade_ids, today=self.today)  # words the error
        return number.value, number.birth_date, number.birth_date.isoformat(), number.gender

    def _born(self, digits: str) -> tuple | bool:
        """(date, ISO text) of the birth date ``YYYYMMDD`` of an ID number, or False
        when it does not exist or is impossible (before 1880, after today); kept, as a
        file's people share a few tens of thousands of birth dates."""
        try:
            birth = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            born = False
        else:
            born = (birth, birth.isoformat()) if birth.year >= 1880 and birth <= self.today else False
        if len(self.births) >= _KEPT:
            self.births.clear()
        self.births[digits] = born
        return born

    def _moved_in(self, cell) -> tuple[datetime.date, str]:
        """(date, ISO text) of a 入住日期 cell; ``ValueError``. Kept per text, as the
        birth dates."""
        known = self.dates.get(cell) if cell.__class__ is str else None
        if known is None:
            moved_in = _date(cell)
            known = (moved_in, moved_in.isoformat())
            if cell.__class__ is str:
                if len(self.dates) >= _KEPT:
                    self.dates.clear()
                self.dates[cell] = known
        return known

    def validate(self, number: int, raw: list) -> tuple[list | None, list[RowError]]:
        """``check``, then ``duplicate``: the values to write, or the row's errors."""
        values, errors = self.check(number, raw)
        if values is not None:
            duplicate = self.duplicate(values)
            if duplicate is not None:
                return None, [duplicate]
        return values, errors

    def duplicate(self, values: list) -> RowError | None:
        """The error of a row whose ID number an earlier row of the file had, and that
        row's number; else ``None``, and the row is the number's first. Called in row
        order (the checks themselves may run in worker processes)."""
        return self._first_of(values[R_LINE], values[R_ID_HASH])

    def refused_duplicate(self, number: int, raw: list, errors: list[RowError]) -> RowError | None:
        """For a row refused for something else than its ID number: that number's
        first row (it is the first when none came before). In row order, as
        ``duplicate``: so a pair of rows with one ID number stays a pair in the error
        report whichever of them was refused, and fixing one row and importing the
        report again cannot apply it over the other's person."""
        if any(error.column == "公民身份号码" for error in errors):
            return None
        cells, _all_text = self.read(raw)
        if cells[C_ID].__class__ is not str or not cells[C_ID]:
            return None
        try:
            value = self._id_number(cells[C_ID])[0]
        except InvalidNumber:
            return None
        return self._first_of(number, crypto.lookup_hash(value, field="id_number"))

    def _first_of(self, number: int, id_hash: str) -> RowError | None:
        first = self.seen.setdefault(int(id_hash[:16], 16), number)
        if first != number:
            return RowError(number, "公民身份号码", _("the same ID number is already in row %(row)s of this file") % {"row": first},
                            first_row=first)
        return None

    def check(self, number: int, raw: list) -> tuple[list | None, list[RowError]]:
        """The row's values (``R_…`` positions), or its errors; everything but the
        duplicate check, which needs the rows before it."""
        cells, text = self.read(raw)
        if not text or not (cells[C_NAME] and cells[C_ID] and cells[C_GRID]) or any(map(gt, map(len, cells), _LENGTHS)):
            errors = self._shape_errors(number, cells)
            if errors:
                return None, errors
        (name, gender_word, birth_cell, id_raw, phone_raw, ethnicity, type_word, address, grid_code, building, unit, room,
         household, relation, moved_in_cell) = cells
        name = one_line(name)
        if not name:  # only control characters
            return None, [RowError(number, "姓名", _("required"))]

        if id_raw.__class__ is not str:
            return None, [RowError(number, "公民身份号码", excel_number_message())]
        try:
            id_value, birth, birth_iso, gender = self._id_number(id_raw)
        except InvalidNumber as error:
            return None, [RowError(number, "公民身份号码", str(error))]

        errors: list[RowError] = []
        if gender_word:
            given = GENDER_WORDS.get(gender_word.upper() if gender_word.isascii() else gender_word)
            if given is None:
                errors.append(RowError(number, "性别", _("write 男 or 女")))
            elif given != gender:
                errors.append(RowError(number, "性别", _("does not match the ID number (its sequence digit says %(gender)s)")
                                       % {"gender": "男" if gender == MALE else "女"}))
        if birth_cell and birth_cell != birth_iso:
            try:
                given_birth = _date(birth_cell)
            except ValueError:
                errors.append(RowError(number, "出生日期", _("not a date (write 1980-01-31)")))
            else:
                if given_birth != birth:
                    errors.append(RowError(number, "出生日期", _("does not match the birth date in the ID number (%(date)s)")
                                           % {"date": birth.isoformat()}))
        phone = ""
        if phone_raw:
            try:
                phone = phone_normalise(phone_raw)
            except InvalidNumber as error:
                errors.append(RowError(number, "联系电话", str(error)))
        residence_type = RESIDENCE_WORDS["户籍"]
        if type_word:
            residence_type = RESIDENCE_WORDS.get(type_word)
            if residence_type is None:
                errors.append(RowError(number, "人员类型", _("write one of 户籍, 流动, 寄住, 境外, 未落户")))
        grid_id = grid_of(self.grids, grid_code)
        if grid_id is None:
            errors.append(RowError(number, "网格编码", grid_code_error(grid_code, self.grids)))
        moved_in_on, moved_in_iso = None, COPY_NULL
        if moved_in_cell:
            try:
                moved_in_on, moved_in_iso = self._moved_in(moved_in_cell)
            except ValueError:
                errors.append(RowError(number, "入住日期", _("not a date (write 2020-05-01)")))
            else:
                if moved_in_on > self.today:
                    errors.append(RowError(number, "入住日期", _("is in the future")))
                elif moved_in_on < birth:
                    errors.append(RowError(number, "入住日期", _("is before the birth date in the ID number (%(date)s)")
                                           % {"date": birth_iso}))
        if (unit or room) and not building:
            errors.append(RowError(number, "楼栋", _("a unit or room needs its building")))
        if errors:
            return None, errors

        id_cipher, id_hash, id_mask = self.protect_id(id_value)
        phone_cipher, phone_hash, phone_mask = self.protect_phone(phone)
        copy = copy_line(grid_id, name, gender, birth_iso, id_cipher, id_hash, id_mask, phone_cipher, phone_hash, phone_mask,
                         ethnicity, residence_type, address, relation, moved_in_iso)
        return [
            number, grid_id, building, unit, room, household, name, gender, birth, id_cipher, id_hash, id_mask,
            phone_cipher, phone_hash, phone_mask, ethnicity, residence_type, address, relation, moved_in_on, copy,
        ], []


# What writing on PostgreSQL reads of a validated row (``writing``): its line, its place,
# the ID hash and mask, and the COPY line. The rest travels from a worker as None.
_SLIM = (R_LINE, R_GRID, R_BUILDING, R_UNIT, R_ROOM, R_HOUSEHOLD, R_ID_HASH, R_ID_MASK, R_COPY)


def slim(values: list) -> list:
    """A validated row with only what PostgreSQL's writing reads (less to send back
    from a worker process)."""
    row = [None] * len(values)
    for position in _SLIM:
        row[position] = values[position]
    return row


class GridKeys(dict):
    """Grid id by code or name (``grids_by_code_or_name``); ``shared``: the names of more
    than one grid, which name none."""

    shared: frozenset = frozenset()


# Full-width ASCII (（）０－９Ａ…) as half-width, the ideographic space as a space; not NFKC,
# which also makes ② a 2 (月塘②号工地 and 月塘2号工地 are two sites).
HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def grid_name_key(name: str) -> str:
    """A grid's name (or code) as a cell is matched to it: full-width digits and letters as
    half-width, no spaces — 月塘第２网格 and 月塘 第2网格 are 月塘第2网格."""
    return "".join(name.translate(HALF_WIDTH).split())


def grids_by_code_or_name(grids) -> GridKeys:
    """Grid id by code, and by name where the name is one grid's only: a ledger's 所属网格
    may hold the grid's name, spelled with full-width digits or spaces (``grid_name_key``).
    ``grids``: (code, name, id) of each."""
    by_key, names = GridKeys(), {}
    for code, name, grid_id in grids:
        by_key[code] = grid_id
        names.setdefault(grid_name_key(name), []).append(grid_id)
    for name, ids in names.items():
        if len(ids) == 1:
            by_key.setdefault(name, ids[0])
    by_key.shared = frozenset(name for name, ids in names.items() if len(ids) > 1)
    return by_key


def grid_code_error(code: str, grids: GridKeys) -> str:
    """Why a 网格编码 cell names no grid of the importer's: Excel's scientific notation
    (4.31302E+13), or a name that more than one grid has, said so."""
    if EXCEL_NUMBER.fullmatch(code.upper()):
        return _("Excel stored the grid code as a number and its last digits are lost: format the column as text and "
                 "type it again")
    if grid_name_key(code) in grids.shared:
        return _("more than one grid in your area is named so: write the grid's code")
    return _("no such grid in your area")


_WHOLE_NUMBER = re.compile(r"([0-9]{12,16})\.0*")  # as grids.imports reads a GIS file's codes


def grid_of(grids: dict[str, int], code: str) -> int | None:
    """The id of the grid a 网格编码 cell names: its code or name, also spelled with
    full-width digits or spaces, and a code as Excel writes one kept as a number
    (43130200100109.0: none of its 12–16 digits lost)."""
    grid_id = grids.get(code)
    if grid_id is None:
        code = grid_name_key(code)
        grid_id = grids.get(code)
        if grid_id is None and (whole := _WHOLE_NUMBER.fullmatch(code)):
            grid_id = grids.get(whole[1])
    return grid_id


def all_grids():
    from grids.models import Grid

    return Grid.objects.all()
