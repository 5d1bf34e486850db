"""Latency of the triage suggestions (core.triage) on a demo-sized model: in-process and over ASGI.

    python -m bench.triage_suggest                     # temp SQLite: the demo's LAPOR! history, from the emulator
    python -m bench.triage_suggest --db-url sqlite:////path/aduan.db   # an existing database, e.g. after `make
                                                       # demo` (gets two more model versions, 50 WhatsApp rows)

The temp database gets what `aduan demo` pulls from SP4N-LAPOR! (2,400 reports over 180 days, seed 2026,
through the real connector); the model is trained on it (timed, like `aduan triage train`), then WhatsApp-style
texts (the emulator's, with random places) are asked for suggestions: `suggest()` in-process, `POST
/api/v1/triage/suggest` and the detail of an unverified complaint (which carries suggestions) through httpx's
ASGI transport (the whole app: auth, middleware, JSON). p50/p95 are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from importlib.resources import files
from pathlib import Path


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def texts(n: int, seed: int) -> list[tuple[str, str]]:
    from connectors.emulators.meta_webhooks import COMPLAINTS

    regions = json.loads(files("core.reference.data").joinpath("regions.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kec = rng.choice(sorted(regions))
        out.append((rng.choice(COMPLAINTS).format(desa=rng.choice(regions[kec][2]), kec=kec), kec))
    return out


def load_lapor_history(settings) -> int:
    """The demo's LAPOR! history, pulled through the real connector from the emulator."""
    from datetime import UTC, datetime

    from sqlmodel import Session, func, select

    from connectors.emulators import lapor
    from connectors.emulators.runner import serve
    from core.intake.instances import save_instance
    from core.intake.sync import sync_instance
    from core.runtime.db import get_engine
    from models import Complaint

    engine = get_engine()
    with Session(engine) as session:
        have = session.exec(select(func.count()).select_from(Complaint).where(Complaint.channel == "lapor")).one()
    if have:
        return have
    anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with serve(lapor.create_app(seed=2026, total=2400, days=180, now=anchor)) as url:
        with Session(engine, expire_on_commit=False) as session:
            save_instance(session, "lapor", "lapor", lapor.connector_config(url), schedule_seconds=None, replace=True)
            session.commit()
        summary = sync_instance("lapor", engine=engine)
    return summary.new


def measure(db_url: str, samples: int, seed: int) -> None:
    import httpx
    from sqlmodel import Session, select

    from api.main import create_app
    from core.identity.keys import create_key
    from core.intake.ingest import ComplaintDraft, Resolver, upsert_complaint
    from core.reference.seed import seed_reference
    from core.runtime import db, migrate
    from core.runtime.settings import get_settings
    from core.triage import model
    from core.triage.suggest import suggest
    from models import Complaint, Status
    from models.types import utcnow

    os.environ["ADUAN_DATABASE_URL"] = db_url
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    settings = get_settings()
    migrate.upgrade(db_url)
    engine = db.get_engine()
    with Session(engine) as session:
        seed_reference(session, settings)
    started = time.perf_counter()
    reports = load_lapor_history(settings)
    print(f"LAPOR! history: {reports:,} reports ({time.perf_counter() - started:.1f} s)")

    with Session(engine, expire_on_commit=False) as session:
        cpu, wall = time.process_time(), time.perf_counter()
        result = model.train(session, settings, measure=False)
        fit_wall, fit_cpu = time.perf_counter() - wall, time.process_time() - cpu
        cpu, wall = time.process_time(), time.perf_counter()
        measured = model.train(session, settings, measure=True)
        both_wall, both_cpu = time.perf_counter() - wall, time.process_time() - cpu
        blob = measured.info.get("blob_bytes", 0)
    print(f"model v{result.version}: {result.examples:,} labelled complaints ({result.counts})")
    print(f"train (fit only)            : {fit_wall:6.1f} s wall, {fit_cpu:6.1f} s CPU")
    print(f"train (time split + fit)    : {both_wall:6.1f} s wall, {both_cpu:6.1f} s CPU; blob {blob / 1e6:.1f} MB")
    if measured.evaluation:
        ev = measured.evaluation
        print("time split (newest 20 %)    : " + ", ".join(
            f"{t} top-1 {ev.scores[t].top1:.1%} top-3 {ev.scores[t].top3:.1%}" for t in ("category", "opd")))

    asked = texts(samples, seed)
    with Session(engine, expire_on_commit=False) as session:
        model._cache.clear()
        cold = time.perf_counter()
        suggest(session, settings, *asked[0])
        cold_ms = (time.perf_counter() - cold) * 1000
        core_ms = []
        for text, kec in asked:
            start = time.perf_counter()
            suggest(session, settings, text, kec)
            core_ms.append((time.perf_counter() - start) * 1000)
        resolver = Resolver(session, settings)
        waiting = [upsert_complaint(session, "whatsapp", ComplaintDraft(
            external_id=f"bench-{uuid.uuid4().hex[:8]}", title=text[:80], body=text, kecamatan=kec,
            received_at=utcnow(), status=Status.unverified), resolver).complaint.id for text, kec in asked[:50]]
        session.commit()
        _, key = create_key(session, f"bench-{uuid.uuid4().hex[:6]}", "admin")
        assert session.exec(select(Complaint.id).where(Complaint.id == waiting[0])).first()

    async def over_asgi() -> tuple[list[float], list[float]]:
        transport = httpx.ASGITransport(app=create_app())
        post_ms, detail_ms = [], []
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers={"X-API-Key": key}) as c:
            for text, kec in asked[:10]:  # warm-up
                (await c.post("/api/v1/triage/suggest", json={"text": text, "kecamatan": kec})).raise_for_status()
            for text, kec in asked:
                start = time.perf_counter()
                r = await c.post("/api/v1/triage/suggest", json={"text": text, "kecamatan": kec})
                post_ms.append((time.perf_counter() - start) * 1000)
                r.raise_for_status()
            for complaint_id in waiting:
                start = time.perf_counter()
                r = await c.get(f"/api/v1/complaints/{complaint_id}")
                detail_ms.append((time.perf_counter() - start) * 1000)
                r.raise_for_status()
                assert r.json()["suggestions"]["categories"], r.json()["suggestions"]
        return post_ms, detail_ms

    post_ms, detail_ms = asyncio.run(over_asgi())
    engine.dispose()
    db.get_engine.cache_clear()
    print(f"{engine.dialect.name}, {len(asked)} WhatsApp-style texts; first call after a new version "
          f"(loads the blob): {cold_ms:.0f} ms")
    print(f"{'':<40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, values in (("suggest() in-process", core_ms), ("POST /triage/suggest over ASGI", post_ms),
                          ("GET /complaints/{id} (unverified)", detail_ms)):
        print(f"{label:<40} {pct(values, 50):>8.1f} {pct(values, 95):>8.1f} {max(values):>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-url", help="database to use (kept); default: a temp SQLite file, removed after")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.db_url:
        measure(args.db_url, args.samples, args.seed)
        return
    with tempfile.TemporaryDirectory(prefix="aduan-triage-") as folder:
        measure(f"sqlite:///{Path(folder) / 'bench.db'}", args.samples, args.seed)


if __name__ == "__main__":
    main()
