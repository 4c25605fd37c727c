import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from supportdesk.knowledge import index, services


class Command(BaseCommand):
    help = (
        "Create or update knowledge-base articles from a JSON list of "
        '{"id", "lang", "title", "body", "source"} records; a file with errors changes nothing.'
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON file (kb.json format); - reads standard input")
        parser.add_argument(
            "--no-vectors",
            action="store_true",
            help="do not embed the articles now (the first search will)",
        )

    def handle(self, *args, file: str, no_vectors: bool, **options):
        import sys

        try:
            raw = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from None
        try:
            records = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{file}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
            ) from None
        try:
            report = services.import_records(records, note=f"kb_import {Path(file).name}")
        except services.ImportRejected as exc:
            for problem in exc.problems:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(
                f"{file}: {len(exc.problems)} problem(s); nothing was imported"
            ) from None
        if not no_vectors:
            index.ensure_vectors()
        self.stdout.write(f"{file}: {report.summary()}")
