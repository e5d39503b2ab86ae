from django.core.management.base import BaseCommand

from workflow.sweep import timers_sweep


class Command(BaseCommand):
    help = "Run one sweep of due SLA timers (what Celery beat runs every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        report = timers_sweep(batch_size=batch_size)
        self.stdout.write(
            f"timers {report.timers}, warned {report.warned}, overdue {report.overdue}, "
            f"escalated {report.escalated}, not escalated {report.escalation_refused}, batches {report.batches}"
        )
