def test_health_reports_database_and_schema(client):
    body = client.get("/api/v1/health").json()
    assert body["database"] is True
    assert body["schema_revision"] == body["schema_head"]
    assert body["status"] == "ok"


def test_missing_and_bad_keys_are_401(client):
    from fastapi import Depends

    from api.auth import require_roles
    from models import Role

    app = client.app

    @app.get("/_probe", dependencies=[Depends(require_roles(Role.analyst))])
    def probe():
        return {"ok": True}

    assert client.get("/_probe").status_code == 401
    bad = client.get("/_probe", headers={"X-API-Key": "adu_nope"})
    assert bad.json()["detail"] == "kunci API tidak sah, kedaluwarsa atau sudah dicabut"


def test_health_counts_complaints_and_shows_connector_lag(client, session):
    from datetime import UTC, datetime, timedelta

    from models import ConnectorInstance, SyncState
    from tests.factories import add_complaint

    add_complaint(session, external_id="h1")
    inst = ConnectorInstance(name="lapor-blitar", kind="lapor")
    session.add(inst)
    session.flush()
    session.add(SyncState(connector_instance_id=inst.id, status="ok",
                          last_success_at=datetime.now(UTC) - timedelta(minutes=5)))
    session.commit()
    body = client.get("/api/v1/health").json()
    assert body["complaints"] == 1 and body["latest_received_at"] == "2026-11-23T02:00:00Z"
    (conn,) = body["connectors"]
    assert conn["name"] == "lapor-blitar" and 290 < conn["lag_seconds"] < 400


def test_openapi_documents_the_contract(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/complaints", "/api/v1/complaints/{complaint_id}/actions", "/api/v1/stats/summary",
                 "/api/v1/rapor", "/api/v1/export/complaints.csv", "/open311/v2/requests.json"):
        assert path in spec["paths"], path
    summary = spec["paths"]["/api/v1/stats/summary"]["get"]
    assert "received_from" in {p["name"] for p in summary["parameters"]}
    assert "Summary" in spec["components"]["schemas"]
