"""The error report is an import file: a messy ledger imported, a subset of its rows
fixed in the downloaded report with openpyxl, the report imported again — exactly the
fixed rows change, nobody is overwritten, and an in-file duplicate stays a conflict
until the user deletes one of the two rows."""

import io

import pytest
from django.core.files import File
from openpyxl import Workbook, load_workbook

from residents import crypto
from residents.imports import HEADERS, resident_import_start
from residents.models import ImportStatus, Resident
from tests.residents.conftest import row
from tests.residents.factories import id_number

pytestmark = pytest.mark.django_db

GRID = "43130200100102"


def run(actor, content: bytes, name: str):
    job = resident_import_start(actor=actor, upload=File(io.BytesIO(content), name=name), name=name, language="en",
                                run_inline=True)
    assert job.status == ImportStatus.DONE, job.message
    assert job.rows == job.created + job.updated + job.unchanged + job.errors
    return job


def report_book(job):
    with job.error_file.open("rb") as handle:
        return load_workbook(io.BytesIO(handle.read()))


def rows_by_line(sheet) -> dict[int, int]:
    header = [cell.value for cell in sheet[1]]
    line = header.index("行号")
    return {sheet.cell(row=r, column=line + 1).value: r for r in range(2, sheet.max_row + 1)}


def test_fixing_rows_in_the_report_changes_exactly_those_rows(staff):
    wrong_check = id_number(sequence=21)[:-1] + ("0" if id_number(sequence=21)[-1] != "0" else "1")
    first_of_pair = id_number(sequence=41)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    good = [row(name=f"好{n}", id_number=id_number(sequence=n), grid=GRID, building="1栋", room=f"{100 + n}") for n in range(1, 6)]
    for cells in good:  # rows 2–6
        sheet.append(cells)
    sheet.append(row(name="校验错", id_number=wrong_check, grid=GRID))  # row 7: to fix
    sheet.append(row(name="校验错二", id_number=id_number(sequence=23)[:-1] + "Y", grid=GRID))  # row 8: left as is
    sheet.append(row(name="电话错", id_number=id_number(sequence=25), phone="12345", grid=GRID))  # row 9: to fix
    sheet.append(row(name="先来", id_number=first_of_pair, grid=GRID, building="2栋"))  # row 10
    sheet.append(row(name="后到", id_number=first_of_pair, grid=GRID, building="9栋"))  # row 11: duplicate of row 10
    excel = row(name="数字号", grid=GRID)
    excel[3] = float(int(id_number(sequence=27, birth=__import__("datetime").date(1990, 5, 6))))  # row 12: Excel's number
    sheet.append(excel)
    sheet.append(row(name="-赵七", id_number=id_number(sequence=29)[:17] + "Z", phone="+86 138 0013 8029", grid=GRID))  # row 13
    buffer = io.BytesIO()
    workbook.save(buffer)

    first = run(staff["worker"], buffer.getvalue(), "ledger.xlsx")

    assert (first.created, first.errors) == (6, 6)
    book = report_book(first)
    report = book.active
    at = rows_by_line(report)
    assert sorted(at) == [7, 8, 9, 10, 11, 12, 13]  # the first row of the pair travels with its duplicate
    header = [cell.value for cell in report[1]]
    column = {name: header.index(name) + 1 for name in header}
    # The Excel number is written back as the number it was, never as reconstructed digits.
    excel_cell = report.cell(row=at[12], column=column["公民身份号码"])
    assert excel_cell.data_type == "n" and excel_cell.value == excel[3]
    # The formula guard neutralised the text cells that start with - and +.
    assert report.cell(row=at[13], column=column["姓名"]).value == "'-赵七"
    assert report.cell(row=at[13], column=column["联系电话"]).value == "'+86 138 0013 8029"

    # The user fixes three rows in the report and imports it again.
    report.cell(row=at[7], column=column["公民身份号码"]).value = id_number(sequence=21)
    report.cell(row=at[9], column=column["联系电话"]).value = "0738-8312345"
    report.cell(row=at[13], column=column["公民身份号码"]).value = id_number(sequence=29)
    buffer = io.BytesIO()
    book.save(buffer)
    before = {r.pk: (r.name, r.grid_id, r.room_id, r.updated_at) for r in Resident.objects.all()}

    second = run(staff["worker"], buffer.getvalue(), "errors.xlsx")

    assert (second.rows, second.created, second.updated, second.unchanged, second.errors) == (7, 3, 0, 1, 3)
    assert {r.pk: (r.name, r.grid_id, r.room_id, r.updated_at) for r in Resident.objects.filter(pk__in=before)} == before
    assert set(Resident.objects.exclude(pk__in=before).values_list("name", flat=True)) == {"校验错", "电话错", "-赵七"}
    zhao = Resident.objects.get(name="-赵七")
    assert zhao.phone_hash == crypto.lookup_hash("13800138029", field="phone")
    reasons = {e["row"]: e["reason"] for e in second.error_sample}
    assert "Excel stored the ID number as a number" in " ".join(reasons.values())
    assert any("already in row" in reason for reason in reasons.values())
    assert Resident.objects.get(id_hash=crypto.lookup_hash(first_of_pair, field="id_number")).name == "先来"

    # Deleting the first row of the pair from the report is how the user picks the later one.
    book = report_book(second)
    report = book.active
    at = rows_by_line(report)
    kept_first = [r for r in range(2, report.max_row + 1)
                  if report.cell(row=r, column=column["姓名"]).value == "先来"]
    assert len(kept_first) == 1
    report.delete_rows(kept_first[0])
    buffer = io.BytesIO()
    book.save(buffer)

    third = run(staff["worker"], buffer.getvalue(), "errors-2.xlsx")

    assert (third.created, third.updated) == (0, 1)
    assert Resident.objects.get(id_hash=crypto.lookup_hash(first_of_pair, field="id_number")).name == "后到"


def test_housing_rows_fixed_in_the_report_come_in_with_their_building(staff, write_csv):
    """Buildings and housing come in with the residents: a row naming a unit or a room
    without its building is refused; fixed in the report (the building filled in), it
    is imported into that building's unit and room, and nothing else changes."""
    good = row(name="楼栋好", id_number=id_number(sequence=11), grid=GRID, building="3栋", unit="1单元", room="301",
               household="H-301")
    no_building = row(name="缺楼栋", id_number=id_number(sequence=13), grid=GRID, unit="1单元", room="302", household="H-302")
    room_only = row(name="只有房号", id_number=id_number(sequence=15), grid=GRID, room="303")
    job = run(staff["worker"], write_csv([good, no_building, room_only]).read_bytes(), "housing.csv")
    assert (job.created, job.errors) == (1, 2)
    book = report_book(job)
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    lines = rows_by_line(sheet)
    assert sorted(lines) == [3, 4]
    assert {sheet.cell(row=r, column=header.index("错误列") + 1).value for r in lines.values()} == {"楼栋"}
    for line in (3, 4):
        sheet.cell(row=lines[line], column=header.index("楼栋") + 1).value = "3栋"
    buffer = io.BytesIO()
    book.save(buffer)

    again = run(staff["worker"], buffer.getvalue(), "housing-errors.xlsx")

    assert (again.rows, again.created, again.updated, again.unchanged, again.errors) == (2, 2, 0, 0, 0)
    fixed = Resident.objects.select_related("room__unit__building", "household").get(name="缺楼栋")
    assert (fixed.room.building.name, fixed.room.unit.name, fixed.room.number, fixed.household.number) == ("3栋", "1单元", "302", "H-302")
    first = Resident.objects.select_related("room").get(name="楼栋好")
    assert fixed.room.unit_id == first.room.unit_id  # the same building and unit, not new ones
    only_room = Resident.objects.select_related("room__unit").get(name="只有房号")
    assert (only_room.room.building_id, only_room.room.number, only_room.room.unit.name) == (first.room.building_id, "303", "")


@pytest.mark.parametrize("refused_first", [False, True])
def test_a_refused_row_sharing_an_id_number_with_another_stays_its_pair(staff, refused_first):
    """Two rows of one person, one of them refused for something else (a bad phone):
    whichever comes first, the pair is in the report, and fixing the refused row and
    importing the report again does not apply it over the other row's person."""
    number = id_number(sequence=51)
    kept = row(name="先填的", id_number=number, grid=GRID, building="2栋", room="201")
    refused = row(name="电话错的", id_number=number, phone="12345", grid=GRID, building="9栋", room="901")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for cells in ([refused, kept] if refused_first else [kept, refused]):
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)

    first = run(staff["worker"], buffer.getvalue(), "pair.xlsx")

    # The first row of the ID number decides, refused or not; the later one is its pair.
    assert (first.created, first.errors) == ((0, 2) if refused_first else (1, 1))
    book = report_book(first)
    report = book.active
    at = rows_by_line(report)
    assert sorted(at) == [2, 3]
    header = [cell.value for cell in report[1]]
    reasons = {line: report.cell(row=r, column=header.index("错误原因") + 1).value for line, r in at.items()}
    refused_line = 2 if refused_first else 3
    assert "mobile" in reasons[refused_line]
    assert "the same ID number is already in row 2" in reasons[3]
    assert ("this row was imported" in reasons[2]) is not refused_first
    report.cell(row=at[refused_line], column=header.index("联系电话") + 1).value = "13800138051"
    buffer = io.BytesIO()
    book.save(buffer)
    before = list(Resident.objects.values_list("name", "room__number", "updated_at"))

    second = run(staff["worker"], buffer.getvalue(), "pair-errors.xlsx")

    # The row now first in the file is imported (or unchanged); its pair is refused again.
    assert second.errors == 1 and "already in row 2" in second.error_sample[0]["reason"]
    person = Resident.objects.select_related("room").get(id_hash=crypto.lookup_hash(number, field="id_number"))
    if refused_first:
        assert (second.created, person.name, person.room.number) == (1, "电话错的", "901")
    else:
        assert (second.unchanged, list(Resident.objects.values_list("name", "room__number", "updated_at"))) == (1, before)
