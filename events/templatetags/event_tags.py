"""Small display helpers of the event pages: the time left on a stage, the traffic light."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def time_left(due):
    """“2 hours, 5 minutes left” or “overdue by 1 day, 3 hours” (empty without a deadline)."""
    if not due:
        return ""
    now = timezone.now()
    if due >= now:
        return _("%(time)s left") % {"time": timeuntil(due, now, depth=2)}
    return _("overdue by %(time)s") % {"time": timesince(due, now, depth=2)}


@register.simple_tag
def light(event):
    """The traffic-light dot with its label for screen readers: the light of now
    (``Event.light_at``), not only of the last sweep."""
    return format_html('<span class="light light-{}" role="img" aria-label="{}" title="{}"></span>',
                       event.light_now, event.get_light_now_display(), event.get_light_now_display())


@register.filter
def time_unit(value):
    """A time unit's name (``work_days`` → 工作日) for values stored without choices."""
    from workflow.models import TimeUnit

    return TimeUnit(value).label if value in TimeUnit.values else value


@register.filter
def iso_moment(value):
    """An ISO time stored in JSON (timeline data) as a datetime for the ``date`` filter."""
    from django.utils.dateparse import parse_datetime

    return parse_datetime(value) if isinstance(value, str) else value
