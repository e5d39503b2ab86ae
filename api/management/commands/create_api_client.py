from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from api.services import api_client_create


class Command(BaseCommand):
    help = ("Create an API client acting as USER and print its key once (also the Open311 api_key). "
            "The client sees and does what the user's role assignments allow.")

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--user", required=True, help="username the client acts as")
        parser.add_argument("--rate", default="", help="requests per period, e.g. 600/minute (default: API_THROTTLE_RATE)")

    def handle(self, *args, name, user, rate, **options):
        account = User.objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"No user called {user!r}.")
        try:
            client, key = api_client_create(actor=None, name=name, user=account, throttle_rate=rate)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(f"API client {client.name!r} (id {client.pk}) acts as {account.username}. "
                          "The key is shown only now; store it safely:")
        self.stdout.write(key)
