from django.core.management.base import BaseCommand

from workflow.calendar import invalidate, missing_years
from workflow.calendar_seed import calendar_seed


class Command(BaseCommand):
    help = ("Copy official holidays and make-up workdays from the installed chinesecalendar "
            "package into the default work calendar (adds new years, keeps admins' edits).")

    def handle(self, *args, **options):
        calendar = calendar_seed()
        invalidate()
        years = ", ".join(str(year) for year in calendar.years.values_list("year", flat=True))
        self.stdout.write(f"{calendar.name}: official data for {years}")
        missing = missing_years()
        if missing:
            self.stdout.write(self.style.WARNING(
                f"No official data for {', '.join(map(str, missing))}: Monday–Friday is used until an admin enters it."))
