"""Exports of residents in the user's scope to CSV and .xlsx: streamed, filtered,
masked, logged, and safe to open in a spreadsheet.

Masked by default, and there is no unmasked export: clear values go out one record at a
time through ``resident_reveal``. Every export writes one access-log row with its
filter and row count before the first byte leaves.
"""

import csv
import io
import tempfile

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from residents.models import AccessAction, Gender, ResidenceType
from residents.privacy import may_see_clear, strict_id_mask
from residents.selectors import residents_visible_to
from residents.services import access_log_record

# Cells starting with these are formulas (or DDE) to a spreadsheet (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXPORT_HEADERS = [
    "姓名", "性别", "出生日期", "公民身份号码", "联系电话", "民族", "人员类型", "户籍地址",
    "网格编码", "网格", "楼栋", "单元", "房号", "户号", "与户主关系", "入住日期", "迁出日期",
]
_GENDER = {Gender.MALE: "男", Gender.FEMALE: "女"}
_RESIDENCE = {
    ResidenceType.REGISTERED: "户籍", ResidenceType.FLOATING: "流动", ResidenceType.LODGING: "寄住",
    ResidenceType.FOREIGN: "境外", ResidenceType.UNREGISTERED: "未落户",
}
_FIELDS = (
    "name", "gender", "birth_date", "id_mask", "phone_mask", "ethnicity", "residence_type", "registered_address",
    "grid__code", "grid__name", "room__building__name", "room__unit__name", "room__number", "household__number",
    "relation_to_head", "moved_in_on", "moved_out_on", "grid__path",
)


def safe_cell(value):
    """Neutralise a text cell a spreadsheet would run as a formula; drop characters
    that .xlsx cannot hold. Numbers and dates pass unchanged."""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_PREFIXES):
        value = "'" + value
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def residents_for_export(user, *, grid_code: str = "", residence_type: str = "", name: str = "",
                         include_moved_out: bool = False) -> QuerySet:
    residents = residents_visible_to(user)
    if grid_code:
        residents = residents.filter(grid__path__startswith=_path_of(grid_code))
    if residence_type:
        residents = residents.filter(residence_type=residence_type)
    if name:
        residents = residents.filter(name__startswith=name)
    if not include_moved_out:
        residents = residents.filter(moved_out_on__isnull=True)
    return residents


def _path_of(code: str) -> str:
    from grids.models import Area

    return Area.objects.filter(code=code).values_list("path", flat=True).first() or "-no-such-area-"


def _rows(residents: QuerySet, actor):
    """The export's rows as ``actor`` may see them (``residents.privacy``): without the
    right to reveal the ID number, the stricter mask and the birth year only."""
    shown_by_grid: dict[str, bool] = {}
    for row in residents.order_by("grid__path", "id").values_list(*_FIELDS).iterator(chunk_size=5000):
        row = list(row)
        path = row.pop()
        if path not in shown_by_grid:
            shown_by_grid[path] = may_see_clear(actor, path, "id_number")
        if not shown_by_grid[path]:
            row[3] = strict_id_mask(row[3])
            row[2] = row[2].year if row[2] else ""
        row[1] = _GENDER.get(row[1], row[1])
        row[6] = _RESIDENCE.get(row[6], row[6])
        for index in (2, 15, 16):
            row[index] = row[index].isoformat() if hasattr(row[index], "isoformat") else row[index] or ""
        yield [safe_cell(value if value is not None else "") for value in row]


class _Echo:
    def write(self, value):
        return value


def residents_export(*, actor, format: str, filters: dict) -> tuple[int, object]:
    """Log the export, then return (row count, content): for CSV an iterator of text
    chunks to stream, for .xlsx a temporary file holding the workbook."""
    residents = residents_for_export(actor, **filters)
    count = residents.count()
    access_log_record(actor=actor, action=AccessAction.EXPORT, field="masked", reason=format,
                      filters={key: value for key, value in filters.items() if value}, row_count=count)
    if format == "csv":
        return count, _csv_chunks(residents, actor)
    return count, _xlsx_file(residents, actor)


def _csv_chunks(residents: QuerySet, actor):
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(EXPORT_HEADERS)  # BOM: Excel opens UTF-8 with it
    buffer = io.StringIO()
    chunk = csv.writer(buffer)
    for number, row in enumerate(_rows(residents, actor), start=1):
        chunk.writerow(row)
        if number % 2000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx_file(residents: QuerySet, actor):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("实有人口")
    sheet.append(EXPORT_HEADERS)
    for row in _rows(residents, actor):
        sheet.append(row)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(handle)
    handle.seek(0)
    return handle
