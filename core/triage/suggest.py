"""Top-3 categories and OPD for a complaint's text, with the model's confidence; a person decides.

The shape is the API's (`POST /api/v1/triage/suggest`, and `suggestions` on an unverified complaint's detail):
`{"categories": [{"code", "name", "score"}…], "opds": [...], "model": {"version", "trained_at", "examples"},
"message": None}`; without a model trained on at least `ADUAN_TRIAGE_MIN_EXAMPLES` labelled complaints it
suggests nothing and says "belum cukup data".
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.runtime.settings import Settings
from core.triage.learn import complaint_text
from core.triage.model import Loaded, load_newest
from models import Category, Opd

NOT_ENOUGH = "belum cukup data"
TOP = 3


def nothing() -> dict[str, Any]:
    return {"categories": [], "opds": [], "model": None, "message": NOT_ENOUGH}


def suggest(session: Session, settings: Settings, text: str, kecamatan: str | None = None,
            k: int = TOP) -> dict[str, Any]:
    loaded = load_newest(session)
    if loaded is None or loaded.header.examples < settings.triage_min_examples:
        return nothing()
    return {"categories": _named(session, loaded, "category", text, kecamatan, k),
            "opds": _named(session, loaded, "opd", text, kecamatan, k),
            "model": loaded.header.as_dict(), "message": None}


def suggest_for(session: Session, settings: Settings, title: str | None, body: str | None,
                kecamatan: str | None) -> dict[str, Any]:
    """Suggestions for a stored complaint (its title and body, as the model was trained on them)."""
    return suggest(session, settings, complaint_text(title, body), kecamatan)


def _named(session: Session, loaded: Loaded, target: str, text: str, kecamatan: str | None,
           k: int) -> list[dict[str, Any]]:
    # Rank a few more than shown: a code since removed from the reference tables, or an OPD no longer
    # active, is skipped rather than suggested.
    ranked = loaded.trained.rank(target, text, kecamatan, k + 3)
    codes = [code for code, _ in ranked]
    if target == "category":
        names = dict(session.exec(select(Category.code, Category.name).where(col(Category.code).in_(codes))).all())
    else:
        names = dict(session.exec(select(Opd.code, Opd.name).where(col(Opd.code).in_(codes),
                                                                   col(Opd.active))).all())
    return [{"code": code, "name": names[code], "score": round(score, 4)}
            for code, score in ranked if code in names][:k]
