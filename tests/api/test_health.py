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
    assert client.get("/_probe", headers={"X-API-Key": "adu_nope"}).json()["detail"] == "invalid or revoked API key"
