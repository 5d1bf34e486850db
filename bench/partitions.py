"""How long migration 0115 (monthly partitions) takes on a filled PostgreSQL database, up and down.

    .venv/bin/python -m bench.partitions [--rows 1000000] [--db-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Makes a throw-away database, migrates it to 0114, fills `raw_record` and `complaint_event` with `--rows` rows each
(generate_series, spread evenly over the last 36 months, one complaint per 20 events), then times
`alembic upgrade 0115` and `alembic downgrade 0114`, checks that the row counts did not change, and drops the
database. Prints the fill time, both migration times and the rows per second of the copy.
"""

from __future__ import annotations

import argparse
import time
import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.runtime import migrate
from core.runtime.db import make_engine

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TABLES = ("raw_record", "complaint_event", "notification", "audit_log")


def fill(engine, rows: int) -> None:
    complaints = max(rows // 20, 1)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO complaint (title, body, classification, rahasia, anonim, channel, external_id, tracking_code, "
            "status, received_at, sla_tier_override, escalation_level, created_at, updated_at) "
            "SELECT 'Jalan rusak', 'Mohon diperbaiki', 'pengaduan', false, false, 'lapor', g::text, 'LPR-' || g, "
            "'resolved', now() - (g % 1095) * interval '1 day', false, 0, now(), now() "
            "FROM generate_series(1, :n) g"), {"n": complaints})
        conn.execute(text(
            "INSERT INTO raw_record (channel, external_id, payload, payload_hash, received_at, state, attempts) "
            "SELECT 'lapor', g::text, jsonb_build_object('id', g, 'judul', 'Jalan rusak di desa ' || g, "
            "'isi', repeat('x', 200)), md5(g::text), now() - (g % 1095) * interval '1 day' - (g % 86400) * interval "
            "'1 second', 'normalised', 1 FROM generate_series(1, :n) g"), {"n": rows})
        conn.execute(text(
            "INSERT INTO complaint_event (kind, actor, complaint_id, at, external_id, note) "
            "SELECT 'message_in', 'warga', 1 + g % :c, now() - (g % 1095) * interval '1 day', 'm' || g, "
            "'Balasan warga' FROM generate_series(1, :n) g"), {"n": rows, "c": complaints})
        conn.execute(text(
            "INSERT INTO notification (idempotency_key, recipient, channel, template, status, attempts, created_at, "
            "updated_at) SELECT 'ack:' || g, '6281', 'whatsapp', 't', 'sent', 1, "
            "now() - (g % 1095) * interval '1 day', now() FROM generate_series(1, :n) g"), {"n": complaints})
        conn.execute(text(
            "INSERT INTO audit_log (at, actor, action, outcome) SELECT now() - (g % 1095) * interval '1 day', "
            "'cli', 'complaint.transition', 'ok' FROM generate_series(1, :n) g"), {"n": complaints})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in raw_record and in complaint_event")
    parser.add_argument("--db-url", default=DEFAULT_URL, help="a PostgreSQL server to make the throw-away db on")
    args = parser.parse_args()
    admin = make_engine(args.db_url, isolation_level="AUTOCOMMIT")
    name = f"aduan_bench_part_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.db_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        migrate.upgrade(url, "0114")
        started = time.perf_counter()
        fill(engine, args.rows)
        filled = time.perf_counter() - started
        before = counts(engine)
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
        started = time.perf_counter()
        migrate.upgrade(url, "0115")
        up = time.perf_counter() - started
        after_up = counts(engine)
        with engine.connect() as conn:
            partitions = conn.execute(text("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                           "WHERE i.inhparent = 'raw_record'::regclass")).scalar()
        started = time.perf_counter()
        migrate.downgrade(url, "0114")
        down = time.perf_counter() - started
        after_down = counts(engine)
        assert before == after_up == after_down, (before, after_up, after_down)
        total = sum(before.values())
        print(f"rows: {before} ({total:,} in all), database {size}; filled in {filled:.1f} s")
        print(f"upgrade 0115 (partition)  : {up:6.1f} s  ({total / up:,.0f} rows/s), "
              f"{partitions} raw_record partitions")
        print(f"downgrade 0114 (plain)    : {down:6.1f} s  ({total / down:,.0f} rows/s)")
        print("row counts equal before, after the upgrade and after the downgrade")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
