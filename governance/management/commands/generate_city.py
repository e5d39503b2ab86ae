import argparse
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from governance.generation import GenerationError, city_delete, generate_city
from grids.models import Area


class Command(BaseCommand):
    help = "Generate a synthetic city of N grids (areas, polygons, departments, staff), reproducibly from a seed."

    def add_arguments(self, parser):
        parser.add_argument("--grids", type=int, help="number of grids (not with --add-events)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same city)")
        parser.add_argument("--city-code", default="439900000000", help="12-digit city code (default 439900000000)")
        parser.add_argument("--city-name", default="示范市")
        parser.add_argument("--password", default="city12345", help="password of every generated account")
        parser.add_argument("--replace", action="store_true", help="delete a city with this code first")
        parser.add_argument("--residents", type=int, default=0, help="generate this many residents with their housing")
        parser.add_argument("--residents-file", help="also write the residents as a CSV import file to this path")
        parser.add_argument("--events", type=int, default=0, help="also generate N events over the past year")
        parser.add_argument("--open-events", action="store_true", help="make every generated event an open one")
        parser.add_argument("--span-days", type=int, default=365, help="spread the events over this many days (default 365)")
        parser.add_argument("--until", type=_local_day, help="the events' span ends at the start of this local day "
                            "(YYYY-MM-DD; default now), e.g. --span-days 31 --until 2026-11-01 for October 2026")
        parser.add_argument("--add-events", action="store_true",
                            help="add the events to the existing city with this code instead of generating a city")
        parser.add_argument("--patrols", action="store_true", help="also generate patrol rounds with GPS tracks and checks "
                            "(PostgreSQL; docs/patrols.md)")
        parser.add_argument("--add-patrols", action="store_true", help="add patrol rounds to the existing city with this code")
        parser.add_argument("--patrol-days", type=int, default=365, help="span of the patrol rounds in days (default 365)")
        parser.add_argument("--patrol-rounds-per-week", type=float, default=2.0, help="rounds per grid and week (default 2)")
        parser.add_argument("--patrol-points", type=int, default=120, help="GPS points per round, 15 s apart (default 120)")
        parser.add_argument("--patrol-checks", type=int, default=7, help="item checks per round (default 7)")

    def handle(self, *args, grids, seed, city_code, city_name, password, replace, residents, residents_file, events,
               open_events, span_days, until, add_events, **options):
        if span_days < 1:
            raise CommandError("--span-days must be at least 1")
        if options["add_patrols"]:
            city = Area.objects.filter(code=city_code).first()
            if city is None:
                raise CommandError(f"There is no city with the code {city_code}.")
            self._patrols(city, seed, until, options)
            return
        if add_events:
            city = Area.objects.filter(code=city_code).first()
            if city is None:
                raise CommandError(f"There is no city with the code {city_code}.")
            self._events(city, events, seed, open_events, span_days, until)
            return
        if grids is None:
            raise CommandError("--grids is required (unless --add-events adds events to an existing city)")
        if replace:
            city_delete(city_code)
        try:
            city = generate_city(grids=grids, seed=seed, city_code=city_code, city_name=city_name, password=password,
                                 residents=residents, residents_file=residents_file)
        except GenerationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{city.city}: {city.districts} districts, {city.streets} streets, {city.communities} communities, "
            f"{city.grids} grids, {city.departments} departments, {city.users} users, "
            f"{city.assignments} role assignments, {city.residents} residents in {city.seconds:.1f} s"
        )
        if events:
            self._events(city.city, events, seed, open_events, span_days, until)
        if options["patrols"]:
            self._patrols(city.city, seed, until, options)

    def _patrols(self, city, seed, until, options):
        from patrols.generation import PatrolGenerationError, patrols_generate

        try:
            made = patrols_generate(city=city, days=options["patrol_days"], until=until, seed=seed,
                                    rounds_per_week=options["patrol_rounds_per_week"], points=options["patrol_points"],
                                    checks=options["patrol_checks"])
        except PatrolGenerationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{made.rounds} patrol rounds, {made.points} track points, {made.checks} item checks, "
                          f"{made.slots} checked slots, {made.findings} findings filed as events in {made.seconds:.1f} s")

    def _events(self, city, events, seed, open_events, span_days, until):
        from events.generation import events_generate

        made = events_generate(city=city, count=events, seed=seed, open_only=open_events, days=span_days, until=until)
        self.stdout.write(
            f"{made.events} events, {made.timers} timers, {made.timeline} timeline entries in {made.seconds:.1f} s"
        )


def _local_day(text):
    """A YYYY-MM-DD day as the aware start of that day in the platform's time zone."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text}") from None
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())
