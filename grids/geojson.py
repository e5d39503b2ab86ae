"""Reading a GeoJSON file: its bytes as text, the text as JSON data. The areas import
and the admin's boundary file both read through here, so they accept the same files
and refuse the others with the same clear message."""

import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def geojson_load(raw: bytes | str):
    """A GeoJSON file's bytes (or text) as JSON data; one clear ``ValidationError`` for
    a file that cannot be read, whatever it holds."""
    text = _decode(raw) if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _("The file is not valid JSON (line %(line)s, column %(column)s: %(reason)s).")
            % {"line": exc.lineno, "column": exc.colno, "reason": exc.msg}
        ) from None
    except RecursionError:
        raise ValidationError(_("The file is not GeoJSON: its lists or objects are nested too deeply.")) from None
    except ValueError:  # a number with thousands of digits (int_max_str_digits)
        raise ValidationError(_("The file is not GeoJSON: it holds a number with thousands of digits.")) from None


def _decode(raw: bytes) -> str:
    """The file's text: UTF-8; a file that is not UTF-8 throughout (GIS tools on a
    Chinese Windows write GBK, and files get pasted together) is decoded line by line,
    each line as UTF-8 or else GB18030 — never with replacement characters. A line
    that is neither fails the file, naming the line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    lines = []
    for number, line in enumerate(raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                lines.append(line.decode("gb18030"))
            except UnicodeDecodeError:
                raise ValidationError(_("The file is not UTF-8 text (line %(line)s is neither UTF-8 nor GBK); "
                                        "save the GeoJSON as UTF-8.") % {"line": number}) from None
    return "\n".join(lines)
