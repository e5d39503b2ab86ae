"""Reading a residents file: CSV or .xlsx told apart by content, the template's
columns and the names files use for them, one clear error for a file that cannot be
read as a whole. Rows are streamed (``csv`` / openpyxl read-only)."""

import codecs
import csv
import datetime
import zipfile
from collections.abc import Iterator

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

# (header, key, required, max length); the order is the template's.
COLUMNS = [
    ("姓名", "name", True, 50),
    ("性别", "gender", False, 4),
    ("出生日期", "birth_date", False, 20),
    ("公民身份号码", "id_number", True, 20),
    ("联系电话", "phone", False, 20),
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
# Other names files use for the same columns.
HEADER_ALIASES = {"身份证号": "公民身份号码", "身份证号码": "公民身份号码", "手机号码": "联系电话", "电话": "联系电话", "手机": "联系电话"}
# Columns read and ignored: a serial number, remarks, and what the error report and
# the export add.
IGNORED_HEADERS = {"序号", "备注", "网格", "迁出日期", "行号", "错误列", "错误原因"}
ERROR_HEADERS = ["行号", "错误列", "错误原因"]


class ImportFileError(Exception):
    """The file as a whole cannot be imported (wrong type, empty, wrong headers)."""



# --- Reading the file ---------------------------------------------------------------------


def count_rows(path) -> int:
    """Data rows in the file, for progress: lines of a CSV (quick, by bytes) or the
    sheet's recorded dimension of an .xlsx."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(b"PK"):
            try:
                handle.seek(0)
                workbook = load_workbook(handle, read_only=True)
                return max(0, (workbook.worksheets[0].max_row or 1) - 1)
            except Exception:  # noqa: BLE001 (read_table reports the real problem)
                return 0
        handle.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(0, lines - 1)


def read_table(path) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """(header cells, iterator of (row number, cells)) of a CSV or .xlsx file, told
    apart by content, not by name. Row numbers are as a spreadsheet shows them."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is an old Excel 97–2003 (.xls) file; save it as .xlsx (Excel Workbook) or CSV and try again."))
    if b"\x00" in head:
        raise ImportFileError(_("This is not a CSV or .xlsx file."))
    return _read_csv(path, head)


def _read_xlsx(path):
    try:
        # A file object: openpyxl would otherwise judge the file by its name.
        workbook = load_workbook(open(path, "rb"), read_only=True, data_only=True)  # noqa: SIM115 (closed with the workbook)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ImportFileError(_("This is not a CSV or .xlsx file.")) from None
    rows = enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)
    for number, cells in rows:
        if any(cell not in (None, "") for cell in cells):
            header = [_text(cell) for cell in cells]

            def data_rows():
                try:
                    for n, c in rows:
                        yield n, list(c)
                finally:
                    workbook.close()

            return header, data_rows()
        if number > 20:
            break
    raise ImportFileError(_("The file is empty."))


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"  # what Excel on a Chinese Windows saves "CSV" as
    return "utf-8"


def _read_csv(path, head: bytes):
    encoding = _encoding(head)
    first_line = head.split(b"\n", 1)[0]
    delimiter = "\t" if b"\t" in first_line and b"," not in first_line else ","
    handle = open(path, encoding=encoding, newline="", errors="replace")  # noqa: SIM115 (closed by the generator)
    reader = csv.reader(handle, delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        if any(cell.strip() for cell in cells):
            header = [cell.strip() for cell in cells]

            def rows(start=number):
                with handle:
                    yield from enumerate(reader, start=start + 1)

            return header, rows()
    handle.close()
    raise ImportFileError(_("The file is empty."))


def column_positions(header: list[str]) -> dict[str, int]:
    """key → position of each known column; one clear error for unknown or missing ones."""
    positions, unknown = {}, []
    known = {column[0]: column[1] for column in COLUMNS}
    for position, name in enumerate(header):
        name = HEADER_ALIASES.get(name.rstrip("*＊").strip(), name.rstrip("*＊").strip())
        if not name or name in IGNORED_HEADERS:
            continue
        if name not in known:
            unknown.append(name)
        elif known[name] not in positions:
            positions[known[name]] = position
    missing = [column[0] for column in COLUMNS if column[2] and column[1] not in positions]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(_("missing columns: %(columns)s") % {"columns": "、".join(missing)})
        if unknown:
            parts.append(_("unknown columns: %(columns)s") % {"columns": "、".join(unknown)})
        raise ImportFileError(
            _("The headers do not match the residents template (%(problems)s). The columns are: %(columns)s.")
            % {"problems": "; ".join(parts), "columns": "、".join(HEADERS)}
        )
    return positions


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()

