"""Headless Debian Chromium through Playwright, watching the console and every request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dashboard.stack import CHROMIUM, CHROMIUM_ARGS


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
