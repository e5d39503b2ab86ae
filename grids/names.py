"""Names in the reader's language: reference data (categories, areas, departments,
assessment definitions) keeps its Chinese ``name`` and an optional ``name_en``; pages in
English show the English one where it exists, else the Chinese (docs/pages.md)."""

from django.utils.translation import get_language


def in_english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


def name_for_reader(name: str, name_en: str) -> str:
    """``name_en`` when the active language is English and it is filled, else ``name``."""
    return name_en if name_en and in_english() else name


class Bilingual:
    """``label``: the Chinese name, or the English one when the page is in English."""

    @property
    def label(self) -> str:
        return name_for_reader(self.name, self.name_en)
