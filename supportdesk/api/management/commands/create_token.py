from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportdesk.accounts.models import User
from supportdesk.accounts.services import issue_token


class Command(BaseCommand):
    help = "Issue a personal API token for a user and print its secret (shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the user's email address")
        parser.add_argument("name", help="what the token is for, e.g. 'billing export'")

    def handle(self, *args: object, email: str, name: str, **options: object) -> None:
        user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active user has the email address {email!r}.")
        if not name.strip() or len(name) > 100:
            raise CommandError("Give the token a name of 1 to 100 characters.")
        self.stdout.write(issue_token(user, name.strip()))
