"""Admin for the city-wide workflow configuration: SLA policies and the work calendar
(edited by city administrators, read by every administrator), and read-only views of
timers and notifications."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin
from accounts.scoping import events_visible_to, user_scope
from workflow import calendar
from workflow.calendar_notice import calendar_year_enter, notice_parse
from workflow.models import CalendarDay, CalendarYear, Notification, SLALimit, SLAPolicy, Timer, WorkCalendar, WorkingPeriod


def is_city_admin(user) -> bool:
    """Platform-wide configuration belongs to superusers and admins of a root node."""
    scope = user_scope(user)
    return scope.is_global or any(len(path) == 4 for path in scope.admin_paths)


def is_any_admin(user) -> bool:
    scope = user_scope(user)
    return scope.is_global or bool(scope.admin_paths)


class CityConfigurationAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return is_any_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_any_admin(request.user)

    def has_add_permission(self, request, *args):
        return is_city_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_city_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_city_admin(request.user)


class CityConfigurationInline(admin.TabularInline):
    extra = 0

    def has_view_permission(self, request, obj=None):
        return is_any_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return is_city_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_city_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_city_admin(request.user)


class SLALimitInline(CityConfigurationInline):
    model = SLALimit


@admin.register(SLAPolicy)
class SLAPolicyAdmin(CityConfigurationAdmin):
    list_display = ("category", "urgency", "warning_share", "escalation_share")
    list_filter = ("urgency", "category__parent")
    search_fields = ("category__name", "category__code")
    list_select_related = ("category", "category__parent")
    inlines = [SLALimitInline]


class WorkingPeriodInline(CityConfigurationInline):
    model = WorkingPeriod


class CalendarYearInline(CityConfigurationInline):
    model = CalendarYear


class CalendarChangeMixin:
    """Every edit touches the calendar so running processes reload it."""

    def _warn_missing_years(self, request):
        missing = calendar.missing_years()
        if missing:
            messages.warning(request, _(
                "No official holidays for %(years)s: deadlines there use the statutory holidays from the rules, "
                "marked provisional, without make-up workdays. Enter the State Council's notice (Work calendars → "
                "Enter the notice), or install a newer chinesecalendar and run manage.py seed_calendar."
            ) % {"years": ", ".join(map(str, missing))})

    def changelist_view(self, request, extra_context=None):
        self._warn_missing_years(request)
        return super().changelist_view(request, extra_context)


class NoticeForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    text = forms.CharField(label=_("The notice's days"), widget=forms.Textarea(attrs={"rows": 12, "cols": 60}),
                           required=False)
    file = forms.FileField(label=_("…or a text file with those lines"), required=False)

    def clean(self):
        data = super().clean()
        text = data.get("text") or ""
        if data.get("file"):
            try:
                text = data["file"].read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if data.get("year") and not text.strip():
            raise forms.ValidationError(_("Paste the notice's days or choose a file."))
        if data.get("year") and text.strip():
            data["days"] = notice_parse(text=text, year=data["year"])
        return data


@admin.register(WorkCalendar)
class WorkCalendarAdmin(CalendarChangeMixin, CityConfigurationAdmin):
    list_display = ("name", "is_default", "makeup_weekday", "updated_at")
    inlines = [WorkingPeriodInline, CalendarYearInline]

    def get_urls(self):
        return [path("notice/", self.admin_site.admin_view(self.notice_view), name="workflow_workcalendar_notice"),
                *super().get_urls()]

    def notice_view(self, request):
        """Enter or import the State Council's holiday notice for a year."""
        if not is_city_admin(request.user):
            raise PermissionDenied
        form = NoticeForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                changed = calendar_year_enter(actor=request.user, year=form.cleaned_data["year"],
                                              days=form.cleaned_data["days"],
                                              source=_("Official notice, entered by %(user)s") % {"user": request.user})
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, _("%(year)s saved: %(changed)s days changed; the running deadlines they "
                                             "affect are being recomputed.") % {"year": form.cleaned_data["year"],
                                                                                "changed": len(changed)})
                return redirect("admin:workflow_workcalendar_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": _("Enter the State Council's holiday notice"),
                   "changelist_url": reverse("admin:workflow_workcalendar_changelist")}
        return TemplateResponse(request, "admin/workflow/workcalendar/notice.html", context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.save(update_fields=["updated_at"])
        calendar.invalidate()


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarChangeMixin, CityConfigurationAdmin):
    list_display = ("date", "kind", "name", "calendar")
    list_filter = ("kind", "calendar")
    date_hierarchy = "date"
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        obj.calendar.save(update_fields=["updated_at"])
        calendar.invalidate()

    def delete_model(self, request, obj):
        work_calendar = obj.calendar
        super().delete_model(request, obj)
        work_calendar.save(update_fields=["updated_at"])
        calendar.invalidate()


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("event", "stage", "state", "phase", "due_at", "breached")
    list_filter = ("stage", "state", "phase", "breached")
    list_select_related = ("event",)
    raw_id_fields = ("event",)
    search_fields = ("event__code",)

    def has_module_permission(self, request):
        return is_any_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_any_admin(request.user)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(event__in=events_visible_to(request.user))


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "title", "email_state", "sms_state", "read_at")
    list_filter = ("kind", "email_state", "sms_state")
    raw_id_fields = ("user", "event")
    search_fields = ("title", "user__username")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser
