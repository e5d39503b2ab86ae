"""A campaign's form as data, and the checking of answers against it.

A form is a list of fields::

    {"code": "gas_leak", "label": "燃气泄漏", "type": "yesno", "required": true,
     "when": {"field": "has_gas", "equals": "yes"},        # asked only then
     "problem": {"equals": "yes"},                          # this answer is a problem
     "category": "0701"}                                    # filed as this small class

Types: ``yesno`` ("yes"/"no"), ``choice`` (one of ``choices``), ``number`` (``min``,
``max``), ``text``, ``photo`` and ``signature`` (files). A problem rule is one of
``{"equals": v}``, ``{"in": [v, …]}``, ``{"lt": n}``, ``{"gt": n}``. Pure functions:
no database.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FIELD_TYPES = ("yesno", "choice", "number", "text", "photo", "signature")
FILE_TYPES = ("photo", "signature")
YES_NO = ("yes", "no")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TEXT_MAX = 500


def form_check(form) -> list[dict]:
    """The form, cleaned; ``ValidationError`` listing every mistake in it."""
    if not isinstance(form, list) or not form:
        raise ValidationError(_("The form needs at least one field."))
    errors, seen, cleaned = [], set(), []
    for number, spec in enumerate(form, start=1):
        if not isinstance(spec, dict):
            errors.append(_("Field %(n)d is not an object.") % {"n": number})
            continue
        code = str(spec.get("code", ""))
        where = _("Field %(n)d (%(code)s)") % {"n": number, "code": code or "?"}
        if not _CODE.match(code):
            errors.append(_("%(where)s: the code must be lower-case letters, digits and _ (at most 40).") % {"where": where})
        elif code in seen:
            errors.append(_("%(where)s: the code is used twice.") % {"where": where})
        seen.add(code)
        kind = spec.get("type")
        if kind not in FIELD_TYPES:
            errors.append(_("%(where)s: the type must be one of %(types)s.") % {"where": where, "types": ", ".join(FIELD_TYPES)})
        if not str(spec.get("label", "")).strip():
            errors.append(_("%(where)s: give the question's label.") % {"where": where})
        choices = spec.get("choices") or []
        if kind == "choice" and (not isinstance(choices, list) or len(choices) < 2):
            errors.append(_("%(where)s: a choice needs at least two choices.") % {"where": where})
        when = spec.get("when")
        if when is not None and (not isinstance(when, dict) or when.get("field") not in seen - {code} or "equals" not in when):
            errors.append(_("%(where)s: a condition names an earlier field and the value it must equal.") % {"where": where})
        problem = spec.get("problem")
        if problem is not None and (not isinstance(problem, dict) or len(problem) != 1
                                    or next(iter(problem)) not in ("equals", "in", "lt", "gt")):
            errors.append(_("%(where)s: a problem rule is one of equals, in, lt, gt.") % {"where": where})
        item = {"code": code, "label": str(spec.get("label", "")).strip(), "type": kind, "required": bool(spec.get("required"))}
        for key in ("choices", "when", "problem", "category", "min", "max", "help"):
            if spec.get(key) not in (None, "", []):
                item[key] = spec[key]
        cleaned.append(item)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _asked(spec, values) -> bool:
    when = spec.get("when")
    return when is None or values.get(when["field"]) == when["equals"]


def _is_problem(spec, value) -> bool:
    rule = spec.get("problem")
    if not rule or value in (None, ""):
        return False
    (op, expected), = rule.items()
    if op == "equals":
        return str(value) == str(expected)
    if op == "in":
        return str(value) in {str(item) for item in expected}
    try:
        number, limit = Decimal(str(value)), Decimal(str(expected))
    except InvalidOperation:
        return False
    return number < limit if op == "lt" else number > limit


def answers_check(form: list[dict], raw: dict, files: dict) -> tuple[dict, list[str]]:
    """Check the answers (``raw``: code → text; ``files``: code → how many files came)
    against the form. Returns ``(values, problem codes)``; ``ValidationError`` with one
    message per field otherwise. Fields whose condition is not met are dropped."""
    values, problems, errors = {}, [], {}
    for spec in form:
        code, kind = spec["code"], spec["type"]
        if not _asked(spec, values):
            continue
        if kind in FILE_TYPES:
            count = files.get(code, 0)
            if spec["required"] and not count:
                errors[code] = _("%(label)s: add a photo.") % {"label": spec["label"]} if kind == "photo" else \
                    _("%(label)s: sign here.") % {"label": spec["label"]}
            if count:
                values[code] = count
            continue
        value = raw.get(code)
        value = "" if value is None else str(value).strip()
        if value == "":
            if spec["required"]:
                errors[code] = _("%(label)s: this answer is required.") % {"label": spec["label"]}
            continue
        if kind == "yesno" and value not in YES_NO:
            errors[code] = _("%(label)s: answer yes or no.") % {"label": spec["label"]}
        elif kind == "choice" and value not in [str(choice) for choice in spec.get("choices", [])]:
            errors[code] = _("%(label)s: choose one of the choices.") % {"label": spec["label"]}
        elif kind == "number":
            try:
                number = Decimal(value)
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors[code] = _("%(label)s: give a number.") % {"label": spec["label"]}
                continue
            if ("min" in spec and number < Decimal(str(spec["min"]))) or ("max" in spec and number > Decimal(str(spec["max"]))):
                errors[code] = _("%(label)s: give a number between %(min)s and %(max)s.") % {
                    "label": spec["label"], "min": spec.get("min", "…"), "max": spec.get("max", "…")}
                continue
            value = int(number) if number == number.to_integral_value() else float(number)
        elif kind == "text":
            value = value[:TEXT_MAX]
        values[code] = value
        if _is_problem(spec, value):
            problems.append(code)
    if errors:
        raise ValidationError(errors)
    return values, problems


def display_value(spec: dict, value) -> str:
    """An answer as a person reads it (是/否 for yes/no)."""
    if value is None:
        return ""
    if spec.get("type") == "yesno":
        return _("Yes") if value == "yes" else _("No")
    if spec.get("type") in FILE_TYPES:
        return _("%(count)s file(s)") % {"count": value}
    return str(value)
