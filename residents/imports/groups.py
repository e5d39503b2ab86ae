"""Group titles over a two-row header (``reading``): 独居老人 and 留守儿童 ledgers put
紧急联系人 or 监护人信息 over 姓名 | 关系 | 联系电话. Those columns are the other person's:
never the row's own (docs/residents.md, *Import columns*). They are named
``紧急联系人·联系电话`` in the result and the error report's header, a name that no column
of the template goes by, so the report imported again leaves them out as well.

A title is judged cautiously, since a wrong judgement drops the person's own columns:

- a row that is a filing line or the table's title holds no groups: a cell with a colon
  (填报单位：…, 网格员：张三), a signature or a date (网格员签字, 2024年3月), a title's
  ending (…登记表, …台帐, …名单), or a single cell in the table's first column (a
  column's own name merged down over the two rows, 出生年月, is no such cell);
- a title names someone else (``_GROUP``), not the person the ledger is about
  (被监护人信息, 帮扶对象, 帮扶家庭) nor the row's own (a key place's 负责人);
- a title spreads over the blank cells to its right, up to the first column of another
  field (户籍地址, 人员类型: the person's own). In an .xlsx, the cells it is merged across
  are the group's, whatever they are (a guardian's 户籍地址, a contact's 关系 | 电话 with no
  姓名 showing whose), unless it is over the person's own 姓名 or 身份证号 before its group
  begins (the table's title, below); the rules below judge only the blank cells after the
  merge (a column added beside it, which Excel does not widen). A title merged down over
  two rows above the header counts as in the row right above it. Its group begins at the first column that
  shows whose the columns are — a field the row has in another column too (the contact's
  姓名 beside the person's; 儿童姓名 counts as the person's 姓名), or a column named for
  someone else (赡养人姓名, 联系人; in a key place's ledger, 姓名) — and holds from there the columns a person has (姓名,
  身份证号, 联系电话, 性别, 关系 …); before it, only a 关系 or 性别 is the group's, any other
  column the person's (a title typed into a middle cell over the person's own columns).
  It ends with its last name, ID number, phone or relation, or column named for someone
  else: a 性别, 出生日期 or 民族 after them is the person's (a column added after the group,
  its upper cell blank). It must hold two columns (one named for someone else counts). A
  title or a filing cell over the person's own columns (包保干部 张三, 网格员信息) shows
  nothing, and a title over the person's own 姓名 or 身份证号 before its group begins (typed
  into B1 beside the narrow 序号 column) is the table's: it holds nothing;
- a title with a damaged character (监�人) is taken to name someone else: what was lost
  may have said whose (``names_someone_else``);
- titles over every column naming the person (姓名, 身份证号): one alone is over the table
  (its columns are the person's, the other titles still groups); of several, one holding
  them all beside others holding only a name is the person's own block (志愿者信息,
  承租人信息 beside 紧急联系人 over 姓名 | 联系电话); otherwise (出租人 and 承租人, 户主 and
  家庭成员, each with an ID) the file does not say whose rows these are and is refused,
  naming them.
"""

import re

from django.utils.translation import gettext as _

from residents.imports.headers import NOT_OWN, SOMEONE_ELSE, Columns, squeeze
from residents.imports.workbooks import ImportFileError

# Someone else, as group titles name them: the words of header notes and more.
_GROUP = re.compile(SOMEONE_ELSE + r"|家庭成员|主要成员|社会关系|共同居住|民警|警官|医生|帮教|出租人|出租方|产权人|结对|包联|照护|陪护",
                    re.IGNORECASE)
_GROUP_NOT_OWN = re.compile(NOT_OWN)
# The person the ledger is about, as a group title names them.
_SUBJECT = re.compile(r"被\w{1,5}?(?:人员|人|者|对象|儿童|老人|户|家庭)|\w{1,3}?对象|(?:帮扶|结对|救助|低保|特困|困难|贫困)户|"
                      r"(?:帮扶|帮教|救助|关爱|服务|矫正)(?:家庭|人员)")
# Cells of a filing line or a table's title: a row holding one holds no groups.
_COLON = re.compile(r"[：:∶︓﹕︰]")
_FILING = re.compile(r"填报|填表|制表|审核|审批|签字|签名|盖章|日期|时间|年\d{1,2}月|\d{4}")
_TABLE_TITLE = re.compile(r"(?:表|台账|台帐|名册|名单|清单|汇总|统计|一览|登记簿)(?:[（(][^）)]*[）)])?$")
SEPARATOR = "·"


def names_someone_else(title, own: frozenset = frozenset()) -> bool:
    """Whether a group title says the columns under it are someone else's (紧急联系人,
    监护人信息): not the person the ledger is about (被监护儿童信息, 帮扶对象), nor the
    row's own (``own``: a key place's 负责人, 法定代表人) unless denied (非本人)."""
    if "\ufffd" in str(title):
        return True  # damaged (监�人): what was lost may have said whose
    text = _SUBJECT.sub("", squeeze(title))
    if _GROUP_NOT_OWN.search(text):
        return True
    for word in sorted(own, key=len, reverse=True):
        text = text.replace(word, "")
    return bool(_GROUP.search(text))


def _no_groups(cells: list[str], header: list[str], columns: Columns) -> bool:
    """Whether a row is a filing line or the table's title (see the module docstring)."""
    named = [position for position, cell in enumerate(cells) if cell]
    first = next((position for position, name in enumerate(header) if name), 0)
    if not named or (len(named) == 1 and named[0] <= first):
        return True
    for position in named:
        cell = cells[position]
        if position < len(header) and header[position] == cell:
            continue  # a column's own name, merged down over two rows (出生年月, 监护人签字)
        if columns.key_of(cell) or squeeze(cell) in columns.ignored:
            continue  # a column's name (出生日期, 入住时间) in a header row
        if _COLON.search(cell) or _FILING.search(cell) or _TABLE_TITLE.search(squeeze(cell)):
            return True
    return False


def _spreads(cells: list[str], header: list[str], columns: Columns, reach: dict[int, int]) -> list[tuple[list[int], int]]:
    """The positions each title naming someone else spreads over — its own cell and the
    blank cells to its right — and the last position it is merged across (``reach``:
    first position → last; -1 when it is not merged)."""
    spreads = []
    for start, cell in enumerate(cells[:len(header)]):
        if not cell or columns.key_of(cell) or not names_someone_else(cell, columns.own):
            continue
        end = start + 1
        while end < len(header) and not (cells[end] if end < len(cells) else ""):
            end += 1
        spreads.append((list(range(start, end)), min(reach.get(start, -1), end - 1)))
    return spreads


def _own_suffix(name: str, columns: Columns) -> str | None:
    """The personal field an unknown column's name ends with, when nothing else in the
    name names someone else (儿童姓名, 老人电话: the person's name and phone)."""
    text = squeeze(name)
    if not text or columns.key_of(text) or names_someone_else(text, columns.own):
        return None
    for cut in range(1, len(text)):
        key = columns.by_name.get(text[cut:])
        if key in columns.personal:
            return key
    return None


# A person's name where the table has no such column (a key place's ledger: 包保干部 over
# 姓名 | 联系电话): the group is that person's.
_PERSON_NAME = frozenset({"姓名", "名字"})
# What a contact group may begin with before its name (关系 | 姓名 | 联系电话).
_RELATIVE = frozenset({"relation_to_head", "gender"})
# What a contact group ends with (姓名 | 联系电话 | 关系): a 性别, 出生日期 or 民族 after them
# is the person's (a column added after the group, its upper cell left blank).
_ENDS = frozenset({"name", "id_number", "phone", "relation_to_head", "contact_name", "contact_phone"})


def _relative(leading: list[int], keys: list) -> list[int]:
    """The columns of a title's spread before the first one showing whose, when they are
    only a relation or a gender (关系 | 姓名 | 联系电话): the group's. Others (性别 |
    身份证号 | 联系电话 under a table's title typed in a middle cell) are the person's."""
    return leading if all(keys[position] in _RELATIVE for position in leading) else []


def _group(spread: list[int], keys: list, header: list[str], outside: set, columns: Columns) -> tuple:
    """(held, leading, named, shown) of one title's spread: the columns that are the
    group's, those before any column showing whose, how many unknown columns are named
    for someone else, and whether any column showed whose."""
    held, leading, named, shown, last = [], [], 0, False, -1
    for position in spread:
        key = keys[position]
        if key is not None and key not in columns.personal and key not in outside:
            break  # another field (户籍地址): the person's own, from here on
        if key is not None:
            if not shown and key not in outside:
                leading.append(position)  # before any column showing whose: see under_groups
                continue
            if not shown:
                held += _relative(leading, keys)
            held.append(position)
            shown = True
            if key in _ENDS or key in outside:
                last = position
        elif header[position] and (names_someone_else(header[position], columns.own)
                                   or squeeze(header[position]) in _PERSON_NAME):
            if not shown:
                held += _relative(leading, keys)
            shown = True  # 赡养人姓名, 监护人姓名, 联系人; a key place's 姓名: whose the columns are
            named += 1
            last = position
    # A 性别, 出生日期 or 民族 after the group's last name, number, phone or relation
    # (监护人 over 姓名 | 联系电话, then 性别 | 民族 under a blank cell) is the person's.
    return [position for position in held if position <= last], leading, named, shown


def under_groups(header: list[str], upper: list[str], columns: Columns,
                 reach: dict[int, int] | None = None) -> tuple[list[str], dict[int, tuple[str, str]]]:
    """The header with each column under a title naming someone else renamed
    ``title·name``, and those columns' positions (never the row's own) → (name, title).
    ``reach``: the upper row's merged ranges (an .xlsx's), first position → last."""
    cells = [str(cell).strip() if cell is not None else "" for cell in upper]
    if _no_groups(cells, header, columns):
        return header, {}
    keys = [columns.key_of(name) if name else None for name in header]
    # A column of the person's whose name only adds whose (儿童姓名, 老人姓名; or such a name
    # merged down from the row above): the person has that field too.
    suffixes = [None if keys[position] else _own_suffix(header[position] or (cells[position] if position < len(cells) else ""), columns)
                for position in range(len(header))]
    others: dict[int, tuple[str, str]] = {}
    taking: list[tuple[str, set, set]] = []  # titles over a column naming the person: (title, keys held, positions)
    naming = {key for key in keys if key in columns.identity and key in columns.personal}
    for spread, merged in _spreads(cells, header, columns, reach or {}):
        outside = {key for position, key in enumerate(keys) if position not in spread}
        outside |= {key for position, key in enumerate(suffixes) if key and position not in spread}
        held, leading, named, shown = _group(spread, keys, header, outside, columns)
        if naming & {keys[position] for position in leading if position not in held}:
            continue  # a title over the person's own 姓名 or 身份证号: the table's title
        if merged >= 0:
            # The cells it is merged across are the group's, whatever they are.
            held = sorted(set(held) | {position for position in spread if position <= merged and keys[position] is not None})
            shown = True
        if held and shown and (len(held) + named >= 2 or merged >= 0):
            title = cells[spread[0]]
            others.update({position: (header[position], title) for position in held})
            taken = {keys[position] for position in held}
            if naming & taken:
                taking.append((title, taken, set(held)))
    if naming and not naming & {key for position, key in enumerate(keys) if position not in others}:
        # Several titles over the columns naming the person: one holding all of them
        # (姓名 and 身份证号) beside titles holding only a name (紧急联系人 over 姓名 |
        # 联系电话) is over the person's own columns (志愿者信息, 户主信息, 承租人信息).
        # One title over them all is over the table: its columns are the person's, the
        # other titles' (紧急联系人 over 关系 | 联系电话) still another's.
        whole = [item for item in taking if naming <= item[1]]
        if len(taking) == 1 or len(whole) == 1:
            for position in (taking[0] if len(taking) == 1 else whole[0])[2]:
                del others[position]
        else:
            raise ImportFileError(
                _("Every column naming the person stands under another person's title (%(titles)s): the file does not say "
                  "whose rows these are. Delete the columns of the one not to import, or title the person's own columns "
                  "本人信息.") % {"titles": "、".join(f"“{title}”" for title, _keys, _held in taking)})
    return [f"{others[position][1]}{SEPARATOR}{name}" if position in others else name
            for position, name in enumerate(header)], others
