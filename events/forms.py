"""Forms of the event pages. They only shape input; the rules live in the services
(``workflow.services.event_file``, ``workflow.services.event_transition``), whose
``ValidationError`` messages are put back on the fields they name."""

import datetime
import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import TEXT_LIMITS, Category, Urgency


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input (the services check each one by its content)."""

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "accept": "image/*", "capture": "environment", "class": "form-control", "data-photos": "",
            "data-max": settings.EVENT_ATTACHMENT_MAX_COUNT, "data-remove-label": _("Remove this photo")}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [item for item in data if item]
        return [data] if data else []


def small_class_choices(*, public: bool = False):
    """Small classes grouped under their big class, for a <select> with optgroups
    (``public``: only those offered to residents)."""
    groups: dict[str, list] = {}
    classes = Category.objects.filter(is_active=True, parent__isnull=False)
    if public:
        classes = classes.filter(is_public=True)
    for category in classes.select_related("parent").order_by(
            "parent__order", "parent__code", "order", "code"):
        groups.setdefault(category.parent.label, []).append((category.pk, category.label))
    return [("", _("Choose a category")), *groups.items()]


def draft_texts() -> dict:
    """What the report forms' script says (draft, location), in the user's language."""
    return {
        "saved": _("Draft saved"), "restored": _("Your unsent draft was restored (choose the photos again)."),
        "sending": _("Sending…"), "dragPin": _("Drag me to the place of the problem"), "moved": _("set by hand"),
        "gps": _("GPS"), "locating": _("Finding your location…"),
        "gpsFailed": _("Could not get the location: tap the map to set it."),
        "noGps": _("This browser gives no location: tap the map to set it."),
    }


def check_texts() -> dict:
    """What the report forms' check script says (grid, nearby reports)."""
    return {
        "grid": _("Grid:"), "noGrid": _("This point lies in no grid: move the pin onto the place of the problem."),
        "outside": _("not one of your grids"), "metres": _("%(metres)s m away"),
    }


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class _ReportFields(forms.Form):
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, empty_value=None,
                                      error_messages={"required": _("Choose a category from the list."),
                                                      "invalid_choice": _("Choose a category from the list.")})
    description = forms.CharField(label=_("Description"), max_length=TEXT_LIMITS["description"], widget=forms.Textarea(attrs={"rows": 3}),
                                  error_messages={"required": _("Describe the problem.")})
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    address = forms.CharField(label=_("Address"), max_length=TEXT_LIMITS["address"], required=False)
    photos = MultiplePhotoField(label=_("Photos"))
    idempotency_key = forms.CharField(max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = small_class_choices()
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())


class EventFileForm(_ReportFields):
    """A grid worker's report (上报), possibly already resolved on site (就地解决)."""

    grid = forms.TypedChoiceField(label=_("Grid"), coerce=int, empty_value=None, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL,
                                widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    resolved_on_site = forms.BooleanField(label=_("Resolved on site"), required=False)
    result = forms.CharField(label=_("What was done on site"), max_length=TEXT_LIMITS["result"], required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    after_photos = MultiplePhotoField(label=_("Photos after resolving"))

    field_order = ["category", "description", "photos", "latitude", "longitude", "address", "grid", "urgency",
                   "resolved_on_site", "result", "after_photos", "idempotency_key"]

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [("", _("From the location on the map")), *((g.pk, f"{g.label} {g.code}") for g in grids)]


class PublicReportForm(_ReportFields):
    """A resident's report on the public page (no account)."""

    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=TEXT_LIMITS["reporter_name"], required=False)
    reporter_contact = forms.CharField(label=_("Phone or email (optional, for the rating link)"), max_length=TEXT_LIMITS["reporter_contact"],
                                       required=False)
    # A hidden trap field: people leave it empty, form-filling robots often do not.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = small_class_choices(public=True)


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=40)


# The longest dashboard period: a longer one would make the per-day series too long to
# draw (and to send). ``events.dashboard`` checks it too.
MAX_DAYS = 366


class PeriodForm(forms.Form):
    """A period of days (the dashboard's period picker)."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    @staticmethod
    def default_period() -> tuple[datetime.date, datetime.date]:
        today = timezone.localdate()
        return today - datetime.timedelta(days=29), today

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The period ends before it starts."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("end", _("Choose at most %(days)d days.") % {"days": MAX_DAYS})
        return cleaned
