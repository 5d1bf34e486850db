"""Start the real API and dashboard as subprocesses on free 127.0.0.1 ports (browser tests and bench/)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlmodel import Session

from core.identity.keys import create_key
from core.identity.users import create_user
from core.runtime import migrate
from core.runtime.db import make_engine

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]
PASSWORD = "sandi-uji-yang-cukup-panjang"
SESSION_COOKIE = "aduan_sesi"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2.0).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s")


def start_server(args: list[str], env: dict[str, str], ready_url: str, log: Path) -> subprocess.Popen:
    """Server output goes to a file (a pipe nobody reads would fill up and stall the server)."""
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-c", "from core.entry.cli import main; main()", *args],
                                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    try:
        wait_http(ready_url, proc, log)
    except Exception:
        proc.kill()
        raise
    return proc


@dataclass
class Stack:
    api_url: str
    dash_url: str
    db_url: str
    key: str  # an admin API key, for the test's own API calls

    def engine(self):
        return make_engine(self.db_url)

    def add_user(self, username: str, role: str, opd: str | None = None, name: str | None = None) -> str:
        engine = self.engine()
        with Session(engine) as session:
            create_user(session, username, name or f"Pengguna {username}", role, PASSWORD, opd)
        engine.dispose()
        return username

    def session_cookie(self, username: str = "admin", password: str = PASSWORD) -> str:
        """Log in through the dashboard's own form (as a browser would) and return its session cookie."""
        with httpx.Client(base_url=self.dash_url, timeout=30) as browser:
            form = browser.get("/masuk").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
            r = browser.post("/masuk", data={"username": username, "password": password, "csrf": csrf})
            assert r.status_code == 302, r.text[-500:]
            return r.cookies[SESSION_COOKIE]

    def log_in(self, page, username: str = "admin") -> None:
        """Give the browser page a logged-in session without typing (the log-in form has its own test)."""
        page.context.clear_cookies()
        page.context.add_cookies([{"name": SESSION_COOKIE, "value": self.session_cookie(username),
                                   "url": self.dash_url}])


def launch_stack(tmp_path: Path, seed: Callable[[Session, datetime], None] | None, refresh_seconds: int = 5,
                 stale_minutes: int = 120,
                 db_url: str | None = None) -> Iterator[Stack]:
    """Migrated SQLite DB seeded by `seed(session, now)`, an admin key and an `admin` user (password
    `PASSWORD`), API + dashboard subprocesses."""
    db_url = db_url or f"sqlite:///{tmp_path / 'aduan.db'}"
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as session:
        if seed:
            seed(session, datetime.now(UTC))
        _, key = create_key(session, "tests", "admin")
        create_user(session, "admin", "Admin Diskominfo", "admin", PASSWORD)
    engine.dispose()
    api_port, dash_port = free_port(), free_port()
    env = {**os.environ, "ADUAN_DATABASE_URL": db_url, "ADUAN_API_HOST": "127.0.0.1",
           "ADUAN_API_PORT": str(api_port), "ADUAN_DASHBOARD_PORT": str(dash_port),
           "ADUAN_DASHBOARD_API_URL": f"http://127.0.0.1:{api_port}",
           "ADUAN_REFRESH_SECONDS": str(refresh_seconds), "ADUAN_STALE_MINUTES": str(stale_minutes)}
    api = start_server(["serve", "--api-only"], env, f"http://127.0.0.1:{api_port}/api/v1/health",
                       tmp_path / "api.log")
    try:
        dash = start_server(["serve", "--dashboard-only"], env, f"http://127.0.0.1:{dash_port}/",
                            tmp_path / "dashboard.log")
    except Exception:
        api.kill()
        raise
    try:
        yield Stack(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{dash_port}", db_url, key)
    finally:
        for proc in (dash, api):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


_LAYOUT_MOUNTED = """() => { const root = document.getElementById('react-entry-point');
    return !root || (root.children.length > 0 && !root.querySelector('._dash-loading')); }"""
_NOTHING_LOADING = "() => document.querySelectorAll('[data-dash-is-loading=\"true\"]').length === 0"


def wait_dash_idle(pg, timeout: float = 30_000) -> None:
    """Wait until Dash has mounted the layout and has no callback in flight (the renderer marks pending outputs).
    Twice, a moment apart: on a loaded machine a starved renderer can mount the layout, go quiet on the network
    and only then send the first callbacks."""
    for _ in range(2):
        pg.wait_for_function(_LAYOUT_MOUNTED, timeout=timeout)
        pg.wait_for_load_state("networkidle", timeout=timeout)
        pg.wait_for_function(_NOTHING_LOADING, timeout=timeout)
        pg.wait_for_timeout(250)


def wait_grid_rows(page, grid: str) -> None:
    """Until the grid shows real rows (not the infinite model's empty loading stubs)."""
    page.wait_for_function(
        f"() => [...document.querySelectorAll('#{grid} .ag-center-cols-container .ag-row [col-id=title]')]"
        ".some(c => c.innerText.trim() !== '')", timeout=30_000)
