"""GET /api/v1/complaints/{id}/similar: possible duplicates over the API, per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import ApiKey, Status
from tests.factories import MONDAY, add_complaint

API = "/api/v1/complaints"


@pytest.fixture
def pothole(client, session):
    """One pothole by LAPOR!, WhatsApp and 112 (all dispatched to DPUPR), and an unrelated DINKES complaint."""
    text = dict(kecamatan="Kanigoro", desa="Gogodeso", opd_code="DPUPR", status=Status.dispatched)
    return {
        "lapor": add_complaint(session, "lapor", "L1", title="Jalan berlubang di depan Pasar Gogodeso",
                               body="Jalan di depan Pasar Gogodeso berlubang besar, motor jatuh.",
                               received_at=MONDAY, **text),
        "whatsapp": add_complaint(session, "whatsapp", "W1", title="jln depan pasar gogodeso bolong",
                                  body="Jalan depan pasar Gogodeso berlubang, kemarin motor jatuh. Tolong diperbaiki",
                                  received_at=MONDAY + timedelta(days=1), category_code=None, **text),
        "call112": add_complaint(session, "call112", "C1", title="Jalan berlubang, pengendara motor jatuh",
                                 body="Jalan berlubang di depan pasar Gogodeso, pengendara motor jatuh.",
                                 received_at=MONDAY + timedelta(days=2), **text),
        "dinkes": add_complaint(session, "lapor", "L2", title="Antrean puskesmas lama",
                                body="Antre dari pagi belum dilayani.", category_code="KESEHATAN",
                                kecamatan="Kanigoro", desa="Gogodeso", opd_code="DINKES",
                                status=Status.dispatched, received_at=MONDAY),
    }


def url(complaint, query: str = "") -> str:
    return f"{API}/{complaint.id}/similar{query}"


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_readers_of_every_complaint_get_the_other_channels(client, key_for, pothole, role):
    response = client.get(url(pothole["lapor"]), headers=key_for(role))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {item["channel"] for item in items} == {"whatsapp", "call112"}
    for item in items:
        assert set(item) >= {"id", "code", "channel", "score", "reasons"}
        assert 0 < item["score"] <= 1
        assert item["reasons"][0].startswith("teks mirip 0,")
        assert "desa sama: Gogodeso" in item["reasons"]
    codes = {pothole[item["channel"]].tracking_code for item in items}
    assert codes == {item["code"] for item in items}
    assert client.get(url(pothole["dinkes"]), headers=key_for(role)).json() == {"items": []}


def test_limit_and_window(client, key_for, pothole):
    admin = key_for("admin")
    assert len(client.get(url(pothole["lapor"], "?limit=1"), headers=admin).json()["items"]) == 1
    narrow = client.get(url(pothole["lapor"], "?window_days=1"), headers=admin).json()["items"]
    assert [item["id"] for item in narrow] == [pothole["whatsapp"].id]  # 112 called two days later

def test_opd_admin_reads_only_its_opd(client, key_for, pothole):
    dpupr, dinkes = key_for("opd_admin", "DPUPR"), key_for("opd_admin", "DINKES")
    assert len(client.get(url(pothole["lapor"]), headers=dpupr).json()["items"]) == 2
    assert client.get(url(pothole["lapor"]), headers=dinkes).status_code == 404
    assert client.get(url(pothole["dinkes"]), headers=dinkes).json() == {"items": []}


def test_petugas_sees_only_what_it_may_read(client, session, key_for, pothole):
    headers = key_for("petugas")
    key = session.exec(select(ApiKey).where(ApiKey.role == "petugas")).one()
    lapor = pothole["lapor"]
    assert client.get(url(lapor), headers=headers).status_code == 404  # entered by someone else
    lapor.entered_by = f"key:{key.id}"
    session.add(lapor)
    session.commit()
    assert client.get(url(lapor), headers=headers).json() == {"items": []}  # the others are not its own
    wa = pothole["whatsapp"]
    wa.entered_by = f"key:{key.id}"
    session.add(wa)
    session.commit()
    assert [item["id"] for item in client.get(url(lapor), headers=headers).json()["items"]] == [wa.id]


def test_viewer_is_refused_and_unknown_is_404(client, key_for, pothole):
    assert client.get(url(pothole["lapor"]), headers=key_for("viewer")).status_code == 403
    assert client.get(f"{API}/999999/similar", headers=key_for("admin")).status_code == 404
    assert client.get(url(pothole["lapor"])).status_code == 401


@pytest.mark.parametrize(("query", "field"), [
    ("?window_days=0", "window_days"), ("?window_days=91", "window_days"), ("?window_days=dua", "window_days"),
    ("?limit=0", "limit"), ("?limit=21", "limit"),
])
def test_bad_parameters_name_the_field(client, key_for, pothole, query, field):
    response = client.get(url(pothole["lapor"], query), headers=key_for("admin"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_id_out_of_range_is_a_422(client, key_for):
    response = client.get(f"{API}/99999999999/similar", headers=key_for("admin"))
    assert response.status_code in (404, 422)
    assert response.status_code != 500
