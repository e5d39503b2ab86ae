"""The residents file's columns and the names ledgers give them (data, not code paths).

Add a name a ledger uses to ``ALIASES`` and files that use it import; a header is
compared without whitespace, invisible characters, the required-mark ``*``, a note in
brackets (``姓名（必填）``) and a trailing colon (``headers.squeeze``).
"""

from residents.imports.headers import ID_WORDS, Columns

# (header, key, required, max length); the order is the template's.
COLUMNS = [
    ("姓名", "name", True, 50),
    ("性别", "gender", False, 4),
    ("出生日期", "birth_date", False, 20),
    ("公民身份号码", "id_number", True, 40),  # 18 characters, written in groups with spaces too
    ("联系电话", "phone", False, 30),
    ("民族", "ethnicity", False, 20),
    ("人员类型", "residence_type", False, 10),
    ("户籍地址", "registered_address", False, 200),
    ("网格编码", "grid", True, 32),
    ("楼栋", "building", False, 60),
    ("单元", "unit", False, 30),
    ("房号", "room", False, 20),
    ("户号", "household", False, 30),
    ("与户主关系", "relation_to_head", False, 20),
    ("入住日期", "moved_in_on", False, 20),
]
HEADERS = [column[0] for column in COLUMNS]

ALIASES = {
    "姓名": ["名字", "居民姓名", "人员姓名"],
    "性别": [],
    "出生日期": ["出生年月日", "生日"],
    "公民身份号码": ["身份证", "身份证号", "身份证号码", "证件号码", "证件号", "公民身份证号码", "公民身份证号", "居民身份证号码"],
    "联系电话": ["手机号", "手机号码", "电话", "手机", "电话号码", "联系方式", "联系电话(手机)", "联系电话（手机）"],
    "民族": [],
    "人员类型": ["人口类型", "人员类别"],
    "户籍地址": ["户籍地", "户籍所在地", "户籍地详址"],
    "网格编码": ["所属网格", "网格", "网格编号", "所属网格编码", "网格代码"],
    "楼栋": ["楼栋号", "栋", "楼号", "楼栋名称"],
    "单元": ["单元号"],
    "房号": ["房间号", "门牌号", "室"],
    "户号": ["户编号"],
    "与户主关系": ["与户主的关系", "关系"],
    "入住日期": ["入住时间", "居住起始日期"],
}
# Read and ignored: a serial number, remarks, and what the error report and the export add.
IGNORED = {"序号", "编号", "备注", "迁出日期", "行号", "错误列", "错误原因", "多出的单元格"}
ERROR_HEADERS = ["行号", "错误列", "错误原因"]

RESIDENT_COLUMNS = Columns(columns=COLUMNS, aliases=ALIASES, ignored=IGNORED, identity=frozenset({"id_number", "name"}),
                           contacts=frozenset({"phone"}), fill_words={"id_number": ID_WORDS},
                           personal=frozenset({"name", "gender", "birth_date", "id_number", "phone", "ethnicity",
                                               "relation_to_head"}))
