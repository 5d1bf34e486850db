"""What the suggesters learn from, and how.

**Labelled examples** are this kabupaten's own complaints whose category or OPD somebody decided:
- every SP4N-LAPOR! report, with the category it carries upstream, and the OPD it was disposed to
  (only once disposed: an OPD filled in from the category's default is nobody's decision);
- every complaint typed in here by staff (channel `manual`, or `entered_by` set), with the category the
  petugas chose;
- every complaint on any other channel that a person dispatched (`dispatch` history event: its OPD) or
  categorised (`categorize` event, or a dispatch that carried a category: its category).
The labels are the complaint's current category and OPD, so a later correction (a re-dispatch after
"bukan wewenang") teaches the correction.

**The model** is one scikit-learn pipeline per target (leaf category code; OPD code): the text (title and
body, normalised by `core.triage.text`) as TF-IDF of words (1–2-grams) and of characters within words
(3–5-grams, which carry over spelling variants and chat abbreviations the word features miss) and the
kecamatan (one-hot, small weight), joined side by side (a `ColumnTransformer`, the column-wise
`FeatureUnion`), then a multinomial logistic regression with balanced class weights, whose probabilities
are the scores shown.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import or_
from sqlmodel import Session, select

from core.triage.text import normalise
from models import Category, Complaint, ComplaintEvent, Opd

if TYPE_CHECKING:  # imported where a model is built: scikit-learn costs every API process ~90 MB of memory
    from sklearn.pipeline import Pipeline

UPSTREAM_LABELLED = ("lapor",)  # channels whose category and disposition are set upstream by the agency
STAFF_TYPED = ("manual",)  # channels whose complaints are typed in by staff, who choose the category
TARGETS = ("category", "opd")
log = logging.getLogger("aduan.triage")


@dataclass(frozen=True)
class Example:
    complaint_id: int
    at: datetime  # received: the time split orders by it
    text: str
    kecamatan: str | None
    category: str | None = None
    opd: str | None = None

    def label(self, target: str) -> str | None:
        return self.category if target == "category" else self.opd

    @property
    def features(self) -> tuple[str, str | None]:
        return (self.text, self.kecamatan)


def complaint_text(title: str | None, body: str | None) -> str:
    """The text a suggestion reads: title, then body (WhatsApp titles are the body's first words: no harm)."""
    return f"{title or ''}\n{body or ''}".strip()


def load_examples(session: Session) -> list[Example]:
    """Every labelled complaint (module doc), oldest first."""
    decided = select(ComplaintEvent.complaint_id, ComplaintEvent.data).join(
        Complaint, Complaint.id == ComplaintEvent.complaint_id).where(
        Complaint.channel.not_in(UPSTREAM_LABELLED),
        ComplaintEvent.data["action"].as_string().in_(("dispatch", "categorize")))
    staff_opd: set[int] = set()
    staff_category: set[int] = set()
    for complaint_id, data in session.exec(decided).all():
        action = (data or {}).get("action")
        if action == "dispatch":
            staff_opd.add(complaint_id)
        if action == "categorize" or (action == "dispatch" and (data or {}).get("category")):
            staff_category.add(complaint_id)

    rows = session.exec(
        select(Complaint.id, Complaint.channel, Complaint.received_at, Complaint.title, Complaint.body,
               Complaint.kecamatan, Complaint.entered_by, Complaint.dispatched_at, Category.code, Opd.code)
        .outerjoin(Category, Category.id == Complaint.category_id)
        .outerjoin(Opd, Opd.id == Complaint.opd_id)
        .where(or_(Complaint.channel.in_(UPSTREAM_LABELLED + STAFF_TYPED), Complaint.entered_by.is_not(None),
                   Complaint.id.in_(decided.with_only_columns(ComplaintEvent.complaint_id))))
        .order_by(Complaint.received_at, Complaint.id)
    ).all()
    examples = []
    for cid, channel, at, title, body, kecamatan, entered_by, dispatched_at, cat_code, opd_code in rows:
        if channel in UPSTREAM_LABELLED:
            category, opd = cat_code, (opd_code if dispatched_at is not None else None)
        else:
            typed = channel in STAFF_TYPED or entered_by is not None
            category = cat_code if (typed or cid in staff_category) else None
            opd = opd_code if cid in staff_opd else None
        if category or opd:
            examples.append(Example(cid, at, complaint_text(title, body), kecamatan, category, opd))
    return examples


# --- the pipeline ----------------------------------------------------------------------------------
# Module-level functions (not lambdas), so a trained pipeline pickles and loads in another process.
KECAMATAN_WEIGHT = 0.3  # neutral on the demo's history; lets a kabupaten whose camat handle some topics learn it


def prepare(rows: Sequence[tuple[str, str | None]]) -> np.ndarray:
    """(raw text, kecamatan) rows → columns (normalised text, kecamatan key)."""
    return np.array([[normalise(text), (kecamatan or "").strip().lower()] for text, kecamatan in rows],
                    dtype=object).reshape(-1, 2)


def build_pipeline(c: float = 10.0) -> Pipeline:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    # A ColumnTransformer is a FeatureUnion whose parts read different columns: both text parts read the text.
    features = ColumnTransformer([
        ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b[\w-]{2,}\b"), 0),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2), 0),
        ("kecamatan", OneHotEncoder(handle_unknown="ignore"), [1]),
    ], transformer_weights={"word": 1.0, "char": 1.0, "kecamatan": KECAMATAN_WEIGHT})
    return Pipeline([
        ("prepare", FunctionTransformer(prepare)),
        ("features", features),
        # Balanced class weights: a small OPD (BPBD) is not outvoted by the big one (DPUPR) on shared words.
        # tol 1e-3 stops after a few iterations: 4x faster than the default, and no worse on new text.
        ("classify", LogisticRegression(C=c, class_weight="balanced", tol=1e-3, max_iter=1000)),
    ])


@dataclass
class Trained:
    """Both suggesters (either may be missing: too few examples of that kind) and what they were taught."""

    pipelines: dict[str, Pipeline | None]
    examples: int
    counts: dict[str, int] = field(default_factory=dict)  # labelled examples per target
    seconds: float = 0.0

    def rank(self, target: str, text: str, kecamatan: str | None, k: int = 3) -> list[tuple[str, float]]:
        """The k most likely codes with their probabilities, best first."""
        pipeline = self.pipelines.get(target)
        if pipeline is None:
            return []
        proba = pipeline.predict_proba([(text, kecamatan)])[0]
        order = proba.argsort()[::-1][:k]
        classes = pipeline.classes_
        return [(str(classes[i]), float(proba[i])) for i in order]

    def rank_many(self, target: str, rows: Sequence[tuple[str, str | None]], k: int = 3) -> list[list[str]]:
        pipeline = self.pipelines.get(target)
        if pipeline is None:
            return [[] for _ in rows]
        proba = pipeline.predict_proba(list(rows))
        classes = pipeline.classes_
        return [[str(classes[i]) for i in row.argsort()[::-1][:k]] for row in proba]


def fit(examples: Sequence[Example], min_examples: int) -> Trained:
    """Train one pipeline per target that has at least `min_examples` labels of at least two kinds."""
    started = time.perf_counter()
    pipelines: dict[str, Pipeline | None] = {}
    counts: dict[str, int] = {}
    for target in TARGETS:
        labelled = [e for e in examples if e.label(target)]
        counts[target] = len(labelled)
        if len(labelled) < max(min_examples, 1) or len({e.label(target) for e in labelled}) < 2:
            pipelines[target] = None
            continue
        pipeline = build_pipeline()
        try:
            pipeline.fit([e.features for e in labelled], [e.label(target) for e in labelled])
        except ValueError as exc:  # e.g. no word left in any text after normalising
            log.warning("triage %s model not trained: %s", target, exc)
            pipeline = None
        pipelines[target] = pipeline
    return Trained(pipelines, len(examples), counts, time.perf_counter() - started)


def describe(trained: Trained) -> dict[str, Any]:
    """What goes into `TriageModel.info` besides the evaluation."""
    import sklearn

    return {"sklearn": sklearn.__version__, "fit_seconds": round(trained.seconds, 3), "labelled": trained.counts,
            "classes": {t: (len(p.classes_) if p is not None else 0) for t, p in trained.pipelines.items()}}
