from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from supportdesk.world.history import HistoryError, import_history


class Command(BaseCommand):
    help = _(
        "Replay a JSON-lines history of case events through the case services, then evaluate "
        "the clocks as of now. A bad line stops the import and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("the history file (one JSON object a line)"))

    def handle(self, *args, file: str, **options):
        try:
            with open(file, encoding="utf-8") as lines:
                report = import_history(lines, source=file)
        except OSError as exc:
            raise CommandError(_("cannot read %(file)s: %(reason)s") % {
                "file": file, "reason": exc.strerror or exc,
            }) from None  # fmt: skip
        except HistoryError as exc:
            raise CommandError(exc.format()) from None
        self.stdout.write(report.summary())
