"""Time the wall page's first full render (every callback done) in Chromium against N complaints.

    python -m bench.wall --n 100000                       # SQLite file under bench/out/
    python -m bench.wall --n 1000000 --db-url postgresql+psycopg://postgres@127.0.0.1:5432/wallbench

Rows are generated straight into the database with bulk inserts (no ingest path: this measures reading).
A database that already holds N benchmark rows is reused.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from bench.fill import rollup_built_after
from core.reference.seed import seed_reference
from core.runtime import migrate
from core.runtime.db import make_engine
from core.runtime.settings import load_settings
from models import Category, Complaint, Opd, Region

CHUNK = 20_000
OUT = Path(__file__).parent / "out"
STATUSES = ["unverified", "verified", "dispatched", "in_progress", "postponed", "resolved", "resolved", "resolved",
            "resolved", "rejected"]
CHANNELS = ["lapor", "lapor", "whatsapp", "whatsapp", "call112", "google_reviews", "manual"]
# Every region of the wall holds its final content (data or an error message), nothing is loading.
WALL_RENDERED = """() => {
  const q = (s) => document.querySelector(s);
  const text = (s) => (q(s) || {innerText: ''}).innerText;
  const kpi = q('.kpi-card .kpi-value');
  return kpi && kpi.innerText !== '…'
    && q('#wall-channels').children.length > 0
    && !text('#wall-trend').includes('Memuat') && !text('#wall-map').includes('Memuat')
    && q('#wall-slow-opd').children.length > 0
    && document.querySelectorAll('[data-dash-is-loading="true"]').length === 0;
}"""
PROBLEMS = "() => [...document.querySelectorAll('.api-error, .data-unavailable')].map(e => e.innerText)"


def fill(db_url: str, n: int, seed: int = 7) -> int:
    """Make the database hold at least `n` benchmark complaints; returns the number it holds."""
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    settings = load_settings(database_url=db_url)
    with Session(engine) as session:
        seed_reference(session, settings)
        have = session.exec(select(func.count()).select_from(Complaint)).one()
        if have >= n:
            return have
        categories = [(c.id, c.default_opd_id, c.sla_tier) for c in session.exec(select(Category)).all()]
        opd_ids = [o.id for o in session.exec(select(Opd)).all()]
        regions = [(r.name, r.lat, r.lon) for r in session.exec(select(Region).where(Region.kind == "kecamatan"))]
    rng = random.Random(seed)
    now = datetime.now(UTC)
    table = Complaint.__table__
    started = time.perf_counter()
    with rollup_built_after(engine), engine.begin() as conn:
        for chunk_start in range(have, n, CHUNK):
            rows = []
            for i in range(chunk_start, min(n, chunk_start + CHUNK)):
                received = now - timedelta(minutes=rng.randint(1, 365 * 24 * 60) if i else 5)
                status = rng.choice(STATUSES)
                cat_id, opd_id, tier = rng.choice(categories)
                kec, lat, lon = rng.choice(regions)
                responded = received + timedelta(hours=rng.randint(1, 240)) if status in (
                    "in_progress", "postponed", "resolved") else None
                channel = rng.choice(CHANNELS)
                rows.append({
                    "title": "Aduan uji beban", "body": "", "classification": "pengaduan", "category_id": cat_id,
                    "opd_id": opd_id or rng.choice(opd_ids), "rahasia": False, "anonim": False, "kecamatan": kec,
                    "lat": lat, "lon": lon, "channel": channel, "external_id": f"bench-{i}",
                    "tracking_code": f"BEN-{i:012d}", "status": status, "received_at": received,
                    "first_response_at": min(responded, now) if responded else None,
                    "resolved_at": min(received + timedelta(days=rng.randint(1, 30)), now)
                    if status == "resolved" else None,
                    "response_due_at": received + timedelta(days=4),
                    "resolution_due_at": received + timedelta(days=20), "sla_tier": tier or "sedang",
                    "sla_tier_override": False, "escalation_level": 0, "created_at": received, "updated_at": received,
                    "rating": rng.randint(1, 5) if channel == "google_reviews" else None,
                })
            conn.execute(insert(table), rows)
    print(f"inserted {n - have:,} complaints in {time.perf_counter() - started:.1f} s")
    engine.dispose()
    return n


def forget_previous_stack(db_url: str) -> None:
    """The test stack makes its own admin user and key: a reused database still holds the last run's."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        for table in ("login_session", "api_key", "app_user"):
            conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


def measure(stack, runs: int = 2) -> list[float]:
    from playwright.sync_api import sync_playwright

    from tests.dashboard.stack import CHROMIUM, CHROMIUM_ARGS

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            stack.log_in(page)  # the session cookie, outside the timed part
            started = time.perf_counter()
            page.goto(stack.dash_url + "/?kiosk=1")
            page.wait_for_function(WALL_RENDERED, timeout=600_000, polling=100)
            times.append(time.perf_counter() - started)
            problems = page.evaluate(PROBLEMS)
            if problems:
                print("  shown instead of data: " + "; ".join(problems))
            context.close()
        browser.close()
    return times


def api_timings(stack) -> dict[str, float]:
    """Each endpoint the wall calls, timed on its own (where the time goes)."""
    today = datetime.now(UTC).date()
    window = {"received_from": (today - timedelta(days=29)).isoformat(), "received_to": today.isoformat()}
    calls = {"summary": ("/stats/summary", {}), "by-channel": ("/stats/by-channel", window),
             "by-opd": ("/stats/by-opd", {}), "by-kecamatan": ("/stats/by-kecamatan", window),
             "timeseries": ("/stats/timeseries", {**window, "bucket": "day"}), "connectors": ("/connectors", {})}
    out = {}
    with httpx.Client(base_url=stack.api_url + "/api/v1", headers={"X-API-Key": stack.key}, timeout=600) as http:
        for name, (path, params) in calls.items():
            started = time.perf_counter()
            status = http.get(path, params=params).status_code
            out[f"{name} ({status})"] = time.perf_counter() - started
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of complaints")
    parser.add_argument("--db-url", default=None, help="database URL (default: SQLite file in bench/out/)")
    parser.add_argument("--runs", type=int, default=2, help="page loads to time (first is cold)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    db_url = args.db_url or f"sqlite:///{OUT / f'wall-{args.n}.db'}"
    held = fill(db_url, args.n)
    forget_previous_stack(db_url)

    from tests.dashboard.stack import launch_stack

    with tempfile.TemporaryDirectory() as tmp:
        stack_iter = launch_stack(Path(tmp), None, refresh_seconds=3600, db_url=db_url)
        stack = next(stack_iter)
        try:
            times = measure(stack, args.runs)
            endpoints = api_timings(stack)
        finally:
            stack_iter.close()
    print(f"wall page, {held:,} complaints ({db_url.split(':')[0]}): first full render "
          + ", ".join(f"{t:.2f} s" for t in times))
    print("  API alone: " + ", ".join(f"{k} {v:.2f} s" for k, v in endpoints.items()))


if __name__ == "__main__":
    main()
