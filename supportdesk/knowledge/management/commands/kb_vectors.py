from django.core.management.base import BaseCommand

from supportdesk.knowledge import demo, index


class Command(BaseCommand):
    help = "Embed every published article whose search vectors are missing or stale."

    def add_arguments(self, parser):
        parser.add_argument(
            "--write-demo",
            action="store_true",
            help="also rewrite the vectors shipped with the demo knowledge base",
        )

    def handle(self, *args, write_demo: bool, **options):
        if write_demo:
            self.stdout.write(f"{demo.write_vectors()} demo vectors in {demo.DEMO_VECTORS}")
        self.stdout.write(f"{index.ensure_vectors()} articles embedded")
