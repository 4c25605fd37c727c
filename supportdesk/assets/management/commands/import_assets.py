from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Organization
from supportdesk.assets.importing import ImportRejected, import_csv
from supportdesk.plans.services import Change


class Command(BaseCommand):
    help = _(
        "Create or update an organization's devices from a CSV file with the columns serial, "
        "model, class, location, user, under_contract. A file with errors changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("organization", help=_("the organization's key"))
        parser.add_argument("file", help=_("the CSV file (UTF-8, with a header row)"))

    def handle(self, *args, organization: str, file: str, **options):
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(_('unknown organization "%(org)s"') % {"org": organization})
        try:
            with open(file, encoding="utf-8", newline="") as source:
                text = source.read()
        except OSError as exc:
            raise CommandError(_("cannot read %(file)s: %(reason)s") % {
                "file": file, "reason": exc.strerror or exc,
            }) from None  # fmt: skip
        except UnicodeDecodeError:
            raise CommandError(
                _("%(file)s: not UTF-8 text (save the sheet as CSV UTF-8)") % {"file": file}
            ) from None
        try:
            counts = import_csv(org, text)
        except ImportRejected as exc:
            for problem in exc.problems:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(
                _("%(file)s: %(n)s problem(s); nothing was imported")
                % {"file": file, "n": len(exc.problems)}
            ) from None
        summary = _("%(file)s: %(c)s devices created, %(u)s updated, %(n)s unchanged")
        self.stdout.write(
            summary
            % {
                "file": file,
                "c": counts[Change.CREATED],
                "u": counts[Change.UPDATED],
                "n": counts[Change.UNCHANGED],
            }
        )
