"""Importing residents files: good, bad, duplicate, out-of-scope, empty, wrong headers,
wrong type; re-import; the Celery task path; the command."""

import datetime
import gc
import sys

import pytest
from django.core.files import File
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook

from residents import crypto
from residents.imports import HEADERS, resident_import_start
from residents.models import Building, Household, ImportStatus, PersonalDataAccess, Resident, ResidentImport, Room
from residents.tasks import resident_import_task
from tests.residents.conftest import row
from tests.residents.factories import id_number

pytestmark = pytest.mark.django_db

ID1 = "11010519491231002X"
ID2 = "440524188001010014"


def start(actor, path, **options):
    with open(path, "rb") as handle:
        return resident_import_start(actor=actor, upload=File(handle), name=path.name, language="en", **options)


def good_rows(grid="43130200100102", count=3):
    rows = [
        row(name="王秀英", gender="女", birth_date="1949-12-31", id_number=ID1, phone="13800138000", grid=grid,
            building="3栋", unit="1单元", room="301", household="H001", relation="户主", residence_type="户籍"),
        row(name="李强", gender="男", birth_date="1880/01/01", id_number=ID2, grid=grid, building="3栋", unit="1单元", room="302",
            residence_type="流动", moved_in_on="2020-05-01"),
    ]
    for n in range(count - 2):
        rows.append(row(name=f"张{n}", id_number=id_number(sequence=n + 1), grid=grid, building="5栋", room=f"{100 + n}",
                        household="H001"))
    return rows


def test_a_good_csv_imports_every_row_with_housing(staff, write_csv):
    job = start(staff["worker"], write_csv(good_rows(count=4)))

    assert job.status == ImportStatus.DONE, job.message
    assert (job.rows, job.created, job.updated, job.errors) == (4, 4, 0, 0)
    wang = Resident.objects.get(name="王秀英")
    assert (wang.gender, wang.birth_date, wang.id_mask, wang.phone_mask) == ("F", datetime.date(1949, 12, 31), "1101**********002X", "138****8000")
    assert wang.room.number == "301" and wang.room.unit.name == "1单元" and wang.room.building.name == "3栋"
    assert wang.household.number == "H001" and wang.relation_to_head == "户主"
    assert Resident.objects.get(name="李强").residence_type == "floating"
    assert Building.objects.count() == 2
    assert Room.objects.count() == 4
    assert Household.objects.count() == 1


def test_the_raw_columns_hold_no_plaintext(staff, write_csv):
    start(staff["worker"], write_csv(good_rows()))

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_cipher, id_hash, id_mask, phone_cipher, phone_hash, phone_mask FROM residents_resident")
        stored = b"".join(bytes(v) if not isinstance(v, str) else v.encode() for r in cursor.fetchall() for v in r)
    for secret in (ID1, ID2, "13800138000", "0519491231", "138001"):
        assert secret.encode() not in stored
    resident = Resident.objects.get(name="王秀英")
    assert crypto.decrypt(resident.id_cipher, field="id_number") == ID1


def test_an_xlsx_imports_like_a_csv_whatever_its_name(staff, write_xlsx):
    path = write_xlsx(good_rows(), name="residents.csv")  # the content decides, not the name

    job = start(staff["worker"], path)

    assert job.status == ImportStatus.DONE, job.message
    assert (job.created, job.errors) == (3, 0)


def test_a_gbk_csv_from_excel_imports(staff, write_csv):
    job = start(staff["worker"], write_csv(good_rows(), encoding="gb18030"))

    assert (job.status, job.created) == (ImportStatus.DONE, 3)


def test_bad_rows_are_reported_and_good_rows_still_import(staff, write_csv):
    rows = good_rows(count=2) + [
        row(name="坏校验", id_number="110105194912310021", grid="43130200100102"),
        row(name="坏日期", id_number=id_number(birth=datetime.date(1980, 1, 1))[:10] + "0230" + "0011", grid="43130200100102"),
        row(name="", id_number=id_number(sequence=7), grid="43130200100102"),
        row(name="性别不符", gender="男", id_number=ID1[:-1] + "X", grid="43130200100102"),
        row(name="坏电话", id_number=id_number(sequence=9), phone="12345", grid="43130200100102"),
        row(name="无网格", id_number=id_number(sequence=11), grid="99999999999999"),
        row(name="生日不符", birth_date="1949-12-30", id_number=id_number(sequence=13, birth=datetime.date(1949, 12, 31)), grid="43130200100102"),
    ]

    job = start(staff["worker"], write_csv(rows))

    assert (job.status, job.rows, job.created, job.errors) == (ImportStatus.DONE, 9, 2, 7)
    reasons = {(e["row"], e["column"]): e["reason"] for e in job.error_sample}
    assert "check character" in reasons[(4, "公民身份号码")]
    assert "does not exist" in reasons[(5, "公民身份号码")]
    assert reasons[(6, "姓名")] == "required"
    assert "sequence digit" in reasons[(7, "性别")]
    assert "mobile" in reasons[(8, "联系电话")]
    assert "no such grid" in reasons[(9, "网格编码")]
    assert "does not match" in reasons[(10, "出生日期")]
    # The error report: original columns plus row, column and reason, re-importable once fixed.
    sheet = load_workbook(job.error_file.open("rb"), read_only=True).worksheets[0]
    report = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert report[0] == HEADERS + ["行号", "错误列", "错误原因"]
    # Row 7 (性别不符) has row 2's ID number: row 2, imported, comes along as its pair, so
    # that fixing row 7 and importing the report again cannot apply it over row 2's person.
    assert len(report) == 1 + 7 + 1
    assert report[1][0] == "王秀英" and report[1][-3] == 2 and "row 7 of the file has the same ID number" in report[1][-1]
    assert report[2][0] == "坏校验" and report[2][-3] == 4 and "check character" in report[2][-1]
    assert "the same ID number is already in row 2" in report[5][-1] and report[5][-3] == 7


def test_error_messages_follow_the_uploaders_language(staff, write_csv):
    path = write_csv([row(name="坏", id_number="110105194912310021", grid="43130200100102")])
    with open(path, "rb") as handle:
        job = resident_import_start(actor=staff["worker"], upload=File(handle), name="x.csv", language="zh-hans")

    assert "校验" in job.error_sample[0]["reason"]


def test_a_later_duplicate_in_the_file_is_an_error_naming_the_first_row(staff, write_csv):
    rows = good_rows(count=2) + [row(name="重复", id_number=ID1.lower(), grid="43130200100102")]

    job = start(staff["worker"], write_csv(rows))

    assert (job.created, job.errors) == (2, 1)
    assert job.error_sample[0]["row"] == 4
    assert "row 2" in job.error_sample[0]["reason"]
    assert Resident.objects.get(id_hash=crypto.lookup_hash(ID1, field="id_number")).name == "王秀英"


def test_a_grid_outside_the_importers_scope_is_refused(staff, write_csv):
    rows = good_rows(count=2) + [row(name="外区", id_number=id_number(sequence=21), grid="43130200200101")]

    job = start(staff["worker"], write_csv(rows))

    assert (job.created, job.errors) == (2, 1)
    assert job.error_sample[0]["column"] == "网格编码"
    assert not Resident.objects.filter(name="外区").exists()


def test_a_current_resident_of_another_area_is_not_overwritten(staff, write_csv):
    start(staff["other_worker"], write_csv([row(name="花山人", id_number=ID1, grid="43130200200101")], name="a.csv"))

    job = start(staff["worker"], write_csv([row(name="冒名", id_number=ID1, grid="43130200100102")], name="b.csv"))

    assert (job.created, job.updated, job.errors) == (0, 0, 1)
    # One neutral reason: it does not tell that the person is registered elsewhere.
    reason = job.error_sample[0]["reason"]
    assert "may not register or change this person" in reason
    assert "outside" not in reason and "another" not in reason
    # The refusal still tells that the number is someone's: it is logged and budgeted.
    logged = PersonalDataAccess.objects.get(actor=staff["worker"], action="search")
    assert (logged.field, logged.row_count, logged.filters) == ("import", 1, {"import": job.pk})
    assert Resident.objects.get().name == "花山人"


def test_reimporting_the_same_file_creates_no_duplicates(staff, write_csv):
    path = write_csv(good_rows(count=5))
    first = start(staff["worker"], path)

    again = start(staff["worker"], path)

    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    assert (again.rows, again.created, again.updated, again.unchanged, again.errors) == (5, 0, 0, 5, 0)
    assert Resident.objects.count() == 5
    assert (Building.objects.count(), Room.objects.count(), Household.objects.count()) == (2, 5, 1)


def test_a_changed_row_updates_the_resident(staff, write_csv):
    start(staff["worker"], write_csv(good_rows(), name="a.csv"))
    rows = good_rows()
    rows[0][HEADERS.index("联系电话")] = "13900000000"

    job = start(staff["worker"], write_csv(rows, name="b.csv"))

    assert (job.created, job.updated, job.unchanged) == (0, 1, 2)
    assert Resident.objects.get(name="王秀英").phone_mask == "139****0000"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        ("\ufeff".encode() + ",".join(HEADERS).encode() + b"\r\n", "no rows"),
        ("姓名,身份证,地址\r\n张三,1,2\r\n".encode(), "do not match"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV or .xlsx"),
        (b"PK\x03\x04 not really a zip", "not a CSV or .xlsx"),
    ],
    ids=["empty", "headers-only", "wrong-headers", "xls", "image", "broken-zip"],
)
def test_a_file_that_cannot_be_read_gets_one_clear_error(staff, tmp_path, content, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)

    job = start(staff["worker"], path)

    assert job.status == ImportStatus.FAILED
    assert message in job.message
    assert job.created == 0 and not Resident.objects.exists()


def test_wrong_headers_name_the_missing_and_unknown_columns(staff, write_csv):
    headers = [h for h in HEADERS if h != "网格编码"] + ["爱好"]

    job = start(staff["worker"], write_csv([["x"] * len(headers)], headers=headers))

    assert "missing columns: 网格编码" in job.message and "unknown columns: 爱好" in job.message


def test_legacy_ids_are_kept_unless_an_upgrade_is_asked(staff, write_csv):
    path = write_csv([row(name="老号", id_number="110105491231002", grid="43130200100102")])

    kept = start(staff["worker"], path)
    Resident.objects.all().delete()
    upgraded = start(staff["worker"], path, upgrade_ids=True)

    assert kept.created == upgraded.created == 1
    resident = Resident.objects.get()
    assert crypto.decrypt(resident.id_cipher, field="id_number") == "11010519491231002X"
    assert resident.gender == "F"  # sequence 002


def test_large_files_go_to_the_celery_task_which_is_safe_to_run_twice(staff, write_csv, settings, monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    settings.RESIDENT_IMPORT_INLINE_BYTES = 10
    settings.RESIDENT_IMPORT_BATCH = 2
    queued = []
    monkeypatch.setattr(resident_import_task, "delay", lambda import_id: queued.append(import_id))

    with django_capture_on_commit_callbacks(execute=True):
        job = start(staff["worker"], write_csv(good_rows(count=5)))

    assert job.status == ImportStatus.PENDING and queued == [job.pk]
    resident_import_task(job.pk)
    resident_import_task(job.pk)  # a second delivery finds it done
    job.refresh_from_db()
    assert (job.status, job.rows, job.created, job.total_rows, job.progress_percent) == (ImportStatus.DONE, 5, 5, 5, 100)
    assert Resident.objects.count() == 5


def test_an_xlsx_job_counts_its_rows_from_the_sheets_dimension_alone(staff, write_xlsx, tmp_path, settings, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    """Progress needs the row count before the import starts: read from the dimension the
    sheet records (the top of its XML), never by opening the workbook, which read every
    shared string and, for a sheet recording none, every row. A sheet without a dimension
    (openpyxl's write-only mode) counts 0: unknown, not a guess."""
    from openpyxl import Workbook

    settings.RESIDENT_IMPORT_INLINE_BYTES = 10
    monkeypatch.setattr(resident_import_task, "delay", lambda import_id: None)
    monkeypatch.setattr("openpyxl.load_workbook", lambda *args, **kwargs: pytest.fail("the workbook was opened to count"))
    with django_capture_on_commit_callbacks(execute=True):
        job = start(staff["worker"], write_xlsx(good_rows(count=5)))
    resident_import_task(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows, job.created, job.total_rows) == (ImportStatus.DONE, 5, 5, 5)

    streamed = Workbook(write_only=True)
    sheet = streamed.create_sheet()
    sheet.append(HEADERS)
    for cells in good_rows(count=4):
        sheet.append(cells)
    path = tmp_path / "streamed.xlsx"
    streamed.save(path)
    with django_capture_on_commit_callbacks(execute=True):
        job = start(staff["worker"], path)
    resident_import_task(job.pk)
    job.refresh_from_db()
    assert (job.status, job.total_rows) == (ImportStatus.DONE, 0)


def test_the_row_count_follows_the_workbooks_tab_order_and_the_chosen_sheet(staff, tmp_path, settings, monkeypatch,
                                                                           django_capture_on_commit_callbacks):
    """A sheet's part name (sheet1.xml, sheet2.xml) says nothing of its place among the
    tabs: the count follows xl/workbook.xml, and the sheet the importer chose."""
    from openpyxl import Workbook

    from residents.imports.reading import count_rows

    workbook = Workbook()
    later = workbook.active  # xl/worksheets/sheet1.xml, but the second tab
    later.title = "第二页 & 备注"
    for cells in [HEADERS, *good_rows(count=6)]:
        later.append(cells)
    first = workbook.create_sheet("实有人口", 0)
    for cells in [HEADERS, *good_rows(count=3)]:
        first.append(cells)
    path = tmp_path / "tabs.xlsx"
    workbook.save(path)
    assert (count_rows(path), count_rows(path, "实有人口"), count_rows(path, "第二页 & 备注"), count_rows(path, "无此页")) == (3, 3, 6, 0)

    settings.RESIDENT_IMPORT_INLINE_BYTES = 10
    monkeypatch.setattr(resident_import_task, "delay", lambda import_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        job = start(staff["worker"], path, sheet="第二页 & 备注")
    resident_import_task(job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows, job.total_rows) == (ImportStatus.DONE, 6, 6)


def test_a_damaged_xlsx_fails_with_a_clear_message_and_never_stays_running(staff, write_xlsx, tmp_path, settings,
                                                                            monkeypatch, django_capture_on_commit_callbacks):
    """A sheet whose compressed data is damaged: counting its rows gives up quietly (0)
    and the import fails naming the sheet, not with an internal error (nor stays running)."""
    import zipfile

    from residents.imports.reading import count_rows

    good = write_xlsx(good_rows(count=3))
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
    data = bytearray(damaged.read_bytes())
    offset = data.index(b"xl/worksheets/sheet1.xml") + len(b"xl/worksheets/sheet1.xml")  # the local header's name
    data[offset + 8:offset + 40] = bytes(32)  # into the sheet's deflated bytes
    damaged.write_bytes(bytes(data))
    assert count_rows(damaged) == 0

    settings.RESIDENT_IMPORT_INLINE_BYTES = 10
    monkeypatch.setattr(resident_import_task, "delay", lambda import_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        job = start(staff["worker"], damaged)
    resident_import_task(job.pk)
    job.refresh_from_db()
    assert (job.status, job.message) == (ImportStatus.FAILED, "The sheet “Sheet” is damaged and cannot be read: open the file "
                                                              "in Excel, save it again and import it again.")


def test_the_command_imports_a_file(staff, write_csv, capsys):
    path = write_csv(good_rows())

    call_command("import_residents", str(path), "--user", "yuetang_worker")

    assert "3 rows: 3 created" in capsys.readouterr().out
    assert ResidentImport.objects.get().created_by == staff["worker"]


def test_a_long_import_keeps_its_housing_links_when_the_lookup_cache_is_trimmed(staff, write_csv, settings, monkeypatch):
    monkeypatch.setattr("residents.imports.writing._CACHE_LIMIT", 1)
    settings.RESIDENT_IMPORT_BATCH = 2

    job = start(staff["worker"], write_csv(good_rows(count=7)))

    assert (job.status, job.created, job.errors) == (ImportStatus.DONE, 7, 0), job.message
    assert Resident.objects.filter(room__isnull=False).count() == 7


def test_text_with_tabs_backslashes_and_line_breaks_arrives_as_written(staff, write_csv):
    address = "月塘路\t8号\\B座\r\n二楼"
    rows = good_rows(count=2)
    rows[0][HEADERS.index("户籍地址")] = address
    rows[1][HEADERS.index("姓名")] = "李\\强"

    job = start(staff["worker"], write_csv(rows))

    assert (job.created, job.errors) == (2, 0), job.error_sample
    assert Resident.objects.get(name="王秀英").registered_address == address
    assert Resident.objects.filter(name="李\\强").exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_batches_are_written_behind_validation_with_the_same_outcome(staff, write_csv, settings):
    """On PostgreSQL a thread with its own connection writes each batch while the next
    is validated (elsewhere batches are written in turn): same counts, same report."""
    settings.RESIDENT_IMPORT_BATCH = 2
    start(staff["other_worker"], write_csv([row(name="花山人", id_number=ID2, grid="43130200200101")], name="a.csv"))
    rows = good_rows(count=7)
    rows.insert(3, row(name="坏校验", id_number="110105194912310021", grid="43130200100102"))

    switch_interval = sys.getswitchinterval()

    first = start(staff["worker"], write_csv(rows, name="b.csv"))
    again = start(staff["worker"], write_csv(rows, name="b.csv"))

    assert sys.getswitchinterval() == switch_interval  # lowered for the import only

    assert (first.status, first.rows, first.created, first.updated, first.errors) == (ImportStatus.DONE, 8, 6, 0, 2)
    assert {(e["row"], e["column"]) for e in first.error_sample} == {(3, "公民身份号码"), (5, "公民身份号码")}
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 6, 2)
    assert Resident.objects.get(id_hash=crypto.lookup_hash(ID2, field="id_number")).name == "花山人"
    assert Resident.objects.filter(room__isnull=False).count() == 6


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_fails_stops_the_import_and_the_batches_before_it_stay(staff, write_csv, settings, monkeypatch):
    from residents.imports import writing

    settings.RESIDENT_IMPORT_BATCH = 2
    real, calls, collecting = writing.write_batch, [], []

    def second_fails(rows, places, scope_paths, **links):
        calls.append(len(rows))
        collecting.append(gc.isenabled())
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(rows, places, scope_paths, **links)

    monkeypatch.setattr(writing, "write_batch", second_fails)

    with pytest.raises(RuntimeError):
        start(staff["worker"], write_csv(good_rows(count=7)))

    job = ResidentImport.objects.get()
    assert job.status == ImportStatus.FAILED and "internal error" in job.message
    assert Resident.objects.count() == 2  # the first batch; nothing of the second or after
    assert collecting == [False, False] and gc.isenabled()  # the cycle collector paused for the import only


def test_the_first_batch_is_small_so_writing_starts_early_and_every_row_is_written(staff, write_csv, settings, monkeypatch):
    """The database starts on a small first batch while the rest are checked; then full
    batches. Progress is reported after each: the first after the small one."""
    from residents.imports import import_file

    monkeypatch.setattr("residents.imports._FIRST_BATCH", 2)
    settings.RESIDENT_IMPORT_BATCH = 4
    progress = []

    result, _report = import_file(actor=staff["worker"], path=write_csv(good_rows(count=7)),
                                  on_progress=lambda result, report: progress.append(result.created))

    assert progress == [2, 6, 7]
    assert (result.rows, result.created, result.errors) == (7, 7, 0)
    assert Resident.objects.count() == 7
