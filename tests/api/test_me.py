def test_me_tells_a_key_its_role_and_opd(client, key_for):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=key_for("admin")).json() == {
        "name": "test-admin", "role": "admin", "opd_code": None}
    assert client.get("/api/v1/me", headers=key_for("opd_admin", "DINKES")).json()["opd_code"] == "DINKES"
