"""Build the .mo catalogues from the committed .po files with polib: no GNU gettext needed.

Looks in LOCALE_PATHS and in every installed app's ``locale/`` directory, so a part of the
desk that keeps its own catalogue is compiled too. A catalogue is rebuilt only when its .po
is newer than its .mo (``--force`` rebuilds all).
"""

from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def locale_dirs() -> list[Path]:
    project = Path(settings.BASE_DIR).resolve()
    found = [Path(p) for p in settings.LOCALE_PATHS]
    found += [
        Path(app.path) / "locale"
        for app in apps.get_app_configs()
        if Path(app.path).resolve().is_relative_to(project)  # not Django's own catalogues
    ]
    unique: list[Path] = []
    for path in found:
        if path.is_dir() and path.resolve() not in {p.resolve() for p in unique}:
            unique.append(path)
    return unique


class Command(BaseCommand):
    help = "Compile the .po translation catalogues to .mo files (with polib)."
    requires_system_checks: list[str] = []  # runs at install, before the rest is checked

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="rebuild every catalogue")

    def handle(self, *args, force: bool = False, **options):
        built = current = 0
        for root in locale_dirs():
            for po_path in sorted(root.glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if (
                    not force
                    and mo_path.exists()
                    and mo_path.stat().st_mtime >= po_path.stat().st_mtime
                ):
                    current += 1
                    continue
                try:
                    catalogue = polib.pofile(str(po_path))
                except (OSError, ValueError) as error:
                    raise CommandError(f"{po_path}: {error}") from error
                catalogue.save_as_mofile(str(mo_path))
                built += 1
                if options["verbosity"] > 1:
                    self.stdout.write(f"compiled {po_path} ({catalogue.percent_translated()}%)")
        if options["verbosity"]:
            self.stdout.write(f"translations: {built} compiled, {current} up to date")
