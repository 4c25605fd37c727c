"""The search index of the published articles, kept per process and rebuilt when they change.

A rebuild re-reads the articles and reuses each article's stored vectors while its text is
unchanged, so only edited articles meet the embedding model. While one thread rebuilds, the
others keep answering from the previous index instead of queueing behind it.
"""

import logging
import threading
from dataclasses import dataclass, field

import numpy as np

from supportdesk.knowledge.models import Article, Audience, IndexState
from supportdesk.knowledge.search import dense, text
from supportdesk.knowledge.search.engine import Doc, Engine, doc_passages, embed_doc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """What the index remembers of an article besides its text."""

    pk: int
    key: str
    title: str
    lang: str
    group: str
    visibility: str
    plans: frozenset[str]
    brand: int | None = None


@dataclass
class LoadedIndex:
    version: str
    engine: Engine
    entries: list[Entry]
    _masks: dict[tuple, np.ndarray] = field(default_factory=dict)

    def mask(self, audience: Audience) -> np.ndarray | None:
        """Which documents this audience may see (None: all of them)."""
        if audience.agent and audience.brands is None:
            return None
        mask = self._masks.get(audience.key)
        if mask is None:
            mask = np.array(
                [audience.allows(e.visibility, e.plans, e.brand) for e in self.entries],
                dtype=bool,
            )
            self._masks[audience.key] = mask
        return mask


_loaded: LoadedIndex | None = None
_build_lock = threading.Lock()


def doc_for(article: Article) -> Doc:
    return Doc(
        key=article.external_id,
        group=article.group,
        lang=article.lang,
        title=article.title,
        body=text.plain(article.body),
    )


def vectors_for(article: Article, doc: Doc | None = None, save: bool = True) -> np.ndarray:
    """The article's vectors: the stored ones while its text is unchanged, else fresh ones."""
    doc = doc or doc_for(article)
    key = dense.fingerprint([f"{kind}:{t}" for kind, t in doc_passages(doc)])
    if article.vectors_key == key and article.vectors:
        return dense.from_bytes(bytes(article.vectors))
    vectors = embed_doc(doc)
    if save:
        Article.objects.filter(pk=article.pk).update(
            vectors=dense.to_bytes(vectors), vectors_key=key
        )
    return vectors


def build(version: str | None = None) -> LoadedIndex:
    """A fresh index of every published article (embedding only what changed)."""
    version = IndexState.current() if version is None else version
    articles = list(
        Article.objects.published().prefetch_related("plans").order_by("group", "lang", "pk")
    )
    docs, vectors, entries = [], [], []
    for article in articles:
        doc = doc_for(article)
        docs.append(doc)
        vectors.append(vectors_for(article, doc))
        entries.append(
            Entry(
                pk=article.pk,
                key=article.external_id,
                title=article.title,
                lang=article.lang,
                group=article.group,
                visibility=article.visibility,
                plans=frozenset(p.slug for p in article.plans.all()),
                brand=article.brand_id,
            )
        )
    return LoadedIndex(version, Engine(docs, vectors), entries)


def ensure_vectors() -> int:
    """Embed every published article whose vectors are missing or stale; returns how many."""
    count = 0
    for article in Article.objects.published().iterator(chunk_size=200):
        doc = doc_for(article)
        key = dense.fingerprint([f"{kind}:{t}" for kind, t in doc_passages(doc)])
        if article.vectors_key != key or not article.vectors:
            vectors_for(article, doc)
            count += 1
    return count


def current() -> LoadedIndex:
    """This process's index, rebuilt first if an article changed since it was built."""
    global _loaded
    version = IndexState.current()
    loaded = _loaded
    if loaded is not None and loaded.version == version:
        return loaded
    if loaded is not None and not _build_lock.acquire(blocking=False):
        return loaded  # another thread is rebuilding: answer from the previous index
    if loaded is None:
        _build_lock.acquire()
    try:
        if _loaded is not None and _loaded.version == version:
            return _loaded
        _loaded = build(version)
        log.debug("knowledge index v%s: %s articles", version, len(_loaded.entries))
        return _loaded
    finally:
        _build_lock.release()


def forget() -> None:
    """Drop this process's index (tests that roll the database back use this)."""
    global _loaded
    _loaded = None
