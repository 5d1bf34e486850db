"""The read replica's settings and its lag measurement (core/runtime/replica.py) against a real streaming standby."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from core.runtime import db as core_db
from core.runtime import settings as core_settings
from core.runtime.replica import ReadRouter, get_read_router, replica_engine, reset_read_routers
from core.runtime.settings import SettingsError, load_settings
from tests.conftest import backend_name
from tests.replica import StreamingPair, free_port

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/aduan"


def test_a_read_replica_needs_postgresql_on_both_sides():
    assert load_settings(database_url=PG, read_database_url="  ").read_database_url is None
    assert load_settings(database_url=PG, read_database_url=PG).read_database_url == PG
    with pytest.raises(SettingsError, match="ADUAN_READ_DATABASE_URL: .*must be PostgreSQL"):
        load_settings(database_url=PG, read_database_url="sqlite:///replica.db")
    with pytest.raises(SettingsError, match="needs ADUAN_DATABASE_URL on PostgreSQL"):
        load_settings(database_url="sqlite:///aduan.db", read_database_url=PG)
    with pytest.raises(SettingsError, match="ADUAN_READ_REPLICA_MAX_LAG_SECONDS"):
        load_settings(database_url=PG, read_replica_max_lag_seconds=-1)


def test_no_router_without_a_replica(settings):
    assert get_read_router() is None


@pytest.fixture
def pair(request, monkeypatch, tmp_path) -> Iterator[StreamingPair]:
    if backend_name() != "postgresql":
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL half of `make test` (ADUAN_TEST_DATABASE_URL)")
    pair: StreamingPair = request.getfixturevalue("streaming_pair")
    monkeypatch.setenv("ADUAN_DATABASE_URL", pair.primary_url)
    monkeypatch.setenv("ADUAN_READ_DATABASE_URL", pair.standby_url)
    monkeypatch.chdir(tmp_path)
    core_settings.get_settings.cache_clear()
    core_db.get_engine.cache_clear()
    reset_read_routers()
    yield pair
    pair.resume_replay()
    reset_read_routers()
    core_db.get_engine().dispose()
    core_db.get_engine.cache_clear()
    core_settings.get_settings.cache_clear()


def write_on_primary() -> None:
    with core_db.get_engine().begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS replica_probe (at timestamptz)"))
        conn.execute(text("INSERT INTO replica_probe VALUES (now())"))


def test_lag_is_zero_when_caught_up_and_grows_while_replay_is_paused(pair):
    router = ReadRouter(replica_engine(core_settings.get_settings()), max_lag_seconds=0.5, check_seconds=60)
    try:
        write_on_primary()
        pair.wait_caught_up()
        caught_up = router.measure()
        assert caught_up.reachable and caught_up.fresh_enough(router.max_lag_seconds)

        pair.pause_replay()
        write_on_primary()
        first = router.measure()
        assert first.lag_seconds > 0 and first.behind_bytes > 0
        time.sleep(0.6)
        later = router.measure()
        assert later.lag_seconds >= first.lag_seconds + 0.5
        assert not later.fresh_enough(router.max_lag_seconds) and later.reason == "lag"

        pair.resume_replay()
        pair.wait_caught_up()
        assert router.measure().fresh_enough(router.max_lag_seconds)
    finally:
        router.dispose()


def test_an_idle_replica_is_not_behind_however_old_its_last_commit(pair):
    """Nothing written for a while: `now() - pg_last_xact_replay_timestamp()` grows, yet nothing is missing."""
    router = ReadRouter(replica_engine(core_settings.get_settings()), max_lag_seconds=0.2, check_seconds=60)
    try:
        write_on_primary()
        pair.wait_caught_up()
        time.sleep(0.3)
        state = router.measure()
        assert state.fresh_enough(0.2), state
    finally:
        router.dispose()


def test_a_server_not_in_recovery_counts_as_current(pair, monkeypatch):
    monkeypatch.setenv("ADUAN_READ_DATABASE_URL", pair.primary_url)  # e.g. the primary itself in development
    core_settings.get_settings.cache_clear()
    router = get_read_router()
    assert router is not None and router.state(force=True).lag_seconds == 0
    engine, source, reason = router.choose()
    assert (source, reason) == ("replica", None)


def test_an_unreachable_replica_is_measured_as_such(pair, monkeypatch):
    monkeypatch.setenv("ADUAN_READ_DATABASE_URL", pair.url(free_port()))  # nothing listens there
    core_settings.get_settings.cache_clear()
    router = get_read_router()
    state = router.state(force=True)
    assert not state.reachable and state.reason == "unreachable" and state.error
    engine, source, reason = router.choose()
    assert (source, reason) == ("primary", "unreachable") and engine is core_db.get_engine()


def replica_finding(**overrides):
    from core.entry.doctor import run_checks

    settings = load_settings(**overrides)
    return next(f for f in run_checks(settings) if f.check == "read replica")


def test_doctor_reports_the_replica(pair):
    write_on_primary()
    pair.wait_caught_up()
    ok = replica_finding()
    assert ok.level == "OK" and "streaming" in ok.message, ok.message

    pair.pause_replay()
    write_on_primary()
    time.sleep(0.3)
    behind = replica_finding(read_replica_max_lag_seconds=0.2)
    assert behind.level == "WARN" and "ADUAN_READ_REPLICA_MAX_LAG_SECONDS=0.2" in behind.message
    pair.resume_replay()

    gone = replica_finding(read_database_url=pair.url(free_port()))
    assert gone.level == "WARN" and "unreachable" in gone.message and "reads use the primary" in gone.message
    not_standby = replica_finding(read_database_url=pair.primary_url)
    assert not_standby.level == "WARN" and "not a standby" in not_standby.message
