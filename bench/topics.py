"""Topic modelling of N complaints (issue #22: 100k in under 2 minutes on the 2-core machine).

    python -m bench.topics --n 100000            # the model alone, then the worker's whole trends job on SQLite
    python -m bench.topics --n 100000 --model-only

Texts are synthetic Indonesian complaints written from bench.similar's per-category phrase pools, places and
fillers, a third of them in WhatsApp style (lower case, chat abbreviations, emoji, a phone number). Printed:
seconds to normalise, fit TF-IDF + NMF (ADUAN_TRENDS_TOPICS topics) and assign; then, unless --model-only, the
N complaints are bulk-inserted into a temporary SQLite database within the last five weeks (so the month's run
fits all of them, and the week's a fifth) and `run_trends` (week + month topics, spikes, stored) is timed.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.similar import FILLERS, LANDMARKS, PHRASES

SLANG_BACK = {"tidak": "gk", "sudah": "sdh", "belum": "blm", "yang": "yg", "dengan": "dgn", "jalan": "jln",
              "untuk": "utk", "karena": "krn", "dari": "dr", "tolong": "tlg"}
EMOJI = ["🙏", "😡", "🙏🙏", "!!!", "😭", ""]
DESA = ["Sumberjo", "Gogodeso", "Minggirsari", "Papungan", "Sawentar", "Kunir", "Jatinom", "Kalipucung", "Bence"]


def texts(n: int, seed: int = 22) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    codes = sorted(PHRASES)
    out = []
    for _ in range(n):
        code = rng.choice(codes)
        subjects, details = PHRASES[code]
        where = f"{rng.choice(LANDMARKS)} {rng.choice(DESA)}"
        text = " ".join([f"{rng.choice(subjects)} di {where}."]
                        + rng.sample(details, k=min(len(details), rng.randint(1, 3))) + [rng.choice(FILLERS)])
        if rng.random() < 0.33:  # WhatsApp style
            text = " ".join(SLANG_BACK.get(w, w) for w in text.lower().split())
            text += f" {rng.choice(EMOJI)} hub 08{rng.randint(10**9, 10**10 - 1)}"
        out.append((code, text))
    return out


def model_only(n: int, topics: int) -> None:
    from sklearn.metrics import adjusted_rand_score

    from core.trends.model import fit_topics
    from core.trends.text import normalise

    rows = texts(n)
    started = time.perf_counter()
    docs = [normalise(t) for _, t in rows]
    normalised = time.perf_counter()
    model = fit_topics([], topics, normalised=docs)
    fitted = time.perf_counter()
    model.assign([t for _, t in rows[:20_000]])
    assigned = time.perf_counter()
    ari = adjusted_rand_score([c for c, _ in rows], model.assignment)
    print(f"normalise {n:,} texts            {normalised - started:8.1f} s")
    print(f"fit TF-IDF + NMF ({topics} topics)   {fitted - normalised:8.1f} s  "
          f"({model.info.get('vocabulary')} terms, {model.info.get('iterations')} iterations)")
    print(f"assign 20,000 more             {assigned - fitted:8.1f} s")
    print(f"model total                    {fitted - started:8.1f} s   (ARI against the {len(PHRASES)} "
          f"generating categories: {ari:.2f})")
    for words in model.keywords:
        print("   ", " · ".join(words))


def whole_job(n: int) -> None:
    from sqlmodel import Session, select

    from core.intake.ingest import tracking_code
    from core.reference.seed import seed_reference
    from core.runtime import migrate
    from core.runtime.db import make_engine
    from core.runtime.settings import load_settings
    from core.trends.job import run_trends
    from models import Category, Complaint

    folder = Path(tempfile.mkdtemp(prefix="bench-topics-"))
    url = f"sqlite:///{folder / 'aduan.db'}"
    settings = load_settings(database_url=url)
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        seed_reference(session, settings)
        session.commit()
        cats = {code: (cid, opd) for code, cid, opd in session.exec(
            select(Category.code, Category.id, Category.default_opd_id)).all()}
    now = datetime.now(UTC).replace(microsecond=0)
    rng = random.Random(5)
    rows = []
    for i, (code, text) in enumerate(texts(n)):
        received = now - timedelta(seconds=rng.uniform(0, 35 * 86400))
        cat, opd = cats.get(code, (None, None))
        channel = rng.choice(["lapor", "whatsapp", "call112", "manual"])
        rows.append({"title": text[:120], "body": text, "classification": "pengaduan", "category_id": cat,
                     "opd_id": opd, "rahasia": False, "anonim": False, "channel": channel,
                     "external_id": f"b{i}", "tracking_code": tracking_code(channel, f"b{i}"), "status": "verified",
                     "received_at": received, "kecamatan": rng.choice(["Wlingi", "Talun", "Kanigoro", "Garum"]),
                     "sla_tier": "sedang", "sla_tier_override": False, "escalation_level": 0,
                     "paused_working_days": 0, "reopened_count": 0, "created_at": received, "updated_at": received})
    with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(Complaint.__table__.insert(), rows[start:start + 10_000])
    with Session(engine, expire_on_commit=False) as session:
        started = time.perf_counter()
        result = run_trends(session, settings, now=now)
        elapsed = time.perf_counter() - started
    print(f"trends job on SQLite, {n:,} complaints in 5 weeks: {elapsed:.1f} s  ({result})")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--topics", type=int, default=10)
    parser.add_argument("--model-only", action="store_true")
    args = parser.parse_args()
    model_only(args.n, args.topics)
    if not args.model_only:
        whole_job(args.n)


if __name__ == "__main__":
    main()
