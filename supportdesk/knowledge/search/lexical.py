"""Lexical retrieval on bm25s: folded lemmas (with typo expansion) and character n-grams.

bm25s computes the BM25 weight of every (term, document) pair once at indexing; queries read
columns of that matrix, so a query word can take the best of several candidate terms (its lemma
in each language, the corpus forms it folds to, the words one typo away) instead of adding them.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from supportdesk.knowledge.search import text

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG

#: Title words count this many times: a title says what the article is about.
TITLE_WEIGHT = 2
#: A word matched only through a one-edit neighbour weighs this much.
TYPO_WEIGHT = 0.8


def _bm25(corpus: list[list[str]]) -> bm25s.BM25:
    index = bm25s.BM25(k1=1.2, b=0.75)
    # An empty document list or empty documents still need a vocabulary.
    index.index([doc or [""] for doc in corpus] or [[""]], show_progress=False)
    return index


def _column(index: bm25s.BM25, term_id: int, n_docs: int) -> np.ndarray:
    scores = index.scores
    start, end = scores["indptr"][term_id], scores["indptr"][term_id + 1]
    out = np.zeros(n_docs, dtype=np.float32)
    out[scores["indices"][start:end]] = scores["data"][start:end]
    return out


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass
class QueryWord:
    """One content word of a query and the index terms it was matched through."""

    word: str
    terms: dict[int, float]  # term id -> weight

    @property
    def known(self) -> bool:
        return bool(self.terms)


class LemmaIndex:
    """BM25 over folded lemmas and folded surface forms of the documents' words."""

    def __init__(self, docs: Sequence[tuple[str, str, str]]) -> None:
        """``docs``: (language, title, body) per document, body already plain text."""
        corpus: list[list[str]] = []
        surface: dict[str, set[str]] = defaultdict(set)
        for lang, title, body in docs:
            tokens: list[str] = []
            for weight, part in ((TITLE_WEIGHT, title), (1, body)):
                for word in text.words(part):
                    if text.is_stopword(word):
                        continue
                    terms = text.doc_terms(word, lang)
                    surface[text.fold(word)].update(terms)
                    tokens.extend(terms * weight)
            corpus.append(tokens)
        self.n_docs = len(docs)
        self.bm25 = _bm25(corpus)
        self.vocab: dict[str, int] = self.bm25.vocab_dict
        self.surface = {form: frozenset(terms) for form, terms in surface.items()}
        self._neighbours: dict[str, list[str]] | None = None

    def _typo_index(self) -> dict[str, list[str]]:
        """Symmetric one-deletion index of the corpus forms, built on the first typo."""
        if self._neighbours is None:
            neighbours: dict[str, list[str]] = defaultdict(list)
            for form in self.surface:
                if len(form) >= 4 and form.isalpha():
                    for variant in _deletes(form):
                        neighbours[variant].append(form)
            self._neighbours = dict(neighbours)
        return self._neighbours

    def near(self, form: str) -> set[str]:
        """Corpus forms one edit away (insert, delete, substitute, swap) from ``form``."""
        if len(form) < 4 or not form.isalpha():
            return set()
        index = self._typo_index()
        found: set[str] = set()
        for key in {form} | _deletes(form):
            found.update(index.get(key, ()))
        if form in self.surface:
            found.add(form)
        return found

    def analyse(self, query: str) -> list[QueryWord]:
        out = []
        for word in text.words(query):
            if text.is_stopword(word):
                continue
            form = text.fold(word)
            candidates = text.query_candidates(word) | self.surface.get(form, frozenset())
            terms = {self.vocab[t]: 1.0 for t in candidates if t in self.vocab and t}
            if not terms and not text.is_known(word):
                for neighbour in self.near(form):
                    for t in self.surface[neighbour]:
                        if t in self.vocab:
                            terms[self.vocab[t]] = TYPO_WEIGHT
            out.append(QueryWord(word, terms))
        return out

    def word_scores(self, words: Iterable[QueryWord]) -> np.ndarray:
        """(words, docs) matrix: each word scores a document by its best candidate term."""
        rows = []
        for qw in words:
            best = np.zeros(self.n_docs, dtype=np.float32)
            for term_id, weight in qw.terms.items():
                np.maximum(best, weight * _column(self.bm25, term_id, self.n_docs), out=best)
            rows.append(best)
        if not rows:
            return np.zeros((0, self.n_docs), dtype=np.float32)
        return np.vstack(rows)

    def idf(self, qw: QueryWord) -> float:
        """The rarest candidate's document frequency as an IDF: how telling the word is.

        A word the KB never uses gets the IDF of the rarest possible word: the question is
        about something, and the KB does not say it.
        """
        indptr = self.bm25.scores["indptr"]
        df = min((int(indptr[t + 1] - indptr[t]) for t in qw.terms), default=0)
        return float(np.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)))


class NgramIndex:
    """BM25 over character 4-grams of folded words: inflection and typos share most n-grams."""

    def __init__(self, docs: Sequence[tuple[str, str, str]]) -> None:
        corpus = []
        for _lang, title, body in docs:
            tokens: list[str] = []
            for weight, part in ((TITLE_WEIGHT, title), (1, body)):
                for word in text.words(part):
                    if not text.is_stopword(word):
                        tokens.extend(text.char_ngrams(text.fold(word)) * weight)
            corpus.append(tokens)
        self.n_docs = len(docs)
        self.bm25 = _bm25(corpus)

    def scores(self, query: str) -> np.ndarray:
        grams = [
            g
            for word in text.words(query)
            if not text.is_stopword(word)
            for g in text.char_ngrams(text.fold(word))
        ]
        out = np.zeros(self.n_docs, dtype=np.float32)
        matrix = self.bm25.scores
        for term_id in self.bm25.get_tokens_ids(grams):
            start, end = matrix["indptr"][term_id], matrix["indptr"][term_id + 1]
            # A document appears once per term column, so plain fancy-index addition is exact
            # (and much faster than bm25s' np.add.at).
            out[matrix["indices"][start:end]] += matrix["data"][start:end]
        return out
