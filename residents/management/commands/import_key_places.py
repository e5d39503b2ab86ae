import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from residents.imports.places import key_places_import
from residents.imports.reading import ImportFileError
from residents.management.options import file_and_actor
from residents.privacy import can_import


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
        if actor is not None and not can_import(actor):
            # The same permission of roles as the residents import (RESIDENT_IMPORT_ROLES).
            with translation.override(language):
                raise CommandError(_("Your role may not import residents."))
        with translation.override(language):
            try:
                result, errors = key_places_import(actor=actor, path=path, sheet=sheet)
            except ImportFileError as error:
                raise CommandError(str(error)) from None
            saved = errors.save()
        for note in result.notes:
            self.stdout.write(note)
        self.stdout.write(f"{result.rows} {'row' if result.rows == 1 else 'rows'}: {result.created} created, {result.updated} updated, "
                          f"{result.unchanged} unchanged, {result.errors} with errors")
        if saved is not None:
            target = Path(report) if report else path.with_name(f"{path.stem}-errors.xlsx")
            # The report holds the refused rows' personal data (contacts): readable by
            # its owner only, like the stored import files (residents.files).
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(saved.read())
            self.stdout.write(f"Error report: {target}")
