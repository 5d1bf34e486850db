"""What log-in and the audit log cost per request, measured in one run on one database.

    .venv/bin/python -m bench.auth [--backend sqlite|postgresql] [--requests N]

Prints: log-in time (argon2id verify + session), a read with a user's bearer token vs with an API key
(JWT check + two primary-key look-ups vs one hashed-key look-up), and a write with its audit entry vs
the same write's share spent on the entry.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from fastapi.testclient import TestClient


def _timed(call, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    from bench.run_all import fresh_database

    url, cleanup = fresh_database(args.backend)  # a throwaway database, dropped at the end
    os.environ["ADUAN_DATABASE_URL"] = url
    try:
        measure(args.requests)
    finally:
        from core.runtime.db import get_engine

        get_engine().dispose()
        cleanup()


def measure(n: int) -> None:

    from sqlmodel import Session, func, select

    from api.main import create_app
    from core.identity import audit
    from core.identity.keys import create_key
    from core.identity.users import create_user
    from core.reference.seed import seed_reference
    from core.runtime import migrate
    from core.runtime.db import get_engine
    from core.runtime.settings import get_settings
    from models import AuditEntry

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    engine = get_engine()
    with Session(engine) as session:
        seed_reference(session, settings)
        create_user(session, "bench", "Bench User", "admin", "panjang-sekali-1")
        _, raw_key = create_key(session, "bench", "admin")
    with TestClient(create_app()) as client:
        login = _timed(lambda: client.post("/api/v1/auth/login",
                                           json={"username": "bench", "password": "panjang-sekali-1"}), 20)
        token = client.post("/api/v1/auth/login", json={"username": "bench", "password": "panjang-sekali-1"}
                            ).json()["access_token"]
        by_user = {"Authorization": f"Bearer {token}"}
        by_key = {"X-API-Key": raw_key}
        for headers in (by_user, by_key):  # warm-up
            _timed(lambda h=headers: client.get("/api/v1/me", headers=h), 20)
        user_read = _timed(lambda: client.get("/api/v1/me", headers=by_user), n)
        key_read = _timed(lambda: client.get("/api/v1/me", headers=by_key), n)
        body = {"code": "CAT-B", "name": "Bench", "parent_code": None}
        write = _timed(lambda: client.patch("/api/v1/categories/INFRA-PJU", json={"name": "Penerangan Jalan"},
                                            headers=by_key), n)
        entry = _timed(lambda: audit.record(engine, actor="bench", action="bench.entry", detail=body), n)
    with Session(engine) as session:
        entries = session.exec(select(func.count()).select_from(AuditEntry)).one()

    def p50(xs):
        return statistics.median(xs)

    print(f"database: {engine.dialect.name}; {n} requests each; {entries} audit entries written")
    print(f"log-in (argon2id verify + session + token): p50 {p50(login):.1f} ms")
    print(f"read /me with bearer token: p50 {p50(user_read):.2f} ms; with API key: p50 {p50(key_read):.2f} ms; "
          f"ratio {p50(user_read) / p50(key_read):.2f}")
    print(f"audited write (PATCH /categories): p50 {p50(write):.2f} ms; its audit entry alone: "
          f"p50 {p50(entry):.2f} ms ({100 * p50(entry) / p50(write):.0f} % of the write)")


if __name__ == "__main__":
    main()
