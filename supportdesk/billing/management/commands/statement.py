"""``supportdesk statement ORG --month 2026-03 [--json | --csv | --pdf FILE]``."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Organization
from supportdesk.billing.errors import BillingError
from supportdesk.billing.pdf import as_pdf
from supportdesk.billing.periods import parse_month
from supportdesk.billing.render import as_csv, as_dict
from supportdesk.billing.statement import build_statement, hm


class Command(BaseCommand):
    help = "Print an organization's support-time statement for a month."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("org", help="organization key, e.g. cliente-b")
        parser.add_argument("--month", help="YYYY-MM (default: the current month)")
        form = parser.add_mutually_exclusive_group()
        form.add_argument("--json", action="store_true", help="the statement as JSON")
        form.add_argument("--csv", action="store_true", help="the statement as CSV")
        form.add_argument("--pdf", metavar="FILE", help="write the statement as a PDF to FILE")

    def handle(self, *args, **options) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(_('No organization "%(org)s".') % {"org": options["org"]})
        try:
            month = parse_month(options["month"] or timezone.now().strftime("%Y-%m"))
            statement = build_statement(organization, month)
        except BillingError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        if options["json"]:
            self.stdout.write(json.dumps(as_dict(statement), ensure_ascii=False, indent=2))
        elif options["csv"]:
            self.stdout.write(as_csv(statement), ending="")
        elif options["pdf"]:
            Path(options["pdf"]).write_bytes(as_pdf(statement))
            self.stdout.write(_("Wrote %(file)s.") % {"file": options["pdf"]})
        else:
            self._summary(statement)

    def _summary(self, s) -> None:
        w = self.stdout.write
        w(f"{s.organization.name} · {s.plan.name} · {s.month:%Y-%m} · {s.currency}")
        w(
            _("%(n)s entries; billed %(in)s in business hours, %(out)s outside them")
            % {"n": len(s.entries), "in": hm(s.billed_in_minutes), "out": hm(s.billed_out_minutes)}
        )
        w(
            _("drawn: monthly %(m)s, single %(s)s, credit %(c)s")
            % {"m": hm(s.drawn_monthly), "s": hm(s.drawn_single), "c": hm(s.drawn_credit)}
        )
        w(
            _("overage: %(in)s + %(out)s = %(amount)s %(cur)s")
            % {
                "in": hm(s.overage_in_minutes),
                "out": hm(s.overage_out_minutes),
                "amount": s.overage_amount,
                "cur": s.currency,
            }
        )
