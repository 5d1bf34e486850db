"""`aduan serve --workers 4`: four real API processes on PostgreSQL share log-in lock-outs, metrics and the outbox.

Each check sends its requests concurrently on fresh connections, so the kernel hands them to different
processes; the per-process counter files in PROMETHEUS_MULTIPROC_DIR show how many processes answered.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from connectors.emulators.meta_graph import PHONE_NUMBER_ID, MetaGraphState
from connectors.emulators.meta_graph import create_app as meta_app
from connectors.emulators.runner import serve as serve_emulator
from core.casework.outbox import enqueue
from core.identity.users import create_user
from models import Notification, NotificationStatus, User
from models.types import utcnow
from tests.conftest import backend_name
from tests.dashboard.stack import REPO, free_port, wait_http

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(backend_name() == "sqlite", reason="several API processes need PostgreSQL: `aduan serve "
                       "--workers N` refuses SQLite (one writer at a time)"),
]

WORKERS = 4
MAX_FAILURES = 5
PASSWORD = "sandi-yang-benar-123"
ADUAN = [sys.executable, "-c", "from core.entry.cli import main; main()"]


@pytest.fixture
def api(settings, tmp_path):
    """`aduan serve --api-only --workers 4` on a free loopback port, against this test's database."""
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    env = {**os.environ, "ADUAN_DATABASE_URL": settings.database_url, "ADUAN_API_PORT": str(port),
           "ADUAN_LOGIN_MAX_FAILURES": str(MAX_FAILURES), "ADUAN_LOG_LEVEL": "WARNING",
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    env.pop("ADUAN_METRICS_TOKEN", None)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([*ADUAN, "serve", "--api-only", "--workers", str(WORKERS)], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/metrics", proc, log, timeout=180)  # /metrics is not counted itself
        yield base, metrics_dir, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _burst(fn, n: int) -> list:
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, range(n)))


def _post_login(base: str, username: str, password: str) -> int:
    # A fresh connection each time: one kept-alive connection would stay with one process.
    return httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": password},
                      headers={"Connection": "close"}, timeout=60).status_code


def _scrape(base: str) -> str:
    return httpx.get(f"{base}/metrics", timeout=60).text


def _count(scrape: str, handler: str, status: str) -> float:
    pattern = (rf'^aduan_http_requests_total\{{handler="{re.escape(handler)}",method="(?:GET|POST)",'
               rf'status="{status}"\}} (\S+)$')
    found = re.search(pattern, scrape, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _processes_that_counted(metrics_dir: Path) -> set[str]:
    return {p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("counter_*.db")}


def test_four_processes_share_lock_outs_and_metrics(api, session):
    base, metrics_dir, proc = api
    create_user(session, "sari", "Sari", "analyst", PASSWORD)
    before = _scrape(base)

    answers = Counter(_burst(lambda i: _post_login(base, "sari", f"tebakan-salah-{i}"), 12))
    assert answers == {401: MAX_FAILURES - 1, 423: 12 - MAX_FAILURES + 1}  # locked by exactly the fifth failure
    assert _post_login(base, "sari", PASSWORD) == 423  # even the right password, in whichever process
    session.expire_all()
    sari = session.exec(select(User).where(User.username == "sari")).one()
    assert sari.locked_until is not None and sari.failed_logins == 0

    unknown = Counter(_burst(lambda i: _post_login(base, "siapa", f"tebakan-salah-{i}"), 12))
    assert unknown == answers  # a name no account has locks the same way, across processes too

    health = _burst(lambda i: httpx.get(f"{base}/api/v1/health", headers={"Connection": "close"},
                                        timeout=60).status_code, 40)
    assert health == [200] * 40
    after = _scrape(base)
    assert _count(after, "/api/v1/health", "2xx") - _count(before, "/api/v1/health", "2xx") == 40
    assert _count(after, "/api/v1/auth/login", "4xx") - _count(before, "/api/v1/auth/login", "4xx") == 25
    assert "aduan_database_up 1.0" in after  # the database gauges, once, next to the summed counters
    assert len(re.findall(r"^aduan_database_up ", after, re.MULTILINE)) == 1
    counted = _processes_that_counted(metrics_dir)
    print(f"requests answered by {len(counted)} of {WORKERS} processes")
    assert len(counted) >= 2, "the requests all went to one process"
    assert proc.poll() is None


def test_four_processes_send_each_notification_exactly_once(settings, session, tmp_path):
    state = MetaGraphState(token="emulator-token")
    with serve_emulator(meta_app(state)) as meta_url:
        state.base_url = meta_url
        state.inject("slow", every=1, delay=0.03)  # every send takes a while: the four senders overlap
        now = utcnow()
        for i in range(200):
            enqueue(session, key=f"serve-workers:{i}", recipient=f"0812400{i:05d}", template="pengingat_aduan",
                    params=["Dinas Uji", "1", f"LPR-{i:04d}"], now=now)
        session.commit()
        env = {**os.environ, "ADUAN_DATABASE_URL": settings.database_url, "ADUAN_LOG_LEVEL": "WARNING",
               "ADUAN_WHATSAPP_GRAPH_BASE_URL": meta_url, "ADUAN_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
               "ADUAN_WHATSAPP_TOKEN": "emulator-token"}
        senders = [subprocess.Popen([*ADUAN, "sla", "send"], env=env, cwd=REPO, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True) for _ in range(WORKERS)]
        outputs = [p.communicate(timeout=300)[0] for p in senders]
        assert [p.returncode for p in senders] == [0] * WORKERS, outputs
        got = state.snapshot()
    sent_by = [int(re.search(r"sent (\d+)", out).group(1)) for out in outputs]
    print(f"notifications sent by each of the {WORKERS} senders: {sent_by}")
    assert sum(sent_by) == 200
    assert sum(1 for n in sent_by if n) >= 2, f"one process sent everything: {sent_by}"
    assert len(got["messages"]) == 200
    assert len({m["to"] for m in got["messages"]}) == 200  # no number got its reminder twice
    session.expire_all()
    assert {r.status for r in session.exec(select(Notification)).all()} == {NotificationStatus.sent}
