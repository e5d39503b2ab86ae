from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from grids.imports import grids_import


class Command(BaseCommand):
    help = "Create or update areas and grids from a GeoJSON FeatureCollection (see docs/grids.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="GeoJSON file (UTF-8)")
        parser.add_argument(
            "--user", help="import as this user: only inside the subtrees where they hold the admin role (default: system)"
        )

    def handle(self, *args, file, user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(_("No active user %(user)s.") % {"user": user})
        try:
            report = grids_import(actor=actor, raw=path.read_bytes())
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from None
        for problem in report.errors:
            self.stderr.write(self.style.ERROR(_("Error, %(problem)s") % {"problem": problem}))
        for problem in report.warnings:
            self.stderr.write(self.style.WARNING(_("Warning, %(problem)s") % {"problem": problem}))
        self.stdout.write(
            _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(failed)s failed.")
            % {
                "created": len(report.created),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
                "failed": len(report.errors),
            }
        )
        if report.errors:
            raise CommandError(
                _("%(count)s features were not imported; fix them and run the import again (the others are in).")
                % {"count": len(report.errors)}
            )
