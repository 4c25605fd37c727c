"""Hybrid retrieval: lemma BM25 + character n-gram BM25 + e5 embeddings, fused per query.

No Django here: the knowledge app feeds documents in (and caches their vectors in the
database), the bench feeds synthetic ones. Scores are fused after per-retriever normalisation,
with the lexical retrievers weighted by how much of the question they understood, so an
English question to a Polish knowledge base leans on the multilingual embeddings while a
Polish one gets the precision of its lemmas.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from supportdesk.knowledge.search import dense, text
from supportdesk.knowledge.search.lexical import LemmaIndex, NgramIndex

#: Fusion weights, chosen on the evaluation sets in bench/ (see bench/chatbot.py). The first
#: choice (0.3/0.3) was tuned on questions written beside the engine; a set written blind showed
#: it leaned too much on the embeddings, which pull every question naming a brand towards that
#: brand's most generic article. 0.8/0.5 sits on a plateau there and costs the other sets little.
DENSE_WEIGHT = 1.0
LEMMA_WEIGHT = 0.8
NGRAM_WEIGHT = 0.5
#: Scores are put on fixed scales rather than standardised over the corpus, so the same
#: question gets the same fused score (and the same confidence) in a KB of 60 articles or of
#: 10,000: e5 cosines mostly lie in 0.7-0.95, so (cos - 0.80) / 0.03 spans about -3..5; the
#: lexical scores are shares of the best achievable (0..1) times 5.
DENSE_CENTER = 0.80
DENSE_SCALE = 0.03
LEXICAL_SCALE = 5.0


@dataclass(frozen=True)
class Doc:
    key: str
    group: str
    lang: str
    title: str
    body: str  # plain text


def doc_passages(doc: Doc) -> list[tuple[str, str]]:
    """What is embedded for a document, as (kind, text) rows in a fixed layout.

    Row 0 is the title embedded as a query (titles are mostly questions, and e5 compares
    questions best with questions); then one row per chunk, each prefixed by the title so a
    chunk keeps its context. (A whole-article row measured no better and doubled the cost.)
    """
    rows = [("query", doc.title)]
    rows += [("passage", f"{doc.title}\n{piece}") for piece in doc_pieces(doc)]
    return rows


def doc_pieces(doc: Doc) -> list[str]:
    return text.chunks(doc.body) or [doc.title]


def embed_doc(doc: Doc) -> np.ndarray:
    rows = doc_passages(doc)
    out = np.zeros((len(rows), dense.DIM), dtype=np.float32)
    for kind in ("query", "passage"):
        idx = [i for i, (k, _t) in enumerate(rows) if k == kind]
        if idx:
            out[idx] = dense.embed([rows[i][1] for i in idx], kind)
    return out


def _unit(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _top_order(scores: np.ndarray, head: int = 256) -> np.ndarray:
    """Indices of the best ``head`` scores, best first (all of them for a small index).

    Nobody reads past the first few groups; sorting 10,000 scores for them costs a millisecond.
    """
    if len(scores) <= head:
        return np.argsort(-scores, kind="stable")
    top = np.argpartition(-scores, head)[:head]
    return top[np.argsort(-scores[top], kind="stable")]


@dataclass
class Ranking:
    """Every document's scores for one question, and what the abstention model looks at."""

    fused: np.ndarray
    dense: np.ndarray
    lemma: np.ndarray
    ngram: np.ndarray
    word_hits: np.ndarray  # (query words, docs): which words each document matched
    word_idf: np.ndarray
    query_vector: np.ndarray
    coverage: float  # IDF-weighted share of the question's words the KB vocabulary knows
    language: str | None  # the question's language, as far as simplemma can tell
    order: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))


class Engine:
    """An immutable index over a list of documents; rebuild it when the documents change."""

    def __init__(self, docs: Sequence[Doc], vectors: Sequence[np.ndarray] | None = None) -> None:
        self.docs = list(docs)
        self.keys = [d.key for d in self.docs]
        self.position = {d.key: i for i, d in enumerate(self.docs)}
        groups = sorted({d.group for d in self.docs})
        self.groups = groups
        self.group_of = np.array([groups.index(d.group) for d in self.docs], dtype=np.int32)
        self.lang_of = np.array([d.lang for d in self.docs], dtype=object)
        self.languages = frozenset(d.lang for d in self.docs)
        triples = [(d.lang, d.title, d.body) for d in self.docs]
        self.lemmas = LemmaIndex(triples)
        self.ngrams = NgramIndex(triples)
        if vectors is None:
            vectors = [embed_doc(d) for d in self.docs]
        self._layout(list(vectors))

    def _layout(self, vectors: list[np.ndarray]) -> None:
        """Titles first, then the chunks grouped by document (for ``reduceat``)."""
        n = len(vectors)
        if n == 0:
            self.matrix = np.zeros((0, dense.DIM), dtype=np.float32)
            self.chunk_starts = np.zeros(0, dtype=np.int64)
            return
        titles = np.vstack([v[0] for v in vectors])
        chunks = [v[1:] if len(v) > 1 else v[:1] for v in vectors]
        counts = np.array([len(c) for c in chunks])
        self.chunk_starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.matrix = np.ascontiguousarray(np.vstack([titles, *chunks]), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.docs)

    def best_piece(self, index: int, query_vector: np.ndarray) -> str:
        """The chunk of a document closest to the question: the snippet to show."""
        start = len(self.docs) + int(self.chunk_starts[index])
        end = (
            len(self.docs) + int(self.chunk_starts[index + 1])
            if index + 1 < len(self.docs)
            else len(self.matrix)
        )
        pieces = doc_pieces(self.docs[index])
        sims = self.matrix[start:end] @ query_vector
        return pieces[int(np.argmax(sims))] if len(pieces) == len(sims) else pieces[0]

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        n = len(self.docs)
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        sims = self.matrix @ query_vector
        chunk_best = np.maximum.reduceat(sims[n:], self.chunk_starts)
        return (sims[:n] + 2 * chunk_best) / 3

    def rank(
        self,
        query: str,
        allowed: np.ndarray | None = None,
        embed: Callable[[str], np.ndarray] = dense.embed_query,
    ) -> Ranking:
        """Score every document; those not ``allowed`` (a boolean mask) sink to the bottom."""
        n = len(self.docs)
        words = self.lemmas.analyse(query)
        hits = self.lemmas.word_scores(words)
        lemma = hits.sum(axis=0) if len(words) else np.zeros(n, dtype=np.float32)
        ngram = self.ngrams.scores(query)
        query_vector = embed(query)
        dense_scores = self.dense_scores(query_vector) if n else np.zeros(0, dtype=np.float32)
        idf = np.array([self.lemmas.idf(w) for w in words], dtype=np.float32)
        known = np.array([w.known for w in words], dtype=bool)
        coverage = float(idf[known].sum() / idf.sum()) if words and idf.sum() > 0 else 0.0
        ideal = float(hits.max(axis=1).sum()) if len(words) and n else 0.0
        lemma_share = lemma / ideal if ideal > 0 else np.zeros_like(lemma)
        fused = (
            DENSE_WEIGHT * (dense_scores - DENSE_CENTER) / DENSE_SCALE
            + LEMMA_WEIGHT * LEXICAL_SCALE * coverage * lemma_share
            + NGRAM_WEIGHT * LEXICAL_SCALE * coverage * _unit(ngram)
        )
        if allowed is not None:
            fused = np.where(allowed, fused, -np.inf)
        order = _top_order(fused)
        return Ranking(
            fused=fused,
            dense=dense_scores,
            lemma=lemma,
            ngram=ngram,
            word_hits=hits,
            word_idf=idf,
            query_vector=query_vector,
            coverage=coverage,
            language=text.detect_language(query),
            order=order,
        )
