"""Possible duplicates of one complaint, across every channel: the same pothole reported by WhatsApp,
SP4N-LAPOR! and 112 should be one issue.

Fast enough for every card of the triage queue (p50 under 100 ms at 100k complaints, bench/similar.py):

1. SQL prefilter: complaints received within ±window of this one (an index range on received_at), that
   the caller may read, not this one, not already merged under a parent, not in another kecamatan (unless
   their coordinates are close), and sharing something: desa, kecamatan, category family, nearby coordinates,
   or a keyword of the text. They are ranked in SQL by how much they share and at most
   `similar_max_candidates` are read. No index beyond ix_complaint_received_id
   is needed: the window is a range of a few thousand rows at 100k complaints.
2. Only those candidates are vectorised (scikit-learn): TF-IDF on words (1-2-grams) and on character 3-5-grams
   of Indonesian text normalised by core/triage/text.py plus the duplicate-specific steps below, cosine
   against this complaint. A complaint's words are cached by id and text, since neighbouring cards share most
   of their candidates.
3. Score = 0.60 text + 0.25 place + 0.15 category, each 0..1; candidates below `similar_min_score`, or with
   almost no text in common, are left out. Each item says why, in Bahasa Indonesia ("teks mirip 0,82",
   "desa sama: Gogodeso", "jarak 120 m", "kategori sama: Jalan rusak").
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import and_, case, func, literal, or_, select
from sqlmodel import Session

from core.identity.access import Access
from core.reference.regions import distance_km
from core.runtime.settings import Settings
from core.triage import text as triage_text
from models import Category, Complaint

WEIGHTS = {"text": 0.60, "place": 0.25, "category": 0.15}
MIN_TEXT = 0.12  # below this the texts share nothing worth a look, whatever the place and category say
MAX_LIMIT = 20
TEXT_CHARS = 1000  # of the body read per candidate: enough to compare, bounded to keep the request fast
KEYWORDS = 4  # words of this complaint's text looked up in the candidates' text (SQL LIKE)
_DEG_LAT_M = 111_320.0  # metres per degree of latitude

# --- Indonesian text normalisation --------------------------------------------------------------------------
# On top of the suggesters' normaliser (core/triage/text.py: case, links, phone numbers, numbers, chat
# abbreviations, function words), what telling duplicates apart needs: courtesies and words every complaint
# uses ("pak", "warga", "segera", "depan") out, a few more street words, reduplication with a hyphen
# ("lubang-lubang"), repeated letters ("parahhh"), and a light strip of the commonest affixes so that
# "berlubang" meets "lubang" and "diperbaiki" meets "perbaiki". No dictionary stemmer: the character n-grams
# carry the rest.

_SLANG = {"bolong": "lubang", "lbg": "lubang", "rsk": "rusak", "pju": "lampu jalan", "bnyk": "banyak",
          "mohon2": "mohon"}
_STOP = triage_text.STOP_WORDS | frozenset("""
    bapak ibu pak bu kak mas mbak warga kami kita segera sekali tidak hari tanggal jam sekitar hingga ketika
    namun lebih kurang perlu minta meminta sini situ sana yah lah telah mau atas bawah depan belakang dekat
    sebelah samping tiap setiap per kepada lain pernah sering dah mohon2 tolong2
    """.split())
_PREFIXES = ("memper", "menge", "meng", "meny", "mem", "men", "peng", "pem", "pen", "per", "ber", "ter",
             "me", "di", "ke", "se", "pe")
_PARTICLES = ("nya", "lah", "kah", "pun")
_SUFFIXES = ("kan", "an", "i")
_REDUP = re.compile(r"\b([a-z]{2,})-\1\b")
_REPEATS = re.compile(r"([a-z])\1{2,}")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light, conservative affix strip (a particle, one suffix, up to two prefixes); keeps four letters."""
    for group in (_PARTICLES, _SUFFIXES):
        for suffix in group:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
    for _ in range(2):
        prefix = next((p for p in _PREFIXES if word.startswith(p)), None)
        if prefix is None or len(word) - len(prefix) < 4:
            break
        word = word[len(prefix):]
    return word


def tokens(text: str | None) -> list[str]:
    """Normalised, stemmed words of a text (what the vectorisers read)."""
    text = _REPEATS.sub(r"\1", _REDUP.sub(r"\1", (text or "").lower()))
    out: list[str] = []
    for word in triage_text.tokens(text, _STOP):
        for part in _SLANG.get(word, word).split():
            if part not in _STOP:
                out.append(stem(part))
    return out


def normalise(text: str) -> str:
    return " ".join(tokens(text))


def keywords(title: str, body: str, n: int = KEYWORDS) -> list[str]:
    """Words of the title first, then the body, longest first: looked up as substrings of the candidates'
    lower-cased text, so a stem ("lubang") finds its affixed forms ("berlubang")."""
    found: list[str] = []
    for part in (title, body):
        words = sorted({w for w in tokens(part) if len(w) >= 4 and w.replace("-", "").isalpha()} - set(found),
                       key=lambda w: (-len(w), w))
        found += words
    return found[:n]


# --- scoring ------------------------------------------------------------------------------------------------

@dataclass
class _Row:
    id: int
    code: str
    channel: str
    title: str
    body: str
    status: str
    rahasia: bool
    category_id: int | None
    desa: str | None
    kecamatan: str | None
    lat: float | None
    lon: float | None
    received_at: Any
    reasons: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> list[str]:
        return _complaint_tokens(self.id, hash(self.title), hash(self.body), self.title, self.body)


_TOKEN_CACHE = 32768  # complaints whose words are kept (~10 MB): the cards of one queue share their neighbours


def _complaint_tokens(complaint_id: int, title_hash: int, body_hash: int, title: str, body: str) -> list[str]:
    """A complaint's words, the title twice (it says what the complaint is about); cached by id and text."""
    key = (complaint_id, title_hash, body_hash)
    found = _token_cache.get(key)
    if found is None:
        found = tokens(f"{title}. {title}. {body}")
        with _token_lock:  # requests run in a thread pool
            _token_cache[key] = found
            if len(_token_cache) > _TOKEN_CACHE:
                del _token_cache[next(iter(_token_cache))]  # the oldest entry
    return found


_token_cache: dict[tuple[int, int, int], list[str]] = {}
_token_lock = threading.Lock()


def number_id(value: float, decimals: int = 2) -> str:
    """0.82 → "0,82"; 1250 → "1.250" (Indonesian separators)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().lower() == b.strip().lower())


def _place(me: _Row, other: _Row, distance_m: float) -> float | None:
    """0..1 how sure the place is the same, appending reasons; None when the places clearly differ."""
    score = 0.0
    if me.lat is not None and me.lon is not None and other.lat is not None and other.lon is not None:
        metres = distance_km(me.lat, me.lon, other.lat, other.lon) * 1000
        if metres <= distance_m:
            score = 1.0 - 0.5 * metres / distance_m
            other.reasons.append(f"jarak {number_id(round(metres, -1), 0)} m" if metres >= 10 else "jarak < 10 m")
    same_kec = _same(me.kecamatan, other.kecamatan)
    if me.kecamatan and other.kecamatan and not same_kec and not score:
        return None  # another kecamatan, and no coordinates saying it is next door
    if _same(me.desa, other.desa) and (same_kec or not (me.kecamatan and other.kecamatan)):
        score = max(score, 1.0 if same_kec else 0.8)
        other.reasons.append(f"desa sama: {other.desa}")
    elif same_kec:
        score = max(score, 0.5)
        other.reasons.append(f"kecamatan sama: {other.kecamatan}")
    return score


def _category(me: _Row, other: _Row, categories: dict[int, Category]) -> float:
    a, b = categories.get(me.category_id or 0), categories.get(other.category_id or 0)
    if a is None or b is None:
        return 0.0
    if a.id == b.id:
        other.reasons.append(f"kategori sama: {b.name}")
        return 1.0
    root_a, root_b = a.parent_id or a.id, b.parent_id or b.id
    if root_a == root_b:
        root = categories.get(root_a)
        other.reasons.append(f"kategori serumpun: {root.name if root else b.name}")
        return 0.5
    return 0.0


@lru_cache(maxsize=65536)
def _char_grams(word: str) -> tuple[str, ...]:
    """Character 3-5-grams of one word padded with spaces (scikit-learn's char_wb), cached per word: texts of
    one kabupaten reuse few words, so a request mostly concatenates."""
    padded = f" {word} "
    return tuple(padded[i:i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1))


def _word_grams(words: list[str]) -> list[str]:
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _char_analyzer(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        out.extend(_char_grams(word))
    return out


def _cosines(docs: list[list[str]]) -> np.ndarray:
    """Cosine of docs[0] (normalised words) against every doc, averaged over word (1-2-gram) and character
    (3-5-gram, within words) TF-IDF fitted on these docs only."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # here: scikit-learn costs every API process ~90 MB

    total = np.zeros(len(docs))
    for analyzer in (_word_grams, _char_analyzer):
        try:
            matrix = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True).fit_transform(docs)
        except ValueError:  # nothing to count (no words left)
            continue
        total += (matrix @ matrix[0].T).toarray().ravel()  # rows are L2-normalised: the dot product is the cosine
    return total / 2


# --- the query ----------------------------------------------------------------------------------------------

_COLUMNS = (Complaint.id, Complaint.tracking_code, Complaint.channel, Complaint.title,
            func.substr(Complaint.body, 1, TEXT_CHARS), Complaint.status, Complaint.rahasia, Complaint.category_id,
            Complaint.desa, Complaint.kecamatan, Complaint.lat, Complaint.lon, Complaint.received_at)


def _row(values: Iterable[Any]) -> _Row:
    (id_, code, channel, title, body, status, rahasia, category_id, desa, kecamatan, lat, lon,
     received_at) = values
    return _Row(id_, code, channel, title or "", body or "", str(status), bool(rahasia), category_id, desa,
                kecamatan, lat, lon, received_at)


def _family(category_id: int | None, categories: dict[int, Category]) -> tuple[set[int], set[int]]:
    """(the category itself, its whole family: root and every child of the root)."""
    cat = categories.get(category_id or 0)
    if cat is None:
        return set(), set()
    root = cat.parent_id or cat.id
    return {cat.id}, {c.id for c in categories.values() if c.id == root or c.parent_id == root}


def _candidates(session: Session, me: _Row, access: Access, window: timedelta, distance_m: float,
                categories: dict[int, Category], limit: int) -> list[_Row]:
    lower = func.lower
    signals: list[tuple[Any, int]] = []  # (condition, weight): what a candidate shares with this complaint
    if me.desa:
        signals.append((lower(Complaint.desa) == me.desa.strip().lower(), 3))
    if me.kecamatan:
        signals.append((lower(Complaint.kecamatan) == me.kecamatan.strip().lower(), 1))
    own, family = _family(me.category_id, categories)
    if own:
        signals += [(Complaint.category_id.in_(own), 2), (Complaint.category_id.in_(family), 1)]
    near = None
    if me.lat is not None and me.lon is not None:
        dlat = distance_m / _DEG_LAT_M
        dlon = dlat / max(math.cos(math.radians(me.lat)), 0.01)
        near = and_(Complaint.lat.between(me.lat - dlat, me.lat + dlat),
                    Complaint.lon.between(me.lon - dlon, me.lon + dlon))
        signals.append((near, 3))
    sqlite = session.get_bind().dialect.name == "sqlite"
    for word in keywords(me.title, me.body):
        # SQLite's LIKE ignores ASCII case already; PostgreSQL's ILIKE does it without lower() on each row.
        pattern = f"%{word}%"
        found = [column.like(pattern) if sqlite else column.ilike(pattern) for column in (Complaint.title,
                                                                                          Complaint.body)]
        signals.append((or_(*found), 1))

    where = [
        Complaint.received_at.between(me.received_at - window, me.received_at + window),
        Complaint.id != me.id,
        Complaint.parent_id.is_(None),  # merged children are reached through their parent
        *access.scope(),
    ]
    if me.kecamatan:  # another kecamatan is another place, unless the coordinates say next door
        same_kec = or_(Complaint.kecamatan.is_(None), lower(Complaint.kecamatan) == me.kecamatan.strip().lower())
        where.append(or_(same_kec, near) if near is not None else same_kec)
    # Each row's rank is computed once (a selected column the sort reuses); rows sharing nothing rank 0.
    rank = sum((case((cond, weight), else_=0) for cond, weight in signals), start=literal(0)).label("shared")
    stmt = (select(*_COLUMNS, rank).where(*where)
            .order_by(rank.desc(), Complaint.received_at.desc(), Complaint.id.desc()).limit(limit))
    rows = session.execute(stmt).all()
    return [_row(values[:-1]) for values in rows if values[-1] > 0 or not signals]


def find_similar(session: Session, complaint_id: int, access: Access, *, window_days: int, limit: int,
                 min_score: float, distance_m: float, max_candidates: int) -> list[dict[str, Any]] | None:
    """Possible duplicates of one complaint, best first; None when it does not exist or the caller may not
    read it."""
    found = session.execute(select(*_COLUMNS).where(Complaint.id == complaint_id, *access.scope())).first()
    if found is None:
        return None
    me = _row(found)
    if not me.tokens:
        return []  # no words to compare (a bare photo or pin): text similarity decides whether anything counts
    categories = {c.id: c for c in session.execute(select(Category)).scalars()}
    candidates = _candidates(session, me, access, timedelta(days=window_days), distance_m, categories,
                             max_candidates)
    if not candidates:
        return []
    texts = _cosines([me.tokens, *(c.tokens for c in candidates)])[1:]
    items = []
    for other, text in zip(candidates, texts, strict=True):
        if text < MIN_TEXT:
            continue
        other.reasons.append(f"teks mirip {number_id(text)}")
        place = _place(me, other, distance_m)
        if place is None:
            continue
        score = (WEIGHTS["text"] * text + WEIGHTS["place"] * place
                 + WEIGHTS["category"] * _category(me, other, categories))
        if score < min_score:
            continue
        gap = abs((other.received_at - me.received_at).total_seconds())
        items.append((-round(score, 4), gap, other.id, other, score))
    items.sort(key=lambda item: item[:3])
    return [_item(other, score, access) for *_, other, score in items[:limit]]


def _item(row: _Row, score: float, access: Access) -> dict[str, Any]:
    shown = access.mask({"title": row.title, "rahasia": row.rahasia, "status": row.status})
    return {"id": row.id, "code": row.code, "channel": row.channel, "score": round(float(score), 2),
            "reasons": row.reasons, "title": shown["title"], "status": row.status, "received_at": row.received_at}


def similar_for(session: Session, complaint_id: int, access: Access, settings: Settings,
                window_days: int | None = None, limit: int = 5) -> list[dict[str, Any]] | None:
    """`find_similar` with the thresholds from settings (ADUAN_SIMILAR_*)."""
    return find_similar(session, complaint_id, access, window_days=window_days or settings.similar_window_days,
                        limit=limit, min_score=settings.similar_min_score, distance_m=settings.similar_distance_m,
                        max_candidates=settings.similar_max_candidates)


__all__ = ["MAX_LIMIT", "find_similar", "keywords", "normalise", "number_id", "similar_for", "stem", "tokens"]
