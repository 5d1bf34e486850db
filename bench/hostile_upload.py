"""A decompression bomb uploaded while the wall is being read: time to refusal and /stats/summary p99.

    python -m bench.hostile_upload --n 2000 --db-url sqlite:////tmp/aduan-hostile.db

Serves the real API (`aduan serve --api-only`: uvicorn, in its own process) on a free 127.0.0.1
port against a database holding N generated complaints (bench.stats.prepare), then fires bursts
of 200 GET /api/v1/stats/summary at once (sharing --concurrency connections): alone; with a
300 MB-inflating XLSX (~0.8 MB on the wire, tests/hostile_files.py) uploaded at the same moment;
and with an honest but slow sheet (~400,000 cells, seconds of parsing in the XLSX worker) uploaded
at the same moment. Each kind runs --rounds times, interleaved; p99 is nearest-rank over one
burst, the medians are printed. Finally a slow sheet is uploaded again and the server gets
SIGTERM mid-parse: time until it exits.

Acceptance (issue 16): the bomb is refused in < 1 s; p99 with the bomb within 2x of p99 alone.

By default all 200 requests are in flight at once (--concurrency 200): the API queues what its
database pool cannot serve (api/overload.py) instead of letting them time out on the pool.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

AD = str(Path(sys.executable).with_name("aduan"))
SUMMARY = "/api/v1/stats/summary"
UPLOAD = "/api/v1/complaints/import"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_api(db_url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "ADUAN_DATABASE_URL": db_url, "ADUAN_API_HOST": "127.0.0.1", "ADUAN_API_PORT": str(port),
           "ADUAN_LOG_LEVEL": "WARNING", "ADUAN_LOG_FORMAT": "text"}
    server = subprocess.Popen([AD, "serve", "--api-only"], env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the API did not start within 60 s")


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


async def timed_get(http: httpx.AsyncClient, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = await http.get(SUMMARY, headers=headers)
    assert response.status_code == 200, response.text[:300]
    return (time.perf_counter() - started) * 1000


async def timed_upload(base: str, headers: dict[str, str], content: bytes) -> tuple[float, int, str]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        started = time.perf_counter()
        response = await http.post(UPLOAD, headers=headers,
                                   files={"file": ("aduan.xlsx", content, "application/octet-stream")})
        elapsed = (time.perf_counter() - started) * 1000
    detail = response.json().get("detail")
    message = detail.get("message", "") if isinstance(detail, dict) else str(detail)
    return elapsed, response.status_code, message


async def burst(base: str, size: int, concurrency: int, reader: dict[str, str],
                uploader: dict[str, str] | None = None,
                upload: bytes | None = None) -> tuple[float, tuple[float, int, str] | None]:
    """p99 (ms) of `size` summary requests fired at once, and the upload's (ms, status, message) if one was sent."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        gets = [timed_get(http, reader) for _ in range(size)]
        if upload is None:
            return p99(await asyncio.gather(*gets)), None
        uploaded, *latencies = await asyncio.gather(timed_upload(base, uploader, upload), *gets)
        return p99(latencies), uploaded


def sigterm_during_parse(server: subprocess.Popen, base: str, uploader: dict[str, str],
                         slow: bytes) -> tuple[float, str]:
    """Seconds from SIGTERM to the server's exit while an upload is being parsed, and what the upload got."""
    async def upload_then_stop() -> tuple[float, str]:
        task = asyncio.create_task(timed_upload(base, uploader, slow))
        await asyncio.sleep(0.8)  # the worker is parsing by now (its sheet takes seconds)
        server.send_signal(signal.SIGTERM)
        stopped = time.perf_counter()
        _, status, message = await task
        await asyncio.to_thread(server.wait, 60)
        return time.perf_counter() - stopped, f"{status} {message}"

    return asyncio.run(upload_then_stop())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2_000, help="complaints in the database")
    parser.add_argument("--db-url", default="sqlite:////tmp/aduan-hostile.db")
    parser.add_argument("--burst", type=int, default=200, help="/stats/summary requests per burst, fired at once")
    parser.add_argument("--concurrency", type=int, default=200, help="connections the burst shares")
    parser.add_argument("--rounds", type=int, default=3, help="bursts of each kind, interleaved")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    os.environ["ADUAN_DATABASE_URL"] = args.db_url
    from sqlmodel import Session

    from bench.stats import prepare
    from core.identity.keys import create_key
    from tests.hostile_files import decompression_bomb, slow_sheet

    engine, total = prepare(args.db_url, args.n, args.seed)
    with Session(engine) as session:
        reader = {"X-API-Key": create_key(session, "bench-wall", "admin")[1]}
        uploader = {"X-API-Key": create_key(session, "bench-petugas", "analyst")[1]}
    engine.dispose()
    bomb, slow = decompression_bomb(inflated_mb=300), slow_sheet(rows=100, columns=4000)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_api(args.db_url, port)
    try:
        # Warm-up: the key's first use is a write (last_used_at), then connections, caches, query plans.
        httpx.get(base + SUMMARY, headers=reader, timeout=60).raise_for_status()
        asyncio.run(burst(base, args.burst, args.concurrency, reader))
        idle_refusal = min(asyncio.run(timed_upload(base, uploader, bomb))[0] for _ in range(3))
        results: dict[str, list] = {"alone": [], "bomb": [], "slow": []}
        for _ in range(args.rounds):
            results["alone"].append(asyncio.run(burst(base, args.burst, args.concurrency, reader)))
            results["bomb"].append(asyncio.run(burst(base, args.burst, args.concurrency, reader, uploader, bomb)))
            results["slow"].append(asyncio.run(burst(base, args.burst, args.concurrency, reader, uploader, slow)))
        exit_seconds, shutdown_answer = sigterm_during_parse(server, base, uploader, slow)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    print(f"{engine.dialect.name}, {total:,} complaints; API served by `aduan serve --api-only` in its own process")
    print(f"bursts of {args.burst} GET {SUMMARY} fired at once over {args.concurrency} connections, "
          f"{args.rounds} rounds of each kind, interleaved\n")
    print(f"{'burst':<40} {'p99 ms (each round)':<28} {'median':>8} {'upload answered':>18}")
    medians = {}
    labels = {"alone": "alone", "bomb": f"with the bomb ({len(bomb) / 1e6:.1f} MB -> 300 MB)",
              "slow": f"with a slow honest sheet ({len(slow) / 1e6:.1f} MB)"}
    for kind, runs in results.items():
        p99s = [p for p, _ in runs]
        medians[kind] = statistics.median(p99s)
        answers = [u for _, u in runs if u]
        answered = (f"{statistics.median(a[0] for a in answers):>9.0f} ms {answers[0][1]}" if answers else "")
        print(f"{labels[kind]:<40} {' '.join(f'{p:7.0f}' for p in p99s):<28} {medians[kind]:>8.0f} {answered:>18}")
    refusals = [u for _, u in results["bomb"]]
    refused_ms = max(ms for ms, _, _ in refusals)
    print(f"\nbomb refused in               : {refused_ms:.0f} ms (slowest of {len(refusals)}; acceptance < 1000 ms) "
          f"— {refusals[0][1]} {refusals[0][2]}")
    print(f"bomb refused, server idle     : {idle_refusal:.0f} ms (best of 3)")
    print(f"p99 with bomb / p99 alone     : {medians['bomb'] / medians['alone']:.2f} (acceptance <= 2.00)")
    print(f"p99 with slow sheet / alone   : {medians['slow'] / medians['alone']:.2f}")
    print(f"SIGTERM during a parse        : server exited after {exit_seconds:.2f} s; the upload got {shutdown_answer}")


if __name__ == "__main__":
    main()
