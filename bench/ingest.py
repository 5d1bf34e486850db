"""Ingest throughput: a LAPOR! sync through the emulator vs a raw bulk write of the same rows.

    python -m bench.ingest --n 100000 [--db-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The sync path is the real one (HTTP, inbox landing, normalisation, history events, bookmark per
page); the baseline writes the same payloads straight into the inbox table in one transaction
(COPY on PostgreSQL, batched INSERTs on SQLite), the floor any ingest pays. "Emulator alone" is
reading every page and nothing else: the upstream's own pace, which no sync can beat. The emulator
runs in its own process so its CPU and memory are not counted. Works on a private database it
creates and drops (PostgreSQL) or a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from core.intake.inbox import payload_hash
from core.intake.instances import save_instance
from core.intake.sync import sync_instance
from core.reference.seed import seed_reference
from core.runtime import migrate
from core.runtime.bulk import copies, copy_rows
from core.runtime.db import make_engine
from core.runtime.settings import load_settings
from models import RawRecord
from models.types import utcnow

TOKEN = "rahasia-lapor"


@contextmanager
def fresh_database(url: str | None):
    if url is None or url.startswith("sqlite"):
        path = Path(make_url(url).database) if url else Path(tempfile.mkdtemp()) / "bench.db"
        if path.exists():
            raise SystemExit(f"{path} exists; give a new SQLite file (the bench needs an empty database)")
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    name = f"aduan_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def emulator(n: int, seed: int):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "connectors.emulators", "lapor", "--port", str(port),
                             "--total", str(n), "--seed", str(seed), "--token", TOKEN],
                            stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{base}/_control/state", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("emulator did not start") from None
                time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def all_payloads(base: str, page_size: int) -> list[dict]:
    """Every report, read page by page (the bench times this as the emulator's own pace)."""
    rows, token = [], None
    with httpx.Client(timeout=60) as client:
        while True:
            params = {"limit": page_size, **({"page_token": token} if token else {})}
            body = client.get(f"{base}/api/v1/laporan", params=params, headers={"X-Lapor-Token": TOKEN}).json()
            rows.extend(body["data"])
            token = body["pagination"]["next_page_token"]
            if not token:
                return rows


def raw_bulk_insert(engine, payloads: list[dict]) -> float:
    now = utcnow()
    rows = [{"channel": "bench_raw", "external_id": p["tracking_id"], "payload": p, "payload_hash": payload_hash(p),
             "received_at": now, "state": "normalised", "attempts": 1} for p in payloads]
    table = RawRecord.__table__
    start = time.perf_counter()
    with engine.begin() as conn:
        if copies(conn):
            copy_rows(conn, table, rows, list(rows[0]))
        else:
            for i in range(0, len(rows), 1000):
                conn.execute(insert(table), rows[i:i + 1000])
    return time.perf_counter() - start


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far (Linux /proc; 0 for a process that is gone)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
    return total / tick


def reaped_cpu() -> float:
    """CPU of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (backends, WAL writer, checkpointer…): what a write costs
    the server. Meaningful on an otherwise idle server."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-url", default=None, help="new SQLite file, or a PostgreSQL server URL")
    parser.add_argument("--n", type=int, default=100_000, help="LAPOR! reports to sync")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    with fresh_database(args.db_url) as url, emulator(args.n, args.seed) as (base, emulator_pid):
        os.environ["ADUAN_DATABASE_URL"] = url
        settings = load_settings(database_url=url)
        migrate.upgrade(url)
        engine = make_engine(url)
        with Session(engine) as session:
            seed_reference(session, settings)
            save_instance(session, "bench", "lapor", {"base_url": base, "token": TOKEN, "page_size": args.page_size})
        rss_before = peak_rss_mb()
        server = postgres_pids() if make_url(url).get_backend_name() == "postgresql" else []
        emulator_cpu, server_cpu = cpu_seconds([emulator_pid]), cpu_seconds(server)
        start, cpu, reaped = time.perf_counter(), time.process_time(), reaped_cpu()
        summary = sync_instance("bench", engine=engine, settings=settings)
        sync_s, sync_cpu = time.perf_counter() - start, time.process_time() - cpu
        reader_cpu = reaped_cpu() - reaped  # a backfill's reader process, ended and reaped by the sync
        sync_cpu += reader_cpu
        emulator_cpu = cpu_seconds([emulator_pid]) - emulator_cpu
        # Processes that started during the sync (its own connections) count whole.
        server_cpu = cpu_seconds(postgres_pids() if server else []) - server_cpu
        rss_sync = peak_rss_mb()
        if summary.status != "ok" or summary.new != args.n:
            raise SystemExit(f"sync did not complete: {summary.as_dict()}")

        start = time.perf_counter()
        payloads = all_payloads(base, args.page_size)
        read_s = time.perf_counter() - start
        raw_s = raw_bulk_insert(engine, payloads)
        engine.dispose()

    backend = make_url(url).get_backend_name()
    sync_rate, raw_rate = args.n / sync_s, len(payloads) / raw_s
    print(f"backend {backend}, {args.n} LAPOR! reports, page size {args.page_size}")
    print(f"sync through emulator : {sync_rate:9.0f} rows/s  ({sync_s:.1f} s wall, {sync_cpu:.1f} s CPU, "
          f"{reader_cpu:.1f} s of it in its reader process; {summary.pages} pages; reader "
          f"{settings.sync_reader_process})")
    per_row = 1e3 / args.n
    print(f"CPU per report (ms)   : sync {sync_cpu * per_row:.3f}, emulator {emulator_cpu * per_row:.3f}"
          + (f", PostgreSQL {server_cpu * per_row:.3f}" if server else "")
          + f"; all {(sync_cpu + emulator_cpu + server_cpu) * per_row:.3f} on {os.cpu_count()} cores")
    print(f"emulator alone        : {len(payloads) / read_s:9.0f} rows/s  ({read_s:.1f} s to read every page)")
    floor = "raw COPY into inbox  " if backend == "postgresql" else "raw bulk insert       "
    print(f"{floor}: {raw_rate:9.0f} rows/s  ({raw_s:.1f} s)")
    print(f"ratio raw/sync        : {raw_rate / sync_rate:9.1f}x")
    print(f"peak RSS              : {rss_sync:9.0f} MB after sync (started at {rss_before:.0f} MB); "
          f"{peak_rss_mb():.0f} MB after the baseline held all payloads")


if __name__ == "__main__":
    main()
