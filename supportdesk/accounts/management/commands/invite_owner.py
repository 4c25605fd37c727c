from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportdesk.accounts import mail
from supportdesk.accounts.models import Organization
from supportdesk.accounts.services import OwnerError, invite_owner


class Command(BaseCommand):
    help = (
        "Record the buyer of an organization's plan: they get a link, then a 6-digit code by "
        "email, which makes them the organization's owner."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", help="the organization's key (slug)")
        parser.add_argument("email", help="the buyer's email address")
        parser.add_argument("--name", default="", help="the buyer's name")
        parser.add_argument("--language", default="", help="the mails' language: en, pl or pt")
        parser.add_argument(
            "--note", default="", help="why the current owner is replaced (required if any)"
        )

    def handle(self, *args: object, organization: str, email: str, **options: str) -> None:
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(f"No organization has the key {organization!r}.")
        try:
            claim, secret = invite_owner(
                org,
                email=email,
                by=None,
                name=options["name"],
                language=options["language"],
                note=options["note"],
            )
        except OwnerError as error:
            raise CommandError(str(error)) from None
        link = mail.owner_link(secret)
        if mail.send_owner_link(claim, link):
            self.stdout.write(f"Mailed {claim.email} the link to become the owner of {org}.")
        else:
            self.stderr.write(f"The mail could not be sent; give {claim.email} this link: {link}")
