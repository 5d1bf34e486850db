"""GET /connectors and POST /connectors/{name}/sync: what the connector page and admins see."""

from sqlmodel import select

from core.intake.contract import parse_timestamp
from core.intake.sync import sync_instance
from models import ConnectorInstance, SyncState
from tests.emulated import Complaint, Faults, RawRecord, add_google, add_lapor, count, google_upstream, lapor_upstream


def state_of(session, name):
    session.expire_all()
    instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == name)).one()
    return session.exec(select(SyncState).where(SyncState.connector_instance_id == instance.id)).one()


def test_repeated_page_token_stops_the_run_keeping_what_was_committed(session, engine, client, key_for):
    with lapor_upstream(total=500, faults=Faults(repeat_token_after=3)) as (_app, url):
        add_lapor(session, url, page_size=50)
        summary = sync_instance("lapor1", engine=engine)
    assert summary.status == "error"
    assert "page token" in summary.error
    assert count(session, Complaint) == 200  # pages 1-4 landed; the 4th repeated its token
    state = state_of(session, "lapor1")
    assert (state.status, state.last_success_at) == ("error", None)
    # The runner's bookmark: the newest updated_at among the records it committed.
    landed = session.exec(select(RawRecord.payload).where(RawRecord.channel == "lapor")).all()
    assert parse_timestamp(state.bookmark["marks"][""]) == max(parse_timestamp(p["updated_at"]) for p in landed)

    [row] = client.get("/api/v1/connectors", headers=key_for("analyst")).json()
    assert row["status"] == "error" and "page token" in row["last_error"]
    health = client.get("/api/v1/health").json()
    assert health["status"] == "degraded"
    assert "page token" in health["connectors"][0]["last_error"]


def test_rejected_credentials_stop_the_run_at_once(session, engine, client, key_for):
    with google_upstream(total=20) as (_app, url):
        add_google(session, url, access_token="expired")
        summary = sync_instance("gmaps", engine=engine)
    assert summary.status == "error" and summary.retries == 0
    assert "401" in summary.error and "token" in summary.error
    assert count(session, RawRecord) == 0
    [row] = client.get("/api/v1/connectors", headers=key_for("admin")).json()
    assert row["status"] == "error" and "401" in row["last_error"]
    [health] = client.get("/api/v1/health").json()["connectors"]
    assert health["status"] == "error" and "kredensial ditolak" in health["last_error"]


def test_connector_list_needs_an_analyst_and_hides_nothing_secret(client, session, key_for):
    add_lapor(session, "http://127.0.0.1:9", token="sangat-rahasia")
    assert client.get("/api/v1/connectors").status_code == 401
    assert client.get("/api/v1/connectors", headers=key_for("viewer")).status_code == 403
    response = client.get("/api/v1/connectors", headers=key_for("analyst"))
    assert response.status_code == 200
    [row] = response.json()
    assert row | {"last_counts": None} == {
        "name": "lapor1", "kind": "lapor", "channel": "lapor", "pullable": True, "enabled": True,
        "schedule_seconds": 900,
        "status": "never", "last_run_at": None, "last_success_at": None, "last_error": None, "lag_seconds": None,
        "fetched_total": 0, "new_total": 0, "updated_total": 0, "failed_total": 0, "inbox_failed": 0,
        "last_counts": None, "writeback_pending": 0, "writeback_failed": []}
    assert "sangat-rahasia" not in response.text


def test_admin_can_sync_on_demand(client, session, key_for):
    with lapor_upstream(total=40) as (_app, url):
        add_lapor(session, url)
        assert client.post("/api/v1/connectors/lapor1/sync", headers=key_for("analyst")).status_code == 403
        assert client.post("/api/v1/connectors/nope/sync", headers=key_for("admin")).status_code == 404
        response = client.post("/api/v1/connectors/lapor1/sync", headers=key_for("admin"))
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("status", "fetched", "new", "updated", "unchanged", "failed", "error")} == {
        "status": "ok", "fetched": 40, "new": 40, "updated": 0, "unchanged": 0, "failed": 0, "error": None}
    assert body["duration_s"] >= 0
    [row] = client.get("/api/v1/connectors", headers=key_for("analyst")).json()
    assert (row["status"], row["new_total"], row["fetched_total"]) == ("ok", 40, 40)
    assert row["last_success_at"] is not None and 0 <= row["lag_seconds"] < 60
