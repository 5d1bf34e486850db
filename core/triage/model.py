"""Trained suggesters, versioned in the `triage_model` table; the newest version is the one in use.

`train` loads the labelled history, measures it on a time split (`core.triage.evaluate`), trains on all of
it and stores a new version: `blob` holds both pipelines (joblib, compressed), `info` the figures and the
library versions. Each process keeps the newest version it loaded in memory and asks the database only
which version is newest, so a retrain by the worker or the CLI is picked up by the API on its next request.
The blob is read back with pickle: only this code writes that table.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import joblib
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, func, select

from core.runtime.settings import Settings
from core.triage.evaluate import Evaluation, evaluate
from core.triage.learn import TARGETS, Example, Trained, describe, fit, load_examples
from models import Category, Opd, TriageModel
from models.types import utcnow

log = logging.getLogger("aduan.triage")

BLOB_FORMAT = 1
KEEP_VERSIONS = 10  # older versions are deleted when a new one is stored


@dataclass(frozen=True)
class Header:
    """A stored version without its blob."""

    version: int
    trained_at: datetime
    examples: int

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "trained_at": self.trained_at, "examples": self.examples}


@dataclass
class Loaded:
    header: Header
    trained: Trained
    names: dict[str, dict[str, str]]  # target → code → name at training time


@dataclass
class TrainResult:
    examples: int
    counts: dict[str, int]
    version: int | None = None  # None: nothing stored (see `skipped`)
    skipped: str | None = None  # why nothing was stored
    evaluation: Evaluation | None = None
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


def fingerprint(examples: list[Example]) -> str:
    """Identity of a labelled history: the same labels on the same complaints give the same fingerprint."""
    digest = hashlib.sha256()
    for e in sorted(examples, key=lambda e: e.complaint_id):
        digest.update(f"{e.complaint_id}:{e.category or ''}:{e.opd or ''}\n".encode())
    return digest.hexdigest()


def suggester_rows():
    """The rows of the category/OPD suggesters: not those of the candidate ranker (core.triage.candidates), which
    shares the table and its version numbers and says so in `info["kind"]`."""
    kind = TriageModel.info["kind"].as_string()
    return or_(kind.is_(None), kind != "candidate")


def newest(session: Session) -> Header | None:
    row = session.exec(select(TriageModel.version, TriageModel.trained_at, TriageModel.examples)
                       .where(suggester_rows()).order_by(col(TriageModel.version).desc()).limit(1)).first()
    return Header(*row) if row else None


def newest_info(session: Session) -> dict[str, Any] | None:
    return session.exec(select(TriageModel.info).where(suggester_rows())
                        .order_by(col(TriageModel.version).desc()).limit(1)).first()


def train(session: Session, settings: Settings, *, measure: bool = True, only_if_new: bool = False,
          now: datetime | None = None) -> TrainResult:
    """Train on every labelled complaint and store a new version (committed).

    Nothing is stored below `settings.triage_min_examples` labels, or, with `only_if_new`, when the labels are
    exactly those of the newest version."""
    started = time.perf_counter()
    examples = load_examples(session)
    counts = {t: sum(bool(e.label(t)) for e in examples) for t in TARGETS}
    result = TrainResult(len(examples), counts)
    minimum = settings.triage_min_examples
    if max(counts.values(), default=0) < minimum:
        result.skipped = (f"belum cukup data: {max(counts.values(), default=0)} labelled complaints, "
                          f"ADUAN_TRIAGE_MIN_EXAMPLES is {minimum}")
        return result
    labels_print = fingerprint(examples)
    if only_if_new and (newest_info(session) or {}).get("fingerprint") == labels_print:
        result.skipped = "no new labels since the newest version"
        return result
    session.commit()  # end the read transaction: fitting takes seconds
    if measure:
        result.evaluation = evaluate(examples, minimum)
    trained = fit(examples, minimum)
    if all(p is None for p in trained.pipelines.values()):
        result.skipped = "belum cukup data: fewer than two different categories or OPD"
        return result
    info = {**describe(trained), "fingerprint": labels_print, "min_examples": minimum,
            "evaluation": result.evaluation.as_dict() if result.evaluation else None}
    result.version = store(session, trained, _names(session), info, now=now)
    result.info = info
    result.seconds = time.perf_counter() - started
    return result


def _names(session: Session) -> dict[str, dict[str, str]]:
    return {"category": dict(session.exec(select(Category.code, Category.name)).all()),
            "opd": dict(session.exec(select(Opd.code, Opd.name)).all())}


def store(session: Session, trained: Trained, names: dict[str, dict[str, str]], info: dict[str, Any],
          now: datetime | None = None) -> int | None:
    """Save as the next version (and drop versions older than the last `KEEP_VERSIONS`). Returns the version,
    or None when another process stored that version number first."""
    buffer = io.BytesIO()
    joblib.dump({"format": BLOB_FORMAT, "pipelines": trained.pipelines, "counts": trained.counts,
                 "names": names}, buffer, compress=3)
    version = (session.exec(select(func.max(TriageModel.version))).one() or 0) + 1
    info["blob_bytes"] = buffer.tell()
    session.add(TriageModel(version=version, trained_at=now or utcnow(), examples=trained.examples, info=info,
                            blob=buffer.getvalue()))
    try:
        session.commit()
    except IntegrityError:  # two workers on PostgreSQL trained at once: theirs stands
        session.rollback()
        log.info("triage model version %s was stored by another process", version)
        return None
    kept = session.exec(select(TriageModel.version).where(suggester_rows())
                        .order_by(col(TriageModel.version).desc()).limit(KEEP_VERSIONS)).all()
    session.exec(delete(TriageModel).where(suggester_rows(), col(TriageModel.version).not_in(kept)))
    session.commit()
    return version


# --- the in-process cache ----------------------------------------------------------------------------
_lock = threading.Lock()
_cache: dict[str, Loaded] = {}  # database URL → newest version loaded from it


def load_newest(session: Session) -> Loaded | None:
    """The newest stored version, from memory when this process has already loaded it."""
    header = newest(session)
    if header is None:
        return None
    key = session.get_bind().url.render_as_string(hide_password=True)
    cached = _cache.get(key)
    if cached is not None and cached.header == header:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.header == header:
            return cached
        blob = session.exec(select(TriageModel.blob).where(TriageModel.version == header.version)).first()
        if blob is None:  # pruned between the two queries
            return None
        data = joblib.load(io.BytesIO(blob))
        trained = Trained(data["pipelines"], header.examples, data.get("counts", {}))
        loaded = Loaded(header, trained, data.get("names", {}))
        _cache[key] = loaded
        return loaded
