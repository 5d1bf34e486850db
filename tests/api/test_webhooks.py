"""WhatsApp Cloud API webhook, end to end through the HTTP route with real-shaped signed bodies."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import func, select

from api.main import create_app
from connectors.emulators import meta_webhooks as meta
from core.intake import webhooks
from models import Complaint, ComplaintEvent, ConnectorInstance, EventKind, Notification, RawRecord, RawState

SECRET = "app-secret-kabupaten"
URL = "/api/v1/webhooks/wa-kominfo"
T0 = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # Monday 08:30 WIB
ANI = ("Ani Suryani", "6281234500001")
BUDI = ("Budi Santoso", "6285712300002")
CITRA = ("Citra Lestari", "6287700300003")


@pytest.fixture
def wa(client, session):
    session.add(ConnectorInstance(name="wa-kominfo", kind="whatsapp", schedule_seconds=None, config={
        "verify_token": "token-verifikasi", "app_secret": SECRET, "phone_number_id": meta.PHONE_NUMBER_ID,
        "thread_window_minutes": 30}))
    session.commit()
    return client


def count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def text_delivery(who=ANI, body="Jalan di depan SDN Kanigoro 2 berlubang besar", at=T0, wamid=None):
    message = meta.text_message(who[1], body, at, wamid)
    return meta.delivery([meta.change([message], contacts=[who])]), message["id"]


def test_handshake_answers_challenge_as_text_only_for_the_right_token(wa):
    ok = meta.handshake(URL, "token-verifikasi", "8217361", client=wa)
    assert ok.status_code == 200
    assert ok.text == "8217361"
    assert ok.headers["content-type"].startswith("text/plain")
    assert meta.handshake(URL, "salah", client=wa).status_code == 403
    assert wa.get(URL, params={"hub.mode": "unsubscribe", "hub.verify_token": "token-verifikasi",
                               "hub.challenge": "1"}).status_code == 403
    assert meta.handshake("/api/v1/webhooks/tidak-ada", "token-verifikasi", client=wa).status_code == 404


@pytest.mark.parametrize("case", ["forged", "missing", "wrong_secret", "modified_after_signing"])
def test_bad_signatures_are_refused_and_nothing_is_stored(wa, session, case):
    payload, _ = text_delivery()
    body = meta.encode(payload)
    if case == "forged":
        response = meta.deliver(URL, None, body, client=wa, signature="sha256=" + "ab" * 32)[0]
    elif case == "missing":
        response = meta.deliver(URL, None, body, client=wa)[0]
    elif case == "wrong_secret":
        response = meta.deliver(URL, "another-app-secret", body, client=wa)[0]
    else:
        signature = meta.sign(body, SECRET)
        tampered = body.replace(b"berlubang besar", b"berlubang kecil")
        response = meta.deliver(URL, None, tampered, client=wa, signature=signature)[0]
    assert response.status_code == (401 if case == "missing" else 403)
    assert count(session, RawRecord) == 0
    assert count(session, Complaint) == 0


def test_signature_covers_the_exact_bytes_not_a_reserialisation(wa, session):
    payload, _ = text_delivery()
    pretty = json.dumps(payload, indent=2, ensure_ascii=False).encode()  # same JSON, other bytes
    assert meta.deliver(URL, SECRET, pretty, client=wa)[0].status_code == 200
    compact_signed_pretty_sent = meta.deliver(URL, None, pretty, client=wa,
                                              signature=meta.sign(meta.encode(payload), SECRET))[0]
    assert compact_signed_pretty_sent.status_code == 403


def test_a_delivery_sent_three_times_is_one_complaint(wa, session):
    payload, wamid = text_delivery()
    responses = meta.deliver(URL, SECRET, payload, times=3, client=wa)
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.json()["new"] for r in responses] == [1, 0, 0]
    assert count(session, RawRecord) == 1
    complaint = session.exec(select(Complaint)).one()
    assert complaint.channel == "whatsapp"
    assert complaint.external_id == f"{ANI[1]}:{wamid}"
    assert complaint.tracking_code.startswith("WA-")
    assert complaint.title == "Jalan di depan SDN Kanigoro 2 berlubang besar"
    assert (complaint.reporter_name, complaint.reporter_contact) == ANI
    assert complaint.received_at == T0


def test_redelivery_with_a_changed_body_still_dedupes_on_the_message_id(wa, session):
    payload, wamid = text_delivery()
    meta.deliver(URL, SECRET, payload, client=wa)
    renamed, _ = text_delivery(who=("Ani S.", ANI[1]), wamid=wamid)
    assert meta.deliver(URL, SECRET, renamed, client=wa)[0].json()["new"] == 1  # landed: a different payload
    assert count(session, Complaint) == 1
    assert count(session, ComplaintEvent) == 2  # created + the one message


def test_several_entries_and_changes_in_one_body(wa, session):
    budi_photo = meta.image_message(BUDI[1], "1357913579135791", T0, "Sampah menumpuk di Pasar Wlingi")
    citra_pin = meta.location_message(CITRA[1], -8.1347, 112.2128, T0, "Balai Desa Kanigoro",
                                      "Kec. Kanigoro, Kabupaten Blitar")
    ani_text = meta.text_message(ANI[1], "Lampu PJU mati di Jl. Merdeka", T0)
    other_number = meta.change([meta.text_message("6289999999999", "bukan nomor kami", T0)],
                               contacts=[("X", "6289999999999")], phone_number_id="999")
    payload = meta.delivery(
        [meta.change([ani_text], contacts=[ANI]), meta.change([budi_photo], contacts=[BUDI])],
        [meta.change([citra_pin], contacts=[CITRA]), other_number],
    )
    response = meta.deliver(URL, SECRET, payload, client=wa)[0]
    assert response.json() == {"received": 3, "new": 3, "duplicates": 0}
    by_reporter = {c.reporter_contact: c for c in session.exec(select(Complaint)).all()}
    assert set(by_reporter) == {ANI[1], BUDI[1], CITRA[1]}
    photo = by_reporter[BUDI[1]]
    assert photo.title == "Sampah menumpuk di Pasar Wlingi"
    assert "1357913579135791" in photo.body
    pin = by_reporter[CITRA[1]]
    assert (pin.lat, pin.lon) == (-8.1347, 112.2128)
    assert pin.kecamatan == "Kanigoro"
    assert pin.location_text == "Balai Desa Kanigoro, Kec. Kanigoro, Kabupaten Blitar"


def test_messages_within_the_window_are_one_thread(wa, session):
    first, _ = text_delivery(body="Jembatan di Desa Gogodeso retak", at=T0)
    photo = meta.image_message(ANI[1], "2468024680246802", T0 + timedelta(minutes=3))
    pin = meta.location_message(ANI[1], -8.13, 112.21, T0 + timedelta(minutes=5), "Jembatan Gogodeso")
    follow = meta.text_message(ANI[1], "Mohon segera ditindaklanjuti", T0 + timedelta(minutes=32))
    later = meta.text_message(ANI[1], "Sekarang soal sampah di pasar", T0 + timedelta(hours=3))
    meta.deliver(URL, SECRET, first, client=wa)
    for message in (photo, pin, follow, later):
        meta.deliver(URL, SECRET, meta.delivery([meta.change([message], contacts=[ANI])]), client=wa)
    complaints = session.exec(select(Complaint).order_by(Complaint.received_at)).all()
    assert [c.title for c in complaints] == ["Jembatan di Desa Gogodeso retak", "Sekarang soal sampah di pasar"]
    thread = complaints[0]
    assert (thread.lat, thread.lon, thread.kecamatan) == (-8.13, 112.21, "Kanigoro")
    assert "Mohon segera ditindaklanjuti" in thread.body
    messages = session.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == thread.id,
                                                         ComplaintEvent.kind == EventKind.message_in)).all()
    assert len(messages) == 4
    assert any(e.data == {"media_id": "2468024680246802"} for e in messages)


def test_a_photo_first_thread_takes_its_title_from_the_first_words(wa, session):
    photo = meta.image_message(BUDI[1], "1111", T0)
    words = meta.text_message(BUDI[1], "Saluran air tersumbat di Desa Sumberagung", T0 + timedelta(minutes=1))
    meta.deliver(URL, SECRET, meta.delivery([meta.change([photo, words], contacts=[BUDI])]), client=wa)
    complaint = session.exec(select(Complaint)).one()
    assert complaint.title == "Saluran air tersumbat di Desa Sumberagung"


def test_statuses_update_notifications_never_backwards_and_never_complaints(wa, session):
    session.add(Notification(idempotency_key="r1", recipient="6281111", template="pengingat_aduan",
                             status="sent", provider_id="wamid.OUT1"))
    session.add(Notification(idempotency_key="r2", recipient="6282222", template="pengingat_aduan",
                             status="sent", provider_id="wamid.OUT2"))
    session.commit()
    for body in meta.statuses_delivery("wamid.OUT1", "6281111", T0, order=("read", "delivered", "sent")):
        assert meta.deliver(URL, SECRET, body, client=wa)[0].status_code == 200
    failed = meta.delivery([meta.change(statuses=[meta.status_update("wamid.OUT2", "failed", "6282222", T0)])])
    meta.deliver(URL, SECRET, failed, client=wa, times=2)
    deleted = meta.status_update("wamid.OUT1", "read", "6281111", T0) | {"status": "deleted"}
    assert meta.deliver(URL, SECRET, meta.delivery([meta.change(statuses=[deleted])]), client=wa)[0].status_code == 200
    stranger = meta.delivery([meta.change(statuses=[meta.status_update("wamid.UNKNOWN", "read", "1", T0)])])
    assert meta.deliver(URL, SECRET, stranger, client=wa)[0].status_code == 200
    session.expire_all()
    n1, n2 = session.exec(select(Notification).order_by(Notification.id)).all()
    assert n1.status == "read"
    assert n2.status == "failed" and "131047" in n2.last_error
    assert count(session, Complaint) == 0
    states = set(session.exec(select(RawRecord.state)).all())
    assert states == {RawState.skipped}


def test_landed_but_not_normalised_records_are_recovered_by_replay(wa, session):
    payload, _ = text_delivery()
    # The process dies right after the 200: the records are landed, normalisation never ran.
    delivery = webhooks.receive(session, "wa-kominfo", meta.encode(payload),
                                {"X-Hub-Signature-256": meta.sign(meta.encode(payload), SECRET)})
    assert delivery.new_ids and count(session, Complaint) == 0
    assert session.exec(select(RawRecord.state)).one() == RawState.pending
    assert webhooks.replay_pending(session, grace_seconds=0) == {"new": 1}
    assert count(session, Complaint) == 1
    assert webhooks.replay_pending(session, grace_seconds=0) == {}


def test_disabled_or_non_push_instances_are_not_found(wa, session):
    session.add(ConnectorInstance(name="impor-112", kind="call112", config={}))
    session.commit()
    payload, _ = text_delivery()
    assert meta.deliver("/api/v1/webhooks/impor-112", SECRET, payload, client=wa)[0].status_code == 404
    instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == "wa-kominfo")).one()
    instance.enabled = False
    session.commit()
    assert meta.deliver(URL, SECRET, payload, client=wa)[0].status_code == 404


def test_signed_garbage_is_a_400_not_a_500(wa, session):
    assert meta.deliver(URL, SECRET, b"{not json", client=wa)[0].status_code == 400
    assert meta.deliver(URL, SECRET, {"object": "page", "entry": []}, client=wa)[0].status_code == 400
    assert count(session, RawRecord) == 0


def test_deliveries_show_as_healthy_traffic_on_the_connector_page(wa, key_for):
    payload, _ = text_delivery()
    meta.deliver(URL, SECRET, payload, times=2, client=wa)
    row = next(r for r in wa.get("/api/v1/connectors", headers=key_for("analyst")).json()
               if r["name"] == "wa-kominfo")
    assert row["status"] == "ok" and row["last_success_at"] is not None
    assert (row["fetched_total"], row["new_total"]) == (2, 1)


# --- body size -----------------------------------------------------------------------------------

class StreamedBody:
    """A request body sent in 64 KB chunks, counting how many of them the server pulled."""

    chunk = 64 * 1024

    def __init__(self, total: int):
        self.total, self.pulled = total, 0

    async def __aiter__(self):
        for _ in range(self.total // self.chunk):
            self.pulled += 1
            yield b"[" * self.chunk


def post_streamed(body: StreamedBody, headers: dict[str, str]) -> httpx.Response:
    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()),
                                     base_url="http://testserver") as http:
            return await http.post(URL, content=body, headers={"X-Hub-Signature-256": "sha256=00", **headers})

    return asyncio.run(send())


def test_a_20_mb_delivery_is_refused_with_413_before_a_byte_is_read(wa, session):
    body = StreamedBody(20 * 2**20)
    response = post_streamed(body, {"Content-Length": str(body.total), "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"] == {"message": "Isi permintaan lebih dari 1 MB.", "errors": []}
    assert body.pulled == 0
    assert count(session, RawRecord) == 0


def test_a_chunked_delivery_is_cut_off_at_the_limit(wa, session):
    body = StreamedBody(20 * 2**20)
    response = post_streamed(body, {"Content-Type": "application/json"})  # no Content-Length: chunked
    assert response.status_code == 413
    assert response.json()["detail"]["message"] == "Isi permintaan lebih dari 1 MB."
    assert body.pulled <= 2**20 // body.chunk + 1  # stopped at the first chunk over 1 MB, not at 20 MB
    assert count(session, RawRecord) == 0


def nested_delivery(depth: int) -> bytes:
    """A real-shaped delivery whose message carries a field nested `depth` arrays deep."""
    payload, _ = text_delivery()
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["extra"] = "NESTED"
    return meta.encode(payload).replace(b'"NESTED"', b"[" * depth + b"1" + b"]" * depth)


@pytest.mark.parametrize("body", [nested_delivery(5000), nested_delivery(65), b"[" * 5000 + b"]" * 5000,
                                  b'{"object":"whatsapp_business_account","entry":' + b"[" * 5000 + b"]" * 5000 + b"}"],
                         ids=["in-a-message-5000", "in-a-message-65", "bare-5000", "entry-5000"])
def test_a_signed_delivery_nested_too_deep_is_refused_with_400(wa, session, body):
    r = meta.deliver(URL, SECRET, body, client=wa)[0]
    assert r.status_code == 400
    assert r.json()["detail"] == "kiriman tidak dapat dibaca: JSON nested deeper than 64 levels"
    assert count(session, RawRecord) == 0


def test_a_signed_delivery_nested_within_the_limit_lands_as_received_then_normalises(wa, session):
    r = meta.deliver(URL, SECRET, nested_delivery(50), client=wa)[0]
    assert r.status_code == 200 and r.json()["new"] == 1
    raw = session.exec(select(RawRecord)).one()
    extra = raw.payload["message"]["extra"]
    for _ in range(50):
        (extra,) = extra
    assert extra == 1
    assert raw.state == RawState.normalised and count(session, Complaint) == 1


def test_a_message_with_nul_characters_lands_and_normalises_on_every_database(wa, session):
    payload, wamid = text_delivery(body="Jalan\x00 rusak\x01 di pasar")
    assert meta.deliver(URL, SECRET, payload, client=wa)[0].status_code == 200
    raw = session.exec(select(RawRecord)).one()
    assert raw.payload["message"]["id"] == wamid
    assert raw.payload["message"]["text"]["body"] == "Jalan\ufffd rusak\x01 di pasar"  # PostgreSQL holds no U+0000
    assert session.exec(select(Complaint)).one().title == "Jalan\ufffd rusak\x01 di pasar"
    assert meta.deliver(URL, SECRET, payload, client=wa)[0].json()["new"] == 0  # Meta's retry is a duplicate
