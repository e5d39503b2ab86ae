from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from assessment.periods import PeriodError, last_month, period_parse
from assessment.services import AssessmentError, assessment_snapshot, points_award


class Command(BaseCommand):
    help = ("Freeze the assessment of an ended period (month 2026-10, week 2026-W40, quarter 2026-Q3, day or "
            "range 2026-10-01..2026-10-15; default: last month) and award its points. A frozen period stays as it is.")

    def add_arguments(self, parser):
        parser.add_argument("--period", help="the period (default: last month)")
        parser.add_argument("--no-points", action="store_true", help="do not award points")
        parser.add_argument("--recount-points", action="store_true",
                            help="read every source of the period again (after a rule was added or switched on), "
                                 "not only what is new")

    def handle(self, *args, period, no_points, recount_points, **options):
        try:
            chosen = period_parse(period) if period else last_month()
            snapshot, created = assessment_snapshot(actor=None, period=chosen)
        except (PeriodError, AssessmentError) as error:
            raise CommandError(str(error)) from None
        rows = snapshot.rows.count()
        if created:
            self.stdout.write(_("Froze %(period)s: %(rows)d units in %(seconds).1f s.")
                              % {"period": snapshot.label, "rows": rows, "seconds": snapshot.seconds})
        else:
            self.stdout.write(_("%(period)s was already frozen on %(at)s (%(rows)d units); left as it is.")
                              % {"period": snapshot.label, "at": snapshot.created_at.strftime("%Y-%m-%d %H:%M"),
                                 "rows": rows})
        if not no_points:
            added = points_award(actor=None, period=chosen, full=recount_points)
            self.stdout.write(_("Point entries added: %(count)d.") % {"count": added})
