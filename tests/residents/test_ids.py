"""GB 11643 ID numbers and phone numbers."""

import datetime

import pytest

from residents.ids import InvalidNumber, check_char, id_identity, parse_id_number, upgrade
from residents.phones import phone_display, phone_mask
from residents.phones import phone_normalise as normalise_phone


@pytest.mark.parametrize(("number", "birth", "gender"), [
    ("11010519491231002X", datetime.date(1949, 12, 31), "F"),
    ("440524188001010014", datetime.date(1880, 1, 1), "M"),
    ("11010519491231002x", datetime.date(1949, 12, 31), "F"),  # lower-case x
    ("１１０１０５１９４９１２３１００２Ｘ", datetime.date(1949, 12, 31), "F"),  # full width
    (" 110105 1949 1231 002X\u3000", datetime.date(1949, 12, 31), "F"),  # spaces
])
def test_valid_numbers_give_birth_date_and_gender(number, birth, gender):
    parsed = parse_id_number(number)

    assert (parsed.value, parsed.birth_date, parsed.gender) == ("11010519491231002X" if "1949" in number or "１９４９" in number
                                                                 else number.upper(), birth, gender)


@pytest.mark.parametrize(("number", "reason"), [
    ("110105194912310021", "check character"),  # wrong check char
    ("11010519491231002Y", "contains 「Y」"),
    ("11010X194912310021", "final digit or X"),
    ("43130219800104²21X", "contains 「²」"),  # a superscript is not a digit
    ("4313021980010④021X", "contains 「④」"),
    ("4.31322E+17", "Excel stored the ID number as a number"),
    ("431322200802181000", "Excel stored the ID number as a number"),  # 15 significant digits, check fails
    ("431322200802181483.0", "Excel stored the ID number as a number"),
    ("110105194902300025", "does not exist"),  # 30 February
    ("110105194913010025", "does not exist"),  # month 13
    ("11010529990101001" + check_char("11010529990101001"), "impossible"),  # born in the future
    ("11010519491231002", "18 characters"),  # 17
    ("11010519491231002XX", "18 characters"),  # 19
    ("", "18 characters"),
    ("11010A19491231002X", "contains 「A」"),
])
def test_invalid_numbers_are_refused_with_a_reason(number, reason):
    with pytest.raises(InvalidNumber, match=reason):
        parse_id_number(number)


def test_an_abolished_region_code_is_accepted():
    first17 = "43250119800101001"  # 432501: a prefecture code long since abolished

    assert parse_id_number(first17 + check_char(first17)).birth_date == datetime.date(1980, 1, 1)


def test_fifteen_digit_numbers_are_kept_unless_an_upgrade_is_asked():
    kept = parse_id_number("110105491231002")
    upgraded = parse_id_number("110105491231002", upgrade_legacy=True)

    assert (kept.value, kept.is_legacy, kept.birth_date, kept.gender) == ("110105491231002", True, datetime.date(1949, 12, 31), "F")
    assert upgraded.value == "11010519491231002X" == upgrade("110105491231002")
    with pytest.raises(InvalidNumber, match="does not exist"):
        parse_id_number("110105490231002")


@pytest.mark.parametrize(("raw", "normal"), [("13800138000", "13800138000"), ("+86 138 0013 8000", "13800138000"),
                                             ("１３８００１３８０００", "13800138000"), ("8613800138000", "13800138000"),
                                             ("0738-8123456", "07388123456"), ("07388123456", "07388123456"),
                                             ("(0738)8123456", "07388123456"), ("0738 812 3456", "07388123456"),
                                             ("+86 738 8123456", "07388123456"), ("010-62345678", "01062345678")])
def test_phones_are_normalised(raw, normal):
    assert normalise_phone(raw) == normal


def test_phones_are_shown_in_the_national_format_and_masked():
    assert (phone_display("13800138000"), phone_mask("13800138000")) == ("138 0013 8000", "138****8000")
    assert (phone_display("07388123456"), phone_mask("07388123456")) == ("0738 812 3456", "0738*****56")


def test_a_fifteen_digit_number_and_its_upgrade_are_one_person():
    assert id_identity("110105491231002") == id_identity("11010519491231002X") == "11010519491231002X"


@pytest.mark.parametrize("raw", ["12345", "12800138000", "1380013800", "abc", "8123456", "+1 212 555 0100"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(InvalidNumber):
        normalise_phone(raw)
