"""Reading a GeoJSON file: its bytes as text, the text as JSON data. The areas import
and the admin's boundary file both read through here, so they accept the same files
and refuse the others with the same clear message."""

import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from governance.encodings import NARROW, WIDE, gbk_text, not_latin


def geojson_load(raw: bytes | str):
    """A GeoJSON file's bytes (or text) as JSON data; one clear ``ValidationError`` for
    a file that cannot be read, whatever it holds."""
    text = _decode(raw) if isinstance(raw, bytes) else raw
    try:
        return json.loads(text, parse_float=_number)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _("The file is not valid JSON (line %(line)s, column %(column)s: %(reason)s).")
            % {"line": exc.lineno, "column": exc.colno, "reason": exc.msg}
        ) from None
    except RecursionError:
        raise ValidationError(_("The file is not GeoJSON: its lists or objects are nested too deeply.")) from None
    except ValueError:  # a number with thousands of digits (int_max_str_digits)
        raise ValidationError(_("The file is not GeoJSON: it holds a number with thousands of digits.")) from None


class Scientific(float):
    """A number the file writes in scientific notation (``4.31302E+11``; ``text``): as a
    code, Excel's, its last digits lost (``grids.imports``)."""

    def __new__(cls, text: str):
        number = super().__new__(cls, text)
        number.text = text
        return number


def _number(text: str) -> float:
    return Scientific(text) if "e" in text or "E" in text else float(text)


def _decode(raw: bytes) -> str:
    """The file's text: UTF-8; a file that is not UTF-8 throughout (GIS tools on a
    Chinese Windows write GBK, and files get pasted together) is decoded line by line,
    a line that is not UTF-8 piece by piece between its quotes — each name and value as
    UTF-8 or else GB18030 — never with replacement characters. A minified file is one
    line: one GBK name among UTF-8 ones must not turn them into other Chinese characters
    (UTF-8 Chinese read as GB18030 is Chinese too: 娄底 as 濞勫簳). A piece that is
    neither fails the file, naming the line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Notepad's "Unicode"
        raise ValidationError(_("The file is UTF-16 text (“Unicode” in Notepad); save the GeoJSON as UTF-8."))
    lines = []
    for number, line in enumerate(raw.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        # A quote is one byte in both encodings and never part of a GBK character.
        pieces = [_piece(piece) for piece in line.split(b'"')]
        if None in pieces:
            raise ValidationError(_("The file is not UTF-8 text (line %(line)s is neither UTF-8 nor GBK); "
                                    "save the GeoJSON as UTF-8.") % {"line": number})
        lines.append('"'.join(pieces))
    return "\n".join(lines)


def _piece(raw: bytes) -> str | None:
    """A piece of a line (between quotes) as UTF-8 when it reads as Chinese or Latin
    words (Lóudǐ, Ürümqi) so; else as GBK when it reads as Chinese so (GBK that is valid
    UTF-8 reads as other characters: 郑伟 as ֣ΰ, 岑村东 as ᯴嶫); else as UTF-8; ``None``
    when it is neither."""
    if raw.isascii():
        return raw.decode("ascii")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and (gbk_text(text) or NARROW.search(text) and not WIDE.search(text) and not not_latin(text)):
        return text
    try:
        other = raw.decode("gb18030")
    except UnicodeDecodeError:
        return text
    return other if gbk_text(other) else text


# The property names GIS tools and ledgers give a node's fields, besides the documented
# ones (docs/grids.md): shapefile attribute tables upper-case them, and Chinese users
# name them in Chinese. Compared trimmed and case-folded.
PROPERTY_ALIASES = {
    "code": ["编码", "代码", "网格编码", "网格代码", "区划代码", "行政区划代码", "统计用区划代码"],
    "name": ["名称", "网格名称", "区划名称"],
    "name_en": ["英文名称"],
    "parent_code": ["上级编码", "上级代码", "父级编码", "上级区划代码"],
    "grid_type": ["网格类型"],
    "exclusive_kind": ["专属类型", "专属网格类型"],
    "households": ["户数"],
    "population": ["人口", "人数", "人口数"],
}
_PROPERTY_NAMES = {alias.casefold(): key for key, aliases in PROPERTY_ALIASES.items() for alias in [key, *aliases]}


def _empty(value) -> bool:
    return value is None or isinstance(value, str) and not value.strip()


def _same(first, second) -> bool:
    """Whether two values of a property say the same (300 and "300", 300.0, "4313 0200"
    and "43130200")."""
    def plain(value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "".join(str(value).split())
    return plain(first) == plain(second)


def feature_properties(raw: dict) -> dict:
    """A feature's properties under the documented names: ``CODE``, ``网格编码`` and the
    other aliases read as ``code`` …; a property under its own name wins over an alias,
    an alias whose value is a list or an object is left alone (it is some other data),
    and two aliases of one property with different values are refused."""
    props = raw.get("properties")
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise ValidationError(_("properties must be an object."))
    named, given = {}, {}
    for name, value in props.items():
        key = _PROPERTY_NAMES.get(str(name).strip().casefold())
        if key is not None and name != key and isinstance(value, dict | list):
            key = None
        if key is None:
            named.setdefault(name, value)
        elif name == key or key not in given or _empty(named[key]) and given[key] != key:
            named[key], given[key] = value, name
        elif given[key] != key and not _empty(value) and not _same(named[key], value):
            raise ValidationError(_("the properties %(first)s and %(second)s both give %(key)s, with different values.")
                                  % {"first": given[key], "second": name, "key": key})
    return named
