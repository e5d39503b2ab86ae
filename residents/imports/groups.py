"""Group titles over a two-row header (``reading``): 独居老人 and 留守儿童 ledgers put
紧急联系人 or 监护人信息 over 姓名 | 联系电话. Those columns are the other person's: never
the row's own (docs/residents.md, *Import columns*).

A title is judged cautiously, since a wrong judgement drops the person's own columns:

- a row that is a filing line or the table's title holds no groups: a cell with a colon
  (填报单位：…, 网格员：张三), a signature or a date (网格员签字, 2024年3月), a title's
  ending (…登记表, …台账);
- a title names someone else (``_SOMEONE_ELSE``), not the person the ledger is about
  (被监护人信息, 帮扶对象) nor the row's own (a key place's 负责人);
- a title spreads over the blank cells to its right, and holds, from its own cell on,
  the columns a person has (姓名, 身份证号, 联系电话, 性别, 关系 …) or a field the row has
  in another column too, up to the first column of another field (户籍地址, 人员类型: the
  person's own); it must hold two such columns, one of them a field the row has in
  another column too (the contact's 姓名 beside the person's);
- a row holding one cell is a title over the table; and when the titles take every
  column naming the person (姓名, 身份证号), none of them is a group.
"""

import re

from residents.imports.headers import _NOT_OWN, _SOMEONE_ELSE, Columns, squeeze

_GROUP = re.compile(_SOMEONE_ELSE, re.IGNORECASE)
_GROUP_NOT_OWN = re.compile(_NOT_OWN)
# The person the ledger is about, as a group title names them.
_SUBJECT = re.compile(r"被\w{1,5}?(?:人员|人|者|对象|儿童|老人|户|家庭)|\w{1,3}?对象|(?:帮扶|结对|救助|低保|特困|困难|贫困)户|"
                      r"(?:帮扶|帮教|救助|关爱|服务|矫正)(?:家庭|人员)")
# Cells of a filing line or a table's title: a row holding one holds no groups.
_COLON = re.compile(r"[：:∶︓﹕︰]")
_FILING = re.compile(r"填报|填表|制表|审核|审批|签字|签名|盖章|日期|时间|年\d{1,2}月|\d{4}")
_TABLE_TITLE = re.compile(r"(?:表|台账|台帐|名册|名单|清单|汇总|统计|一览|登记簿)(?:[（(][^）)]*[）)])?$")


def names_someone_else(title, own: frozenset = frozenset()) -> bool:
    """Whether a group title says the columns under it are someone else's (紧急联系人,
    监护人信息): not the person the ledger is about (被监护儿童信息, 帮扶对象), nor the
    row's own (``own``: a key place's 负责人, 法定代表人) unless denied (非本人)."""
    text = _SUBJECT.sub("", squeeze(title))
    if _GROUP_NOT_OWN.search(text):
        return True
    for word in sorted(own, key=len, reverse=True):
        text = text.replace(word, "")
    return bool(_GROUP.search(text))


def _no_groups(cells: list[str], header: list[str], columns: Columns) -> bool:
    """Whether a row is a filing line or the table's title (see the module docstring)."""
    if sum(1 for cell in cells if cell) < 2:
        return True
    for position, cell in enumerate(cells):
        if not cell or (position < len(header) and header[position] == cell):
            continue  # a column's own name, merged down over two rows (出生年月, 监护人签字)
        if columns.key_of(cell) or squeeze(cell) in columns.ignored:
            continue  # a column's name (出生日期, 入住时间) in a header row
        if _COLON.search(cell) or _FILING.search(cell) or _TABLE_TITLE.search(squeeze(cell)):
            return True
    return False


def under_groups(header: list[str], upper: list[str], columns: Columns) -> tuple[list[str], dict[int, str]]:
    """The header with each column under a title naming someone else renamed with the
    title as a note (联系电话（紧急联系人）: so named in the result and the error report),
    and those columns' positions (never the row's own) → their titles."""
    cells = [str(cell).strip() if cell is not None else "" for cell in upper]
    if _no_groups(cells, header, columns):
        return header, {}
    keys = [columns.key_of(name) if name else None for name in header]
    groups: list[list[int]] = []
    for start, cell in enumerate(cells[:len(header)]):
        if not cell or columns.key_of(cell) or not names_someone_else(cell, columns.own):
            continue
        end = start + 1
        while end < len(header) and not (cells[end] if end < len(cells) else ""):
            end += 1
        groups.append(list(range(start, end)))
    others: dict[int, str] = {}
    for spread in groups:
        outside = {key for position, key in enumerate(keys) if position not in spread}
        held = []
        for position in spread:
            key = keys[position]
            if key is not None and key not in columns.personal and key not in outside:
                break  # another field (户籍地址): the person's own, from here on
            if key is not None:
                held.append(position)
        # Two of a person's fields, one of them the row has in another column too (the
        # contact's 姓名 beside the person's): a title over the person's own columns
        # (网格员 张三, 安置帮教人员基本信息) repeats none.
        if len(held) >= 2 and any(keys[position] in outside for position in held):
            others.update(dict.fromkeys(held, cells[spread[0]]))
    # Titles that take every column naming the person (姓名, 身份证号) are over the table,
    # not groups. (Taking one of them: the file is refused for it, naming the column.)
    naming = {key for key in keys if key in columns.identity and key in columns.personal}
    if naming and not naming & {key for position, key in enumerate(keys) if position not in others}:
        return header, {}
    return [f"{name}（{others[position]}）" if position in others else name for position, name in enumerate(header)], others
