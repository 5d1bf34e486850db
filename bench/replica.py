"""Read replica: how long the test harness takes to start a primary + streaming standby, how far behind the
standby is after a commit, and what one lag check (core/runtime/replica.py) costs.

    .venv/bin/python -m bench.replica [--commits 200]

Uses the installed PostgreSQL binaries (tests/replica.py); prints numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from sqlalchemy import text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=200)
    args = parser.parse_args()

    from core.runtime import db as core_db
    from core.runtime import settings as core_settings
    from core.runtime.replica import ReadRouter, replica_engine
    from tests.replica import StreamingPair

    with StreamingPair() as pair:
        print(f"cluster start (initdb, pg_basebackup -R, standby streaming): {pair.started_in:.2f} s")
        pair.create_database()
        pair.wait_caught_up()
        os.environ["ADUAN_DATABASE_URL"] = pair.primary_url
        os.environ["ADUAN_READ_DATABASE_URL"] = pair.standby_url
        core_settings.get_settings.cache_clear()
        core_db.get_engine.cache_clear()
        primary = pair.engine(pair.primary_port)
        standby = pair.engine(pair.standby_port)
        delays = []
        with primary.connect() as p, standby.connect() as s:
            p.execute(text("SET synchronous_commit = on"))
            p.execute(text("CREATE TABLE probe (n int PRIMARY KEY, at timestamptz DEFAULT now())"))
            for n in range(args.commits):
                began = time.perf_counter()
                lsn = p.execute(text("INSERT INTO probe (n) VALUES (:n) RETURNING CAST(pg_current_wal_insert_lsn() "
                                     "AS text)"), {"n": n}).scalar()
                while not s.execute(text("SELECT pg_last_wal_replay_lsn() >= CAST(:l AS pg_lsn)"), {"l": lsn}).scalar():
                    pass
                delays.append((time.perf_counter() - began) * 1000)
        delays.sort()
        print(f"commit → visible on the standby, {args.commits} single-row commits: "
              f"p50 {statistics.median(delays):.2f} ms, p95 {delays[int(len(delays) * 0.95)]:.2f} ms, "
              f"max {delays[-1]:.2f} ms")

        router = ReadRouter(replica_engine(core_settings.get_settings()), max_lag_seconds=10, check_seconds=2)
        router.measure()
        checks = []
        for _ in range(200):
            began = time.perf_counter()
            state = router.measure()
            checks.append((time.perf_counter() - began) * 1000)
        print(f"one lag check (primary LSN + replica query, pooled connections): p50 {statistics.median(checks):.2f} ms"
              f"; lag measured idle: {state.lag_seconds} s")

        pair.pause_replay()
        with primary.connect() as p:
            p.execute(text("INSERT INTO probe (n) VALUES (-1)"))
        time.sleep(1.0)
        paused = router.measure()
        print(f"replay paused 1 s after a write: lag {paused.lag_seconds:.2f} s, {paused.behind_bytes:.0f} WAL bytes "
              "behind")
        pair.resume_replay()
        router.dispose()
        primary.dispose()
        standby.dispose()
        core_db.get_engine().dispose()


if __name__ == "__main__":
    main()
