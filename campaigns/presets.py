"""Ready-made forms a command center starts from (edited freely before publishing)."""

from django.utils.translation import gettext as _


def presets() -> dict[str, dict]:
    """code → {"name", "target_kind", "groups", "place_kinds", "problem_category", "form"}."""
    yes_is_problem = {"equals": "yes"}
    no_is_problem = {"equals": "no"}
    return {
        "gas": {
            "name": _("Winter gas safety"), "target_kind": "household", "problem_category": "0804",
            "form": [
                {"code": "has_gas", "label": _("Uses piped or bottled gas"), "type": "yesno", "required": True},
                {"code": "leak", "label": _("Smell of gas or a leak"), "type": "yesno", "required": True,
                 "when": {"field": "has_gas", "equals": "yes"}, "problem": yes_is_problem, "category": "0503"},
                {"code": "alarm", "label": _("Gas alarm installed"), "type": "yesno", "required": True,
                 "when": {"field": "has_gas", "equals": "yes"}, "problem": no_is_problem},
                {"code": "hose_age", "label": _("Age of the gas hose (years)"), "type": "number", "min": 0, "max": 50,
                 "when": {"field": "has_gas", "equals": "yes"}, "problem": {"gt": 5}},
                {"code": "photo", "label": _("Photo of the stove and hose"), "type": "photo",
                 "when": {"field": "has_gas", "equals": "yes"}},
                {"code": "note", "label": _("Note"), "type": "text"},
                {"code": "signature", "label": _("Resident's signature"), "type": "signature"},
            ],
        },
        "elderly": {
            "name": _("Elderly living alone"), "target_kind": "special_group", "groups": ["elderly_alone"],
            "problem_category": "0906",
            "form": [
                {"code": "health", "label": _("State of health"), "type": "choice", "required": True,
                 "choices": [_("Good"), _("Fair"), _("Poor")], "problem": {"equals": _("Poor")}},
                {"code": "needs_help", "label": _("Needs help with daily life"), "type": "yesno", "required": True,
                 "problem": yes_is_problem},
                {"code": "heating", "label": _("Safe heating at home"), "type": "yesno", "required": True,
                 "problem": no_is_problem, "category": "0804"},
                {"code": "note", "label": _("Note"), "type": "text"},
            ],
        },
        "rental": {
            "name": _("Rental housing check"), "target_kind": "rental_room", "problem_category": "0704",
            "form": [
                {"code": "tenants", "label": _("Tenants living there"), "type": "number", "required": True, "min": 0,
                 "max": 100},
                {"code": "registered", "label": _("All tenants registered"), "type": "yesno", "required": True,
                 "problem": no_is_problem},
                {"code": "ebike", "label": _("E-bikes charged indoors"), "type": "yesno", "required": True,
                 "problem": yes_is_problem, "category": "0802"},
                {"code": "photo", "label": _("Photo"), "type": "photo"},
            ],
        },
        "fire": {
            "name": _("Fire hazards in key places"), "target_kind": "key_place", "problem_category": "0801",
            "form": [
                {"code": "exits", "label": _("Fire exits clear"), "type": "yesno", "required": True, "problem": no_is_problem},
                {"code": "extinguishers", "label": _("Extinguishers in date"), "type": "yesno", "required": True,
                 "problem": no_is_problem},
                {"code": "photo", "label": _("Photo"), "type": "photo"},
            ],
        },
        "flood": {
            "name": _("Flood damage"), "target_kind": "household", "problem_category": "0805",
            "form": [
                {"code": "damaged", "label": _("House damaged"), "type": "yesno", "required": True, "problem": yes_is_problem},
                {"code": "water_cm", "label": _("Water depth indoors (cm)"), "type": "number", "min": 0, "max": 500},
                {"code": "needs", "label": _("Most urgent need"), "type": "choice",
                 "choices": [_("None"), _("Food and water"), _("Shelter"), _("Medical care")]},
                {"code": "photo", "label": _("Photo of the damage"), "type": "photo", "when": {"field": "damaged", "equals": "yes"}},
            ],
        },
    }
