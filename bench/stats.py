"""Stats API latency against hand-written SQL, and the memory of a full CSV export.

    python -m bench.stats --n 1000000 --db-url sqlite:////tmp/aduan-bench.db
    python -m bench.stats --n 200000 --db-url postgresql+psycopg://postgres@127.0.0.1:5432/aduan_bench

Complaints are generated straight into the database (bulk INSERT, reproducible with --seed)
until it holds N; a second run reuses them. Each endpoint runs in-process (TestClient) and its
p50 is printed next to the p50 of SQL a person would write for the same numbers, as a ratio.
The export runs in a subprocess (uvicorn + a streaming client) whose peak RSS (ru_maxrss) is
compared with the same process exporting a handful of rows: equal peaks mean flat memory.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import cache

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from bench.fill import rollup_built_after

BATCH = 10_000
DEFER_INDEXES_FROM = 1_000_000  # rows; below this, inserting into the indexes is cheaper than rebuilding
CHANNELS = [("lapor", 35), ("whatsapp", 30), ("call112", 15), ("google_reviews", 10), ("manual", 10)]
STATUSES = [("resolved", 60), ("in_progress", 10), ("postponed", 2), ("dispatched", 12), ("verified", 3),
            ("unverified", 8), ("rejected", 4), ("archived", 1)]
TITLES = ["Jalan berlubang", "Lampu jalan mati", "KTP-el belum jadi", "Sampah menumpuk", "Antrean RSUD lama",
          "Drainase tersumbat", "Bansos tidak tepat sasaran", "Parkir liar", "Air PDAM keruh", "Pungli perizinan"]


# --- data generation ---------------------------------------------------------------------------

def generate(engine: Engine, n: int, seed: int) -> int:
    from core.intake.ingest import tracking_code
    from core.reference.calendar import WorkingCalendar
    from core.reference.seed import desa_of
    from models import Category, Complaint, SlaTier

    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(Complaint)).scalar_one()
        if have >= n:
            return have
        cats = conn.execute(select(Category.id, Category.default_opd_id, Category.sla_tier)).all()
        tiers = dict(conn.execute(select(SlaTier.code, SlaTier.resolution_days)).all())
    rng = random.Random(seed + have)
    cal = WorkingCalendar("Asia/Jakarta")
    regions = [(kec, desa) for kec, desas in desa_of().items() for desa in desas]

    @cache
    def due(day: date, days: int) -> datetime:
        return cal.add_working_days(datetime.combine(day, dtime(12), tzinfo=UTC), days)

    @cache
    def between(a: date, b: date) -> int:
        return cal.working_days_between(datetime.combine(a, dtime(5), tzinfo=UTC),
                                        datetime.combine(b, dtime(5), tzinfo=UTC))

    channels, ch_w = zip(*CHANNELS, strict=True)
    statuses, st_w = zip(*STATUSES, strict=True)
    now = datetime.now(UTC).replace(microsecond=0)
    table = Complaint.__table__

    def row(i: int) -> dict:
        channel = rng.choices(channels, ch_w)[0]
        status = rng.choices(statuses, st_w)[0]
        cat_id, opd_id, tier = rng.choice(cats)
        kec, desa = rng.choice(regions)
        received = now - timedelta(seconds=rng.randint(0, 365 * 86400))
        day = (received + timedelta(hours=7)).date()
        first = resolved = None
        if status in ("in_progress", "postponed", "resolved") or (status == "rejected" and rng.random() < .3):
            first = received + timedelta(hours=rng.choice((2, 20, 30, 50, 75, 100, 150, 300)))
        if status == "resolved":
            resolved = first + timedelta(hours=rng.randint(1, 24 * 30))
        external_id = f"bench-{i}"
        return {
            "title": f"{rng.choice(TITLES)} #{i}", "body": "Mohon ditindaklanjuti. " * rng.randint(1, 6),
            "classification": "pengaduan", "category_id": cat_id,
            "opd_id": opd_id if status != "unverified" else (opd_id if rng.random() < .5 else None),
            "rahasia": rng.random() < .03, "anonim": rng.random() < .05, "reporter_name": f"Warga {i % 997}",
            "reporter_contact": f"0812{i:08d}", "location_text": None, "desa": desa, "kecamatan": kec,
            "lat": None, "lon": None, "channel": channel, "external_id": external_id,
            "tracking_code": tracking_code(channel, external_id), "status": status, "substantive": None,
            "rating": rng.randint(1, 5) if channel == "google_reviews" else None, "received_at": received,
            "verified_at": received if status not in ("unverified",) else None,
            "dispatched_at": received if opd_id and status not in ("unverified", "verified") else None,
            "first_response_at": first, "resolved_at": resolved,
            "response_due_at": due(day, 3), "resolution_due_at": due(day, tiers.get(tier or "sedang", 14)),
            "sla_tier": tier or "sedang", "sla_tier_override": False, "paused_at": None, "escalation_level": 0,
            "followup_working_days": between(day, (first + timedelta(hours=7)).date()) if first else None,
            "resolution_working_days": between(day, (resolved + timedelta(hours=7)).date()) if resolved else None,
            "raw_record_id": None, "content_hash": None, "created_at": received, "updated_at": resolved or received,
        }

    made = have
    started = time.perf_counter()
    with rollup_built_after(engine), secondary_indexes_deferred(engine, table.name, n - have):
        while made < n:
            rows = [row(i) for i in range(made, min(n, made + BATCH))]
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    copy_rows(conn, table.name, rows)
                else:
                    conn.execute(table.insert(), rows)
            made += len(rows)
            print(f"\r  generated {made:,}/{n:,} ({time.perf_counter() - started:.0f}s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    # As autovacuum leaves a table some time after a bulk insert: statistics, and a visibility map that
    # lets index-only scans skip the table.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return made


def copy_rows(conn, table: str, rows: list[dict]) -> None:
    """PostgreSQL COPY of generated rows: one stream per batch instead of an executemany INSERT."""
    columns = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


@contextmanager
def secondary_indexes_deferred(engine: Engine, table: str, new_rows: int):
    """On PostgreSQL, for a large fill: drop the table's non-key indexes and unique constraints, and build them
    again afterwards (a sorted build instead of millions of random inserts into indexes larger than memory,
    which slowed the 10 M fill to 1,100 rows/s). The primary key stays; so do the foreign keys."""
    if engine.dialect.name != "postgresql" or new_rows < DEFER_INDEXES_FROM:
        yield
        return
    with engine.begin() as conn:
        indexes = conn.execute(text(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = CAST(:t AS regclass) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"), {"t": table}).all()
        uniques = conn.execute(text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:t AS regclass) AND contype = 'u'"), {"t": table}).all()
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        for name, _ in uniques:
            conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    try:
        yield
    finally:
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
            for name, definition in uniques:
                conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
            for _, definition in indexes:
                conn.execute(text(definition))
        print(f"\n  rebuilt {len(indexes) + len(uniques)} indexes in {time.perf_counter() - started:.0f}s",
              end="", file=sys.stderr)


# --- hand-written SQL --------------------------------------------------------------------------

def hand_sql(dialect: str) -> dict[str, str]:
    """What someone would type for the same numbers, bound to :now/:today/:week/:month/:from."""
    pg = dialect == "postgresql"
    open_ = "('unverified','verified','dispatched','in_progress','postponed')"
    overdue = ("((status IN ('unverified','verified','dispatched') AND response_due_at < :now) OR "
               "(status IN ('unverified','verified','dispatched','in_progress') AND resolution_due_at < :now))")
    measures = (f"count(*), sum(CASE WHEN status IN {open_} THEN 1 ELSE 0 END), "
                "sum(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END), "
                "sum(CASE WHEN status IN ('rejected','archived') THEN 1 ELSE 0 END), "
                f"sum(CASE WHEN {overdue} THEN 1 ELSE 0 END), avg(followup_working_days)")
    measures_sum = (f"count(*) AS n, sum(CASE WHEN status IN {open_} THEN 1 ELSE 0 END) AS o, "
                    "sum(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END) AS r, "
                    "sum(CASE WHEN status IN ('rejected','archived') THEN 1 ELSE 0 END) AS x, "
                    f"sum(CASE WHEN {overdue} THEN 1 ELSE 0 END) AS d, sum(followup_working_days) AS fu, "
                    "count(followup_working_days) AS fn")
    local_day = ("CAST(date_trunc('day', {c} AT TIME ZONE 'Asia/Jakarta') AS DATE)" if pg
                 else "date({c}, '+420 minutes')")
    def days(column: str) -> str:
        if pg:
            return f"EXTRACT(EPOCH FROM ({column} - received_at)) / 86400.0"
        return f"(julianday({column}) - julianday(received_at))"

    day_r, day_s = local_day.format(c="received_at"), local_day.format(c="resolved_at")
    if pg:
        percentiles = ("SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY followup_working_days), "
                       "percentile_disc(0.9) WITHIN GROUP (ORDER BY followup_working_days), "
                       "count(followup_working_days), "
                       "percentile_disc(0.5) WITHIN GROUP (ORDER BY resolution_working_days), "
                       "percentile_disc(0.9) WITHIN GROUP (ORDER BY resolution_working_days), "
                       "count(resolution_working_days) FROM complaint")
    else:  # no percentile functions in SQLite: histograms
        percentiles = ("SELECT followup_working_days, count(*) FROM complaint WHERE followup_working_days IS NOT NULL "
                       "GROUP BY 1; SELECT resolution_working_days, count(*) FROM complaint "
                       "WHERE resolution_working_days IS NOT NULL GROUP BY 1")
    on_time = ("SELECT sum(CASE WHEN first_response_at IS NOT NULL AND status NOT IN ('rejected','archived') "
               "AND first_response_at <= response_due_at THEN 1 ELSE 0 END), "
               "sum(CASE WHEN status NOT IN ('rejected','archived') AND (first_response_at IS NOT NULL OR "
               "response_due_at < :now) THEN 1 ELSE 0 END), "
               f"sum(CASE WHEN first_response_at IS NOT NULL AND {days('first_response_at')} <= 1 THEN 1 ELSE 0 END), "
               "sum(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END), "
               f"sum(CASE WHEN status = 'resolved' AND {days('resolved_at')} <= 3 THEN 1 ELSE 0 END) FROM complaint")
    emergencies = "('KEBAKARAN','KESEHATAN','BENCANA','TRANTIB','TRANSPORTASI')"  # call112's ladder_exempt
    handled = ("FROM complaint WHERE channel = 'call112' AND status = 'resolved' AND resolved_at IS NOT NULL "
               "AND category_id IN (SELECT c.id FROM category c LEFT JOIN category p ON p.id = c.parent_id "
               f"WHERE c.code IN {emergencies} OR p.code IN {emergencies})")
    if pg:
        handling = ("SELECT category_id, count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY resolved_at - "
                    "received_at), percentile_disc(0.9) WITHIN GROUP (ORDER BY resolved_at - received_at) "
                    f"{handled}{{and_since}} GROUP BY ROLLUP (category_id)")
    else:
        handling = f"SELECT category_id, received_at, resolved_at {handled}{{and_since}}"
    # `+col` keeps SQLite from walking a single-column index in GROUP BY order (a known slow plan);
    # a DBA would write it, and without it the ratios below would flatter the API.
    g = "" if pg else "+"
    summary = (f"{measures}, sum(CASE WHEN received_at >= :today THEN 1 ELSE 0 END), "
               "sum(CASE WHEN received_at >= :week THEN 1 ELSE 0 END), "
               "sum(CASE WHEN received_at >= :month THEN 1 ELSE 0 END), max(received_at)")
    return {
        "summary": f"SELECT {g}status, {summary} FROM complaint GROUP BY {g}status",
        "summary?opd=DPUPR": (f"SELECT {g}status, {summary} FROM complaint WHERE opd_id = "
                              f"(SELECT id FROM opd WHERE code = 'DPUPR') GROUP BY {g}status"),
        "summary?received_from=30d": (f"SELECT {g}status, {summary} FROM complaint WHERE received_at >= :from "
                                      f"GROUP BY {g}status"),
        "by-channel": f"SELECT {g}channel, {measures} FROM complaint GROUP BY {g}channel",
        "by-opd": (f"SELECT o.code, o.name, t.* FROM (SELECT opd_id, {measures} FROM complaint "
                   f"GROUP BY {g}opd_id) t LEFT JOIN opd o ON o.id = t.opd_id"),
        "by-category": ("SELECT coalesce(p.code, c.code), sum(n), sum(o), sum(r), sum(x), sum(d), sum(fu), sum(fn) "
                        f"FROM (SELECT category_id, {measures_sum} FROM complaint GROUP BY {g}category_id) t "
                        "LEFT JOIN category c ON c.id = t.category_id "
                        "LEFT JOIN category p ON p.id = c.parent_id GROUP BY 1"),
        "by-kecamatan": (f"SELECT t.*, r.lat, r.lon FROM (SELECT {g}kecamatan AS kecamatan, {measures} "
                         f"FROM complaint GROUP BY {g}kecamatan) t "
                         "LEFT JOIN region r ON r.name = t.kecamatan AND r.kind = 'kecamatan'"),
        "timeseries?bucket=day": (f"SELECT {day_r}, count(*) FROM complaint GROUP BY 1; "
                                  f"SELECT {day_s}, count(*) FROM complaint WHERE status = 'resolved' "
                                  "AND resolved_at IS NOT NULL GROUP BY 1"),
        "response-times": percentiles + "; " + on_time,
        "calls/handling-time": handling.format(and_since=""),
        "calls/handling-time (30d)": handling.format(and_since=" AND received_at >= :from"),
        "ratings?channel=google_reviews": ("SELECT rating, count(*), count(first_response_at) FROM complaint "
                                           "WHERE channel = 'google_reviews' GROUP BY rating"),
        "complaints?limit=50": ("SELECT complaint.*, o.code, o.name, c.code, c.name FROM complaint "
                                "LEFT JOIN opd o ON o.id = complaint.opd_id "
                                "LEFT JOIN category c ON c.id = complaint.category_id "
                                "ORDER BY received_at DESC, complaint.id DESC LIMIT 51"),
        "complaints?opd=DPUPR&status=dispatched": (
            "SELECT complaint.*, o.code FROM complaint LEFT JOIN opd o ON o.id = complaint.opd_id "
            "WHERE complaint.opd_id = (SELECT id FROM opd WHERE code = 'DPUPR') AND status = 'dispatched' "
            "ORDER BY received_at DESC, complaint.id DESC LIMIT 51"),
        "rapor (last month)": (
            "SELECT opd_id, count(*), sum(CASE WHEN status = 'resolved' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN status IN ('in_progress','postponed') THEN 1 ELSE 0 END), "
            "sum(CASE WHEN status IN ('verified','dispatched') THEN 1 ELSE 0 END), "
            "sum(CASE WHEN status = 'unverified' THEN 1 ELSE 0 END), avg(followup_working_days) "
            "FROM complaint WHERE received_at >= :from AND status NOT IN ('rejected','archived') "
            f"GROUP BY {g}opd_id"),
    }


def api_paths(since: date) -> dict[str, str]:
    month_ago = since.isoformat()
    return {
        "summary": "/api/v1/stats/summary",
        "summary?opd=DPUPR": "/api/v1/stats/summary?opd=DPUPR",
        "summary?received_from=30d": f"/api/v1/stats/summary?received_from={month_ago}",
        "by-channel": "/api/v1/stats/by-channel",
        "by-opd": "/api/v1/stats/by-opd",
        "by-category": "/api/v1/stats/by-category",
        "by-kecamatan": "/api/v1/stats/by-kecamatan",
        "timeseries?bucket=day": "/api/v1/stats/timeseries?bucket=day",
        "response-times": "/api/v1/stats/response-times",
        "ratings?channel=google_reviews": "/api/v1/stats/ratings?channel=google_reviews",
        "calls/handling-time": "/api/v1/stats/calls/handling-time",
        "calls/handling-time (30d)": f"/api/v1/stats/calls/handling-time?received_from={month_ago}",
        "complaints?limit=50": "/api/v1/complaints?limit=50",
        "complaints?opd=DPUPR&status=dispatched": "/api/v1/complaints?opd=DPUPR&status=dispatched",
        "rapor (last month)": f"/api/v1/rapor?period_start={month_ago}",
    }


def p50_pair(api, sql, repeat: int) -> tuple[float, float]:
    """Median ms of each, run alternately so load from other processes hits both alike."""
    api(), sql()  # warm caches and query plans
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((api, times[0]), (sql, times[1])):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


# --- export memory (runs in a child process) ---------------------------------------------------

def export_child(db_url: str, key: str, query: str) -> None:
    """Serve the API with uvicorn in this process, stream one CSV export from it, print peak RSS."""
    import socket

    import httpx
    import uvicorn

    os.environ["ADUAN_DATABASE_URL"] = db_url
    from api.main import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    t0, size, lines = time.perf_counter(), 0, 0
    with httpx.stream("GET", f"http://127.0.0.1:{port}/api/v1/export/complaints.csv?{query}",
                      headers={"X-API-Key": key}, timeout=None) as r:
        r.raise_for_status()
        for chunk in r.iter_bytes():
            size += len(chunk)
            lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - t0
    server.should_exit = True
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{lines - 1} {size} {elapsed:.2f} {peak_kb}")


def measure_export(db_url: str, key: str, query: str) -> tuple[int, int, float, int]:
    out = subprocess.run([sys.executable, "-m", "bench.stats", "--export-child", query, "--db-url", db_url,
                          "--key", key], capture_output=True, text=True, check=True)
    rows, size, secs, peak = out.stdout.split()
    return int(rows), int(size), float(secs), int(peak)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in the URL if it does not exist yet."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def prepare(db_url: str, n: int, seed: int) -> tuple[Engine, int]:
    """Migrated database with the reference data and (at least) `n` generated complaints; ADUAN_DATABASE_URL
    must already name `db_url`. Answers the engine and the number of complaints."""
    from sqlmodel import Session

    from core.reference.seed import seed_reference
    from core.runtime import db, migrate
    from core.runtime.settings import get_settings

    ensure_database(db_url)
    migrate.upgrade(db_url)
    engine = db.get_engine()
    with Session(engine) as session:
        seed_reference(session, get_settings())
    return engine, generate(engine, n, seed)


# --- main --------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000, help="complaints in the database")
    parser.add_argument("--db-url", default="sqlite:////tmp/aduan-bench.db")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per endpoint")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child is not None:
        export_child(args.db_url, args.key, args.export_child)
        return

    os.environ["ADUAN_DATABASE_URL"] = args.db_url
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from api.main import create_app
    from core.identity.keys import create_key

    engine, total = prepare(args.db_url, args.n, args.seed)
    with Session(engine) as session:
        _, key = create_key(session, "bench", "admin")

    now = datetime.now(UTC)
    today = datetime.combine((now + timedelta(hours=7)).date(), dtime.min, tzinfo=UTC) - timedelta(hours=7)
    since = (now - timedelta(days=30)).date()
    params = {"now": now, "today": today, "week": today - timedelta(days=today.weekday()),
              "month": today.replace(day=1), "from": datetime.combine(since, dtime.min, tzinfo=UTC)}
    if engine.dialect.name == "sqlite":  # bind as stored (naive UTC text)
        params = {k: v.replace(tzinfo=None) for k, v in params.items()}
    sqls, paths = hand_sql(engine.dialect.name), api_paths(since)

    def run_sql(statements: str):
        with engine.connect() as conn:
            for sql in statements.split("; "):
                used = {k: v for k, v in params.items() if f":{k}" in sql}
                conn.execute(text(sql), used).all()

    print(f"{engine.dialect.name}, {total:,} complaints, p50 of {args.repeat} runs\n")
    print(f"{'endpoint':<40} {'API ms':>9} {'SQL ms':>9} {'ratio':>6}")
    ratios = []
    with TestClient(create_app()) as client:
        headers = {"X-API-Key": key}
        for name, path in paths.items():
            def call(path=path):
                response = client.get(path, headers=headers)
                assert response.status_code == 200, response.text[:300]

            api_ms, sql_ms = p50_pair(call, lambda name=name: run_sql(sqls[name]), args.repeat)
            ratios.append(api_ms / sql_ms)
            print(f"{name:<40} {api_ms:>9.1f} {sql_ms:>9.1f} {api_ms / sql_ms:>6.2f}")
        floor, _ = p50_pair(lambda: client.get("/api/v1/sla-tiers", headers=headers), lambda: None, args.repeat)
    print(f"{'median ratio':<40} {'':>9} {'':>9} {statistics.median(ratios):>6.2f}")
    print(f"(fixed cost of any authenticated request, e.g. /sla-tiers: {floor:.1f} ms)")

    if not args.skip_export:
        print("\nCSV export in a subprocess (uvicorn + streaming client), peak RSS:")
        small_day = (now - timedelta(days=1)).date().isoformat()
        for label, query in (("one day", f"received_from={small_day}"), ("everything", "")):
            rows, size, secs, peak = measure_export(args.db_url, key, query)
            print(f"  {label:<11} {rows:>9,} rows {size / 1e6:>8.1f} MB {secs:>7.1f} s"
                  f"   peak RSS {peak / 1024:>6.1f} MB")


if __name__ == "__main__":
    main()
