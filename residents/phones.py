"""Phone numbers: one canonical form for storage, hashing and search (docs/residents.md).

``phone_normalise`` is the one function that turns what people type — ``+86 138 0013
0000``, ``１３８００１３００００``, ``0738-8312345``, ``(0738)8312345``, ``0738 831 2345``
— into the form that is stored, encrypted and hashed: the number as dialled inside
China without separators (``13800130000``, ``07388312345``). Storage, the import, the
search and the key rotation all call it, so two spellings of one number are one number.

Validity is decided by ``phonenumbers`` (Google's libphonenumber metadata, region CN).
Mobiles are the bulk of a million-row import: an 11-digit number that matches the
library's own pattern for CN mobiles is answered by that one regex (what
``is_valid_number`` would answer); anything else is parsed.
"""

import functools
import re
import unicodedata

import phonenumbers
from django.utils.translation import gettext as _

from residents.ids import EXCEL_NUMBER, InvalidNumber

REGION = "CN"
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# A landline written with its extension after a dash: 0738-8312345-801, (0738)8312345-801.
_DASHED_EXTENSION = re.compile(r"\(?0[0-9]{2,3}\)?[- ]?[0-9]{7,8}-([0-9]{1,6})")
# What separates two numbers in one cell (after NFKC: ，；／ are , ; /).
_BETWEEN_NUMBERS = re.compile(r"[,;/、|]")
_FIXED_TYPES = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


@functools.cache
def _mobile_pattern() -> re.Pattern:
    """libphonenumber's own pattern of CN mobile numbers: a number it matches is a
    valid mobile to ``is_valid_number`` too (the straight path for the common case)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(REGION)
    return re.compile(metadata.mobile.national_number_pattern)


_WHOLE_NUMBER = re.compile(r"([0-9]{7,12})\.0+")


def _not_a_number(value: str) -> InvalidNumber:
    """The reason a cell is not one phone number: a second number or an extension
    after a dash when it looks so, else that it is neither a mobile nor a landline."""
    if EXCEL_NUMBER.fullmatch(value.upper()):  # 1.38001E+10
        return InvalidNumber(_("Excel stored the phone number as a number in scientific notation and its last digits "
                               "are lost: format the column as text and type it again"))
    dashed = _DASHED_EXTENSION.fullmatch(value)
    if dashed:
        return InvalidNumber(_("this looks like a landline with the extension %(extension)s: extensions are not stored; "
                               "write the number without it") % {"extension": dashed[1]})
    first, *rest = _BETWEEN_NUMBERS.split(value, maxsplit=1)
    if rest and rest[0].strip():
        try:
            phone_normalise(first)
        except InvalidNumber:
            pass
        else:
            return _two_numbers(rest[0].strip())
    return InvalidNumber(_("not a mobile number (11 digits) or a landline with its area code"))


def _two_numbers(rest: str) -> InvalidNumber:
    """Without the second number: the reason is kept in the import's summary, in clear."""
    return InvalidNumber(_("one phone number per cell: the cell holds a second number or an extension"))


def phone_normalise(raw: str) -> str:
    """The canonical form of a phone number (``13800130000``, ``07388312345``); raise
    ``InvalidNumber`` with the reason for anything else — a second number or an
    extension included: it would be dropped."""
    if len(raw) == 11 and _MOBILE.fullmatch(raw) and _mobile_pattern().fullmatch(raw):
        return raw
    value = unicodedata.normalize("NFKC", raw).strip()
    if whole := _WHOLE_NUMBER.fullmatch(value):  # a number cell written with its decimals: 13800130000.0
        value = whole[1]
    try:
        number = phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException:
        raise _not_a_number(value) from None
    if number.extension:  # what follows ``ext``, ``#``, ``x`` or a ``;``: a second number
        raise _two_numbers(number.extension)
    if number.country_code != 86:
        raise InvalidNumber(_("not a number in mainland China"))
    if not phonenumbers.is_valid_number(number):
        local = str(number.national_number)
        if len(local) in (7, 8) and local[0] in "2345678":
            raise InvalidNumber(_("a landline needs its area code (such as 0738-8312345)"))
        raise _not_a_number(value)
    national = str(number.national_number)
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        return national
    return "0" + national


def phone_display(value: str) -> str:
    """A stored phone number in the national format (``138 0013 0000``, ``0738 831 2345``);
    a value stored before normalisation is shown as it is."""
    if not value:
        return ""
    try:
        return phonenumbers.format_number(phonenumbers.parse(value, REGION), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return value


def phone_mask(value: str) -> str:
    """``138****0000`` for a mobile; a landline keeps its area code and last two digits
    (``0738*****45``)."""
    if len(value) == 11 and value[0] == "1":
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    area = _area_code(value)
    return area + "*" * (len(value) - len(area) - 2) + value[-2:]


def _area_code(value: str) -> str:
    if not value.startswith("0"):
        return value[:3]
    display = phone_display(value)
    head = display.split(" ", 1)[0]
    return head if head != display and value.startswith(head) else value[:3]
