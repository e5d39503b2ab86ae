"""The names an import's columns go by: a header as compared (``squeeze``), and notes in
brackets — dropped when they only say how to fill the column (``姓名（必填）``), kept when
they say whose or which (``身份证号码（监护人）``: another column) — (docs/residents.md,
*Import columns*). The columns and their aliases themselves are data: ``columns``, ``places``.
"""

import re
import unicodedata
from dataclasses import dataclass, field


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
    # The fields a person has (姓名, 身份证号, 联系电话, 性别 …): what a group of another
    # person's columns holds (紧急联系人 over 姓名 | 联系电话; ``groups``).
    personal: frozenset = frozenset()
    # Words of filling instructions for each identity column's notes (``FILL_WORDS``; the ID
    # number's ``ID_WORDS``; a key place's 网格编码（见网格清单）).
    fill_words: dict = field(default_factory=dict)

    def __post_init__(self):
        self.by_name = {name: key for name, key, _required, _length in self.columns}
        for header, names in self.aliases.items():
            for name in names:
                self.by_name[squeeze(name)] = self.by_name[header]
        self.headers = [column[0] for column in self.columns]
        self.fill = {key: fill_pattern(*FILL_WORDS, *self.fill_words.get(key, ())) for key in self.identity}

    def key_of(self, name) -> str | None:
        """The key a header names: as it is, or without notes in brackets when they only
        say how to fill the column (see ``_fill_note``). A name with a damaged character
        (�) names none: what was lost may have said whose (联系电话（监�人）)."""
        squeezed = squeeze(name)
        if "\ufffd" in squeezed:
            return None
        key = self.by_name.get(squeezed)
        if key is None and NOTE.search(squeezed):
            key = self.by_name.get(NOTE.sub("", squeezed).rstrip(":："))
            own = self.own if key in self.contacts else frozenset()
            fill = self.fill.get(key)
            if key is not None and not all(_fill_note(match[1], key, own, fill) for match in NOTE.finditer(squeezed)):
                key = None
        return key


# A note in brackets: 姓名（必填）, 身份证号码(18位), 性别（男/女）, 【必填】.
NOTE = re.compile(r"[（(【\[]([^（()）【】\[\]]*)[）)】\]]")
# Words of a note that make the column another one: someone else's (联系电话（父/母）,
# 联系电话（儿子）, 户籍地址（户主）) or another kind of the field (联系电话（单位）, 出生日期
# （农历）, 户籍地址（省）, 联系电话（非本人）). Such a column is not the person's own field.
NOT_OWN = r"非本人|不是本人|除本人|除了本人|本人以外|本人之外|本人除外|不含本人|不包括本人|勿填本人|不填本人"
SOMEONE_ELSE = (NOT_OWN + r"|他人|别人|监护|户主|"
                 r"房主|屋主|父亲|母亲|父母|爸|妈|家长|家属|家人|亲属|亲人|亲戚|亲友|朋友|邻居|同事|配偶|爱人|老伴|老公|老婆|丈夫|"
                 r"妻子|先生|太太|子女|儿子|女儿|儿女|儿媳|媳妇|女婿|孩子|小孩|哥|姐|兄弟|叔|伯|舅|姑|姨|岳父|岳母|公公|婆婆|侄|"
                 r"外甥|孙|赡养|抚养|扶养|看护|照料|照顾|保姆|护工|租客|承租|同住|帮扶|包保|干部|网格员|楼栋长|志愿者|家庭医生|"
                 r"责任人|联系人|紧急|法人|法定|代理|担保|负责人|房东|业主|物业|guardian|parent|father|mother|spouse|emergency|"
                 r"contact")
_QUALIFIER = re.compile(SOMEONE_ELSE + r"|曾用|拼音|英文|单位|工作单位|工作电话|办公|副号|原号码|旧号码|停机|另一|备用|其他|"
                        r"第二|农历|阴历|旧历|原籍|迁出|迁入前|老家|省|市|县|区", re.IGNORECASE)
# Whole parts of a note that do so (联系电话（父/母）, 联系电话（工作）).
_OTHER_PARTS = {"父", "母", "夫", "妻", "兄", "姐", "弟", "妹", "爷", "奶", "工作", "二", "2"}
_NOTE_PARTS = re.compile(r"[/、，,或;；]+")
_CLAUSES = re.compile(r"[，,;；。]+")
# The end of a clause that only says whom of the grid's to ask (可咨询网格负责人, 不清楚的请联系
# 社区, 可咨询社区网格员), never someone whose field the column could be (咨询监护人后填写…).
_ADVISOR = r"(?:所在|所属|本)?(?:社区|网格员|网格长|网格负责人|网格管理员|居委会|村委会|村委|街道|管理员)(?:工作人员)?"
_ADVICE = re.compile(r"(?:如有疑问|有疑问|不清楚|不确定|不知道)?[的时者]?(?:可以?|请)?向?(?:咨询|询问|联系|问)"
                     rf"(?:{_ADVISOR}[或、和/及]?)+$")
# Who the row is (姓名, 公民身份号码): a note is a filling instruction only when made of
# these words (必填, 与户口簿一致, 请核对后填写); anything else makes another column, so that
# another person's name or ID number never takes over the row's record. Tried longest
# first (中文 before 中). Never 本人 (勿填本人), 英文, 拼音, 简称, 护照, 后 (后四位), 曾.
FILL_WORDS = (
    "必填项", "必录项", "必填", "选填", "必须", "务必", "请", "需", "须", "应", "按", "照", "填写", "填", "写", "全名", "全称", "中文",
    "汉字", "真实", "实名", "如实", "有效", "姓名", "公民", "居民", "身份证件", "身份证上", "身份证",
    "户口本上", "户口簿上", "户口簿", "户口本", "户籍", "登记", "第二代", "二代身份证", "一致", "保持", "与", "和", "或", "的",
    "上的", "在", "备注", "说明", "列", "以", "准", "准确", "正确", "确保", "无误", "核对后", "核对", "仔细", "认真", "规范", "完整",
    "错别字", "不要", "勿", "不能", "不得", "不可", "不允许", "不留", "为空", "空格", "有", "中间", "中", "加", "不超过", "超过",
    "个", "字", "以内", "限", "少数民族", "用", "隔开", "分隔", "间隔", "设置", "设为", "输入", "录入", "单元格", "科学计数法",
    "防止", "使用", "勿用", "英文单引号", "单引号", "前面", "格式", "文本", "唯一", "不可重复", "重复", "半角", "全角", "字符",
    "若", "为", "是", "带", "含", "无", "不足", "导入", r"\d+个?汉?字",
)
# And for the ID number: its digits and check character.
ID_WORDS = ("身份证号码", "身份证号", "其他证件号码", "其他证件", "号码", "18", "15", r"第?\d+位", "位", "校验码", "校验位", "数字", "阿拉伯数字", "末位", "末尾", "尾数", "尾号", "最后一位", "字母", "大写", "小写", "X", "x")


def fill_pattern(*words: str) -> re.Pattern:
    """A pattern of filling-instruction words, longest first, and any punctuation."""
    return re.compile("|".join(sorted(words, key=len, reverse=True)) + r"|[^\w]")


def _fill_note(note: str, key: str, own: frozenset = frozenset(), fill: re.Pattern | None = None) -> bool:
    """Whether a note in brackets only says how to fill its column (必填, 18位, 男/女,
    末位X为大写字母, 可咨询网格负责人). Each clause's ending that says whom of the grid's to
    ask is left out first. Who the row is (``fill`` given): only a note made of ``fill``'s
    words. Any other column: no word of someone else or of another kind of the field in a
    clause, except, in a contact column, a clause that offers the row's own (``own``: 本人)
    among others (联系电话（本人或家属）). The values of 与户主关系 are relatives
    (本人/配偶/子女) and those of 性别 男/女: their notes are always such notes."""
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
