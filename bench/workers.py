"""Requests per second of a simple read with 1 and with 4 API processes (`aduan serve --workers N`), PostgreSQL.

    .venv/bin/python -m bench.workers [--seconds 10] [--clients 32] [--workers 4] [--path /api/v1/categories]

Starts the real server each time on a free loopback port against a throwaway database, then drives it from two
client processes (each with `clients / 2` threads, one kept-alive connection per thread) for `--seconds`, and
prints the throughput of each run and their ratio. On this 2-core machine the clients and the server share the
cores: the ratio shows what several processes add here, not on a larger host.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _client(base: str, path: str, key: str, threads: int, seconds: float, out) -> None:
    done = [0] * threads
    errors = [0] * threads
    stop_at = time.monotonic() + seconds

    def loop(i: int) -> None:
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
            while time.monotonic() < stop_at:
                if client.get(path).status_code == 200:
                    done[i] += 1
                else:
                    errors[i] += 1

    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((sum(done), sum(errors)))


def drive(base: str, path: str, key: str, clients: int, seconds: float) -> tuple[float, int]:
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(base, path, key, clients // 2, seconds, results)) for _ in range(2)]
    started = time.monotonic()
    for p in procs:
        p.start()
    got = [results.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - started
    return sum(d for d, _ in got) / elapsed, sum(e for _, e in got)


def run_server(url: str, workers: int, path: str, key: str, clients: int, seconds: float) -> tuple[float, int]:
    from tests.dashboard.stack import free_port, wait_http

    port = free_port()
    env = {**os.environ, "ADUAN_DATABASE_URL": url, "ADUAN_API_PORT": str(port), "ADUAN_LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "serve.log"
        with log.open("w") as out:
            proc = subprocess.Popen([sys.executable, "-c", "from core.entry.cli import main; main()", "serve",
                                     "--api-only", "--workers", str(workers)], env=env, stdout=out,
                                    stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/metrics", proc, log, timeout=180)
            drive(base, path, key, clients, 2.0)  # warm-up: every process has loaded, pools are open
            return drive(base, path, key, clients, seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--path", default="/api/v1/categories")
    args = parser.parse_args()
    from sqlmodel import Session

    from bench.run_all import fresh_database
    from core.identity.keys import create_key
    from core.reference.seed import seed_reference
    from core.runtime import migrate
    from core.runtime.db import make_engine
    from core.runtime.settings import Settings

    url, cleanup = fresh_database("postgresql")
    try:
        migrate.upgrade(url)
        settings = Settings(database_url=url)
        engine = make_engine(url)
        with Session(engine) as session:
            seed_reference(session, settings)
            _, key = create_key(session, "bench-workers", "admin")
        engine.dispose()
        rates = {}
        for workers in (1, args.workers):
            rate, errors = run_server(url, workers, args.path, key, args.clients, args.seconds)
            rates[workers] = rate
            print(f"{workers} process{'es' if workers > 1 else ''}: {rate:8.1f} requests/s  (GET {args.path}, "
                  f"{args.clients} connections, {args.seconds:.0f} s, {errors} non-200)", flush=True)
        print(f"ratio {args.workers}/1: {rates[args.workers] / rates[1]:.2f}x on {os.cpu_count()} cores")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
