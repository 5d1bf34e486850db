"""`make bench-scale`: the province-scale run, outside `make bench` (about an hour on 2 cores).

Generates 10 M complaints into one throw-away PostgreSQL database, then measures on it every stats
endpoint, the rapor and the list against hand-written SQL and the full CSV export's memory
(`bench.stats`), and the wall's first full render in Chromium (`bench.wall`); then syncs 1 M LAPOR!
reports through the emulator (`bench.ingest`, its own database). Output → bench/RESULTS-scale.md.

    python -m bench.scale [--n 10000000] [--ingest-n 1000000] [--scale 0.001 for a smoke run]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from bench.run_all import ROOT, fresh_database, write_results

TIMEOUT = 4 * 3600


def run(script: str, n: int, url: str) -> str:
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", script, "--n", str(n), "--db-url", url],
                              capture_output=True, text=True, cwd=ROOT, timeout=TIMEOUT)
        out = (proc.stdout + ("\n" + proc.stderr[-2000:] if proc.returncode else "")).strip()
    except subprocess.TimeoutExpired:
        out = f"timed out after {TIMEOUT // 3600} h"
    return f"{out}\n(wall clock {time.monotonic() - started:.0f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="complaints generated for stats and the wall")
    parser.add_argument("--ingest-n", type=int, default=1_000_000, help="LAPOR! reports synced through the emulator")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply both sizes (0.001 for a smoke run)")
    args = parser.parse_args()
    n, ingest_n = int(args.n * args.scale), int(args.ingest_n * args.scale)
    started, runs = time.monotonic(), []
    url, drop = fresh_database("postgresql")
    try:
        for script in ("bench.stats", "bench.wall"):  # the second reuses the complaints the first generated
            print(f"== {script} postgresql n={n:,}", flush=True)
            runs.append((script, n, run(script, n, url)))
            print(runs[-1][2], flush=True)
    finally:
        drop()
    if ingest_n:
        url, drop = fresh_database("postgresql")
        try:
            print(f"== bench.ingest postgresql n={ingest_n:,}", flush=True)
            runs.append(("bench.ingest", ingest_n, run("bench.ingest", ingest_n, url)))
            print(runs[-1][2], flush=True)
        finally:
            drop()
    write_results([(script.split(".")[-1], "postgresql", k, out) for script, k, out in runs],
                  time.monotonic() - started, name="RESULTS-scale.md", title="Province-scale benchmark",
                  target="make bench-scale")


if __name__ == "__main__":
    main()
