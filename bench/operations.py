"""What a Prometheus scrape and a logged-in dashboard cost, measured in one run on one database.

    python -m bench.operations --n 100000 --db-url sqlite:////tmp/aduan-ops.db

Prints, as p50 ratios of calls run alternately (this machine is noisy):
- `GET /metrics` (request metrics + connector, outbox, inbox and overdue counts read from the database)
  next to `GET /stats/summary`, the heaviest aggregate the wall asks for;
- a wall callback through the dashboard with a person's log-in (session cookie, token forwarded,
  refreshed when due) next to the same two API calls made directly with that person's bearer token.
Complaints are generated as in bench/stats.py (a second run reuses them).
"""

from __future__ import annotations

import argparse
import os

from bench.stats import p50_pair, prepare

PASSWORD = "sandi-uji-yang-panjang"
WALL_HEADLINE = {"output": "..wall-kpis.children...wall-asof.children...wall-stale.children...wall-error.children..",
                 "outputs": [{"id": i, "property": "children"}
                             for i in ("wall-kpis", "wall-asof", "wall-stale", "wall-error")],
                 "inputs": [{"id": "wall-interval", "property": "n_intervals", "value": 0}],
                 "changedPropIds": ["wall-interval.n_intervals"], "state": []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="complaints in the database")
    parser.add_argument("--db-url", default="sqlite:////tmp/aduan-ops.db")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per pair")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    os.environ["ADUAN_DATABASE_URL"] = args.db_url
    os.environ.setdefault("ADUAN_LOG_LEVEL", "WARNING")
    from fastapi.testclient import TestClient
    from sqlmodel import Session, select

    from api.main import create_app
    from core.identity.users import create_user
    from core.runtime.settings import get_settings
    from dashboard import state
    from dashboard.app import create_dash
    from models import User

    settings = get_settings()
    engine, total = prepare(args.db_url, args.n, args.seed)
    with Session(engine) as session:
        if session.exec(select(User).where(User.username == "bench")).first() is None:
            create_user(session, "bench", "Bench Analis", "analyst", PASSWORD)

    dash_app = create_dash(settings)
    with TestClient(create_app()) as api:
        state.configure(settings, transport=api._transport)
        token = api.post("/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        with dash_app.server.test_client() as browser:
            browser.get("/masuk")
            with browser.session_transaction() as cookie:
                csrf = cookie["csrf"]
            browser.post("/masuk", data={"username": "bench", "password": PASSWORD, "csrf": csrf})

            def scrape():
                assert api.get("/metrics").status_code == 200

            def summary():
                assert api.get("/api/v1/stats/summary", headers=bearer).status_code == 200

            def wall_callback():
                assert browser.post("/_dash-update-component", json=WALL_HEADLINE).status_code == 200

            def same_calls_direct():
                for path in ("/api/v1/stats/summary", "/api/v1/connectors"):
                    assert api.get(path, headers=bearer).status_code == 200

            print(f"{engine.dialect.name}, {total:,} complaints, p50 of {args.repeat} runs\n")
            print(f"{'pair':<58} {'ms':>8} {'vs ms':>8} {'ratio':>6}")
            for label, first, second in (
                ("/metrics scrape vs /stats/summary", scrape, summary),
                ("wall callback via dashboard vs its 2 API calls direct", wall_callback, same_calls_direct),
            ):
                a, b = p50_pair(first, second, args.repeat)
                print(f"{label:<58} {a:>8.1f} {b:>8.1f} {a / b:>6.2f}")


if __name__ == "__main__":
    main()
