"""POST /api/v1/triage/suggest and the `suggestions` of a complaint's detail."""

from __future__ import annotations

import pytest

from core.triage import model
from models import Status
from tests.factories import add_complaint
from tests.triage_factories import labelled_history

URL = "/api/v1/triage/suggest"


@pytest.fixture
def trained(client, session, settings):
    labelled_history(session)
    assert model.train(session, settings, measure=False).version == 1


@pytest.mark.parametrize("role", ["admin", "analyst", "petugas"])
def test_triaging_roles_get_the_top_three_with_scores(client, key_for, trained, role):
    r = client.post(URL, json={"text": "jln dpn pasar rusak parah, byk lubang", "kecamatan": "Kanigoro"},
                    headers=key_for(role))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"categories", "opds", "model", "message"} and body["message"] is None
    assert body["categories"][0] | {"score": 0} == {"code": "INFRA-JALAN", "name": "Jalan rusak", "score": 0}
    assert body["opds"][0]["code"] == "DPUPR"
    for items in (body["categories"], body["opds"]):
        assert 1 <= len(items) <= 3 and all(set(i) == {"code", "name", "score"} for i in items)
        assert all(0 <= i["score"] <= 1 for i in items)
    assert set(body["model"]) == {"version", "trained_at", "examples"}
    assert (body["model"]["version"], body["model"]["examples"]) == (1, 60)


@pytest.mark.parametrize("role", ["viewer", "opd_admin"])
def test_other_roles_are_refused(client, key_for, trained, role):
    r = client.post(URL, json={"text": "jalan rusak"}, headers=key_for(role, "DPUPR" if role == "opd_admin" else None))
    assert r.status_code == 403
    assert client.post(URL, json={"text": "jalan rusak"}).status_code == 401


@pytest.mark.parametrize(("body", "message"), [
    ({"text": ""}, "teks aduan wajib diisi"),
    ({"text": "   \n "}, "teks aduan wajib diisi"),
    ({"text": "a" * 10_001}, "teks aduan terlalu panjang: paling banyak 10.000 karakter"),
    ({"kecamatan": "Kanigoro"}, None),
    ({"text": 12}, None),
])
def test_bad_text_is_422_naming_the_field(client, key_for, body, message):
    r = client.post(URL, json=body, headers=key_for("analyst"))
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", "text"]
    if message:
        assert error["msg"].endswith(message)


def test_too_long_kecamatan_is_422(client, key_for):
    r = client.post(URL, json={"text": "jalan rusak", "kecamatan": "k" * 121}, headers=key_for("analyst"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "kecamatan"]


def test_without_enough_labels_it_says_belum_cukup_data(client, key_for, session, settings):
    labelled_history(session, per_topic=2)
    assert model.train(session, settings).version is None
    r = client.post(URL, json={"text": "jalan rusak"}, headers=key_for("admin"))
    assert r.status_code == 200
    assert r.json() == {"categories": [], "opds": [], "model": None, "message": "belum cukup data"}


def test_detail_carries_suggestions_only_while_unverified(client, key_for, trained, session):
    waiting = add_complaint(session, "whatsapp", "W1", title="air pdam gk ngalir dr kmrn", body="", category_code=None)
    done = add_complaint(session, "whatsapp", "W2", title="air pdam gk ngalir", body="", category_code="AIR",
                         opd_code="PDAM", status=Status.dispatched)
    for role in ("admin", "analyst"):
        headers = key_for(role)
        detail = client.get(f"/api/v1/complaints/{waiting.id}", headers=headers).json()
        assert detail["suggestions"]["categories"][0]["code"] == "AIR"
        assert detail["suggestions"]["opds"][0]["code"] == "PDAM"
        assert detail["suggestions"]["model"]["version"] == 1 and detail["suggestions"]["message"] is None
        assert client.get(f"/api/v1/complaints/{done.id}", headers=headers).json()["suggestions"] is None
    # An OPD's own desk does not triage: no suggestions on what it reads.
    opd_desk = key_for("opd_admin", "PDAM")
    mine = add_complaint(session, "whatsapp", "W3", title="air mati", body="", category_code="AIR", opd_code="PDAM")
    detail = client.get(f"/api/v1/complaints/{mine.id}", headers=opd_desk)
    assert detail.status_code == 200 and detail.json()["suggestions"] is None


def test_detail_says_belum_cukup_data_without_a_model(client, key_for, session):
    waiting = add_complaint(session, "whatsapp", "W1", title="jalan rusak", body="", category_code=None)
    detail = client.get(f"/api/v1/complaints/{waiting.id}", headers=key_for("admin")).json()
    assert detail["suggestions"] == {"categories": [], "opds": [], "model": None, "message": "belum cukup data"}
