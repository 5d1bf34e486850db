"""Timings of the push/file channels on a scratch database (SQLite by default).

    .venv/bin/python -m bench.push_channels [--db-url postgresql+psycopg://...] [--deliveries 300]

WhatsApp: signed single-message deliveries posted over real HTTP to uvicorn on 127.0.0.1, time to
the 200 and until everything is normalised; 112: a 1,000-row export imported then re-imported;
manual: a 100-row upload validated and written.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db-url")
    parser.add_argument("--deliveries", type=int, default=300)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="aduan-bench-")
    os.environ["ADUAN_DATABASE_URL"] = args.db_url or f"sqlite:///{scratch}/bench.db"

    from sqlmodel import Session, func, select

    from api.main import create_app
    from connectors.call112 import Call112Connector
    from connectors.emulators import meta_webhooks as meta
    from connectors.emulators.call112_export import generate
    from core.intake.file_import import import_file
    from core.intake.manual_entry import COLUMNS, import_batch
    from core.reference.seed import seed_reference
    from core.runtime import migrate
    from core.runtime.db import get_engine
    from core.runtime.settings import get_settings
    from models import Complaint, ConnectorInstance, RawRecord, RawState

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    engine = get_engine()
    with Session(engine) as session:
        seed_reference(session, settings)
        session.add(ConnectorInstance(name="wa-bench", kind="whatsapp",
                                      config={"verify_token": "v", "app_secret": "s", "thread_window_minutes": 30}))
        session.commit()

    # --- WhatsApp over HTTP
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1/webhooks/wa-bench"
    start = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    latencies = []
    with httpx.Client(timeout=30) as client:  # baseline: the handshake touches no table
        baseline = []
        for _ in range(30):
            t0 = time.perf_counter()
            meta.handshake(url, "v", client=client)
            baseline.append((time.perf_counter() - t0) * 1000)
    began = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        for i in range(args.deliveries):
            wa_id = f"62812{i % 100:07d}"  # 100 reporters, 3 messages each: threads
            message = meta.text_message(wa_id, f"Aduan ke-{i}: jalan rusak", start + timedelta(minutes=i // 100))
            body = meta.encode(meta.delivery([meta.change([message], contacts=[(f"Warga {i % 100}", wa_id)])]))
            t0 = time.perf_counter()
            response = meta.deliver(url, "s", body, client=client if os.environ.get("BENCH_KEEPALIVE") else None)[0]
            latencies.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, response.text
    with Session(engine) as session:
        while session.exec(select(func.count()).select_from(RawRecord)
                           .where(RawRecord.state == RawState.pending)).one():
            time.sleep(0.05)
        threads = session.exec(select(func.count()).select_from(Complaint)).one()
    drained = time.perf_counter() - began
    server.should_exit = True
    latencies.sort()
    print(f"whatsapp: {args.deliveries} deliveries → {threads} complaint threads; 200 after "
          f"p50 {statistics.median(latencies):.1f} ms, p95 {latencies[int(len(latencies) * 0.95)]:.1f} ms, "
          f"max {latencies[-1]:.1f} ms (handshake baseline p50 {statistics.median(baseline):.1f} ms); "
          f"all normalised after {drained:.1f} s")

    # --- 112
    export = generate(1000, seed=3, bad=6)
    with Session(engine, expire_on_commit=False) as session:
        for label, content in (("first", export.csv_bytes()), ("again", export.csv_bytes())):
            t0 = time.perf_counter()
            report = import_file(session, Call112Connector({}), content, "bench.csv")
            print(f"112 import ({label}): 1000 rows in {time.perf_counter() - t0:.2f} s — new {report.new}, "
                  f"unchanged {report.unchanged}, ghost/prank {report.not_complaints}, bad {report.failed}")

    # --- manual batch
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    for i in range(100):
        writer.writerow({c: "" for c in COLUMNS} | {"judul": f"Aduan loket nomor {i}", "isi": "Rincian",
                                                    "kategori": "INFRA-JALAN", "kecamatan": "Kanigoro"})
    with Session(engine, expire_on_commit=False) as session:
        t0 = time.perf_counter()
        result = import_batch(session, out.getvalue().encode(), settings, "bench")
        print(f"manual upload: 100 rows validated and written in {time.perf_counter() - t0:.2f} s "
              f"(written {result.written})")


if __name__ == "__main__":
    main()
