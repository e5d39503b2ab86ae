"""GB 11643 ID numbers and phone numbers."""

import datetime

import pytest

from residents.ids import InvalidNumber, check_char, normalise_phone, parse_id_number, upgrade


@pytest.mark.parametrize(("number", "birth", "gender"), [
    ("11010519491231002X", datetime.date(1949, 12, 31), "F"),
    ("440524188001010014", datetime.date(1880, 1, 1), "M"),
    ("11010519491231002x", datetime.date(1949, 12, 31), "F"),  # lower-case x
])
def test_valid_numbers_give_birth_date_and_gender(number, birth, gender):
    parsed = parse_id_number(number)

    assert (parsed.value, parsed.birth_date, parsed.gender) == (number.upper(), birth, gender)


@pytest.mark.parametrize(("number", "reason"), [
    ("110105194912310021", "check character"),  # wrong check char
    ("11010519491231002Y", "final digit or X"),
    ("110105194902300025", "does not exist"),  # 30 February
    ("110105194913010025", "does not exist"),  # month 13
    ("11010529990101001" + check_char("11010529990101001"), "impossible"),  # born in the future
    ("11010519491231002", "18 characters"),  # 17
    ("11010519491231002XX", "18 characters"),  # 19
    ("", "18 characters"),
    ("11010A19491231002X", "17 digits"),
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
                                             ("0738-8123456", "0738-8123456"), ("07388123456", "07388123456")])
def test_phones_are_normalised(raw, normal):
    assert normalise_phone(raw) == normal


@pytest.mark.parametrize("raw", ["12345", "12800138000", "1380013800", "abc"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(InvalidNumber):
        normalise_phone(raw)
