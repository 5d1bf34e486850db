"""`make bench`: every benchmark at 100k and 1M complaints on SQLite and PostgreSQL → bench/RESULTS.md.

Each benchmark is its own script printing ratios measured in one run; this file only runs them in
subprocesses (fresh memory accounting per run), collects their output and writes the summary.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from core.runtime.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_ADMIN = os.environ.get("ADUAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# (script, sizes): ingest goes through the emulator over HTTP, so it runs at 100k only to fit in 30 min;
# hostile_upload measures bursts against an upload, not data volume, so a small database will do.
PLAN = [
    ("bench.ingest", [100_000]),
    ("bench.stats", [100_000, 1_000_000]),
    ("bench.wall", [100_000, 1_000_000]),
    ("bench.operations", [100_000, 1_000_000]),
    ("bench.similar", [100_000]),
    ("bench.hostile_upload", [2_000]),
    ("bench.public", [100_000]),
]


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, " \
           f"Python {platform.python_version()}, {platform.system()} {platform.release()}"


def fresh_database(backend: str) -> tuple[str, callable]:
    if backend == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"bench-{uuid.uuid4().hex[:6]}.db"
        return f"sqlite:///{path}", lambda: [p.unlink(missing_ok=True) for p in OUT.glob(path.name + "*")]
    admin = make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"aduan_bench_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def run(script: str, n: int, backend: str) -> str:
    url, cleanup = fresh_database(backend)
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", script, "--n", str(n), "--db-url", url],
                              capture_output=True, text=True, cwd=ROOT, timeout=1800)
        output = (proc.stdout + ("\n" + proc.stderr[-2000:] if proc.returncode else "")).strip()
    except subprocess.TimeoutExpired:
        output = "timed out after 30 min"
    finally:
        cleanup()
    return f"{output}\n(wall clock {time.monotonic() - started:.0f} s)"


HEADLINES = {  # what one line of the summary table says about each benchmark's output
    "ingest": [("sync rows/s", r"sync through emulator :\s+(\d+) rows/s"),
               ("emulator alone rows/s", r"emulator alone\s+:\s+(\d+) rows/s"),
               ("raw insert rows/s", r"raw (?:bulk insert|COPY into inbox)\s+:\s+(\d+) rows/s"),
               ("raw/sync", r"ratio raw/sync\s+:\s+([\d.]+x)"),
               ("peak RSS", r"peak RSS\s+:\s+(\d+ MB) after sync")],
    "stats": [("median API/SQL ratio", r"median ratio\s+([\d.]+)"),
              ("summary API / SQL ms", r"\nsummary\s+([\d.]+)\s+([\d.]+)"),
              ("full CSV export", r"everything\s+([\d,]+ rows).*?peak RSS\s+([\d.]+ MB)")],
    "wall": [("first full render (cold, warm)", r"first full render ([\d.]+ s, [\d.]+ s)")],
    "operations": [("/metrics vs summary", r"/metrics scrape vs /stats/summary\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)"),
                   ("dashboard vs direct", r"via dashboard vs its 2 API calls direct\s+[\d.]+\s+[\d.]+\s+([\d.]+)")],
    "similar": [("GET /similar p50 / p95 ms", r"GET /similar over ASGI\s+([\d.]+)\s+([\d.]+)"),
                ("recall", r"among the items in (\d+%)")],
    "public": [("figures counted / cached p50 ms",
                r"figures, counted\s+\d+\s+([\d.]+).*?figures, cached\s+\d+\s+([\d.]+)"),
               ("look-up by code p50 ms", r"complaints/\{code\}\s+\d+\s+([\d.]+)")],
    "hostile_upload": [("bomb refused in", r"bomb refused in\s+:\s+(\d+ ms)"),
                       ("p99 with bomb / alone", r"p99 with bomb / p99 alone\s+:\s+([\d.]+)"),
                       ("exit after SIGTERM mid-parse", r"server exited after ([\d.]+ s)")],
}


def headline(script: str, output: str) -> str:
    import re

    parts = []
    for label, pattern in HEADLINES[script]:
        match = re.search(pattern, output, re.S)
        if match:
            parts.append(f"{label} {' / '.join(match.groups())}")
    return "; ".join(parts) or "see below"


def write_results(runs: list[tuple[str, str, int, str]], seconds: float, name: str = "RESULTS.md",
                  title: str = "Benchmark results", target: str = "make bench") -> None:
    rows = [f"| {script} | {backend} | {n:,} | {headline(script, out)} |" for script, backend, n, out in runs]
    sections = [f"### {script} · {backend} · {n:,} complaints\n\n```\n{out}\n```\n" for script, backend, n, out in runs]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    (ROOT / "bench" / name).write_text(
        f"# {title}\n\nGenerated by `{target}` on {stamp} ({seconds:,.0f} s in all).\n\n"
        f"Machine: {machine()}.\n\n"
        "Each figure is one run on a noisy shared machine: read the ratios, not the absolute times.\n\n"
        "| benchmark | database | complaints | headline |\n|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        + "\n".join(sections), encoding="utf-8")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size (0.01 for a smoke run)")
    args = parser.parse_args()
    runs, started = [], time.monotonic()
    for script, sizes in PLAN:
        for backend in ("sqlite", "postgresql"):
            for n in (max(int(size * args.scale), 100) for size in sizes):
                print(f"== {script} {backend} n={n:,}", flush=True)
                out = run(script, n, backend)
                print(out, flush=True)
                runs.append((script.split(".")[-1], backend, n, out))
    write_results(runs, time.monotonic() - started)


if __name__ == "__main__":
    main()
