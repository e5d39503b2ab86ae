"""Page forms: creating a campaign (its form is JSON, started from a preset)."""

import json

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import TargetKind
from campaigns.presets import presets
from events.models import Category
from grids.models import GRID_LEVELS
from residents.models import PlaceKind, SpecialGroup


class CampaignForm(forms.Form):
    preset = forms.ChoiceField(label=gettext_lazy("Start from"), required=False)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    area = forms.ModelChoiceField(label=gettext_lazy("Area"), queryset=None)
    target_kind = forms.ChoiceField(label=gettext_lazy("Visit every"), choices=TargetKind.choices)
    place_kinds = forms.MultipleChoiceField(label=gettext_lazy("Key place kinds (none: all)"), choices=PlaceKind.choices,
                                            required=False, widget=forms.CheckboxSelectMultiple)
    groups = forms.MultipleChoiceField(label=gettext_lazy("Special groups"), choices=SpecialGroup.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    allow_late = forms.BooleanField(label=gettext_lazy("Accept late answers after the end date"), required=False)
    problem_category = forms.ModelChoiceField(label=gettext_lazy("Problems are filed as"), required=False, queryset=None)
    description = forms.CharField(label=gettext_lazy("Instructions for grid workers"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    form_json = forms.CharField(label=gettext_lazy("Form (JSON)"), widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace"}),
                                help_text=gettext_lazy("A list of fields: code, label, type (yesno, choice, number, text, "
                                                       "photo, signature), required, choices, when, problem, category. "
                                                       "See docs/campaigns.md."))

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas.exclude(level__in=GRID_LEVELS).order_by("path")
        self.fields["problem_category"].queryset = Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent")
        self.fields["preset"].choices = [("", "—")] + [(code, preset["name"]) for code, preset in presets().items()]

    def clean_form_json(self):
        try:
            return json.loads(self.cleaned_data["form_json"])
        except ValueError as error:
            raise forms.ValidationError(_("The form is not valid JSON: %(error)s") % {"error": error}) from None


def preset_initial(code: str) -> dict:
    preset = presets().get(code) or presets()["gas"]
    category = Category.objects.filter(code=preset["problem_category"]).first()
    return {"preset": code, "name": preset["name"], "target_kind": preset["target_kind"], "groups": preset.get("groups", []),
            "problem_category": category, "form_json": json.dumps(preset["form"], ensure_ascii=False, indent=1)}
