from django.core.management.base import BaseCommand, CommandError

from governance.generation import GenerationError, city_delete, generate_city


class Command(BaseCommand):
    help = "Generate a synthetic city of N grids (areas, polygons, departments, staff), reproducibly from a seed."

    def add_arguments(self, parser):
        parser.add_argument("--grids", type=int, required=True, help="number of grids")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same city)")
        parser.add_argument("--city-code", default="439900000000", help="12-digit city code (default 439900000000)")
        parser.add_argument("--city-name", default="示范市")
        parser.add_argument("--password", default="city12345", help="password of every generated account")
        parser.add_argument("--replace", action="store_true", help="delete a city with this code first")
        parser.add_argument("--residents", type=int, default=0, help="generate this many residents with their housing")
        parser.add_argument("--residents-file", help="also write the residents as a CSV import file to this path")
        parser.add_argument("--events", type=int, default=0, help="also generate N events over the past year")
        parser.add_argument("--open-events", action="store_true", help="make every generated event an open one")

    def handle(self, *args, grids, seed, city_code, city_name, password, replace, residents, residents_file, events,
               open_events, **options):
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
            from events.generation import events_generate

            made = events_generate(city=city.city, count=events, seed=seed, open_only=open_events)
            self.stdout.write(
                f"{made.events} events, {made.timers} timers, {made.timeline} timeline entries in {made.seconds:.1f} s"
            )
