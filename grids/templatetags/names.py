"""``{{ row|reader_name:"category__" }}``: the name of a ``values()`` row in the reader's
language (``<prefix>name_en`` when the page is in English and it is filled, else
``<prefix>name``). Model objects have ``.label`` (grids.names)."""

from django import template

from grids.names import name_for_reader

register = template.Library()


@register.filter
def reader_name(row: dict, prefix: str = "") -> str:
    return name_for_reader(row.get(f"{prefix}name") or "", row.get(f"{prefix}name_en") or "")
