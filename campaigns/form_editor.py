"""The page that edits a campaign's form field by field (``/campaigns/<id>/form/``):
one row per field — code, label, type, required, choices, number range, the condition
that asks it, the rule that makes its answer a problem and the small class that problem
is filed as — plus empty rows to add fields. Rows become the form as data
(``campaigns.formspec``); ``campaign_form_change`` checks it and makes it a new version."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy

from campaigns.formspec import FIELD_TYPES

PROBLEM_RULES = [("", "—"), ("equals", "="), ("in", gettext_lazy("one of")), ("lt", "<"), ("gt", ">")]


def _number(text: str):
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text  # left as written: the form's check names the mistake
    return int(value) if value == value.to_integral_value() else float(value)


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]


class FieldRow(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code"), max_length=40, required=False)
    label = forms.CharField(label=gettext_lazy("Question"), max_length=200, required=False)
    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=[(kind, kind) for kind in FIELD_TYPES], initial="yesno")
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False)
    choices = forms.CharField(label=gettext_lazy("Choices (comma-separated)"), required=False)
    min = forms.CharField(label=gettext_lazy("Min"), required=False)
    max = forms.CharField(label=gettext_lazy("Max"), required=False)
    when_field = forms.CharField(label=gettext_lazy("Asked when field"), required=False)
    when_equals = forms.CharField(label=gettext_lazy("equals"), required=False)
    problem_rule = forms.ChoiceField(label=gettext_lazy("A problem when the answer is"), choices=PROBLEM_RULES, required=False)
    problem_value = forms.CharField(label=gettext_lazy("value"), required=False)
    category = forms.CharField(label=gettext_lazy("Filed as (small class code)"), required=False)
    remove = forms.BooleanField(label=gettext_lazy("Remove"), required=False)

    def spec(self) -> dict | None:
        """The field as data, or None for an empty or removed row."""
        data = self.cleaned_data
        if data.get("remove") or not (data.get("code") or data.get("label")):
            return None
        spec = {"code": data["code"].strip(), "label": data["label"].strip(), "type": data["type"],
                "required": data["required"]}
        if data["choices"].strip():
            spec["choices"] = _listed(data["choices"])
        for bound in ("min", "max"):
            if data[bound].strip():
                spec[bound] = _number(data[bound].strip())
        if data["when_field"].strip():
            spec["when"] = {"field": data["when_field"].strip(), "equals": data["when_equals"].strip()}
        rule, value = data.get("problem_rule"), data["problem_value"].strip()
        if rule == "in":
            spec["problem"] = {"in": _listed(value)}
        elif rule in ("lt", "gt"):
            spec["problem"] = {rule: _number(value)}
        elif rule == "equals":
            spec["problem"] = {"equals": value}
        if data["category"].strip():
            spec["category"] = data["category"].strip()
        return spec


def row_initial(spec: dict) -> dict:
    """A field as data → the row's initial values."""
    problem = spec.get("problem") or {}
    rule = next(iter(problem), "")
    value = problem.get(rule, "")
    return {
        "code": spec["code"], "label": spec["label"], "type": spec["type"], "required": spec.get("required", False),
        "choices": ", ".join(spec.get("choices") or []), "min": spec.get("min", ""), "max": spec.get("max", ""),
        "when_field": (spec.get("when") or {}).get("field", ""), "when_equals": (spec.get("when") or {}).get("equals", ""),
        "problem_rule": rule, "problem_value": ", ".join(value) if isinstance(value, list) else value,
        "category": spec.get("category", ""),
    }


FieldRows = forms.formset_factory(FieldRow, extra=3, max_num=60)
