"""Latency of the public, no-log-in routes (what a /publik visitor costs the API), in-process over ASGI.

    python -m bench.public --n 200000 --db-url sqlite:////tmp/aduan-bench.db
    python -m bench.public --n 200000 --db-url postgresql+psycopg://postgres@127.0.0.1:5432/aduan_bench

The database is bench.stats' (generated complaints, reused by a second run). Timed: GET
/api/v1/public/figures (12 months: summary, by month, the last complete month's rapor, by channel, by
kecamatan) counted for every request (ADUAN_PUBLIC_FIGURES_CACHE_SECONDS=0) and from the cache (the default),
and GET /api/v1/public/complaints/{code} for random existing codes; p50 and p95 are printed. The rate limit is
raised for the run (ADUAN_PUBLIC_RATE_PER_MINUTE), so every request reaches the route.
"""

from __future__ import annotations

import argparse
import os
import random
import time

from bench.stats import prepare


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000, help="complaints in the database")
    parser.add_argument("--db-url", default="sqlite:////tmp/aduan-bench.db")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs of the figures")
    parser.add_argument("--lookups", type=int, default=200, help="timed look-ups by code")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.environ["ADUAN_DATABASE_URL"] = args.db_url
    os.environ["ADUAN_PUBLIC_RATE_PER_MINUTE"] = "100000"
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from api.main import create_app
    from core.runtime.settings import get_settings
    from models import Complaint

    engine, total = prepare(args.db_url, args.n, args.seed)
    rng = random.Random(args.seed)
    with engine.connect() as conn:
        ids = conn.execute(select(func.min(Complaint.id), func.max(Complaint.id))).one()
        picks = [rng.randint(ids[0], ids[1]) for _ in range(args.lookups)]
        codes = [c for (c,) in conn.execute(select(Complaint.tracking_code).where(Complaint.id.in_(picks)))]
    print(f"{engine.dialect.name}, {total:,} complaints\n")
    print(f"{'route':<44} {'n':>5} {'p50 ms':>8} {'p95 ms':>8}")
    runs = (("GET /api/v1/public/figures, counted", "0", ["/api/v1/public/figures"] * args.repeat),
            ("GET /api/v1/public/figures, cached", "300", ["/api/v1/public/figures"] * args.repeat * 10),
            ("GET /api/v1/public/complaints/{code}", "300", [f"/api/v1/public/complaints/{c}" for c in codes]))
    for name, cache_seconds, calls in runs:
        os.environ["ADUAN_PUBLIC_FIGURES_CACHE_SECONDS"] = cache_seconds
        get_settings.cache_clear()
        with TestClient(create_app()) as client:
            client.get(calls[0])  # warm
            took = []
            for path in calls:
                started = time.perf_counter()
                r = client.get(path)
                took.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200, (path, r.status_code, r.text[:200])
        print(f"{name:<44} {len(took):>5} {pct(took, 50):>8.1f} {pct(took, 95):>8.1f}")


if __name__ == "__main__":
    main()
