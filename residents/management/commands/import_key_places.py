from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from residents.imports.places import key_places_import
from residents.imports.reading import ImportFileError
from residents.management.options import file_and_actor


class Command(BaseCommand):
    help = "Import key places (重点场所) from a CSV or .xlsx file (see docs/residents.md, Key places)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV or .xlsx file (told apart by content)")
        parser.add_argument("--user", help="import as this user, within their scope (default: the system, whole tree)")
        parser.add_argument("--sheet", default="", help=".xlsx: the sheet to read (default: the first)")
        parser.add_argument("--report", help="where to write the error report (default: FILE-errors.xlsx next to the file)")
        parser.add_argument("--language", default="zh-hans", help="language of the messages (zh-hans or en)")

    def handle(self, *args, file, user, sheet, report, language, **options):
        path, actor = file_and_actor(file, user)
        with translation.override(language):
            try:
                result, errors = key_places_import(actor=actor, path=path, sheet=sheet)
            except ImportFileError as error:
                raise CommandError(str(error)) from None
            saved = errors.save()
        for note in result.notes:
            self.stdout.write(note)
        self.stdout.write(f"{result.rows} rows: {result.created} created, {result.updated} updated, "
                          f"{result.unchanged} unchanged, {result.errors} with errors")
        if saved is not None:
            target = Path(report) if report else path.with_name(f"{path.stem}-errors.xlsx")
            target.write_bytes(saved.read())
            self.stdout.write(f"Error report: {target}")
