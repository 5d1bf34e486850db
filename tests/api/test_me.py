def test_me_tells_a_key_its_role_and_opd(client, key_for):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=key_for("admin")).json() == {
        "name": "test-admin", "role": "admin", "opd_code": None, "opd_name": None, "kind": "key", "username": None}
    assert client.get("/api/v1/me", headers=key_for("opd_admin", "DINKES")).json()["opd_code"] == "DINKES"


def test_me_tells_a_logged_in_user_who_they_are(client, login_for):
    me = client.get("/api/v1/me", headers=login_for("opd_admin", "DPUPR", username="sari", name="Sari Wulandari"))
    assert me.json() == {"name": "Sari Wulandari", "role": "opd_admin", "opd_code": "DPUPR",
                         "opd_name": me.json()["opd_name"], "kind": "user", "username": "sari"}
    assert me.json()["opd_name"]
