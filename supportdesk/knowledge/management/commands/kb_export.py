import json
import sys

from django.core.management.base import BaseCommand

from supportdesk.knowledge import services
from supportdesk.knowledge.choices import ArticleStatus
from supportdesk.knowledge.models import Article


class Command(BaseCommand):
    help = "Write the knowledge base as JSON in the format kb_import reads."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument("--lang", help="only articles in this language")
        parser.add_argument("--published", action="store_true", help="leave drafts out")

    def handle(self, *args, output: str | None, lang: str | None, published: bool, **options):
        articles = Article.objects.all()
        if lang:
            articles = articles.filter(lang=lang)
        if published:
            articles = articles.filter(status=ArticleStatus.PUBLISHED)
        data = json.dumps(services.export_records(articles), ensure_ascii=False, indent=1)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(data + "\n")
            self.stderr.write(f"{output}: {articles.count()} articles")
        else:
            sys.stdout.write(data + "\n")
