from django.core.management.base import BaseCommand, CommandError

from workflow.sweep import timers_sweep_exclusive


class Command(BaseCommand):
    help = "Run one sweep of due SLA timers (what Celery beat runs every minute), reporting progress per batch."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        def progress(report):
            self.stderr.write(f"… {report.timers} timers, {report.escalated} escalated, batch {report.batches}")

        report = timers_sweep_exclusive(batch_size=batch_size, progress=progress if options["verbosity"] > 1 else None)
        if report is None:
            raise CommandError("another sweep is running (see the sweep run row in the admin); try again later")
        self.stdout.write(
            f"timers {report.timers}, warned {report.warned}, overdue {report.overdue}, "
            f"escalated {report.escalated}, not escalated {report.escalation_refused}, batches {report.batches}"
        )
