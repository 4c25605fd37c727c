"""The demo world's own knowledge base: articles about the demo providers in pl, pt and en.

``load_demo_kb()`` is what ``supportdesk demo`` calls. The vectors of these articles ship
beside them (``demo_kb.vectors.json``) so a fresh demo answers at once instead of spending a
minute embedding; ``supportdesk kb_vectors --write-demo`` refreshes them after the articles
change (stale vectors are simply recomputed, never wrong).
"""

import json
from pathlib import Path

from django.db import transaction

from supportdesk.accounts.models import Brand
from supportdesk.knowledge import index, services
from supportdesk.knowledge.choices import Visibility
from supportdesk.knowledge.search import dense, text
from supportdesk.knowledge.search.engine import Doc, doc_passages
from supportdesk.plans.models import Plan

DEMO_KB = Path(__file__).with_name("demo_kb.json")
DEMO_VECTORS = Path(__file__).with_name("demo_kb.vectors.json")


def demo_records() -> list[dict]:
    """The demo articles, with plan restrictions narrowed to the plans that exist.

    Loaded without the demo world (plans missing), a plan-only article becomes agents-only:
    better hidden than shown to the wrong customers; and a provider's article belongs to
    every brand when that brand is not on the desk.
    """
    records = json.loads(DEMO_KB.read_text(encoding="utf-8"))
    existing = set(Plan.objects.values_list("slug", flat=True))
    brands = set(Brand.objects.values_list("slug", flat=True))
    for record in records:
        if record.get("brand") not in brands:
            record.pop("brand", None)
        if record.get("visibility") == Visibility.PLANS:
            record["plans"] = [p for p in record.get("plans", []) if p in existing]
            if not record["plans"]:
                record["visibility"] = Visibility.AGENTS
                record.pop("plans")
    return records


def preload_vectors() -> int:
    if DEMO_VECTORS.exists():
        return dense.import_cache(json.loads(DEMO_VECTORS.read_text()))
    return 0


def load_demo_kb() -> services.ImportReport:
    """Import (or update) the demo articles and make sure they are ready to search."""
    preload_vectors()
    with transaction.atomic():
        report = services.import_records(demo_records(), note="demo knowledge base")
    index.ensure_vectors()
    return report


def write_vectors() -> int:
    """Embed the demo articles and write their vectors beside them."""
    rows = []
    for record in json.loads(DEMO_KB.read_text(encoding="utf-8")):
        doc = Doc(
            key=record["id"],
            group=record.get("group", record["id"]),
            lang=record["lang"],
            title=record["title"],
            body=text.plain(record["body"]),
        )
        passages = doc_passages(doc)
        for kind in ("query", "passage"):
            texts = [t for k, t in passages if k == kind]
            if texts:
                dense.embed(texts, kind)
        rows.extend(passages)
    DEMO_VECTORS.write_text(json.dumps(dense.export_cache(rows), separators=(",", ":")))
    return len(rows)
