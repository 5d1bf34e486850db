"""Reporters' WhatsApp photos: intake leaves pending rows, the worker fetches them through the Graph media
endpoint (the emulator, over FastAPI's in-process transport), checks the hash and the size cap, retries."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import select

from connectors.emulators import meta_graph
from connectors.emulators import meta_webhooks as meta
from connectors.whatsapp import WhatsAppConnector
from core.intake import webhooks
from core.intake.contract import FatalError
from core.intake.media import backoff, fetch_pending, sha256_matches
from models import Complaint, ComplaintMedia, ConnectorInstance
from tests.factories import seeded

SECRET = "rahasia-aplikasi"
TOKEN = "graph-token-uji"
T0 = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # Monday 08:30 WIB
ANI = ("Ani Suryani", "6281234500001")
BUDI = ("Budi Santoso", "6285712300002")
PHOTO_ANI, PHOTO_BUDI = "4711471147114711", "8150815081508150"


@pytest.fixture
def graph():
    state = meta_graph.MetaGraphState(token=TOKEN)
    with TestClient(meta_graph.create_app(state)) as client:  # an httpx.Client on http://testserver
        yield state, client


@pytest.fixture
def media_settings(settings):
    return settings.model_copy(update={"whatsapp_graph_base_url": "http://testserver",
                                       "whatsapp_token": SecretStr(TOKEN), "media_max_bytes": 64 * 1024})


@pytest.fixture
def wa(session, engine):
    seeded(session)
    session.add(ConnectorInstance(name="wa", kind="whatsapp", schedule_seconds=None, config={
        "verify_token": "verifikasi", "app_secret": SECRET, "phone_number_id": meta.PHONE_NUMBER_ID,
        "thread_window_minutes": 30}))
    session.commit()

    def deliver(*messages_and_contacts):
        for message, who in messages_and_contacts:
            body = meta.encode(meta.delivery([meta.change([message], contacts=[who])]))
            landed = webhooks.receive(session, "wa", body, {"X-Hub-Signature-256": meta.sign(body, SECRET)})
            webhooks.normalise_records(engine, "wa", landed.new_ids)
    return deliver


def media_rows(session) -> list[ComplaintMedia]:
    session.expire_all()
    return list(session.exec(select(ComplaintMedia).order_by(ComplaintMedia.id)).all())


def one_photo(wa, media_id=PHOTO_ANI, caption="Lubangnya sebesar ban truk"):
    wa((meta.image_message(ANI[1], media_id, T0, caption), ANI))


def test_photos_in_threads_leave_one_pending_row_each_on_their_complaint(wa, session):
    text = meta.text_message(ANI[1], "Jalan di depan SDN Kanigoro 2 berlubang besar", T0)
    photo = meta.image_message(ANI[1], PHOTO_ANI, T0 + timedelta(minutes=3), "Ini fotonya")
    photo_first = meta.image_message(BUDI[1], PHOTO_BUDI, T0)  # opens a thread without words
    wa((text, ANI), (photo, ANI), (photo_first, BUDI), (photo, ANI))  # the last one is Meta redelivering

    rows = media_rows(session)
    assert [(r.media_id, r.kind, r.mime_type, r.caption, r.state, r.attempts) for r in rows] == [
        (PHOTO_ANI, "image", "image/jpeg", "Ini fotonya", "pending", 0),
        (PHOTO_BUDI, "image", "image/jpeg", None, "pending", 0)]
    by_id = {c.id: c for c in session.exec(select(Complaint)).all()}
    assert len(by_id) == 2
    assert by_id[rows[0].complaint_id].external_id.startswith(ANI[1])  # joined Ani's thread
    assert by_id[rows[1].complaint_id].external_id == f"{BUDI[1]}:{photo_first['id']}"
    assert all(r.content is None for r in rows)


def test_the_worker_fetches_stores_and_checks_them(wa, session, engine, graph, media_settings):
    state, client = graph
    one_photo(wa)
    wa((meta.image_message(BUDI[1], PHOTO_BUDI, T0), BUDI))

    result = fetch_pending(engine, media_settings, now=T0, client=client)
    assert (result.fetched, result.retried, result.failed) == (2, 0, 0) and str(result).startswith("2 fetched")
    rows = media_rows(session)
    for row in rows:
        expected = meta_graph.photo_png(row.media_id)
        assert row.state == "fetched" and row.error is None and row.attempts == 1
        assert row.content == expected and row.content.startswith(b"\x89PNG\r\n\x1a\n")
        assert row.sha256 == hashlib.sha256(expected).hexdigest() and row.size == len(expected)
        assert row.mime_type == "image/png"  # what the media endpoint says wins over the webhook's guess
        assert row.fetched_at == T0
    assert rows[0].content != rows[1].content  # one picture per id
    assert state.media_downloads == 2

    again = fetch_pending(engine, media_settings, now=T0 + timedelta(hours=1), client=client)
    assert not again and state.media_downloads == 2  # fetched once, never again


def test_a_hash_that_does_not_match_fails_with_the_reason(wa, session, engine, graph, media_settings):
    state, client = graph
    state.media_bad_hash.add(PHOTO_ANI)
    one_photo(wa)
    result = fetch_pending(engine, media_settings, now=T0, client=client)
    assert (result.fetched, result.failed) == (0, 1)
    [row] = media_rows(session)
    assert row.state == "failed" and row.content is None
    assert row.error.startswith("sha256 tidak cocok") and hashlib.sha256(meta_graph.photo_png(PHOTO_ANI)).hexdigest() \
        in row.error
    assert not fetch_pending(engine, media_settings, now=T0 + timedelta(days=1), client=client)  # never retried


def test_a_file_over_the_cap_is_refused_without_downloading(wa, session, engine, graph, media_settings):
    state, client = graph
    state.add_media(PHOTO_ANI, b"\xff\xd8\xff" + b"\x00" * (media_settings.media_max_bytes + 1), "image/jpeg")
    one_photo(wa)
    result = fetch_pending(engine, media_settings, now=T0, client=client)
    assert result.failed == 1
    [row] = media_rows(session)
    assert row.state == "failed" and "melebihi batas 65.536 byte" in row.error and row.content is None
    assert state.media_downloads == 0  # the declared file_size was enough to say no


def test_a_download_bigger_than_declared_is_cut_off_at_the_cap(graph):
    state, client = graph
    state.add_media("999", b"x" * 5000, "image/jpeg")
    connector = WhatsAppConnector({"verify_token": "v", "app_secret": "s", "access_token": TOKEN,
                                   "graph_base_url": "http://testserver"})
    from core.intake.contract import TooLargeError

    with pytest.raises(TooLargeError):
        connector.fetch_media(client, "999", max_bytes=4096)
    assert connector.fetch_media(client, "999", max_bytes=8192).content == b"x" * 5000


def test_upstream_trouble_is_retried_with_a_doubling_wait_then_fails(wa, session, engine, graph, media_settings):
    state, client = graph
    state.media_faults = [503, 429, 503, 503]
    one_photo(wa)
    s = media_settings.model_copy(update={"media_max_attempts": 3, "media_retry_base_seconds": 60})

    first = fetch_pending(engine, s, now=T0, client=client)
    assert first.retried == 1
    [row] = media_rows(session)
    assert (row.state, row.attempts, row.fetched_at) == ("pending", 1, T0) and "gangguan upstream" in row.error
    assert not fetch_pending(engine, s, now=T0 + timedelta(seconds=59), client=client)  # still waiting
    assert fetch_pending(engine, s, now=T0 + timedelta(seconds=60), client=client).retried == 1
    assert backoff(s, 2) == timedelta(seconds=120)
    assert not fetch_pending(engine, s, now=T0 + timedelta(seconds=179), client=client)
    last = fetch_pending(engine, s, now=T0 + timedelta(seconds=180), client=client)
    assert last.failed == 1
    [row] = media_rows(session)
    assert row.state == "failed" and row.attempts == 3 and row.error.startswith("gagal setelah 3 percobaan")


def test_a_retry_that_succeeds_stores_the_photo(wa, session, engine, graph, media_settings):
    state, client = graph
    state.media_faults = [503]
    one_photo(wa)
    assert fetch_pending(engine, media_settings, now=T0, client=client).retried == 1
    assert fetch_pending(engine, media_settings, now=T0 + timedelta(minutes=1), client=client).fetched == 1
    [row] = media_rows(session)
    assert row.state == "fetched" and row.attempts == 2 and row.error is None


def test_an_unknown_media_id_fails_at_once(wa, session, engine, graph, media_settings):
    state, client = graph
    state.media_gone.add(PHOTO_ANI)  # e.g. past Meta's 30 days
    one_photo(wa)
    assert fetch_pending(engine, media_settings, now=T0, client=client).failed == 1
    [row] = media_rows(session)
    assert row.state == "failed" and "HTTP 404" in row.error


def test_a_refused_or_missing_token_spends_no_tries(wa, session, engine, graph, media_settings):
    state, client = graph
    one_photo(wa)
    wrong = media_settings.model_copy(update={"whatsapp_token": SecretStr("kedaluwarsa")})
    result = fetch_pending(engine, wrong, now=T0, client=client)
    assert not result and "whatsapp" in result.blocked and "kredensial ditolak" in result.blocked["whatsapp"]
    [row] = media_rows(session)
    assert (row.state, row.attempts) == ("pending", 0) and "kredensial ditolak" in row.error

    none = media_settings.model_copy(update={"whatsapp_token": None})
    assert "token Graph belum diatur" in fetch_pending(engine, none, now=T0, client=client).blocked["whatsapp"]
    # The instance's own token overrides the setting.
    instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == "wa")).one()
    instance.config = {**instance.config, "access_token": TOKEN}
    session.add(instance)
    session.commit()
    assert fetch_pending(engine, none, now=T0, client=client).fetched == 1


def test_without_an_enabled_whatsapp_connector_media_wait(wa, session, engine, graph, media_settings):
    _, client = graph
    one_photo(wa)
    instance = session.exec(select(ConnectorInstance).where(ConnectorInstance.name == "wa")).one()
    instance.enabled = False
    session.add(instance)
    session.commit()
    result = fetch_pending(engine, media_settings, now=T0, client=client)
    assert "tidak ada konektor aktif" in result.blocked["whatsapp"]
    assert media_rows(session)[0].state == "pending"


def test_fetch_media_refuses_ids_that_are_not_ids(graph):
    _, client = graph
    connector = WhatsAppConnector({"verify_token": "v", "app_secret": "s", "access_token": TOKEN,
                                   "graph_base_url": "http://testserver"})
    from core.intake.contract import RefusedError

    with pytest.raises(RefusedError):
        connector.fetch_media(client, "../../me")
    with pytest.raises(FatalError):
        WhatsAppConnector({"verify_token": "v", "app_secret": "s"}).fetch_media(client, "123")


def test_the_hash_may_be_hex_or_base64():
    content = b"foto"
    digest = hashlib.sha256(content).digest()
    assert sha256_matches(content, digest.hex()) and sha256_matches(content, digest.hex().upper())
    assert sha256_matches(content, base64.b64encode(digest).decode())
    assert sha256_matches(content, None)
    assert not sha256_matches(content, hashlib.sha256(b"lain").hexdigest())
    assert not sha256_matches(content, "bukan-hash")
