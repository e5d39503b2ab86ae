"""Forms of the assessment pages: they shape input; the rules live in the services."""

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from assessment.models import EvaluationGrade


class EvaluationForm(forms.Form):
    """One two-way evaluation (双向评议): who, in which grid, for which month, the grade."""

    evaluatee = forms.IntegerField(widget=forms.HiddenInput)
    grid = forms.IntegerField(widget=forms.HiddenInput)
    month = forms.CharField(widget=forms.HiddenInput, error_messages={"required": _("Choose a month.")})
    grade = forms.TypedChoiceField(label=_("Grade"), choices=EvaluationGrade.choices, coerce=int,
                                   error_messages={"required": _("Choose a grade."),
                                                   "invalid_choice": _("Choose a grade.")})
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)

    def clean_month(self) -> date:
        match = re.fullmatch(r"(\d{4})-(\d{2})", self.cleaned_data["month"].strip())
        if not match or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError(_("Choose a month."))
        return date(int(match[1]), int(match[2]), 1)
