"""Admins manage accounts; bad input names the field; a petugas sees only what they entered."""

from tests.api.conftest import PASSWORD
from tests.factories import add_complaint

USERS = "/api/v1/users"


def test_admin_creates_lists_and_updates_users(client, login_for):
    admin = login_for("admin")
    new = {"username": "Sari.DPUPR", "name": "Sari Wulandari", "role": "opd_admin", "opd": "DPUPR",
           "password": "kuat-sekali-2026"}
    r = client.post(USERS, json=new, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["username"] == "sari.dpupr" and r.json()["opd_code"] == "DPUPR" and "password" not in r.text
    assert client.post(USERS, json=new, headers=admin).status_code == 409
    listed = client.get(USERS, headers=admin).json()
    assert "sari.dpupr" in [u["username"] for u in listed]
    r = client.patch(f"{USERS}/sari.dpupr", json={"name": "Sari W.", "active": False}, headers=admin)
    assert r.json()["name"] == "Sari W." and r.json()["active"] is False
    assert client.get(f"{USERS}/nobody", headers=admin).status_code == 404


def test_bad_user_input_names_the_field(client, login_for):
    admin = login_for("admin")
    base = {"username": "rudi", "name": "Rudi", "role": "analyst", "password": "kuat-sekali-2026"}
    cases = [({"password": "pendek"}, "password"), ({"password": "rudi-rahasia-99"}, "password"),
             ({"role": "opd_admin"}, "opd"), ({"opd": "NOPE"}, "opd"), ({"username": "rudi ganteng"}, "username"),
             ({"role": "raja"}, "role")]
    for change, field in cases:
        r = client.post(USERS, json={**base, **change}, headers=admin)
        assert r.status_code == 422, (change, r.text)
        assert r.json()["detail"][0]["loc"][-1] == field, (change, r.json())


def test_admin_can_not_lock_themselves_out(client, user_for):
    user_for("admin", username="kepala")
    token = client.post("/api/v1/auth/login", json={"username": "kepala", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for change in ({"active": False}, {"role": "viewer"}):
        assert client.patch(f"{USERS}/kepala", json=change, headers=headers).status_code == 409


def test_petugas_sees_only_the_complaints_they_entered(client, session, login_for):
    desk_a, desk_b = login_for("petugas", username="loket1"), login_for("petugas", username="loket2")
    add_complaint(session, external_id="lapor-1", opd_code="DPUPR")  # came in through LAPOR!, not a desk
    entry = {"title": "Jalan berlubang di Sananwetan", "body": "Lubang besar di depan pasar.",
             "category": "INFRA-PJU", "kecamatan": "Kanigoro", "desa": "Gogodeso"}
    made = client.post("/api/v1/complaints", json=entry, headers=desk_a)
    assert made.status_code == 201, made.text
    mine = client.get("/api/v1/complaints", headers=desk_a).json()["items"]
    assert [c["id"] for c in mine] == [made.json()["id"]]
    assert client.get("/api/v1/complaints", headers=desk_b).json()["items"] == []
    assert client.get(f"/api/v1/complaints/{made.json()['id']}", headers=desk_b).status_code == 404
    assert client.get("/api/v1/stats/summary", headers=desk_a).json()["total"] == 1
    assert client.get("/api/v1/stats/summary", headers=login_for("analyst")).json()["total"] == 2


def test_opd_admin_rapor_holds_only_their_own_opd(client, session, login_for):
    add_complaint(session, external_id="a", opd_code="DPUPR", status="resolved")
    add_complaint(session, external_id="b", opd_code="DINKES", status="dispatched")
    november = {"period_start": "2026-11-01", "period_end": "2026-11-30"}  # the complaints' month, whatever today is
    mine = client.get("/api/v1/rapor", params=november, headers=login_for("opd_admin", "DPUPR")).json()
    assert [r["opd_code"] for r in mine["rows"]] == ["DPUPR"] and mine["total"]["total"] == 1
    everyone = client.get("/api/v1/rapor", params=november, headers=login_for("analyst")).json()
    assert {r["opd_code"] for r in everyone["rows"]} == {"DPUPR", "DINKES"}
