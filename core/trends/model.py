"""Topics of a set of complaint texts: TF-IDF + non-negative matrix factorisation (scikit-learn).

Why NMF rather than clustering + c-TF-IDF: complaints are short and one-topic, NMF on TF-IDF gives each topic a
ranked list of words directly (its row of H: the label) and each complaint a weight per topic (its row of W:
the assignment, argmax), it is deterministic with `init="nndsvda"`, needs no embedding model (none can be
downloaded here), and it runs on a sparse matrix: 100k complaints in well under a minute on two cores
(bench/topics.py). A fitted model also assigns complaints it was not fitted on (`assign`), which the spikes use
for the weeks before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.trends.text import normalise

if TYPE_CHECKING:  # imported where a model is fitted: scikit-learn costs every API process ~90 MB of memory
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

METHOD = ("TF-IDF (sublinear, unigram+bigram, Indonesian stop words and chat abbreviations) + NMF "
          "(nndsvda); each complaint in its strongest topic")
KEYWORDS = 5
MAX_FEATURES = 20_000


@dataclass
class Topics:
    keywords: list[list[str]]  # per topic, strongest first
    assignment: np.ndarray  # per document: topic index, or -1 (no topic words)
    weight: np.ndarray  # per document: the strength of its topic
    vectorizer: TfidfVectorizer | None = None
    nmf: NMF | None = None
    info: dict = field(default_factory=dict)

    def assign(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Topic index (or -1) and weight of texts the model was not fitted on."""
        if self.nmf is None or not texts:
            return np.full(len(texts), -1), np.zeros(len(texts))
        return _argmax(self.nmf.transform(self.vectorizer.transform([normalise(t) for t in texts])))


def _argmax(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    best = w.argmax(axis=1) if w.shape[1] else np.zeros(w.shape[0], dtype=int)
    weight = w.max(axis=1) if w.shape[1] else np.zeros(w.shape[0])
    return np.where(weight > 1e-9, best, -1), weight


def fit_topics(texts: list[str], n_topics: int, *, seed: int = 0, normalised: list[str] | None = None) -> Topics:
    """Fit `n_topics` topics (fewer when there are few documents) on `texts`."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = normalised if normalised is not None else [normalise(t) for t in texts]
    n = len(docs)
    k = max(1, min(n_topics, n // 5))
    empty = Topics([], np.full(n, -1), np.zeros(n), info={"documents": n, "topics": 0})
    if sum(1 for d in docs if d) < 2 * k or n < 5:
        return empty
    # A word in more than half of many complaints is no topic's; in a handful it may be the only one.
    min_df, max_df = (2, 0.5) if n >= 50 else (1, 1.0)
    vectorizer = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True, min_df=min_df,
                                 max_df=max_df, max_features=MAX_FEATURES, dtype=np.float32)
    try:
        x = vectorizer.fit_transform(docs)
    except ValueError:  # nothing left after the stop words
        return empty
    if x.shape[1] < k:
        return empty
    # No more topics than different documents: a copy-paste campaign would otherwise be split into several
    # topics with the same words, its identical complaints spread over them by rounding.
    k = max(1, min(k, _distinct_rows(x)))
    nmf = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=300, tol=1e-4)
    with np.errstate(invalid="ignore"):  # sklearn's error estimate may take the root of a tiny negative
        w = nmf.fit_transform(x)
    vocabulary = vectorizer.get_feature_names_out()
    keywords = [_keywords(row, vocabulary) for row in nmf.components_]
    assignment, weight = _argmax(w)
    return Topics(keywords, assignment, weight, vectorizer, nmf,
                  info={"documents": n, "topics": k, "vocabulary": int(x.shape[1]), "iterations": int(nmf.n_iter_)})


def _distinct_rows(x) -> int:
    """Different non-empty rows of a CSR matrix."""
    return len({(x.indices[a:b].tobytes(), x.data[a:b].tobytes())
                for a, b in zip(x.indptr[:-1], x.indptr[1:], strict=True) if b > a})


def _keywords(row: np.ndarray, vocabulary: np.ndarray, n: int = KEYWORDS) -> list[str]:
    """The strongest words of a topic; a bigram stands in for its two words ("lampu mati", not "lampu", "mati")."""
    out: list[str] = []
    for index in np.argsort(row)[::-1][: n * 4]:
        if row[index] <= 0:
            break
        term = str(vocabulary[index])
        words = term.split()
        if any(term in kept.split() or kept in words or (len(words) > 1 and all(w in out for w in words))
               for kept in out):
            continue
        if len(words) > 1:
            out = [kept for kept in out if kept not in words]
        out.append(term)
        if len(out) >= n:
            break
    return out


def label(keywords: list[str], n: int = 3) -> str:
    return " · ".join(keywords[:n])
