"""Importing residents from the CSV and .xlsx files grid workers keep (docs/residents.md).

The file is streamed: rows are read one at a time (``reading``: ``csv`` / openpyxl
read-only), validated in plain Python against maps loaded once (``validation``: grid
code → grid in the importer's scope), and written in batches (``writing``): buildings,
units, rooms and households upserted on their natural keys, then residents upserted on
the keyed hash of the ID number — on PostgreSQL through ``COPY``, elsewhere through
``bulk_create`` — while the next batch is being validated. Memory stays bounded by the
batch size (plus one small entry per ID number seen, for duplicates inside the file).

A bad row never stops the good ones and is never dropped silently: each gets its row
number, column and reason, and all of them go to an .xlsx error report with the
original columns plus the reasons, to fix and import again. Importing the same file
again changes nothing.
"""

import datetime
import gc
import io
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook

from accounts.scoping import user_scope
from residents.files import clear_path
from residents.imports.batches import BatchWriter, writes_in_thread
from residents.imports.columns import ERROR_HEADERS, HEADERS, RESIDENT_COLUMNS
from residents.imports.csvlines import LineProblem
from residents.imports.parallel import CheckingPool, outcomes_in_process
from residents.imports.reading import ImportFileError, count_rows, header_fits, read_table, rows_numbered
from residents.imports.report import ErrorReport, RowError
from residents.imports.validation import R_GRID, R_ID_MASK, RowValidator
from residents.imports.writing import PlaceCache, kept_columns, write_batch
from residents.imports.zeroed import ZeroedIds
from residents.models import AccessAction, ImportKind, ImportStatus, Resident, ResidentImport
from residents.privacy import can_import, refused_row_reason
from residents.rotation import rekeying_pending
from residents.services import access_log_record
from residents.signals import registry_changed

__all__ = ["HEADERS", "ImportFileError", "ImportResult", "PlaceCache", "import_file", "resident_import_run",
           "resident_import_start", "template_workbook", "write_batch"]

logger = logging.getLogger(__name__)


@dataclass
class ImportResult:
    """Rows read = created + updated + unchanged + errors, always."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    error_sample: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Rows refused because the person is not the importer's to write (see refused_row_reason).
    refused: int = 0


_FIRST_BATCH = 1000


@contextmanager
def _without_cycle_collection():
    """Python's cycle collector paused (as a decorator: for the call). Its passes over
    the rows in flight and the housing cache's keys took 15–25% of an import's Python
    CPU (100,000 rows: ~1.5 s of ~7 s under load), and an import makes no reference
    cycles row by row (30 objects of cyclic garbage in all for 100,000 rows), so memory
    does not grow meanwhile; reference counting frees everything else as before. The
    collector runs again afterwards unless it was off already (another import)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_without_cycle_collection()
def import_file(*, actor, path, upgrade_ids: bool = False, sheet: str = "", on_progress=None) -> tuple[ImportResult, ErrorReport]:
    """Import one file as ``actor`` (``None``: the system, whole tree). Raises
    ``ImportFileError`` when the file as a whole cannot be read; otherwise every row is
    imported, unchanged or reported."""
    try:
        table = read_table(path, RESIDENT_COLUMNS, sheet=sheet)
    except ImportFileError as error:
        from residents.imports.places import PLACE_COLUMNS

        raise other_kind(error, PLACE_COLUMNS, _("key places")) from None
    validator = RowValidator(actor=actor, positions=table.positions, upgrade_ids=upgrade_ids)
    scope = user_scope(actor) if actor is not None else None
    scope_paths = None if scope is None or scope.is_global else scope.area_paths
    # Worker processes check the rows of a big file written by a thread (parallel);
    # forked before that thread starts.
    pool = None
    if writes_in_thread() and settings.RESIDENT_IMPORT_PROCESSES > 0 and \
            os.path.getsize(path) > settings.RESIDENT_IMPORT_INLINE_BYTES:
        try:
            pool = CheckingPool(validator, settings.RESIDENT_IMPORT_PROCESSES)
        except (AssertionError, OSError) as error:  # a daemonic process may not fork workers; out of processes
            logger.warning("resident import: rows checked in the importing process (%s)", error)
    writer = BatchWriter(PlaceCache(), scope_paths, kept_columns(table.positions))
    report = ErrorReport(table.header, ERROR_HEADERS, reread=lambda numbers: rows_numbered(path, RESIDENT_COLUMNS, sheet, numbers))
    result = ImportResult(notes=table.notes)
    batch: list[list] = []
    originals: dict[int, list] = {}  # the cells of the batch's rows, for those refused when written
    # The first batch is small, so the database starts writing while the next rows are
    # checked (with a full batch first it idled for the time of checking one).
    full_batch = settings.RESIDENT_IMPORT_BATCH
    batch_size = max(1, min(full_batch, _FIRST_BATCH))
    add_error = report.add

    changed_grids: set[int] = set()  # of batches that created or changed someone: campaigns follow them

    def written(finished):
        for (created, updated, unchanged, refused, left), (cells, grids, *held) in finished:
            if created or updated:
                changed_grids.update(grids)
                changed_grids.update(left)
            result.created += created
            result.updated += updated
            result.unchanged += unchanged
            result.refused += len(refused)
            for line in sorted(refused):
                add_error(line, cells[line], [RowError(line, "公民身份号码", refused_row_reason())],
                          written=True, held=bool(held))  # (the rows held back: their own stream, in order too)
            if on_progress is not None:
                on_progress(result, report)

    outcomes = pool.outcomes(table.rows) if pool is not None else outcomes_in_process(table.rows, validator)
    skipped = 0
    zeroed = ZeroedIds(table.positions["id_number"], table.header)
    failed = True
    try:
        for number, raw, values, errors in outcomes:
            result.rows += 1
            if raw.__class__ is LineProblem:
                add_error(number, raw.cells, [RowError(number, "", raw.reason)])
                zeroed.saw([], raw.cells)
                continue
            if errors:
                if validator.blank(raw):  # only cells of columns not imported (序号): an empty row
                    result.rows -= 1
                    skipped += 1
                    continue
                duplicate = validator.refused_duplicate(number, raw, errors)
                add_error(number, raw, errors if duplicate is None else [*errors, duplicate])
                zeroed.saw(errors, raw)
                continue
            if values[R_ID_MASK].endswith("000") and zeroed.held(number, raw, values, add_error):
                continue
            batch.append(values)
            originals[number] = raw
            if len(batch) >= batch_size:
                written(writer.submit(batch, (originals, {row[R_GRID] for row in batch})))
                batch, originals, batch_size = [], {}, full_batch
        if batch:
            written(writer.submit(batch, (originals, {row[R_GRID] for row in batch})))
        if held := zeroed.finish(add_error):  # no ID number of the file was Excel's: theirs are real
            rows = [values for _number, _raw, values in held]
            written(writer.submit(rows, ({number: raw for number, raw, _values in held}, {row[R_GRID] for row in rows}, True)))
        written(writer.finish())
        failed = False
    finally:
        writer.close()
        if pool is not None:
            pool.close(failed=failed)
    if changed_grids:  # (an import that failed half-way is caught up by the campaigns' nightly refresh)
        with transaction.atomic():
            registry_changed.send(sender=Resident, grid_ids=sorted(changed_grids))
    if result.rows == 0:
        raise ImportFileError(_("The file has headers but no rows."))
    if skipped:
        result.notes.append(empty_rows_note(skipped))
    result.errors = report.count
    result.error_sample = report.sample
    return result, report


def other_kind(error: ImportFileError, columns, kind: str) -> ImportFileError:
    """``error`` (a file refused as a whole), saying so when the file's header is one of
    the other kind of ledger (a key places ledger uploaded as residents): choose that kind."""
    if not header_fits(error, columns):
        return error
    return ImportFileError(_("%(error)s This file looks like a ledger of %(kind)s: choose “%(kind)s” and upload it again.")
                           % {"error": error, "kind": kind})


def empty_rows_note(count: int) -> str:
    return ngettext("%(count)s row with nothing in the columns imported (only a 序号 or other columns not in the template) "
                    "was skipped as empty.",
                    "%(count)s rows with nothing in the columns imported (only a 序号 or other columns not in the template) "
                    "were skipped as empty.", count) % {"count": count}


def template_workbook() -> bytes:
    """The blank template (.xlsx): the headers, and a sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "实有人口"
    sheet.append(HEADERS)
    for letter in ("D", "E", "I"):
        for cell in sheet[letter][1:1000]:
            cell.number_format = "@"
    sheet.column_dimensions["D"].width = 22
    help_sheet = workbook.create_sheet("说明")
    help_sheet.append(["列", "必填", "说明"])
    for header, required, note in TEMPLATE_NOTES:
        help_sheet.append([header, "是" if required else "", note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TEMPLATE_NOTES = [
    ("姓名", True, "最多 50 字"),
    ("性别", False, "男 / 女；与身份证号第 17 位一致，可不填"),
    ("出生日期", False, "1980-01-31；与身份证号一致，可不填"),
    ("公民身份号码", True, "18 位（末位可为 X）或 15 位旧号；请设为文本格式"),
    ("联系电话", False, "11 位手机号或带区号的固定电话"),
    ("民族", False, "如 汉族"),
    ("人员类型", False, "户籍 / 流动 / 寄住 / 境外 / 未落户；默认户籍"),
    ("户籍地址", False, ""),
    ("网格编码", True, "须为您管辖范围内的网格"),
    ("楼栋", False, "如 3栋；不存在时自动建立"),
    ("单元", False, "如 1单元"),
    ("房号", False, "如 301；填写房号须填楼栋"),
    ("户号", False, "同一网格内的户号相同即为同一户"),
    ("与户主关系", False, "户主 / 配偶 / 子女 / 父母 / 其他"),
    ("入住日期", False, "2020-05-01"),
]


# --- The import job (page, API, command, Celery task) ----------------------------------------

STALE_AFTER = datetime.timedelta(minutes=10)


def resident_import_start(*, actor, upload, name: str, upgrade_ids: bool = False, sheet: str = "", language: str = "zh-hans",
                          run_inline: bool | None = None, kind: str = ImportKind.RESIDENTS) -> ResidentImport:
    """Record an import of ``upload`` (a Django ``File``; ``kind``: residents or key
    places) and run it: inline when the file is small (or ``run_inline``), otherwise in
    the Celery worker once this transaction commits."""
    from residents.tasks import resident_import_task

    if actor is not None and not can_import(actor):
        raise PermissionDenied(_("Your role may not import residents."))
    job = ResidentImport(created_by=actor, original_name=name[:200], upgrade_ids=upgrade_ids, sheet=sheet[:100],
                         language=language, kind=ImportKind(kind))
    job.file.save(name, upload, save=False)
    job.save()
    if run_inline is None:
        run_inline = job.file.size <= settings.RESIDENT_IMPORT_INLINE_BYTES
    if run_inline:
        resident_import_run(import_id=job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: resident_import_task.delay(job.pk))
    return job


def _claim(import_id: int) -> ResidentImport | None:
    """Mark the job running unless it is finished or running elsewhere (so a task
    delivered twice runs once); a job whose runner went silent is taken over."""
    with transaction.atomic():
        job = ResidentImport.objects.select_for_update().filter(pk=import_id).first()
        if job is None or job.is_finished:
            return None
        now = timezone.now()
        if job.status == ImportStatus.RUNNING and job.heartbeat_at and now - job.heartbeat_at < STALE_AFTER:
            return None
        job.status = ImportStatus.RUNNING
        job.started_at = job.heartbeat_at = now
        job.save(update_fields=["status", "started_at", "heartbeat_at"])
        return job


REKEYING_RETRY_SECONDS = 60


def resident_import_run(*, import_id: int) -> None:
    if rekeying_pending():
        # People are matched by the ID hash, which is being re-keyed: wait for the rotation.
        from residents.tasks import resident_import_task

        ResidentImport.objects.filter(pk=import_id, status=ImportStatus.PENDING).update(
            message=_("Waiting: ID numbers are being re-keyed; the import starts when that is done."))
        transaction.on_commit(lambda: resident_import_task.apply_async((import_id,), countdown=REKEYING_RETRY_SECONDS))
        return
    job = _claim(import_id)
    if job is None:
        return
    actor = job.created_by
    # The stored file is encrypted (residents.files): the reader gets a private clear copy.
    with clear_path(job.file) as path:
        _run(job, actor, path)


def _run(job: ResidentImport, actor, path: str) -> None:
    ResidentImport.objects.filter(pk=job.pk).update(total_rows=count_rows(path, job.sheet))

    def progress(result: ImportResult, report: ErrorReport):
        ResidentImport.objects.filter(pk=job.pk).update(
            rows=result.rows, created=result.created, updated=result.updated, unchanged=result.unchanged,
            errors=report.count, heartbeat_at=timezone.now(),
        )

    with translation.override(job.language):
        try:
            if job.kind == ImportKind.KEY_PLACES:  # a few thousand rows: no progress to show
                from residents.imports.places import key_places_import

                result, report = key_places_import(actor=actor, path=path, sheet=job.sheet)
            else:
                result, report = import_file(actor=actor, path=path, upgrade_ids=job.upgrade_ids, sheet=job.sheet,
                                             on_progress=progress)
        except ImportFileError as error:
            job.status, job.message, job.finished_at = ImportStatus.FAILED, str(error), timezone.now()
            job.save(update_fields=["status", "message", "finished_at"])
            return
        except Exception:
            logger.exception("resident import %s failed", job.pk)
            job.status, job.finished_at = ImportStatus.FAILED, timezone.now()
            job.message = _("The import stopped because of an internal error; the rows written so far stay. Try again or ask an administrator.")
            job.save(update_fields=["status", "message", "finished_at"])
            raise
        error_file = report.save()
    if error_file is not None:
        job.error_file.save(f"import-{job.pk}-errors.xlsx", error_file, save=False)
    job.status, job.finished_at = ImportStatus.DONE, timezone.now()
    job.rows, job.created, job.updated, job.unchanged = result.rows, result.created, result.updated, result.unchanged
    job.errors, job.error_sample, job.notes = result.errors, result.error_sample, result.notes
    job.save(update_fields=["status", "finished_at", "rows", "created", "updated", "unchanged", "errors", "error_sample", "notes",
                            "error_file"])
    if result.refused and actor is not None:
        # A refusal tells the importer that the number belongs to someone: logged, and
        # counted against the exact-search budget like a search that matched.
        access_log_record(actor=actor, action=AccessAction.SEARCH, field="import", row_count=result.refused,
                          filters={"import": job.pk})
