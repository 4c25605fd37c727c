from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from supportdesk.world.demo import demo_logins, is_empty, load_demo
from supportdesk.world.history import HistoryError
from supportdesk.world.source import SourceError


class Command(BaseCommand):
    help = _(
        "Load the demo world and a live demo history, and let the demo users sign in with "
        "DEMO_PASSWORD (default supportdesk-demo)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("do nothing when the database already holds an organization"),
        )

    def handle(self, *args, if_empty: bool, **options):
        if if_empty and not is_empty():
            self.stdout.write(_("The database already holds data; the demo was not loaded."))
            return
        try:
            report = load_demo()
        except (SourceError, HistoryError) as exc:  # the shipped demo itself is broken
            raise CommandError(str(exc)) from None
        self.stdout.write(report.summary())
        for line in demo_logins():
            self.stdout.write(f"  {line}")
