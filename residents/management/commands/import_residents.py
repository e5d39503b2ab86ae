from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from residents.imports import resident_import_start
from residents.management.options import file_and_actor
from residents.models import ImportStatus


class Command(BaseCommand):
    help = "Import residents from a CSV or .xlsx file in the residents template layout (see docs/residents.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV or .xlsx file (told apart by content)")
        parser.add_argument("--user", help="import as this user, within their scope (default: the system, whole tree)")
        parser.add_argument("--upgrade-ids", action="store_true", help="store 15-digit ID numbers in their 18-character form")
        parser.add_argument("--sheet", default="", help=".xlsx: the sheet to read (default: the first)")
        parser.add_argument("--language", default="zh-hans", help="language of the error report (zh-hans or en)")

    def handle(self, *args, file, user, upgrade_ids, sheet, language, **options):
        path, actor = file_and_actor(file, user)
        with path.open("rb") as handle:
            try:
                job = resident_import_start(actor=actor, upload=File(handle), name=path.name, upgrade_ids=upgrade_ids,
                                            sheet=sheet, language=language, run_inline=True)
            except PermissionDenied as error:
                raise CommandError(str(error)) from None
        if job.status == ImportStatus.FAILED:
            raise CommandError(job.message)
        for note in job.notes:
            self.stdout.write(note)
        self.stdout.write(
            f"{job.rows} {'row' if job.rows == 1 else 'rows'}: {job.created} created, {job.updated} updated, {job.unchanged} unchanged, {job.errors} with errors"
        )
        if job.error_file:
            self.stdout.write(f"Error report (encrypted at rest): /residents/imports/{job.pk}/errors.xlsx")
