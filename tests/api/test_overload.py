"""A server whose database connections are all taken answers 503 with Retry-After, not 500."""

from fastapi.testclient import TestClient

from api.main import create_app
from core.runtime import db as core_db
from core.runtime import settings as core_settings
from tests.factories import seeded


def test_pool_exhaustion_is_a_503_with_retry_after(settings, session, key_for, monkeypatch):
    seeded(session)
    headers = key_for("analyst")
    monkeypatch.setenv("ADUAN_DB_POOL_SIZE", "1")
    monkeypatch.setenv("ADUAN_DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("ADUAN_DB_POOL_TIMEOUT_SECONDS", "0.2")
    core_settings.get_settings.cache_clear()
    core_db.get_engine.cache_clear()
    engine = core_db.get_engine()
    with TestClient(create_app()) as client:
        assert client.get("/api/v1/stats/summary", headers=headers).status_code == 200
        with engine.connect():  # the only connection, held elsewhere
            r = client.get("/api/v1/stats/summary", headers=headers)
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert "coba lagi" in r.json()["detail"]
        assert client.get("/api/v1/stats/summary", headers=headers).status_code == 200


def test_the_default_pool_outnumbers_the_api_worker_threads(settings):
    engine = core_db.get_engine()
    assert engine.pool.size() + engine.pool._max_overflow > 40


def test_a_burst_larger_than_the_pool_queues_instead_of_failing(settings, session, key_for, monkeypatch):
    """200 requests at once against 4 connections: all answered, none refused (they wait their turn)."""
    import asyncio

    import httpx

    seeded(session)
    headers = key_for("analyst")
    monkeypatch.setenv("ADUAN_DB_POOL_SIZE", "2")
    monkeypatch.setenv("ADUAN_DB_MAX_OVERFLOW", "2")
    monkeypatch.setenv("ADUAN_DB_POOL_TIMEOUT_SECONDS", "20")
    core_settings.get_settings.cache_clear()
    core_db.get_engine.cache_clear()

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = await asyncio.gather(*(client.get("/api/v1/stats/summary", headers=headers)
                                             for _ in range(200)))
        return [r.status_code for r in answers]

    assert set(asyncio.run(burst())) == {200}
