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


def test_petugas_sees_the_verification_queue_and_the_complaints_they_entered(client, session, login_for):
    desk_a, desk_b = login_for("petugas", username="loket1"), login_for("petugas", username="loket2")
    # came in through LAPOR!, already dispatched: not the desk's
    add_complaint(session, external_id="lapor-1", opd_code="DPUPR", status="dispatched")
    entry = {"title": "Jalan berlubang di Sananwetan", "body": "Lubang besar di depan pasar.",
             "category": "INFRA-PJU", "kecamatan": "Kanigoro", "desa": "Gogodeso"}
    made = client.post("/api/v1/complaints", json=entry, headers=desk_a)
    assert made.status_code == 201, made.text
    mine = client.get("/api/v1/complaints", headers=desk_a).json()["items"]
    assert [c["id"] for c in mine] == [made.json()["id"]]
    # Another desk sees it while it waits in the verification queue, not once it has been dispatched.
    assert [c["id"] for c in client.get("/api/v1/complaints", headers=desk_b).json()["items"]] == [made.json()["id"]]
    dispatched = client.post(f"/api/v1/complaints/{made.json()['id']}/actions", headers=desk_a,
                             json={"action": "dispatch", "opd": "DISHUB"})
    assert dispatched.status_code == 200, dispatched.text
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


def test_admin_resets_a_password_generated_or_given(client, login_for, user_for):
    admin = login_for("admin")
    user_for("opd_admin", "DPUPR", username="penghubung.pupr")
    old = client.post("/api/v1/auth/login", json={"username": "penghubung.pupr", "password": PASSWORD}).json()

    r = client.post(f"{USERS}/penghubung.pupr/password", headers=admin)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["generated"] is True and answer["username"] == "penghubung.pupr"
    generated = answer["password"]
    assert len(generated) >= 16 and "penghubung" not in generated
    # The old password and the old log-in stop working; the generated one works.
    assert client.post("/api/v1/auth/login", json={"username": "penghubung.pupr", "password": PASSWORD}
                       ).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {old['access_token']}"}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "penghubung.pupr", "password": generated}
                       ).status_code == 200

    given = client.post(f"{USERS}/penghubung.pupr/password", json={"password": "sandi-baru-dari-admin"},
                        headers=admin)
    assert given.status_code == 200 and given.json() == {"username": "penghubung.pupr", "generated": False,
                                                         "password": None}
    assert client.post("/api/v1/auth/login", json={"username": "penghubung.pupr",
                                                   "password": "sandi-baru-dari-admin"}).status_code == 200

    bad = client.post(f"{USERS}/penghubung.pupr/password", json={"password": "pendek"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "password"
    assert client.post(f"{USERS}/tidak.ada/password", headers=admin).status_code == 404
    assert client.post(f"{USERS}/penghubung.pupr/password", headers=login_for("analyst")).status_code == 403

    entries = client.get("/api/v1/audit", params={"action": "user.password_reset"}, headers=admin).json()["items"]
    assert [e["outcome"] for e in entries] == ["failed", "ok", "ok"]  # newest first: the short one was refused
    assert {e["target"] for e in entries if e["outcome"] == "ok"} == {answer_target(client, admin)}
    assert generated not in str(entries) and "sandi-baru-dari-admin" not in str(entries)


def answer_target(client, admin) -> str:
    user = client.get(f"{USERS}/penghubung.pupr", headers=admin).json()
    return f"user:{user['id']}"


def test_a_reset_unlocks_a_locked_account(client, login_for, user_for):
    admin = login_for("admin")
    user_for("opd_admin", "DINKES", username="penghubung.dinkes")
    for _ in range(6):
        client.post("/api/v1/auth/login", json={"username": "penghubung.dinkes", "password": "salah-salah-salah"})
    assert client.get(f"{USERS}/penghubung.dinkes", headers=admin).json()["locked_until"] is not None
    generated = client.post(f"{USERS}/penghubung.dinkes/password", headers=admin).json()["password"]
    assert client.get(f"{USERS}/penghubung.dinkes", headers=admin).json()["locked_until"] is None
    assert client.post("/api/v1/auth/login", json={"username": "penghubung.dinkes", "password": generated}
                       ).status_code == 200


def test_a_user_created_without_a_password_gets_one_generated_once(client, login_for):
    admin = login_for("admin")
    r = client.post(USERS, json={"username": "liaison.dinsos", "name": "Wati", "role": "opd_admin", "opd": "DPUPR"},
                    headers=admin)
    assert r.status_code == 201, r.text
    generated = r.json()["password"]
    assert generated and client.post("/api/v1/auth/login", json={"username": "liaison.dinsos",
                                                                 "password": generated}).status_code == 200
    assert "password" not in client.get(f"{USERS}/liaison.dinsos", headers=admin).json()
    given = client.post(USERS, json={"username": "liaison.dpupr", "name": "Budi", "role": "opd_admin", "opd": "DPUPR",
                                     "password": "kuat-sekali-2026"}, headers=admin)
    assert given.status_code == 201 and "password" not in given.json()


def test_the_liaison_list_filters_by_role_and_shows_the_last_log_in(client, login_for, user_for):
    admin = login_for("admin")
    user_for("opd_admin", "DPUPR", username="pernah.masuk")
    user_for("opd_admin", "DINKES", username="belum.masuk")
    user_for("analyst", username="analis.satu")
    client.post("/api/v1/auth/login", json={"username": "pernah.masuk", "password": PASSWORD})
    liaisons = client.get(USERS, params={"role": "opd_admin"}, headers=admin).json()
    assert {u["username"]: u["opd_code"] for u in liaisons} == {"belum.masuk": "DINKES", "pernah.masuk": "DPUPR"}
    seen = {u["username"]: u["last_login_at"] for u in liaisons}
    assert seen["pernah.masuk"] is not None and seen["belum.masuk"] is None
    assert client.get(USERS, params={"role": "raja"}, headers=admin).status_code == 422
