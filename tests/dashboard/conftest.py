"""Browser-test fixtures: Debian Chromium via Playwright, console watching, optional screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.runtime.settings import load_settings
from tests.dashboard.stack import REPO

SCREENSHOTS = REPO / "docs" / "screenshots"


def pytest_addoption(parser):
    parser.addoption("--screenshots", action="store_true", default=False,
                     help="write 1920x1080 screenshots of each dashboard page to docs/screenshots/")


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


@pytest.fixture(scope="session")
def dash_app():
    """One Dash app for the in-process tests (Dash registers pages and callbacks process-wide)."""
    from dashboard.app import create_dash

    return create_dash(load_settings(dashboard_api_url="http://127.0.0.1:9", database_url="sqlite:///:memory:"))
