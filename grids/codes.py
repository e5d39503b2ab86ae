"""Area and grid codes (DESIGN §2).

Areas down to community/village use the 12-digit statistical division code:
province 2 + city 2 + county 2 + township 3 + village/community 3, zero-filled below
the node's own level. Grid codes append a sequence to their community's code; local
schemes differ (14–20 digits), so the grid rule is pluggable: ``settings.GRID_CODE_RULE``
names a callable ``rule(code, parent_code, level)`` that raises ``ValidationError``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from grids.models import GRID_LEVELS, AreaLevel

# (length of the significant prefix, length of this level's own digits) per level.
_LEVEL_DIGITS = {
    AreaLevel.PROVINCE: (2, 2),
    AreaLevel.CITY: (4, 2),
    AreaLevel.DISTRICT: (6, 2),
    AreaLevel.STREET: (9, 3),
    AreaLevel.COMMUNITY: (12, 3),
}


def level_from_code(code: str) -> str | None:
    """The level a 12-digit statistical code denotes, or None for other codes."""
    if len(code) != 12 or not code.isdigit():
        return None
    for level in (AreaLevel.COMMUNITY, AreaLevel.STREET, AreaLevel.DISTRICT, AreaLevel.CITY, AreaLevel.PROVINCE):
        significant, own = _LEVEL_DIGITS[level]
        if code[significant - own : significant] != "0" * own and set(code[significant:]) <= {"0"}:
            return level
    return None


def parent_code_of(code: str, level: str) -> str | None:
    """The statistical code of the parent implied by a code, where the code implies one."""
    if level == AreaLevel.GRID and len(code) > 12 and code[:12].isdigit():
        return code[:12]
    if level in (AreaLevel.COMMUNITY, AreaLevel.STREET, AreaLevel.DISTRICT, AreaLevel.CITY):
        parent_level = {
            AreaLevel.COMMUNITY: AreaLevel.STREET,
            AreaLevel.STREET: AreaLevel.DISTRICT,
            AreaLevel.DISTRICT: AreaLevel.CITY,
            AreaLevel.CITY: AreaLevel.PROVINCE,
        }[level]
        significant, _own = _LEVEL_DIGITS[parent_level]
        return code[:significant].ljust(12, "0")
    return None


def validate_statistical_code(code: str, level: str, parent_code: str | None) -> None:
    if len(code) != 12 or not code.isdigit():
        raise ValidationError(
            _("Code %(code)s must be the 12-digit statistical division code.") % {"code": code}, code="code_format"
        )
    actual = level_from_code(code)
    if actual != level:
        raise ValidationError(
            _("Code %(code)s is not a %(level)s code: digits below the level must be zero and the level's own digits must not be.")
            % {"code": code, "level": AreaLevel(level).label},
            code="code_level",
        )
    if parent_code and len(parent_code) == 12:
        significant, own = _LEVEL_DIGITS[level]
        prefix = significant - own
        if code[:prefix] != parent_code[:prefix]:
            raise ValidationError(
                _("Code %(code)s does not lie under its parent %(parent)s.") % {"code": code, "parent": parent_code},
                code="code_parent",
            )


def statistical_grid_code(code: str, parent_code: str, level: str) -> None:
    """The default grid code rule: digits only, the parent's code followed by a 2–8
    digit sequence (so 14–20 digits under a 12-digit community), not all zeros."""
    if not code.isdigit():
        raise ValidationError(_("Grid code %(code)s must contain digits only.") % {"code": code}, code="code_format")
    if not code.startswith(parent_code):
        raise ValidationError(
            _("Grid code %(code)s must start with its parent's code %(parent)s.") % {"code": code, "parent": parent_code},
            code="code_parent",
        )
    sequence = code[len(parent_code) :]
    if not 2 <= len(sequence) <= 8:
        raise ValidationError(
            _("Grid code %(code)s must add a 2 to 8 digit sequence to its parent's code %(parent)s.")
            % {"code": code, "parent": parent_code},
            code="code_length",
        )
    if set(sequence) == {"0"}:
        raise ValidationError(_("Grid code %(code)s has an all-zero sequence.") % {"code": code}, code="code_format")


def validate_area_code(code: str, level: str, parent_code: str | None) -> None:
    """Validate a node's code for its level and parent; raises ``ValidationError``."""
    if level in GRID_LEVELS:
        if not parent_code:
            raise ValidationError(_("A grid must have a parent."), code="no_parent")
        rule = import_string(settings.GRID_CODE_RULE)
        rule(code, parent_code, level)
    else:
        validate_statistical_code(code, level, parent_code)


def kind_label(code: str, level: str) -> str:
    if level == AreaLevel.STREET and len(code) == 12:
        number = int(code[6:9])
        return _("street") if number < 100 else _("town") if number < 200 else _("township")
    if level == AreaLevel.COMMUNITY and len(code) == 12:
        return _("community") if int(code[9:12]) < 200 else _("village")
    return AreaLevel(level).label
