from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """A rate (0–1) as a percentage with one decimal; a dash when there was nothing to count."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.1f}%"


@register.simple_tag
def period_options(current: str = "") -> list[tuple[str, str]]:
    """The period picker's choices, with the period shown now first when it is not one
    of them (a typed week, day or range)."""
    from assessment.selectors import period_choices

    choices = period_choices()
    if current and current not in {value for value, _label in choices}:
        choices.insert(0, (current, current))
    return choices
