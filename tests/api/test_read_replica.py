"""Read-only routes read from a real streaming replica while it keeps up, and from the primary when it lags
or is gone (ADUAN_READ_DATABASE_URL, core/runtime/replica.py, api/read_source.py).

The primary and the standby are real PostgreSQL servers started by tests/replica.py; these tests run in the
PostgreSQL half of `make test` and are skipped on SQLite.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, func, select

import models
from api.main import create_app
from core.identity.keys import create_key
from core.runtime import db as core_db
from core.runtime import settings as core_settings
from core.runtime.replica import reset_read_routers
from models import AuditEntry
from tests.conftest import backend_name
from tests.factories import seeded
from tests.replica import StreamingPair

API = "/api/v1"
HEADER = "X-Aduan-Read-Source"
MAX_LAG = 2.0  # seconds; the machine running the suite may be busy (replay is then slower)
TABLES = ", ".join(f'"{t.name}"' for t in reversed(models.metadata.sorted_tables))
pytestmark = pytest.mark.postgres_only


@pytest.fixture
def pair(request, monkeypatch, tmp_path) -> Iterator[StreamingPair]:
    """The session's primary + standby, emptied, with the application pointed at both."""
    if backend_name() != "postgresql":
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL half of `make test` (ADUAN_TEST_DATABASE_URL)")
    pair: StreamingPair = request.getfixturevalue("streaming_pair")
    primary = pair.engine(pair.primary_port)
    with primary.connect() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    primary.dispose()
    monkeypatch.setenv("ADUAN_DATABASE_URL", pair.primary_url)
    monkeypatch.setenv("ADUAN_READ_DATABASE_URL", pair.standby_url)
    monkeypatch.setenv("ADUAN_READ_REPLICA_MAX_LAG_SECONDS", str(MAX_LAG))
    monkeypatch.setenv("ADUAN_READ_REPLICA_CHECK_SECONDS", "0.1")
    monkeypatch.chdir(tmp_path)
    core_settings.get_settings.cache_clear()
    core_db.get_engine.cache_clear()
    reset_read_routers()
    yield pair
    reset_read_routers()
    core_db.get_engine().dispose()
    core_db.get_engine.cache_clear()
    core_settings.get_settings.cache_clear()
    if not (pair.standby_dir / "postmaster.pid").exists():
        pair.start_standby()
    pair.resume_replay()


@pytest.fixture
def rclient(pair) -> Iterator[TestClient]:
    with Session(core_db.get_engine(), expire_on_commit=False) as session:
        seeded(session)
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def rkey(rclient) -> Callable[[str], dict[str, str]]:
    def make(role: str) -> dict[str, str]:
        with Session(core_db.get_engine()) as session:
            _, raw = create_key(session, f"test-{role}", role)
        return {"X-API-Key": raw}

    return make


def file_complaints(client: TestClient, headers: dict[str, str], n: int) -> None:
    for i in range(n):
        r = client.post(f"{API}/complaints", headers=headers, json={
            "title": f"Lampu jalan mati nomor {i}", "body": "Sudah seminggu gelap, rawan kecelakaan.",
            "category": "INFRA-PJU", "kecamatan": "Kanigoro", "desa": "Gogodeso",
            "reporter_name": "Slamet Riyadi", "reporter_contact": "081233344455"})
        assert r.status_code == 201, r.text
        assert HEADER not in r.headers  # a write is not a read of the replica


def wait_for_source(client: TestClient, headers: dict[str, str], source: str, timeout: float = 20,
                    totals: dict[str, int] | None = None) -> dict:
    """Reads /stats/summary until the answer comes from `source`. `totals`: the total each source must answer
    on the way (the replica's older figure until it falls back, say)."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"{API}/stats/summary", headers=headers)
        assert r.status_code == 200, r.text
        if totals is not None:
            assert r.json()["total"] == totals[r.headers[HEADER]], r.headers[HEADER]
        if r.headers[HEADER] == source:
            return r.json()
        assert time.monotonic() < deadline, f"reads never went to the {source}"
        time.sleep(0.05)


def metric(client: TestClient, line_start: str) -> float:
    body = client.get("/metrics").text
    values = [float(line.rsplit(" ", 1)[1]) for line in body.splitlines() if line.startswith(line_start)]
    return values[0] if values else 0.0


def test_reads_follow_the_replica_fall_back_when_it_lags_and_return(rclient, pair, rkey):
    client = rclient
    writer, reader = rkey("analyst"), rkey("viewer")
    file_complaints(client, writer, 3)
    pair.wait_caught_up()

    summary = wait_for_source(client, reader, "replica")
    assert summary["total"] == 3
    page = client.get(f"{API}/complaints", headers=writer)
    assert page.headers[HEADER] == "replica" and len(page.json()["items"]) == 3
    first = page.json()["items"][-1]["id"]
    detail = client.get(f"{API}/complaints/{first}", headers=writer)
    assert detail.status_code == 200 and detail.headers[HEADER] == "replica"
    assert metric(client, "aduan_read_replica_in_use") == 1.0

    # Replay paused: the standby still receives WAL but applies none of it, so it falls behind.
    pair.pause_replay()
    lag_fallbacks = metric(client, 'aduan_read_replica_fallbacks_total{reason="lag"}')
    file_complaints(client, writer, 2)
    # the replica answers its 3 until it is MAX_LAG behind, then the primary answers the fresh 5
    wait_for_source(client, reader, "primary", totals={"replica": 3, "primary": 5})
    page = client.get(f"{API}/complaints", headers=writer)
    assert page.headers[HEADER] == "primary" and len(page.json()["items"]) == 5
    assert metric(client, "aduan_read_replica_in_use") == 0.0
    assert metric(client, "aduan_read_replica_lag_seconds") > MAX_LAG
    assert metric(client, 'aduan_read_replica_fallbacks_total{reason="lag"}') >= lag_fallbacks + 2

    pair.resume_replay()
    wait_for_source(client, reader, "replica", totals={"replica": 5, "primary": 5})
    assert metric(client, "aduan_read_replica_lag_seconds") <= MAX_LAG


def test_a_stopped_standby_sends_reads_to_the_primary_without_errors(rclient, pair, rkey):
    client = rclient
    writer, reader = rkey("analyst"), rkey("viewer")
    file_complaints(client, writer, 2)
    pair.wait_caught_up()
    wait_for_source(client, reader, "replica")

    unreachable = metric(client, 'aduan_read_replica_fallbacks_total{reason="unreachable"}')
    pair.stop_standby()
    for path in ("/stats/summary", "/stats/by-opd", "/complaints", "/rapor", "/export/complaints.csv",
                 "/public/figures"):
        r = client.get(f"{API}{path}", headers=writer)
        assert r.status_code == 200, (path, r.text)
        assert r.headers[HEADER] == "primary", path
    assert client.get(f"{API}/stats/summary", headers=reader).json()["total"] == 2
    assert metric(client, 'aduan_read_replica_fallbacks_total{reason="unreachable"}') >= unreachable + 7
    assert metric(client, "aduan_read_replica_up") == 0.0

    pair.start_standby()
    wait_for_source(client, reader, "replica")


def test_rapor_export_and_public_pages_read_the_replica_and_audit_on_the_primary(rclient, pair, rkey, monkeypatch):
    # Each audited download is a write on the primary the replica must replay: no lag fallback in this test.
    monkeypatch.setenv("ADUAN_READ_REPLICA_MAX_LAG_SECONDS", "600")
    core_settings.get_settings.cache_clear()
    client = rclient
    writer = rkey("analyst")
    file_complaints(client, writer, 2)
    pair.wait_caught_up()
    wait_for_source(client, writer, "replica")

    with Session(core_db.get_engine()) as session:
        audited_before = session.exec(select(func.count()).select_from(AuditEntry)).one()
    export = client.get(f"{API}/export/complaints.csv", headers=writer)
    assert export.status_code == 200 and export.headers[HEADER] == "replica"
    assert export.text.count("Lampu jalan mati") == 2
    pdf = client.get(f"{API}/rapor.pdf", headers=writer)
    assert pdf.status_code == 200 and pdf.headers[HEADER] == "replica"
    with Session(core_db.get_engine()) as session:  # the downloads are audited, on the primary
        audited = session.exec(select(func.count()).select_from(AuditEntry)).one()
    assert audited == audited_before + 2

    figures = client.get(f"{API}/public/figures")
    assert figures.status_code == 200 and figures.headers[HEADER] == "replica"
    code = client.get(f"{API}/complaints", headers=writer).json()["items"][0]["tracking_code"]
    public = client.get(f"{API}/public/complaints/{code}")
    assert public.status_code == 200 and public.headers[HEADER] == "replica"


def test_without_a_replica_reads_stay_on_the_primary_and_carry_no_header(client, key_for):
    r = client.get(f"{API}/stats/summary", headers=key_for("viewer"))
    assert r.status_code == 200 and HEADER not in r.headers
