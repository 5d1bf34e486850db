from tests.factories import add_complaint

API = "/api/v1"


def test_reference_lists(client, key_for):
    h = key_for("viewer")
    opd = {o["code"]: o for o in client.get(f"{API}/opd", headers=h).json()}
    assert opd["BAG-PEM"]["parent_code"] == "SETDA" and opd["DINKES"]["kind"] == "dinas"
    cats = {c["code"]: c for c in client.get(f"{API}/categories", headers=h).json()}
    assert cats["INFRA-JALAN"] == {"id": cats["INFRA-JALAN"]["id"], "code": "INFRA-JALAN", "name": "Jalan rusak",
                                   "parent_code": "INFRA", "default_opd_code": "DPUPR", "sla_tier": "lama"}
    channels = client.get(f"{API}/channels", headers=h).json()
    assert {"code": "lapor", "label": "SP4N-LAPOR!"} in channels
    kec = {k["name"]: k for k in client.get(f"{API}/kecamatan", headers=h).json()}
    assert len(kec) == 22 and "Gogodeso" in kec["Kanigoro"]["desa"] and kec["Kanigoro"]["lat"] < 0
    assert {t["code"] for t in client.get(f"{API}/sla-tiers", headers=h).json()} == {"cepat", "sedang", "lama"}


def test_channels_include_those_seen_in_data(client, session, key_for):
    add_complaint(session, "instagram", "ig1")
    channels = {c["code"]: c["label"] for c in client.get(f"{API}/channels", headers=key_for("viewer")).json()}
    assert channels["instagram"] == "Instagram"


def test_statuses_carry_label_rapor_bucket_and_tone_in_workflow_order(client, key_for):
    statuses = client.get(f"{API}/statuses", headers=key_for("viewer")).json()
    assert [s["code"] for s in statuses] == ["unverified", "verified", "dispatched", "in_progress", "postponed",
                                             "resolved", "rejected", "archived"]
    by_code = {s["code"]: s for s in statuses}
    assert by_code["postponed"] == {"code": "postponed", "label": "Ditunda", "bucket": "tertunda", "tone": "yellow"}
    assert by_code["dispatched"]["tone"] == "red" and by_code["resolved"]["tone"] == "green"
    assert by_code["archived"] == {"code": "archived", "label": "Diarsipkan", "bucket": "dikecualikan", "tone": "grey"}
    assert client.get(f"{API}/statuses").status_code == 401


def test_opd_crud(client, session, key_for):
    h = key_for("admin")
    r = client.post(f"{API}/opd", json={"code": "DISPORA", "name": "Dinas Pemuda dan Olahraga",
                                         "parent_code": "SETDA"}, headers=h)
    assert r.status_code == 201 and r.json()["parent_code"] == "SETDA"
    assert client.post(f"{API}/opd", json={"code": "DISPORA", "name": "x"}, headers=h).status_code == 409
    r = client.post(f"{API}/opd", json={"code": "X1", "name": "x", "parent_code": "NOPE"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "parent_code"]
    r = client.post(f"{API}/opd", json={"code": "bad code", "name": "x"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "code"
    r = client.patch(f"{API}/opd/SETDA", json={"parent_code": "DISPORA"}, headers=h)
    assert r.status_code == 422  # would make a cycle
    r = client.patch(f"{API}/opd/DISPORA", json={"head_name": "Drs. Agus", "active": False}, headers=h)
    assert r.json()["head_name"] == "Drs. Agus" and r.json()["active"] is False
    assert client.patch(f"{API}/opd/NOPE", json={}, headers=h).status_code == 404
    add_complaint(session, "lapor", "c1", opd_code="DISPORA")
    r = client.delete(f"{API}/opd/DISPORA", headers=h)
    assert r.status_code == 409 and "pengaduan" in r.json()["detail"]
    client.post(f"{API}/opd", json={"code": "TEMP", "name": "Sementara"}, headers=h)
    assert client.delete(f"{API}/opd/TEMP", headers=h).status_code == 204


def test_opd_admins_crud(client, key_for):
    h = key_for("admin")
    r = client.post(f"{API}/opd/DINKES/admins", json={"name": "Rina", "whatsapp": "6281234567890"}, headers=h)
    assert r.status_code == 201 and r.json()["opd_code"] == "DINKES"
    admin_id = r.json()["id"]
    r = client.post(f"{API}/opd/DINKES/admins", json={"name": "Rina", "whatsapp": "08-12"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "whatsapp"
    r = client.patch(f"{API}/opd-admins/{admin_id}", json={"active": False}, headers=h)
    assert r.json()["active"] is False
    own = client.get(f"{API}/opd/DINKES/admins", headers=key_for("opd_admin", "DINKES")).json()
    assert [a["name"] for a in own] == ["Rina"]
    assert client.delete(f"{API}/opd-admins/{admin_id}", headers=h).status_code == 204
    assert client.delete(f"{API}/opd-admins/{admin_id}", headers=h).status_code == 404


def test_categories_and_tiers_crud(client, session, key_for):
    h = key_for("admin")
    r = client.post(f"{API}/sla-tiers", json={"code": "kilat", "name": "Kilat", "resolution_days": 2}, headers=h)
    assert r.status_code == 201
    r = client.post(f"{API}/categories", json={"code": "INFRA-TROTOAR", "name": "Trotoar", "parent_code": "INFRA",
                                                "default_opd_code": "DPUPR", "sla_tier": "kilat"}, headers=h)
    assert r.status_code == 201 and r.json()["parent_code"] == "INFRA"
    r = client.post(f"{API}/categories", json={"code": "Z", "name": "z", "sla_tier": "nope"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "sla_tier"]
    r = client.post(f"{API}/categories", json={"code": "Z", "name": "z", "default_opd_code": "NOPE"}, headers=h)
    assert r.json()["detail"][0]["loc"] == ["body", "default_opd_code"]
    r = client.patch(f"{API}/categories/INFRA", json={"parent_code": "INFRA-TROTOAR"}, headers=h)
    assert r.status_code == 422
    r = client.patch(f"{API}/categories/INFRA-TROTOAR", json={"name": "Trotoar rusak", "parent_code": None},
                     headers=h)
    assert r.json()["name"] == "Trotoar rusak" and r.json()["parent_code"] is None
    assert client.delete(f"{API}/sla-tiers/kilat", headers=h).status_code == 409  # category uses it
    assert client.delete(f"{API}/categories/INFRA", headers=h).status_code == 409  # has subcategories
    assert client.delete(f"{API}/categories/INFRA-TROTOAR", headers=h).status_code == 204
    assert client.patch(f"{API}/sla-tiers/kilat", json={"resolution_days": 0}, headers=h).status_code == 422
    assert client.delete(f"{API}/sla-tiers/kilat", headers=h).status_code == 204
