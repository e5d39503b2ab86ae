"""The missing-year warning, shown wherever deadlines are watched (admin index, command
center home)."""

from django import template

from workflow.calendar import missing_years

register = template.Library()


@register.inclusion_tag("includes/missing_calendar_years.html", takes_context=True)
def missing_calendar_years(context):
    user = context.get("user")
    return {"missing": missing_years(), "can_enter": bool(user and user.is_staff)}
