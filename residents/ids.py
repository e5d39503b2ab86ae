"""Citizen ID numbers (公民身份号码, GB 11643-1999). Phone numbers: ``residents.phones``.

Numbers are normalised before they are checked (``normalise_id``: full-width digits
folded, spaces and invisible characters dropped, upper-case X); a 15-digit number and
its 18-character form are one person (``id_identity``, the form the keyed hash is
taken of).

18 characters: 6 region + 8 birth date (YYYYMMDD) + 3 sequence (odd = male) + 1 check
character (ISO 7064 MOD 11-2). Legacy 15-digit numbers (6 region + YYMMDD + 3
sequence, born 19xx, no check character) are accepted as they are and upgraded to 18
only when asked. Region codes are not checked against a list: abolished codes stay
valid on the cards issued under them.

Pure Python and cheap (a few microseconds per number): the import validates a million
rows with it.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MALE, FEMALE = "M", "F"
# What Excel makes of an ID number typed into a cell formatted as a number: scientific
# notation (4.31322E+17), a decimal tail (431322200802181000.0), or its last digits
# turned to zeros (15 significant digits: 431322200802181000).
EXCEL_NUMBER = re.compile(r"[0-9](?:\.[0-9]*)?E\+?[0-9]+|[0-9]{15,18}\.[0-9]*")


def excel_number_message() -> str:
    return _("Excel stored the ID number as a number and its last digits are lost: format the column as text and type it again")


class InvalidNumber(ValueError):
    """A number that fails validation; the message is translated for the user."""


@dataclass(frozen=True)
class IdNumber:
    value: str  # normalised: upper-case X, 15 or 18 characters
    birth_date: datetime.date
    gender: str  # MALE or FEMALE

    @property
    def is_legacy(self) -> bool:
        return len(self.value) == 15


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True)) % 11]


def upgrade(value15: str) -> str:
    """The 18-character form of a 15-digit legacy number (century 19, check char added)."""
    first17 = value15[:6] + "19" + value15[6:]
    return first17 + check_char(first17)


def _birth_date(year: str, month: str, day: str) -> datetime.date:
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidNumber(_("the birth date %(date)s in the ID number does not exist") % {"date": f"{year}-{month}-{day}"}) from None


def ascii_digits(text: str) -> bool:
    """Only 0–9 (``str.isdigit`` also accepts ² and other digits ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def normalise_id(raw: str) -> str:
    """Trim, drop whitespace of every kind (a non-breaking or ideographic space too) and
    invisible format characters (a zero-width space, a BOM, a word joiner: pasted in
    from web systems and other files), fold full-width characters (NFKC: ``１２３`` →
    ``123``, ``ｘ`` → ``x``), upper-case the X. Other look-alike digits (superscripts,
    circled digits) are kept, so that validation names them instead of reading them as
    digits."""
    value = raw.strip()
    if not value.isascii():
        value = "".join(unicodedata.normalize("NFKC", char) if "\uff01" <= char <= "\uff5e" else char
                        for char in value if not char.isspace() and unicodedata.category(char) != "Cf")
    return value.replace(" ", "").upper()


def id_identity(value: str) -> str:
    """The form a normalised ID number is hashed under: a 15-digit number and its
    18-character upgrade are one person."""
    return upgrade(value) if len(value) == 15 and ascii_digits(value) else value


def kept_whole(value) -> bool:
    """Whether a number cell holds a 15-digit (old) ID number whole: Excel keeps 15
    significant digits, so only longer numbers lost some."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 10**14 <= value < 10**15 \
        and float(value).is_integer()


def excel_mangled(value) -> bool:
    """Whether an ID cell is what Excel leaves of a number typed into a number cell."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):  # TRUE/FALSE: no number at all
        return not kept_whole(value)
    text = str(value).strip().upper()
    if EXCEL_NUMBER.fullmatch(text):
        return True
    return len(text) == 18 and ascii_digits(text) and text.endswith("000") and text[17] != check_char(text[:17])


def parse_id_number(raw: str, *, upgrade_legacy: bool = False, today: datetime.date | None = None) -> IdNumber:
    """Validate and normalise an ID number; raise ``InvalidNumber`` with the reason."""
    value = normalise_id(raw)
    if excel_mangled(value):
        raise InvalidNumber(excel_number_message())
    strange = [char for char in value if not ("0" <= char <= "9" or char == "X")]
    if strange:
        raise InvalidNumber(_("the ID number contains 「%(chars)s」: only the digits 0–9 and a final X are allowed")
                            % {"chars": "".join(dict.fromkeys(strange))})
    if len(value) == 18:
        if not ascii_digits(value[:17]) or not (ascii_digits(value[17]) or value[17] == "X"):
            raise InvalidNumber(_("an ID number has 17 digits and a final digit or X"))
        birth = _birth_date(value[6:10], value[10:12], value[12:14])
        if value[17] != check_char(value[:17]):
            raise InvalidNumber(_("the check character is wrong (expected %(char)s)") % {"char": check_char(value[:17])})
        sequence = value[14:17]
    elif len(value) == 15:
        if not ascii_digits(value):
            raise InvalidNumber(_("a 15-digit ID number has digits only"))
        birth = _birth_date("19" + value[6:8], value[8:10], value[10:12])
        sequence = value[12:15]
        if upgrade_legacy:
            value = upgrade(value)
    else:
        raise InvalidNumber(_("an ID number has 18 characters (or 15 digits for an old one), not %(length)s") % {"length": len(value)})
    today = today or datetime.date.today()  # noqa: DTZ011 (a calendar date, not an instant)
    if birth > today or birth.year < 1880:
        raise InvalidNumber(_("the birth date %(date)s in the ID number is impossible") % {"date": birth.isoformat()})
    return IdNumber(value=value, birth_date=birth, gender=MALE if int(sequence[2]) % 2 else FEMALE)
