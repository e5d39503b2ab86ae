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
    # More words of filling instructions for the identity columns' notes (a key place's
    # 网格编码（见网格清单）).
    fill_words: tuple = ()

    def __post_init__(self):
        self.by_name = {name: key for name, key, _required, _length in self.columns}
        for header, names in self.aliases.items():
            for name in names:
                self.by_name[squeeze(name)] = self.by_name[header]
        self.headers = [column[0] for column in self.columns]
        self.fill = re.compile("|".join([*self.fill_words, _FILL_WORDS.pattern])) if self.fill_words else _FILL_WORDS

    def key_of(self, name) -> str | None:
        """The key a header names: as it is, or without notes in brackets when they only
        say how to fill the column (see ``_fill_note``)."""
        squeezed = squeeze(name)
        key = self.by_name.get(squeezed)
        if key is None and NOTE.search(squeezed):
            key = self.by_name.get(NOTE.sub("", squeezed).rstrip(":："))
            own = self.own if key in self.contacts else frozenset()
            fill = self.fill if key in self.identity else None
            if key is not None and not all(_fill_note(match[1], key, own, fill) for match in NOTE.finditer(squeezed)):
                key = None
        return key


# A note in brackets: 姓名（必填）, 身份证号码(18位), 性别（男/女）, 【必填】.
NOTE = re.compile(r"[（(【\[]([^（()）【】\[\]]*)[）)】\]]")
# Words of a note that make the column another one: someone else's (联系电话（父/母）,
# 联系电话（儿子）, 户籍地址（户主）) or another kind of the field (联系电话（单位）, 出生日期
# （农历）, 户籍地址（省）, 联系电话（非本人）). Such a column is not the person's own field.
_QUALIFIER = re.compile(r"非本人|不是本人|除本人|除了本人|本人以外|本人之外|本人除外|不含本人|勿填本人|不填本人|他人|监护|户主|房主|屋主|"
                        r"父亲|母亲|父母|爸|妈|家长|家属|亲属|亲友|朋友|邻居|同事|配偶|爱人|老伴|老公|老婆|丈夫|妻子|子女|儿子|女儿|儿女|"
                        r"孙|赡养|抚养|扶养|帮扶|责任人|联系人|紧急|法人|法定|代理|担保|负责人|房东|业主|曾用|拼音|英文|单位|工作单位|"
                        r"工作电话|备用|其他|第二|农历|阴历|省|市|县|区|guardian|parent|father|mother|spouse|emergency|contact",
                        re.IGNORECASE)
# Whole parts of a note that do so (联系电话（父/母）, 联系电话（工作）).
_OTHER_PARTS = {"父", "母", "夫", "妻", "兄", "姐", "弟", "妹", "爷", "奶", "工作"}
_NOTE_PARTS = re.compile(r"[/、，,或;；]+")
_CLAUSES = re.compile(r"[，,;；。]+")
# The end of a clause that only says whom of the grid's to ask (可咨询网格负责人, 不清楚的请联系
# 社区, 可咨询社区网格员), never someone whose field the column could be (咨询监护人后填写…).
_ADVISOR = r"(?:所在|所属|本)?(?:社区|网格员|网格长|网格负责人|网格管理员|居委会|村委会|村委|街道|管理员)(?:工作人员)?"
_ADVICE = re.compile(r"(?:如有疑问|有疑问|不清楚|不确定|不知道)?[的时者]?(?:可以?|请)?向?(?:咨询|询问|联系|问)"
                     rf"(?:{_ADVISOR}[或、和/及]?)+$")
# Who the row is (姓名, 公民身份号码): a note is a filling instruction only when made of
# these words (必填, 18位, 末位X为大写字母, 与户口簿一致); anything else makes another column,
# so that another person's name or ID number never takes over the row's record.
_FILL_WORDS = re.compile(r"必填|选填|必须|务必|请|需|须|应|按|照|填写|填|写|全名|全称|中文|汉字|真实|有效|姓名|公民|居民|身份证号码|"
                         r"身份证号|身份证|证件号码|号码|\d+|位|数字|末位|尾号|最后一位|若|为|是|带|含|字母|大写|小写|[Xx]|格式|文本|"
                         r"不要|勿|不能|不得|空格|与|和|或|一致|户口簿|户口本|上的|的|其他证件|在|备注|说明|列|以|准|[^\w]")


def _fill_note(note: str, key: str, own: frozenset = frozenset(), fill: re.Pattern | None = None) -> bool:
    """Whether a note in brackets only says how to fill its column (必填, 18位, 男/女,
    末位X为大写字母, 可咨询网格负责人). Who the row is: only a note made of ``fill``'s
    words (``_FILL_WORDS``), once the clauses' endings saying whom to ask are left out. Another column: no word of someone else or of another kind of the
    field in a clause, once its ending that says whom of the grid's to ask is left out —
    except in a contact column a clause that offers the row's own (``own``: 本人) among
    others (联系电话（本人或家属））. The values of 与户主关系 are relatives (本人/配偶/子女)
    and those of 性别 男/女: their notes are always such notes."""
    if key in ("relation_to_head", "gender"):
        return True
    if fill is not None:
        return not fill.sub("", "".join(_ADVICE.sub("", clause) for clause in _CLAUSES.split(note)))
    for clause in _CLAUSES.split(note):
        rest = _ADVICE.sub("", clause)
        parts = _NOTE_PARTS.split(rest)
        if (_QUALIFIER.search(rest) or _OTHER_PARTS.intersection(parts)) and not (rest == clause and own.intersection(parts)):
            return False
    return True


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
