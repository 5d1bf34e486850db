"""The API console (/docs) and reference (/redoc) work without internet: their assets come from the API."""

from __future__ import annotations

import os
import re

import pytest

from core.runtime import migrate
from tests.dashboard.stack import free_port, start_server


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_their_assets_from_the_api_itself(client, path):
    html = client.get(path).text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|png))"', html)
    assert assets, html
    for url in assets:
        assert url.startswith("/static-docs/"), url
        r = client.get(url)
        assert r.status_code == 200 and len(r.content) > 1000, url
    assert "cdn." not in html and "fonts.googleapis" not in html


@pytest.fixture(scope="module")
def api_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("docs")
    db_url = f"sqlite:///{tmp / 'aduan.db'}"
    migrate.upgrade(db_url)
    port = free_port()
    env = {**os.environ, "ADUAN_DATABASE_URL": db_url, "ADUAN_API_HOST": "127.0.0.1", "ADUAN_API_PORT": str(port)}
    proc = start_server(["serve", "--api-only"], env, f"http://127.0.0.1:{port}/api/v1/health", tmp / "api.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _offline(page) -> list[str]:
    """Abort every request that leaves 127.0.0.1, as on a pemda network without internet."""
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith("http://127.0.0.1"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return blocked


@pytest.mark.browser
def test_the_api_console_lists_its_operations_offline(page, api_url):
    blocked = _offline(page)
    page.goto(f"{api_url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/complaints" in [p.strip().replace("\u200b", "") for p in paths]
    assert not blocked
    page.console_log.assert_clean()


@pytest.mark.browser
def test_the_api_reference_lists_its_operations_offline(page, api_url):
    blocked = _offline(page)
    page.goto(f"{api_url}/redoc")
    page.wait_for_selector("[data-section-id^='tag/'], [data-section-id^='operation/']", timeout=30_000)
    text = page.inner_text("body")
    assert "Aduan Terpadu API" in text and "/api/v1/complaints" in text
    assert not blocked
    page.console_log.assert_clean()
