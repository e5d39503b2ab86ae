from django.core.management.base import BaseCommand, CommandError

from residents import crypto
from residents.rotation import pii_key_rotate


class Command(BaseCommand):
    help = ("Re-encrypt every protected value (residents' ID and phone numbers, reporters' names and contacts) "
            "and every stored import file under the current GOVERNANCE_PII_KEY, rebuilding the hash index; "
            "online, resumable after a crash, idempotent (docs/residents.md, Keys).")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction (default 1000)")
        parser.add_argument("--pause", type=float, default=0.0, help="seconds to wait between batches, to spare a busy database")

    def handle(self, *args, batch, pause, **options):
        if not crypto.old_keys():
            raise CommandError(
                "GOVERNANCE_PII_OLD_KEYS is empty: set GOVERNANCE_PII_KEY to the new key and GOVERNANCE_PII_OLD_KEYS "
                "to the old one in every process (web, worker, beat), restart them, then run this command.")
        self.stdout.write(f"rotating to key {crypto.keys().key_id} (old: {', '.join(k.key_id for k in crypto.old_keys())})")
        done = pii_key_rotate(log=self.stdout.write, batch=batch, pause=pause)
        self.stdout.write(self.style.SUCCESS(
            f"done: {sum(done.values())} values and files rewritten. Remove GOVERNANCE_PII_OLD_KEYS from every process "
            "and restart them."))
