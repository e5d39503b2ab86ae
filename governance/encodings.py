"""Telling UTF-8 from GBK in a line of a file (the residents reader, ``residents.imports.csvlines``;
the GeoJSON reader, ``grids.geojson``): what Chinese and GBK look like read one way or the
other. GBK text is rarely valid UTF-8, and then only as two-byte characters (郑伟 as ֣ΰ,
卢梅 as ¬÷); UTF-8 Chinese is three bytes a character."""

import re

# Text that UTF-8 writes in three or four bytes (Chinese among it), and in two: GBK text
# is rarely valid UTF-8, and then only as two-byte characters (郑伟 as ֣ΰ).
WIDE = re.compile("[\u0800-\U0010ffff]")
NARROW = re.compile("[\u0080-\u07ff]")
# Two-byte UTF-8 (their lead bytes): in a file of Chinese, what GBK text can look like
# as UTF-8 (郑伟 as ֣ΰ, 卢梅 as ¬÷) — unless they are letters of a Latin word (José,
# Müller stay UTF-8).
_SUSPECT_LEADS = bytes(range(0xC2, 0xE0))
_LATIN_WORD = re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]+")
_ASCII_LETTER = re.compile("[A-Za-z]")
_SIGN = re.compile("(?<=[0-9A-Za-z ])[°²³±·×µ½¼¾]|[°²³±·×µ½¼¾](?=[0-9A-Za-z])")
_NON_ASCII = re.compile("[^\x00-\x7f]+")
# Chinese: CJK punctuation, ideographs, full-width forms. GBK text decodes to these, ASCII,
# the middle dot and general punctuation.
_CHINESE_CHARS = "\u2e80-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CHINESE = re.compile(f"[{_CHINESE_CHARS}]")
_NOT_GBK_TEXT = re.compile(f"[^\x00-\x7f\u00b7\u2010-\u2027{_CHINESE_CHARS}]")


def has_two_byte(chunk: bytes) -> bool:
    """Whether bytes hold two-byte UTF-8 (one C pass, ~1 ms a MB)."""
    return len(chunk.translate(None, _SUSPECT_LEADS)) != len(chunk)


def words(text: str) -> str:
    """The line's non-ASCII words: what two readings differ in, without its digits (an
    ID or phone number is kept out of a reason, which the import's summary holds in clear)."""
    return " ".join(_NON_ASCII.findall(text))


def not_latin(text: str) -> bool:
    """Whether a line has two-byte UTF-8 text that is neither letters of Latin words (José,
    an initial Ö) nor a sign next to a digit or letter (25°C, 120m², 3×4, Mary·Smith).
    GBK text read so is pairs of such characters standing alone (卢梅 as ¬÷, 毛莫 as ëĪ)."""
    rest = _LATIN_WORD.sub(lambda word: "" if len(word[0]) == 1 or _ASCII_LETTER.search(word[0]) else word[0],
                           _SIGN.sub(" ", text))
    return NARROW.search(rest) is not None


def gbk_text(text: str) -> bool:
    """Whether text is what GBK decodes Chinese (and ASCII) to."""
    return _NOT_GBK_TEXT.search(text) is None


def reads_as_gbk(raw: bytes) -> bool:
    """Whether a line reads as Chinese (and ASCII) in GBK."""
    try:
        return gbk_text(raw.decode("gb18030"))
    except UnicodeDecodeError:
        return False


def mostly_utf8(raw: bytes) -> bool:
    """Whether a line of a UTF-8 file that is not valid UTF-8 is UTF-8 but for a damaged
    character or two: as many of its characters read as UTF-8 Chinese as are damaged
    (a GBK line has its rare valid UTF-8 sequences among many invalid ones: of 100,000
    ledger lines in GBK, none reads so; of short ones, a name and digits, ~0.5%, which
    are then reported rather than read as GBK — never stored as garbage either way)."""
    as_utf8 = raw.decode("utf-8", errors="replace")
    read = len(_CHINESE.findall(as_utf8))
    return read >= 1 and as_utf8.count("\ufffd") <= read
