"""The reporter hears of their complaint through the HTTP routes staff use (single and bulk actions), against the
Meta Graph emulator; walk-ins with a phone number too; satisfaction reaches GET /rapor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlmodel import select

from connectors.emulators import meta_webhooks as meta
from connectors.emulators.meta_graph import PHONE_NUMBER_ID, MetaGraphState, create_app
from connectors.emulators.runner import serve
from core.casework.outbox import dispatch_due
from models import Complaint, ConnectorInstance, Notification, NotificationStatus
from models.types import utcnow

API = "/api/v1"
SECRET = "rahasia-aplikasi"
HOOK = f"{API}/webhooks/wa"
ANI = ("Ani Suryani", "6281234500001")


@pytest.fixture
def graph():
    state = MetaGraphState(token="t")
    with serve(create_app(state)) as base_url:
        state.base_url = base_url
        yield state


@pytest.fixture
def wa(client, session, settings, graph):
    session.add(ConnectorInstance(name="wa", kind="whatsapp", schedule_seconds=None, config={
        "verify_token": "v", "app_secret": SECRET, "phone_number_id": meta.PHONE_NUMBER_ID}))
    session.commit()
    return settings.model_copy(update=dict(
        whatsapp_graph_base_url=graph.base_url, whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_token=SecretStr("t"), whatsapp_retry_base_seconds=0.0))


def write(client, graph, text=None, who=ANI, message=None):
    message = message or meta.text_message(who[1], text, utcnow() - timedelta(minutes=2))
    body = meta.delivery([meta.change([message], contacts=[who])])
    [response] = meta.deliver(HOOK, SECRET, body, client=client, graph=graph)
    assert response.status_code == 200


def outbound(graph, number=ANI[1]):
    return [m for m in graph.conversation(number) if m["direction"] == "out"]


def test_the_reporter_hears_of_each_step_taken_through_the_api(client, session, engine, wa, graph, key_for):
    admin, dpupr = key_for("admin"), key_for("opd_admin", "DPUPR")
    write(client, graph, "Jalan di depan SDN Kanigoro 2 berlubang besar")
    complaint = session.exec(select(Complaint).where(Complaint.channel == "whatsapp")).one()
    cid, code = complaint.id, complaint.tracking_code
    assert client.post(f"{API}/complaints/{cid}/actions", json={"action": "dispatch", "opd": "DPUPR"},
                       headers=admin).status_code == 200
    assert client.post(f"{API}/complaints/{cid}/actions", json={"action": "respond", "note": "Dijadwalkan Kamis."},
                       headers=dpupr).status_code == 200
    bulk = client.post(f"{API}/complaints/bulk-actions", json={"action": "resolve", "ids": [cid],
                                                               "note": "Sudah ditambal."}, headers=dpupr)
    assert bulk.status_code == 200, bulk.text
    assert dispatch_due(engine, wa).sent == 4
    sent = outbound(graph)
    assert [m["type"] for m in sent] == ["text", "text", "text", "interactive"]
    assert code in sent[0]["text"] and "Dijadwalkan Kamis." in sent[1]["text"] and "selesai" in sent[2]["text"]
    # The reporter presses "2 Belum": the complaint is back with DPUPR, and the rapor says so.
    question = sent[3]
    belum = question["buttons"][1]
    write(client, graph, message=meta.button_reply(ANI[1], belum["id"], belum["title"], utcnow(), question["id"]))
    detail = client.get(f"{API}/complaints/{cid}", headers=admin).json()
    assert detail["status"] == "in_progress"
    assert [e["actor"] for e in detail["events"]][-2:] == ["Pelapor", "Pelapor"]
    assert session.exec(select(Complaint.id)).all() == [cid]
    today = utcnow().astimezone(wa.tz).date()
    rapor = client.get(f"{API}/rapor", params={"period_start": (today - timedelta(days=1)).isoformat(),
                                               "period_end": (today + timedelta(days=1)).isoformat()},
                       headers=admin).json()
    [row] = [r for r in rapor["rows"] if r["opd_code"] == "DPUPR"]
    assert row["satisfaction"] == {"asked": 1, "sudah": 0, "belum": 1, "pct": 0.0} and row["reopened"] == 1
    dispatch_due(engine, wa)
    assert "kami buka kembali" in outbound(graph)[-1]["text"]


def test_a_walk_in_with_a_phone_number_hears_by_template_even_anonymous_and_rahasia(client, session, engine, wa,
                                                                                    graph, key_for):
    entry = {"title": "Pungli pengurusan akta", "body": "Diminta bayar Rp50.000 di kantor kecamatan.",
             "category": "ADMINDUK-KK", "kecamatan": "Kanigoro", "desa": "Gogodeso", "anonim": True,
             "rahasia": True, "reporter_name": "Slamet", "reporter_contact": "0812-3334-4455"}
    created = client.post(f"{API}/complaints", json=entry, headers=key_for("admin"))
    assert created.status_code in (200, 201), created.text
    other = client.post(f"{API}/complaints", json={**entry, "reporter_contact": "slamet@example.id"},
                        headers=key_for("admin"))
    admin = key_for("admin")
    for complaint_id in (created.json()["id"], other.json()["id"]):
        detail = client.get(f"{API}/complaints/{complaint_id}", headers=admin).json()
        if detail["status"] != "dispatched":
            client.post(f"{API}/complaints/{complaint_id}/actions", json={"action": "dispatch"}, headers=admin)
        assert client.post(f"{API}/complaints/{complaint_id}/actions",
                           json={"action": "respond", "note": "Kami periksa."}, headers=admin).status_code == 200
    assert dispatch_due(engine, wa).sent == 1
    [notice] = outbound(graph, "6281233344455")
    code = created.json()["tracking_code"]
    assert (notice["type"], notice["template"], notice["parameters"]) == (
        "template", "status_aduan", [code, "Ditindaklanjuti", "Kami periksa."])
    # An e-mail contact gets nothing on WhatsApp (no row at all).
    assert [r.recipient for r in session.exec(select(Notification)).all()] == ["6281233344455"]


def test_a_rejection_names_its_reason(client, session, engine, wa, graph, key_for):
    write(client, graph, "Jalan nasional Blitar–Malang rusak")
    complaint = session.exec(select(Complaint).where(Complaint.channel == "whatsapp")).one()
    r = client.post(f"{API}/complaints/{complaint.id}/actions",
                    json={"action": "reject", "reason": "bukan_wewenang", "note": "Jalan nasional: BBPJN."},
                    headers=key_for("admin"))
    assert r.status_code == 200, r.text
    dispatch_due(engine, wa)
    ack, notice = outbound(graph)
    assert "tidak dapat kami tindak lanjuti. Alasan: Bukan wewenang." in notice["text"]
    assert "Keterangan: Jalan nasional: BBPJN." in notice["text"]
    rows = session.exec(select(Notification).order_by(Notification.id)).all()
    assert [r.status for r in rows] == [NotificationStatus.sent, NotificationStatus.sent]
