"""``manage.py readiness [CHECK …]``: the /readyz checks from the command line, exit 1
when one fails (the beat container's health check: ``deploy/entrypoint.sh ready heartbeat``)."""

import json

from django.core.management.base import BaseCommand, CommandError

from governance.health import CHECKS, readiness


class Command(BaseCommand):
    help = "Run the readiness checks (database, migrations, cache, broker, heartbeat); exit 1 if one fails."

    def add_arguments(self, parser):
        parser.add_argument("checks", nargs="*", choices=sorted(CHECKS), help="only these checks")

    def handle(self, *args, checks, **options):
        results = readiness(only=checks or None)
        self.stdout.write(json.dumps(results))
        if any(value != "ok" for value in results.values()):
            raise CommandError("not ready: " + ", ".join(f"{name}={value}" for name, value in results.items() if value != "ok"))
