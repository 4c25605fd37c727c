"""Whether to answer at all: a calibrated probability that the top article is the right one.

A raw top score barely separates answerable from unanswerable questions: every question
resembles *something* in a support KB. What does separate them is how the evidence agrees —
how far the best article stands above the next one, whether the lexical and the semantic
retrievers pick the same article, how much of the question's vocabulary the article actually
contains. A small logistic model over those features, fitted on the evaluation sets in
``bench/`` (``bench/chatbot.py --calibrate`` rewrites ``calibration.json``), turns them into a
probability; below the threshold the bot says it does not know and offers a person.
"""

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")

FEATURES = (
    "fused",  # fused score of the best article
    "margin",  # its lead over the best article of another translation group
    "dense",  # cosine of the question with the best article
    "dense_margin",  # the embeddings' own lead for that group
    "coverage",  # IDF-weighted share of the question's words the KB vocabulary knows
    "matched",  # IDF-weighted share of the question's words found in the best article
    "agree",  # how many of the three retrievers rank the best group first (0-1)
    "gap",  # share of words the KB never uses, in a question in a language the KB speaks
    "words",  # content words in the question (capped): "I need help" says too little
)


@dataclass(frozen=True)
class Candidate:
    """The best document of one translation group, in fused order."""

    index: int
    group: int
    score: float


def candidates(ranking, group_of: np.ndarray, limit: int = 10) -> list[Candidate]:
    """Documents in fused order, one per translation group (its best-scoring version)."""
    seen: set[int] = set()
    out: list[Candidate] = []
    for i in ranking.order:
        score = float(ranking.fused[i])
        if not math.isfinite(score):
            break
        g = int(group_of[i])
        if g in seen:
            continue
        seen.add(g)
        out.append(Candidate(int(i), g, score))
        if len(out) >= limit:
            break
    return out


def _best_group(scores: np.ndarray, group_of: np.ndarray, allowed: np.ndarray | None) -> int:
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    return int(group_of[int(np.argmax(scores))])


def features(engine, ranking, allowed: np.ndarray | None = None, group: int | None = None) -> dict:
    """The abstention features for one translation group (default: the best one).

    For another group the margin is negative: the same model then gives the probability that
    this alternative, rather than the best one, is the answer.
    """
    group_of = engine.group_of
    ranked = candidates(ranking, group_of, limit=10)
    if not ranked:
        return dict.fromkeys(FEATURES, 0.0)
    mine = ranked[0] if group is None else next((c for c in ranked if c.group == group), None)
    if mine is None:
        return dict.fromkeys(FEATURES, 0.0)
    rival = next((c.score for c in ranked if c.group != mine.group), mine.score - 3.0)
    dense = ranking.dense if allowed is None else np.where(allowed, ranking.dense, -np.inf)
    in_group = group_of == mine.group
    dense_here = float(dense[in_group].max())
    others = dense[~in_group]
    dense_other = float(others.max()) if others.size and np.isfinite(others.max()) else 0.0
    hits, idf = ranking.word_hits, ranking.word_idf
    if hits.shape[0] and idf.sum() > 0:
        matched = float((idf * (hits[:, mine.index] > 0)).sum() / idf.sum())
    else:
        matched = 0.0
    agree = np.mean(
        [
            _best_group(s, group_of, allowed) == mine.group
            for s in (ranking.dense, ranking.lemma, ranking.ngram)
        ]
    )
    if allowed is None:
        speaks = ranking.language in engine.languages
    else:
        speaks = ranking.language is not None and bool(
            (engine.lang_of[allowed] == ranking.language).any()
        )
    return {
        "fused": mine.score,
        "margin": mine.score - rival,
        "dense": float(ranking.dense[mine.index]),
        "dense_margin": dense_here - dense_other,
        "coverage": ranking.coverage,
        "matched": matched,
        "agree": float(agree),
        "gap": (1.0 - ranking.coverage) if speaks else 0.0,
        "words": float(min(len(ranking.word_idf), 6)),
    }


@dataclass(frozen=True)
class Calibration:
    """Logistic regression on standardised features, and the probability to answer at."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def probability(self, values: dict) -> float:
        z = self.bias
        for name, m, s, w in zip(FEATURES, self.mean, self.scale, self.weights, strict=True):
            z += w * (values[name] - m) / s
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_json(self) -> dict:
        return {
            "features": list(FEATURES),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "bias": self.bias,
            "threshold": self.threshold,
        }


def fit(rows: list[dict], labels: list[int], l2: float = 1.0, threshold: float = 0.5):
    """Fit the logistic model by gradient descent (a few hundred rows: numpy is plenty)."""
    x = np.array([[r[f] for f in FEATURES] for r in rows], dtype=np.float64)
    y = np.array(labels, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-9
    xs = (x - mean) / scale
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(4000):
        p = 1 / (1 + np.exp(-(xs @ w + b)))
        g = p - y
        w -= 0.1 * (xs.T @ g / len(y) + l2 * w / len(y))
        b -= 0.1 * g.mean()
    return Calibration(
        tuple(mean.tolist()), tuple(scale.tolist()), tuple(w.tolist()), float(b), threshold
    )


@cache
def calibration() -> Calibration:
    data = json.loads(CALIBRATION_FILE.read_text())
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{CALIBRATION_FILE} was fitted on other features; refit it")
    return Calibration(
        tuple(data["mean"]),
        tuple(data["scale"]),
        tuple(data["weights"]),
        float(data["bias"]),
        float(data["threshold"]),
    )
