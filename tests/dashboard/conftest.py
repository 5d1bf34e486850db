"""Browser-test harness: the real API and dashboard as subprocesses on 127.0.0.1, Debian Chromium via Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from core import migrate
from core.db import make_engine
from core.keys import create_key

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"


def pytest_addoption(parser):
    parser.addoption("--screenshots", action="store_true", default=False,
                     help="write 1920x1080 screenshots of each dashboard page to docs/screenshots/")


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
        proc = subprocess.Popen([sys.executable, "-c", "from core.cli import main; main()", *args],
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
    key: str

    def engine(self):
        return make_engine(self.db_url)


def launch_stack(tmp_path: Path, seed, refresh_seconds: int = 5, stale_minutes: int = 120) -> Iterator[Stack]:
    """Migrated SQLite DB seeded by `seed(session, now)`, admin key, API + dashboard subprocesses."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    db_url = f"sqlite:///{tmp_path / 'aduan.db'}"
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    with Session(engine, expire_on_commit=False) as session:
        seed(session, datetime.now(UTC))
        _, key = create_key(session, "dashboard", "admin")
    engine.dispose()
    api_port, dash_port = free_port(), free_port()
    env = {**os.environ, "ADUAN_DATABASE_URL": db_url, "ADUAN_API_HOST": "127.0.0.1",
           "ADUAN_API_PORT": str(api_port), "ADUAN_DASHBOARD_PORT": str(dash_port),
           "ADUAN_DASHBOARD_API_URL": f"http://127.0.0.1:{api_port}", "ADUAN_DASHBOARD_API_KEY": key,
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


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class ConsoleLog:
    def __init__(self):
        self.errors: list[str] = []
        self.external: list[str] = []

    def assert_clean(self):
        assert not self.errors, "console errors:\n" + "\n".join(self.errors)
        assert not self.external, "requests left 127.0.0.1:\n" + "\n".join(self.external)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="id-ID",
                                  timezone_id="Asia/Jakarta")
    pg = context.new_page()
    log = ConsoleLog()
    pg.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda exc: log.errors.append(f"page error: {exc}"))
    pg.on("request", lambda r: log.external.append(r.url)
          if r.url.startswith("http") and not r.url.startswith("http://127.0.0.1") else None)
    pg.console_log = log
    yield pg
    context.close()


@pytest.fixture
def screenshot(request):
    """`screenshot(page, "wall")` writes docs/screenshots/wall.png when run with --screenshots."""
    enabled = request.config.getoption("--screenshots", default=False)

    def take(pg, name: str) -> None:
        if not enabled:
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        pg.screenshot(path=str(target))
        _shrink_png(target)

    return take


def _shrink_png(path: Path, limit: int = 300_000) -> None:
    """Dashboards are flat colours: a 256-colour palette keeps them sharp and well under the size limit."""
    from PIL import Image

    if path.stat().st_size <= limit:
        return
    with Image.open(path) as img:
        img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def wait_dash_idle(pg, timeout: float = 30_000) -> None:
    """Wait until Dash has no callback in flight (the renderer marks pending outputs)."""
    pg.wait_for_load_state("networkidle", timeout=timeout)
    pg.wait_for_function("() => document.querySelectorAll('[data-dash-is-loading=\"true\"]').length === 0",
                         timeout=timeout)
