"""Key places come in through the residents import's reader and error report: a GBK
ledger with a title row and its own header names, a bad row and a duplicate; the
report fixed with openpyxl and imported again changes exactly the fixed row."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from residents.models import KeyPlace

pytestmark = pytest.mark.django_db
GRID = "43130200100102"


def run(path, *args) -> str:
    out = io.StringIO()
    call_command("import_key_places", str(path), "--user", "yuetang_worker", "--language", "en", *args, stdout=out)
    return out.getvalue()


def test_a_key_places_ledger_round_trips_through_its_error_report(staff, tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["月塘社区重点场所台账", "", "", "", "", ""])
    writer.writerow(["序号", "单位名称", "类别", "所属网格", "联系人", "电话"])
    writer.writerow(["1", "月塘小学", "学校", GRID, "李校长", "0738-8312345"])
    writer.writerow(["2", "'=月塘加油站", "加油站", GRID, "", "+86 138 0013 8000"])
    writer.writerow(["3", "月塘诊所", "诊所", "99999999999999", "", ""])  # no such grid: to fix
    writer.writerow(["4", "月塘小学", "学校", GRID, "王校长", ""])  # the same place again
    path = tmp_path / "places.csv"
    path.write_bytes(buffer.getvalue().encode("gbk"))

    output = run(path)

    assert "4 rows: 2 created, 0 updated, 0 unchanged, 2 with errors" in output
    assert "row 2" in output  # the header was found below the title
    school = KeyPlace.objects.get(name="月塘小学")
    assert (school.kind, school.contact_name, school.contact_phone) == ("school", "李校长", "07388312345")
    assert KeyPlace.objects.get(name="=月塘加油站").kind == "hazardous"  # the formula guard's apostrophe removed
    report_path = tmp_path / "places-errors.xlsx"
    book = load_workbook(report_path)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    lines = {row[header.index("行号")].value: row for row in sheet.iter_rows(min_row=2)}
    assert sorted(lines) == [3, 5, 6]  # the first row of the pair travels with its duplicate
    lines[5][header.index("所属网格")].value = GRID
    book.save(report_path)

    again = run(report_path, "--report", str(tmp_path / "again-errors.xlsx"))

    assert "3 rows: 1 created, 0 updated, 1 unchanged, 1 with errors" in again
    assert KeyPlace.objects.get(name="月塘诊所").kind == "hospital"
    assert KeyPlace.objects.get(name="月塘小学").contact_name == "李校长"  # the duplicate did not overwrite it


def test_key_places_import_keeps_the_import_permission_and_a_private_report(staff, tmp_path, settings):
    """Issue 13 on issue 15's key places: the roles that may import (RESIDENT_IMPORT_ROLES)
    decide for ``--user``, and the error report (the refused rows' contacts) is 0600."""
    path = tmp_path / "places.csv"
    path.write_text("场所名称,场所类型,网格编码\n无网格场所,学校,NOPE\n", encoding="utf-8")
    run(path)
    report = tmp_path / "places-errors.xlsx"
    assert report.exists() and report.stat().st_mode & 0o777 == 0o600
    settings.RESIDENT_IMPORT_ROLES = ["admin"]
    with pytest.raises(CommandError, match="may not import"):
        run(path)


def test_every_line_of_a_key_places_file_is_accounted_for(staff, tmp_path):
    """The same reader as the residents import: an unbalanced quote, a NUL byte, a line
    with a cell too many and a GBK line in a UTF-8 file are reported on their lines,
    and reading goes on with the next line; the counts add up."""
    lines = [
        "场所名称,场所类型,网格编码,联系电话",
        f"月塘小学,学校,{GRID},0738-8312345",
        f'"月塘中学,学校,{GRID},',  # a quote that never closes
        f"月塘医院,医院,{GRID},",
        f"月塘市场,市场,{GRID},,多余",  # a cell more than the header
        f"月塘\x00网吧,网吧,{GRID},",
        f"月塘诊所,诊所,{GRID},",
    ]
    content = "\r\n".join(lines).encode() + b"\r\n" + f"月塘加油站,加油站,{GRID},\r\n".encode("gbk")
    path = tmp_path / "places.csv"
    path.write_bytes(content)

    output = run(path)

    assert "7 rows: 4 created, 0 updated, 0 unchanged, 3 with errors" in output
    assert set(KeyPlace.objects.values_list("name", flat=True)) == {"月塘小学", "月塘医院", "月塘诊所", "月塘加油站"}
    assert "mixes encodings" in output
    sheet = load_workbook(tmp_path / "places-errors.xlsx").active
    header = [cell.value for cell in sheet[1]]
    reasons = {row[header.index("行号")]: row[header.index("错误原因")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert sorted(reasons) == [3, 5, 6]
    assert "quote" in reasons[3] and "the header has 4" in reasons[5] and "NUL" in reasons[6]


def test_a_refused_row_naming_a_place_of_a_later_row_stays_its_pair(staff, tmp_path):
    """A place named twice, its first row refused (a bad phone): the later row is its
    pair, not imported over it; fixing the first row in the report and importing it
    again imports that row and refuses the pair again, whose contact stays out."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["场所名称", "场所类型", "网格编码", "负责人", "联系电话"])
    writer.writerow(["月塘中学", "学校", GRID, "旧校长", "12345"])  # row 2: a bad phone, to fix
    writer.writerow(["月塘中学", "学校", GRID, "新校长", "13800138000"])  # row 3: the same place
    path = tmp_path / "places.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))

    output = run(path)

    assert "2 rows: 0 created, 0 updated, 0 unchanged, 2 with errors" in output
    report_path = tmp_path / "places-errors.xlsx"
    book = load_workbook(report_path)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    lines = {row[header.index("行号")].value: row for row in sheet.iter_rows(min_row=2)}
    assert sorted(lines) == [2, 3]
    assert "the same place is already in row 2" in lines[3][header.index("错误原因")].value
    assert "ID number" not in lines[2][header.index("错误原因")].value
    lines[2][header.index("联系电话")].value = "0738-8312345"
    book.save(report_path)

    again = run(report_path, "--report", str(tmp_path / "again-errors.xlsx"))

    assert "2 rows: 1 created, 0 updated, 0 unchanged, 1 with errors" in again
    place = KeyPlace.objects.get(name="月塘中学")
    assert (place.contact_name, place.contact_phone) == ("旧校长", "07388312345")


def _report_reasons(path) -> dict:
    sheet = load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    return {row[header.index("行号")]: row[header.index("错误原因")] for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_coordinates_away_from_the_grid_or_swapped_are_refused(staff, tmp_path):
    """A place's point must lie in its grid (its bounding box, with room for the offset
    of coordinates taken from Chinese web maps); latitude and longitude exchanged are
    said so, whether the latitude is then over 90 or the point is in the grid only
    when they are exchanged back."""
    from grids.models import Area

    Area.objects.filter(code=GRID).update(min_lat=27.70, max_lat=27.72, min_lon=111.98, max_lon=112.00)
    rows = [["场所名称", "场所类型", "网格编码", "纬度", "经度"],
            ["月塘小学", "学校", GRID, "27.71", "111.99"],  # in the grid
            ["月塘诊所", "诊所", GRID, "27.725", "112.01"],  # 0.01° off its box: a GCJ-02 point, kept
            ["月塘市场", "市场", GRID, "111.99", "27.71"],  # swapped: a latitude over 90
            ["月塘网吧", "网吧", GRID, "35.71", "111.99"],  # a digit wrong: 900 km north
            ["月塘工地", "工地", GRID, "abc", "111.99"],
            ["月塘公园", "其他", GRID, "27.71", ""]]  # a latitude alone
    path = tmp_path / "places.csv"
    path.write_bytes("\r\n".join(",".join(row) for row in rows).encode())

    output = run(path)

    assert "6 rows: 2 created, 0 updated, 0 unchanged, 4 with errors" in output
    assert KeyPlace.objects.get(name="月塘诊所").lat == 27.725
    reasons = _report_reasons(tmp_path / "places-errors.xlsx")
    assert sorted(reasons) == [4, 5, 6, 7]
    assert "give both" in reasons[7]
    assert "swapped" in reasons[4]
    assert "not in the grid" in reasons[5] and "27.700–27.720" in reasons[5]
    assert "not a coordinate" in reasons[6]

    # Far west, where a longitude is under 90: exchanged, the point is in the grid.
    Area.objects.filter(code=GRID).update(min_lat=43.80, max_lat=43.82, min_lon=87.60, max_lon=87.62)
    path.write_bytes("\r\n".join(["场所名称,场所类型,网格编码,纬度,经度", f"天山学校,学校,{GRID},87.61,43.81"]).encode())
    output = run(path)
    assert "0 created, 0 updated, 0 unchanged, 1 with errors" in output, output
    assert "swapped" in _report_reasons(tmp_path / "places-errors.xlsx")[2]


def test_invisible_characters_do_not_make_another_place(staff, tmp_path):
    """A zero-width space copied from a web page into a name is dropped: the name is the
    place's, and a second row of it is the same place (a conflict), not a second place."""
    path = tmp_path / "places.csv"
    path.write_bytes("\r\n".join(["场所名称,场所类型,网格编码", f"月塘\u200b小学,学校,{GRID}",
                                  f"\ufeff月塘小学,学校\u2060,{GRID}", "\u200b,\u200b,\ufeff"]).encode())

    output = run(path)

    assert "2 rows: 1 created, 0 updated, 0 unchanged, 1 with errors" in output  # the invisible row is an empty row
    assert list(KeyPlace.objects.values_list("name", "kind")) == [("月塘小学", "school")]
    assert "the same place is already in row 2" in _report_reasons(tmp_path / "places-errors.xlsx")[3]


def test_a_place_contacts_header_note_naming_its_manager_is_the_places_contact(staff, tmp_path):
    """联系电话（负责人）: a key place's contact is its manager, so the note names the
    place's own contact (in the residents file it would be someone else's phone);
    联系电话（房东） is another column, named as not imported. The place's name and grid
    take their own filling instructions (单位全称, 见网格清单)."""
    path = tmp_path / "places.csv"
    path.write_bytes("\r\n".join(["场所名称（单位全称）,场所类型,网格编码（见网格清单，可咨询网格员）,负责人（法人）,联系电话（负责人）,联系电话（房东）",
                                  f"月塘网吧,网吧,{GRID},赵老板,13800138000,13900139000"]).encode())

    output = run(path)

    assert "1 created, 0 updated, 0 unchanged, 0 with errors" in output
    assert "联系电话（房东）" in output
    place = KeyPlace.objects.get(name="月塘网吧")
    assert (place.contact_name, place.contact_phone) == ("赵老板", "13800138000")


def test_the_summary_of_one_row_says_row(staff, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(f"场所名称,场所类型,网格编码\r\n月塘小学,学校,{GRID}\r\n", encoding="utf-8")

    assert "1 row: 1 created, 0 updated, 0 unchanged, 0 with errors" in run(path)
