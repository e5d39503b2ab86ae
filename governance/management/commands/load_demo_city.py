from django.core.management.base import BaseCommand

from governance.demo import DEMO_PASSWORD, NAMED_DEPARTMENT_LOGINS, NAMED_LOGINS, load_demo_city


class Command(BaseCommand):
    help = "Load (or refresh) the demo city of Loudi with staff for every role. Safe to run again."

    def handle(self, *args, **options):
        result = load_demo_city()
        from events.demo import load_demo_events

        events = load_demo_events()
        from residents.demo import load_demo_residents

        residents = load_demo_residents()
        from campaigns.demo import load_demo_campaigns

        campaign_targets = load_demo_campaigns()
        self.stdout.write(
            f"Demo city: {result['grids']} grids; areas {result['created']} created, "
            f"{result['updated']} updated, {result['unchanged']} unchanged."
        )
        if events:
            self.stdout.write(f"Demo events: {events} filed and walked through the workflow.")
        if residents:
            self.stdout.write(f"Demo residents: {residents} people in grid 43130200100102, with buildings and key places.")
        if campaign_targets:
            self.stdout.write(f"Demo campaign: 冬季燃气安全入户排查 on 乐坪街道, {campaign_targets} households, "
                              "three answered by yuetang_worker.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write("  admin                 superuser")
        for username, full_name, role, code, _title in NAMED_LOGINS:
            self.stdout.write(f"  {username:<21} {full_name} · {role.label} · {code}")
        for username, full_name, role, code in NAMED_DEPARTMENT_LOGINS:
            self.stdout.write(f"  {username:<21} {full_name} · {role.label} · {code}")
