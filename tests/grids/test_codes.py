import pytest
from django.core.exceptions import ValidationError

from grids.codes import kind_label, level_from_code, parent_code_of, validate_area_code
from grids.models import AreaLevel


def reject_everything(code, parent_code, level):
    raise ValidationError("local rule says no")


@pytest.mark.parametrize(
    "code, level",
    [
        ("430000000000", AreaLevel.PROVINCE),
        ("431300000000", AreaLevel.CITY),
        ("431302000000", AreaLevel.DISTRICT),
        ("431302001000", AreaLevel.STREET),
        ("431302001001", AreaLevel.COMMUNITY),
        ("431321100201", AreaLevel.COMMUNITY),
    ],
)
def test_level_is_read_off_a_statistical_code(code, level):
    assert level_from_code(code) == level


@pytest.mark.parametrize("code", ["4313020010", "43130200100A", "000000000000", "1234567890123"])
def test_codes_that_are_no_statistical_code_have_no_level(code):
    assert level_from_code(code) is None


def test_parent_code_is_implied_by_the_code():
    assert parent_code_of("431302001001", AreaLevel.COMMUNITY) == "431302001000"
    assert parent_code_of("431302001000", AreaLevel.STREET) == "431302000000"
    assert parent_code_of("431302000000", AreaLevel.DISTRICT) == "431300000000"
    assert parent_code_of("43130200100103", AreaLevel.GRID) == "431302001001"


@pytest.mark.parametrize(
    "code, level, parent, message",
    [
        ("43130200100", AreaLevel.COMMUNITY, "431302001000", "12-digit"),
        ("431302001000", AreaLevel.COMMUNITY, "431302001000", "not a Community"),
        ("431302002001", AreaLevel.COMMUNITY, "431302001000", "does not lie under"),
        ("43130200100101", AreaLevel.GRID, "431302002001", "must start with its parent"),
        ("4313020010011", AreaLevel.GRID, "431302001001", "2 to 8 digit"),
        ("431302001001123456789", AreaLevel.GRID, "431302001001", "2 to 8 digit"),
        ("4313020010010A", AreaLevel.GRID, "431302001001", "digits only"),
        ("43130200100100", AreaLevel.GRID, "431302001001", "all-zero"),
    ],
)
def test_bad_codes_are_refused_with_the_reason(code, level, parent, message):
    with pytest.raises(ValidationError) as error:
        validate_area_code(code, level, parent)

    assert message in str(error.value)


def test_good_grid_and_second_level_grid_codes_pass():
    validate_area_code("43130200100101", AreaLevel.GRID, "431302001001")
    validate_area_code("4313020010010101", AreaLevel.SUBGRID, "43130200100101")


def test_the_grid_code_rule_is_pluggable(settings):
    settings.GRID_CODE_RULE = "tests.grids.test_codes.reject_everything"

    with pytest.raises(ValidationError, match="local rule says no"):
        validate_area_code("43130200100101", AreaLevel.GRID, "431302001001")


def test_kind_label_tells_street_town_township_community_village():
    assert kind_label("431302001000", AreaLevel.STREET) == "street"
    assert kind_label("431321100000", AreaLevel.STREET) == "town"
    assert kind_label("431321200000", AreaLevel.STREET) == "township"
    assert kind_label("431302001001", AreaLevel.COMMUNITY) == "community"
    assert kind_label("431321100201", AreaLevel.COMMUNITY) == "village"
