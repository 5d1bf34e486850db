"""The audit log: one entry per write, with who, when, what and from where; nobody can change it."""

import csv
import io

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.intake.manual_entry import COLUMNS
from tests.api.conftest import PASSWORD
from tests.factories import add_complaint

API = "/api/v1"


def walk_in_csv() -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerow({"judul": "Sampah menumpuk di pasar Wlingi", "isi": "Sudah tiga hari tidak diangkut.",
                     "kategori": "LINGKUNGAN-SAMPAH", "kecamatan": "Wlingi"})
    return out.getvalue().encode()


def test_a_scripted_session_leaves_one_entry_per_write(client, session, user_for, key_for):
    sari = user_for("opd_admin", "DPUPR", username="sari", name="Sari Wulandari")
    boss = user_for("admin", username="kominfo", name="Admin Kominfo")
    complaint = add_complaint(session, external_id="c1", status="dispatched", opd_code="DPUPR")

    def login(username, password=PASSWORD):
        return client.post(f"{API}/auth/login", json={"username": username, "password": password})

    assert login("sari", "salah-tebak-1").status_code == 401                       # 1 failed log-in
    sari_h = {"Authorization": f"Bearer {login('sari').json()['access_token']}",   # 2 log-in
              "X-Request-ID": "5f1c0c7e-0d3b-4d5e-9a1e-2b7c0f9a8e11", "User-Agent": "Chromium/156 (TV)"}
    boss_h = {"Authorization": f"Bearer {login('kominfo').json()['access_token']}"}  # 3 log-in
    act = client.post(f"{API}/complaints/{complaint.id}/actions", headers=sari_h,       # 4 workflow
                      json={"action": "respond", "note": "Tim sudah ke lokasi"})
    assert act.status_code == 200
    assert client.get(f"{API}/complaints", headers=sari_h).status_code == 200           # a read: no entry
    up = client.post(f"{API}/complaints/import", headers=boss_h,                         # 5 import
                     files={"file": ("aduan.csv", walk_in_csv(), "text/csv")})
    assert up.status_code == 200, up.text
    ladder = client.get(f"{API}/escalation-ladder", headers=boss_h).json()
    assert client.put(f"{API}/escalation-ladder", json=ladder, headers=boss_h).status_code == 200  # 6 config
    made = client.post(f"{API}/users", headers=boss_h, json={                             # 7 user change
        "username": "loket", "name": "Petugas Loket", "role": "petugas", "password": "kuat-sekali-2026"})
    assert made.status_code == 201
    key = client.post(f"{API}/keys", json={"name": "SIMDA", "role": "analyst"}, headers=boss_h)  # 8 key
    assert client.delete(f"{API}/keys/{key.json()['id']}", headers=boss_h).status_code == 204   # 9 key
    assert client.get(f"{API}/export/complaints.csv", headers=sari_h).status_code == 200        # 10 export
    assert client.post(f"{API}/opd", json={"code": "X"}, headers=sari_h).status_code == 403     # 11 denied
    assert client.post(f"{API}/auth/logout", headers=sari_h).status_code == 204                # 12 log-out

    page = client.get(f"{API}/audit", params={"limit": 50}, headers=key_for("admin")).json()
    entries = list(reversed(page["items"]))
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("auth.login", "denied"), ("auth.login", "ok"), ("auth.login", "ok"), ("act", "ok"),
        ("import_complaints", "ok"), ("put_ladder", "ok"), ("user.create", "ok"), ("key.create", "ok"),
        ("key.revoke", "ok"), ("export_csv", "ok"), ("create_opd", "denied"), ("auth.logout", "ok")]
    failed, _, _, action = entries[:4]
    assert failed["actor"] == f"user:{sari.id}" and failed["message"] == "bad_credentials"
    assert action["actor"] == f"user:{sari.id}" and action["actor_name"] == "Sari Wulandari"
    assert action["role"] == "opd_admin" and action["target"] == f"complaints:{complaint.id}"
    assert action["ip"] == "testclient" and action["user_agent"] == "Chromium/156 (TV)"
    assert action["request_id"] == "5f1c0c7e-0d3b-4d5e-9a1e-2b7c0f9a8e11"
    assert action["method"] == "POST" and action["status_code"] == 200 and action["at"]
    user_change = entries[6]
    assert user_change["actor"] == f"user:{boss.id}" and user_change["detail"]["username"] == "loket"
    assert "kuat-sekali-2026" not in str(page) and PASSWORD not in str(page)


def test_audit_filters_and_pages(client, user_for, key_for):
    user_for("viewer", username="dodi")
    for _ in range(3):
        client.post(f"{API}/auth/login", json={"username": "dodi", "password": "salah-tebak-1"})
    client.post(f"{API}/auth/login", json={"username": "dodi", "password": PASSWORD})
    admin = key_for("admin")
    denied = client.get(f"{API}/audit", params={"action": "auth.", "outcome": "denied"}, headers=admin).json()
    assert len(denied["items"]) == 3
    first = client.get(f"{API}/audit", params={"limit": 2}, headers=admin).json()
    rest = client.get(f"{API}/audit", params={"limit": 2, "before_id": first["next_before_id"]},
                      headers=admin).json()
    assert len(first["items"]) == len(rest["items"]) == 2
    assert first["items"][-1]["id"] > rest["items"][0]["id"]
    bad = client.get(f"{API}/audit", params={"since": "kemarin"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "since"]


def test_nothing_in_the_audit_log_can_be_edited(client, engine, key_for, user_for):
    user_for("viewer", username="dodi")
    client.post(f"{API}/auth/login", json={"username": "dodi", "password": PASSWORD})
    admin = key_for("admin")
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.request(method, f"{API}/audit", headers=admin).status_code == 405
    assert client.request("DELETE", f"{API}/audit/1", headers=admin).status_code in (404, 405)
    with engine.connect() as conn:
        attempts = conn.execute(text("SELECT method, outcome FROM audit_log WHERE method <> 'POST'")).all()
    # the attempts themselves are on record
    assert sorted(attempts) == [("DELETE", "failed"), ("DELETE", "failed"), ("PATCH", "failed"), ("PUT", "failed")]
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 5


def test_log_ins_and_rapor_downloads_are_recorded_with_the_role(client, user_for, key_for):
    user_for("viewer", username="bupati", name="Bupati Blitar")
    token = client.post(f"{API}/auth/login", json={"username": "bupati", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    month = {"year": 2026, "month": 11}
    assert client.get(f"{API}/rapor", params=month, headers=headers).status_code == 200      # a read: no entry
    assert client.get(f"{API}/rapor.xlsx", params=month, headers=headers).status_code == 200
    assert client.get(f"{API}/rapor.pdf", params=month, headers=headers).status_code == 200
    entries = list(reversed(client.get(f"{API}/audit", headers=key_for("admin")).json()["items"]))
    assert [(e["action"], e["role"], e["actor_name"], e["path"]) for e in entries] == [
        ("auth.login", "viewer", "Bupati Blitar", f"{API}/auth/login"),
        ("rapor_as_xlsx", "viewer", "Bupati Blitar", f"{API}/rapor.xlsx"),
        ("rapor_as_pdf", "viewer", "Bupati Blitar", f"{API}/rapor.pdf")]
