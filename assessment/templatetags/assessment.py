from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """A rate (0–1) as a percentage with one decimal; a dash when there was nothing to count."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.1f}%"
