"""The import test corpus (tests/residents/files/, written by its generate.py): each file
imported as a grid worker; the counts add up and every row has its expected outcome —
imported (the person is there) or reported in the error report with its row number,
column and reason."""

import json
from pathlib import Path

import pytest
from django.core.files import File
from django.db import connection
from openpyxl import load_workbook

from residents import crypto
from residents.imports import resident_import_start
from residents.models import ImportStatus, Resident

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
EXPECTED = json.loads((FILES / "expected.json").read_text())


def start(actor, name: str, sheet: str = ""):
    with (FILES / name).open("rb") as handle:
        return resident_import_start(actor=actor, upload=File(handle), name=name, sheet=sheet, language="en", run_inline=True)


def report_rows(job) -> dict[int, tuple[str, str]]:
    """row number → (column, reason) of every row in the job's error report."""
    if not job.error_file:
        return {}
    with job.error_file.open("rb") as handle:
        sheet = load_workbook(handle, read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    at = {name: header.index(name) for name in ("行号", "错误列", "错误原因")}
    return {row[at["行号"]]: (row[at["错误列"]] or "", row[at["错误原因"]] or "") for row in rows[1:]}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_every_row_of_the_corpus_has_its_expected_outcome(staff, case):
    expected = EXPECTED[case]
    name = case.split("#")[0]
    for before in expected.get("before", []):
        assert start(staff["worker"], before).status == ImportStatus.DONE

    job = start(staff["worker"], name, expected.get("sheet", ""))

    assert job.status == ImportStatus.DONE, job.message
    # Every line accounted for: rows read = imported + unchanged + reported.
    assert job.rows == job.created + job.updated + job.unchanged + job.errors
    assert (job.rows, job.created + job.updated + job.unchanged, job.errors) == (expected["rows"], expected["ok"], expected["errors"])
    if "updated" in expected:
        assert job.updated == expected["updated"]
    if "residents" in expected:
        assert Resident.objects.count() == expected["residents"]
    reported = report_rows(job)
    # The first row of each in-file duplicate was imported; the report carries it along.
    partners = {number for number, (_column, reason) in reported.items() if reason.startswith("this row was imported")}
    names = set(Resident.objects.values_list("name", flat=True))
    for number, outcome in expected["outcomes"].items():
        if outcome[0] == "ok":
            assert outcome[1] in names, f"row {number} ({outcome[1]}) was not imported: {reported.get(int(number))}"
            assert int(number) not in reported or int(number) in partners
        else:
            column, reason = reported[int(number)]
            assert outcome[1] in column and outcome[2] in reason, (number, column, reason)
    assert set(reported) - partners == {int(n) for n, outcome in expected["outcomes"].items() if outcome[0] == "error"}
    notes = " ".join(job.notes)
    for note in expected.get("notes", []):
        assert note in notes, notes
    for person, number in expected.get("same_person", {}).items():
        assert Resident.objects.get(id_hash=crypto.lookup_hash(number, field="id_number")).name == person
    for person, phone in expected.get("phones", {}).items():
        assert Resident.objects.get(name=person).phone_hash == crypto.lookup_hash(phone, field="phone")
    for person, address in expected.get("addresses", {}).items():
        assert Resident.objects.get(name=person).registered_address == address
    assert not Resident.objects.filter(name__contains="\ufffd").exists()
    assert not Resident.objects.filter(name__startswith="'").exists()


def test_a_later_ascii_import_of_a_full_width_id_finds_the_same_person(staff, write_csv):
    from tests.residents.conftest import row

    start(staff["worker"], "lookalike_digits.csv")
    wide = Resident.objects.get(name="全角号码")
    number = EXPECTED["lookalike_digits.csv"]["same_person"]["全角号码"]

    with write_csv([row(name="全角号码", id_number=number, phone="13800138003", grid="43130200100102", building="1栋",
                        room="103")]).open("rb") as handle:
        job = resident_import_start(actor=staff["worker"], upload=File(handle), name="ascii.csv", language="en")

    assert (job.created, job.errors) == (0, 0)
    assert Resident.objects.filter(name="全角号码").count() == 1 and Resident.objects.get(name="全角号码").pk == wide.pk


def test_a_landline_is_found_by_any_spelling(staff):
    from residents.selectors import resident_search

    start(staff["worker"], "landlines.csv")

    for spelling in ("0738-8312345", "０７３８－８３１２３４５", "(0738) 831 2345"):
        assert {hit.resident.name for hit in resident_search(staff["worker"], spelling)} == {"座机1", "座机2", "座机3", "座机4"}


def test_the_excel_number_message_is_given_as_written_in_chinese(staff):
    with (FILES / "excel_numeric_ids.csv").open("rb") as handle:
        job = resident_import_start(actor=staff["worker"], upload=File(handle), name="ids.csv", language="zh-hans", run_inline=True)

    reasons = {e["reason"] for e in job.error_sample}
    assert reasons == {"Excel 把身份证号存成了数字，后几位已丢失：请把该列设为文本后重新填写"}


@pytest.mark.parametrize("case", sorted(case for case in EXPECTED if ".xlsx" in case))
def test_a_sheet_too_big_for_memory_is_streamed_with_the_same_outcomes(staff, settings, case):
    settings.IMPORT_XLSX_CALAMINE_CELLS = 1  # every sheet "too big": openpyxl's read-only stream

    test_every_row_of_the_corpus_has_its_expected_outcome(staff, case)


# One case of each kind: line problems, encodings, .xlsx cells, in-file duplicates, an
# import before, a second sheet.
POOLED_CASES = ["unbalanced_quote.csv", "long_cell_and_cell_counts.csv", "gbk_rows_after_utf8.csv", "excel_numeric_ids.xlsx",
                "excel_errors.xlsx", "excel_errors.csv",
                "id_15_18_pairs.csv", "id_18_after_15.csv", "formula_guard.csv", "ledger_merged_header.xlsx#二组"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes check rows only on PostgreSQL (batches.writes_in_thread)")
@pytest.mark.parametrize("case", POOLED_CASES)
def test_rows_checked_by_worker_processes_have_the_same_outcomes(staff, settings, monkeypatch, case):
    """A big file (here: every file, the threshold lowered) outside a transaction: rows
    checked in forked worker processes, a few rows a chunk, and written by the housing
    and residents threads a few rows a batch — row for row the outcomes of the
    in-process path, duplicates inside the file and line problems included."""
    from residents.imports import parallel

    settings.RESIDENT_IMPORT_INLINE_BYTES = 0
    settings.RESIDENT_IMPORT_PROCESSES = 2
    settings.RESIDENT_IMPORT_BATCH = 3
    monkeypatch.setattr(parallel, "CHUNK", 2)
    pools = []
    real_init = parallel.CheckingPool.__init__

    def counted(self, *args, **kwargs):
        pools.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(parallel.CheckingPool, "__init__", counted)

    test_every_row_of_the_corpus_has_its_expected_outcome(staff, case)

    assert len(pools) == 1 + len(EXPECTED[case].get("before", []))


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes check rows only on PostgreSQL (batches.writes_in_thread)")
def test_an_id_zeroed_by_excel_is_refused_in_chinese_when_worker_processes_check_the_rows(staff, settings):
    settings.RESIDENT_IMPORT_INLINE_BYTES = 0
    settings.RESIDENT_IMPORT_PROCESSES = 2
    with (FILES / "excel_errors.csv").open("rb") as handle:
        job = resident_import_start(actor=staff["worker"], upload=File(handle), name="errors.csv", language="zh-hans",
                                    run_inline=True)

    reasons = {e["row"]: e["reason"] for e in job.error_sample}
    assert (job.created, job.errors) == (1, 4), reasons
    assert reasons[4].startswith("以 000 结尾，与本文件中被 Excel 存成数字的身份证号一样"), reasons
