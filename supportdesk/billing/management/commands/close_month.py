"""``supportdesk close_month ORG --month 2026-03 --by AGENT [--reopen]``."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Organization, User
from supportdesk.billing import services
from supportdesk.billing.errors import BillingError
from supportdesk.billing.periods import parse_month


class Command(BaseCommand):
    help = "Close a month once its statement is sent (its time entries then stay as they are)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("org", help="organization key, e.g. cliente-b")
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--by", required=True, help="email of the agent closing it")
        parser.add_argument("--reopen", action="store_true", help="reopen a closed month")

    def handle(self, *args, **options) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(_('No organization "%(org)s".') % {"org": options["org"]})
        agent = User.objects.filter(email__iexact=options["by"], agent__isnull=False).first()
        if agent is None:
            raise CommandError(_("No agent with that email."))
        try:
            month = parse_month(options["month"])
            if options["reopen"]:
                services.reopen_month(organization, month, actor=agent)
                self.stdout.write(_("%(month)s reopened.") % {"month": options["month"]})
            else:
                services.close_month(organization, month, actor=agent)
                self.stdout.write(_("%(month)s closed.") % {"month": options["month"]})
        except BillingError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
