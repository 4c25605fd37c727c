from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from supportdesk.world.loader import load_file
from supportdesk.world.source import SourceError


class Command(BaseCommand):
    help = _(
        "Create or update calendars, plans, organizations, contacts and agents from a YAML "
        "world file. Idempotent; a file with any error changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("the world file (YAML)"))

    def handle(self, *args, file: str, **options):
        try:
            report = load_file(file)
        except OSError as exc:
            raise CommandError(_("cannot read %(file)s: %(reason)s") % {
                "file": file, "reason": exc.strerror or exc,
            }) from None  # fmt: skip
        except SourceError as exc:
            for line in exc.lines():
                self.stderr.write(line)
            raise CommandError(
                _("%(n)s problem(s) in %(file)s; nothing was loaded")
                % {"n": len(exc.problems), "file": file}
            ) from None
        self.stdout.write(report.summary())
