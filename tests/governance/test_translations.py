"""Every user-facing string has its Simplified Chinese translation, and the compiled
catalogue the platform loads agrees with the source catalogue."""

import gettext
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def po_entries():
    """(msgid, msgstr) pairs of django.po, with continuation lines joined; plurals give
    their first form."""
    entries, current, field = [], {}, None
    for line in (LOCALE / "django.po").read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if "msgid" in current:
                entries.append((current["msgid"], current.get("msgstr", current.get("msgstr[0]", "")), current.get("fuzzy", False)))
            current, field = {}, None
        elif line.startswith("#,") and "fuzzy" in line:
            current["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[field] += line[1:-1]
        else:
            field, _, value = line.partition(" ")
            current[field] = value[1:-1]
    return [entry for entry in entries if entry[0]]


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = po_entries()

    assert len(entries) > 200
    assert [msgid for msgid, msgstr, _fuzzy in entries if not msgstr] == []
    assert [msgid for msgid, _msgstr, fuzzy in entries if fuzzy] == []


def test_compiled_catalogue_matches_the_source():
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    for msgid, msgstr, _fuzzy in po_entries():
        text = bytes(msgid, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") if "\\" in msgid else msgid
        expected = bytes(msgstr, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8") if "\\" in msgstr else msgstr
        assert compiled.gettext(text) in (expected, compiled.ngettext(text, text, 1)), msgid
