"""A server whose database connections are all taken answers 503 with Retry-After, not 500; a burst
larger than the pool waits its turn instead."""

import asyncio

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.runtime import db as core_db
from core.runtime import settings as core_settings
from tests.factories import seeded


@pytest.fixture
def small_pool(settings, session, key_for, monkeypatch):
    """`small_pool(size, overflow, timeout)` → an analyst's headers, with the app's pool resized."""
    seeded(session)
    headers = key_for("analyst")

    def resize(size: int, overflow: int, timeout: float) -> dict[str, str]:
        monkeypatch.setenv("ADUAN_DB_POOL_SIZE", str(size))
        monkeypatch.setenv("ADUAN_DB_MAX_OVERFLOW", str(overflow))
        monkeypatch.setenv("ADUAN_DB_POOL_TIMEOUT_SECONDS", str(timeout))
        core_settings.get_settings.cache_clear()
        core_db.get_engine.cache_clear()
        return headers

    return resize


def test_pool_exhaustion_is_a_503_with_retry_after(small_pool):
    headers = small_pool(1, 0, 0.2)
    engine = core_db.get_engine()
    with TestClient(create_app()) as client:
        assert client.get("/api/v1/stats/summary", headers=headers).status_code == 200
        with engine.connect():  # the only connection, held elsewhere
            r = client.get("/api/v1/stats/summary", headers=headers)
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert "coba lagi" in r.json()["detail"]
        assert client.get("/api/v1/stats/summary", headers=headers).status_code == 200


def test_a_burst_larger_than_the_pool_queues_instead_of_failing(small_pool):
    """200 requests at once against 4 connections: all answered, none refused (they wait their turn)."""
    headers = small_pool(2, 2, 20)

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(*(client.get("/api/v1/stats/summary", headers=headers)
                                             for _ in range(200)))
        return [r.status_code for r in answers]

    assert set(asyncio.run(burst())) == {200}


def test_the_default_pool_outnumbers_the_api_worker_threads(settings):
    engine = core_db.get_engine()
    assert engine.pool.size() + engine.pool._max_overflow > 40
