"""The names an import's columns go by: a header as compared (``squeeze``), and notes in
brackets — dropped when they only say how to fill the column (``姓名（必填）``), kept when
they say whose or which (``身份证号码（监护人）``: another column) — (docs/residents.md,
*Import columns*). The columns and their aliases themselves are data: ``columns``, ``places``.
"""

import re
import unicodedata
from dataclasses import dataclass


@dataclass
class Columns:
    """An import's columns: (header, key, required, max length) in template order, the
    other names files give them, and the headers read and ignored."""

    columns: list[tuple[str, str, bool, int]]
    aliases: dict[str, list[str]]
    ignored: set[str]
    # The keys that say who or what a row is (the ID number, the name): never filled
    # from a second column of the same field.
    identity: frozenset = frozenset()
    # The contact columns, and the words that, as a part of their note, say the column is
    # the row's own (联系电话（本人或家属）: the person's contact; a key place's contact is
    # its 负责人: 联系电话（负责人）).
    contacts: frozenset = frozenset()
    own: frozenset = frozenset({"本人"})

    def __post_init__(self):
        self.by_name = {name: key for name, key, _required, _length in self.columns}
        for header, names in self.aliases.items():
            for name in names:
                self.by_name[squeeze(name)] = self.by_name[header]
        self.headers = [column[0] for column in self.columns]

    def key_of(self, name) -> str | None:
        """The key a header names: as it is, or without notes in brackets when they only
        say how to fill the column (see ``_fill_note``)."""
        squeezed = squeeze(name)
        key = self.by_name.get(squeezed)
        if key is None and NOTE.search(squeezed):
            key = self.by_name.get(NOTE.sub("", squeezed).rstrip(":："))
            if key is not None and not all(_fill_note(match[1], key, self.own if key in self.contacts else frozenset()) for match in NOTE.finditer(squeezed)):
                key = None
        return key


# A note in brackets: 姓名（必填）, 身份证号码(18位), 性别（男/女）, 【必填】.
NOTE = re.compile(r"[（(【\[]([^（()）【】\[\]]*)[）)】\]]")
# Words of a note that make the column another one: someone else's (身份证号码（监护人）,
# 联系电话（父/母）, 姓名（户主姓名）) or another kind of the field (姓名（曾用名）, 联系电话
# （单位）, 出生日期（农历）, 户籍地址（省）, 联系电话（非本人）). Such a column is not the person's own field.
_QUALIFIER = re.compile(r"非本人|不是本人|除本人|本人以外|本人之外|他人|监护|户主|父亲|母亲|父母|家长|家属|亲属|配偶|丈夫|妻子|子女|联系人|紧急|法人|法定|代理|担保|负责人|房东|"
                        r"业主|曾用|拼音|英文|单位|工作|备用|其他|第二|农历|阴历|省|市|县|区")
_KIN = {"父", "母", "夫", "妻", "兄", "姐", "弟", "妹", "爷", "奶"}
_NOTE_PARTS = re.compile(r"[/、，,或;；]+")
_CLAUSES = re.compile(r"[，,;；。]+")
# The end of a clause that only says whom to ask (可咨询网格负责人, 不清楚的请联系社区): an
# advisor of the grid's, never someone whose field the column could be (咨询监护人后填写…).
_ADVICE = re.compile(r"(?:如有疑问|有疑问|不清楚|不确定|不知道)?[的时者]?(?:可以?|请)?向?(?:咨询|询问|联系|问)(?:所在|所属|本)?"
                     r"(?:网格员|网格长|网格负责人|网格管理员|社区|居委会|村委会|村委|街道|管理员)(?:工作人员)?$")


def _fill_note(note: str, key: str, own: frozenset = frozenset()) -> bool:
    """Whether a note in brackets only says how to fill its column (必填, 18位, 男/女,
    末位X为大写字母, 可咨询网格负责人): no word of someone else or of another kind of the
    field, outside a clause that says whom to ask. The values of 与户主关系 are relatives
    (本人/配偶/子女) and those of 性别 男/女: their notes are always such notes. A contact
    column whose note offers the row's own (``own``: 本人) among others (联系电话（本人或家属）)
    is the row's contact; no other column is so."""
    if key in ("relation_to_head", "gender"):
        return True
    clauses = [_NOTE_PARTS.split(clause) for clause in (_ADVICE.sub("", clause) for clause in _CLAUSES.split(note)) if clause]
    if any(own.intersection(parts) for parts in clauses):
        return True
    return not any(_QUALIFIER.search("".join(parts)) or any(part in _KIN for part in parts) for parts in clauses)


def squeeze(name) -> str:
    """A header as compared: no whitespace of any kind (``姓 名``, a line break, a
    non-breaking space), no invisible format character (a zero-width space, a BOM), no
    required-mark ``*``, no trailing colon. (Notes in brackets: ``Columns.key_of``.)"""
    if name is None:
        return ""
    text = "".join(str(name).split())
    if not text.isascii():
        text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return text.replace("*", "").replace("＊", "").rstrip(":：")
