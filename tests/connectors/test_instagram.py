"""Instagram (Meta webhooks, object "instagram"): comments and DMs as candidates, signing, and replies through
the Graph emulator (Send API within 24 hours, public comment replies)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connectors.base import ComplaintDraft, Skip, ThreadMessage
from connectors.emulators import meta_social as social
from connectors.emulators.meta_webhooks import encode, sign
from connectors.instagram import InstagramConnector
from core.intake import registry
from core.intake.contract import FatalError, RefusedError, RetriableError, UpstreamAction, Withdrawal
from models.enums import Classification

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "instagram_webhooks.json").read_text())
SECRET = "ig-app-secret"
CONFIG = social.connector_config("instagram", "http://testserver", SECRET, "verify-ig")
PERSON = "7145232215489123"


def translate(connector, body: dict) -> list:
    return [connector.normalise(payload) for _, payload in connector.split(encode(body))]


def test_registered_through_its_entry_point_only():
    assert registry.get("instagram") is InstagramConnector
    assert InstagramConnector.kind == "push" and InstagramConnector.channel == "instagram"
    assert InstagramConnector.lifecycle.write_back == frozenset({"respond"})
    assert InstagramConnector.keeps_staff_decisions


def test_handshake_and_signature_on_the_exact_bytes():
    ig = InstagramConnector(CONFIG)
    ok = {"hub.mode": "subscribe", "hub.verify_token": "verify-ig", "hub.challenge": "1158201444"}
    assert ig.verify_handshake(ok) == "1158201444"
    assert ig.verify_handshake({**ok, "hub.verify_token": "salah"}) is None
    assert ig.verify_handshake({**ok, "hub.mode": "unsubscribe"}) is None
    body = encode(FIXTURES["comment"])
    assert ig.verify_signature(body, {"x-hub-signature-256": sign(body, SECRET)})
    assert not ig.verify_signature(body, {"X-Hub-Signature-256": sign(body, "other")})
    assert not ig.verify_signature(body + b" ", {"X-Hub-Signature-256": sign(body, SECRET)})
    assert not ig.verify_signature(body, {})


def test_a_comment_is_a_candidate_draft_keyed_by_its_id():
    [draft] = translate(InstagramConnector(CONFIG), FIXTURES["comment"])
    value = FIXTURES["comment"]["entry"][0]["changes"][0]["value"]
    assert isinstance(draft, ComplaintDraft)
    assert draft.external_id == "17865799348089039"
    assert draft.classification == Classification.kandidat
    assert draft.body == draft.title == value["text"]  # one line of at most 120 characters
    assert draft.reporter_name == "@arek_kanigoro88" and not draft.anonim
    assert draft.source_channel == "komentar"
    assert draft.received_at == datetime(2026, 11, 12, 6, 30, tzinfo=UTC)  # the entry's time


def test_the_accounts_own_comments_and_other_accounts_deliveries_are_left_out():
    ig = InstagramConnector(CONFIG)
    [own] = translate(ig, FIXTURES["own_reply"])
    assert isinstance(own, Skip) and "sendiri" in own.reason
    other = json.loads(json.dumps(FIXTURES["comment"]))
    other["entry"][0]["id"] = "17841400000000000"
    assert ig.split(encode(other)) == []
    with pytest.raises(ValueError):
        ig.split(encode({**FIXTURES["comment"], "object": "page"}))
    mention = {"object": "instagram", "entry": [{"id": social.IG_ACCOUNT_ID, "time": 1, "changes": [
        {"field": "mentions", "value": {"media_id": "1", "comment_id": "2"}}]}]}
    assert ig.split(encode(mention)) == []


def test_direct_messages_thread_by_sender_and_read_receipts_are_not_landed():
    ig = InstagramConnector({**CONFIG, "classification": "pengaduan"})
    pairs = ig.split(encode(FIXTURES["messages"]))
    assert len(pairs) == 2  # the read receipt is not a message
    text, photo = (ig.normalise(p) for _, p in pairs)
    assert isinstance(text, ThreadMessage) and text.reporter == PERSON
    assert text.at == datetime.fromtimestamp(1794465120, UTC) and text.classification == Classification.pengaduan
    assert text.title.startswith("Selamat siang, saya mau lapor lampu PJU")
    assert photo.placeholder and photo.title == "Foto dari Instagram"
    assert photo.title in InstagramConnector.placeholder_titles
    assert photo.text.startswith("[Foto: https://lookaside.fbsbx.com/")


def test_an_edit_joins_the_thread_an_unsent_message_is_withdrawn_and_echoes_are_skipped():
    ig = InstagramConnector(CONFIG)
    [(key, payload)] = ig.split(encode(FIXTURES["message_edit"]))
    edit = ig.normalise(payload)
    assert key.endswith("#edit1") and edit.message_id == key
    assert edit.text.startswith("(diedit) ") and "depan SDN 1" in edit.title
    assert edit.classification == Classification.kandidat
    [(key, payload)] = ig.split(encode(FIXTURES["unsend"]))
    gone = ig.normalise(payload)
    assert isinstance(gone, Withdrawal) and key == gone.external_id + "#deleted"
    assert gone.external_id == FIXTURES["messages"]["entry"][0]["messaging"][1]["message"]["mid"]
    [echo] = translate(ig, FIXTURES["echo"])
    assert isinstance(echo, Skip) and "echo" in echo.reason


def test_a_redelivery_lands_the_same_payload():
    ig = InstagramConnector(CONFIG)
    batched = {"object": "instagram", "entry": FIXTURES["comment"]["entry"] + FIXTURES["messages"]["entry"]}
    alone = ig.split(encode(FIXTURES["comment"]))
    assert ig.split(encode(batched))[0] == alone[0]


# --- replies through the Graph emulator --------------------------------------------------------

@pytest.fixture
def graph():
    state = social.MetaSocialState()
    state.clock = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
    with TestClient(social.create_app(state)) as client:
        yield state, client


def respond(external_id: str, note: str = "Terima kasih, sudah diteruskan ke Dinas Perhubungan.") -> UpstreamAction:
    return UpstreamAction(external_id=external_id, action="respond", note=note)


def test_a_dm_reply_goes_through_the_send_api_inside_the_window(graph):
    state, client = graph
    state.note_inbound(social.IG_ACCOUNT_ID, PERSON, state.clock - timedelta(hours=23))
    ack = InstagramConnector(CONFIG).send(client, respond(f"{PERSON}:aWdfZAG1mid"))
    [sent] = state.sent
    assert (sent["recipient"], sent["messaging_type"], sent["account"]) == (PERSON, "RESPONSE", social.IG_ACCOUNT_ID)
    assert sent["text"].startswith("Terima kasih") and ack.event_external_id == sent["message_id"]
    assert "pesan langsung Instagram" in ack.detail


def test_a_dm_reply_outside_the_24_hour_window_is_refused_with_the_reason(graph):
    state, client = graph
    state.note_inbound(social.IG_ACCOUNT_ID, PERSON, state.clock - timedelta(hours=25))
    with pytest.raises(RefusedError, match="di luar jendela 24 jam") as refused:
        InstagramConnector(CONFIG).send(client, respond(f"{PERSON}:aWdfZAG1mid"))
    assert "2018278" in str(refused.value)
    assert state.sent == [] and state.rejected[-1]["subcode"] == 2018278
    with pytest.raises(RefusedError, match="tidak dikenal"):
        InstagramConnector(CONFIG).send(client, respond("9999999999:mid"))


def test_a_comment_gets_a_public_reply_and_a_removed_one_is_refused(graph):
    state, client = graph
    state.note_comment(social.IG_ACCOUNT_ID, "17865799348089039", state.clock - timedelta(days=3))
    ack = InstagramConnector(CONFIG).send(client, respond("17865799348089039"))
    [reply] = state.replies
    assert reply["comment_id"] == "17865799348089039" and ack.event_external_id == reply["id"]
    assert "publik" in ack.detail
    with pytest.raises(RefusedError, match="sudah tidak ada"):
        InstagramConnector(CONFIG).send(client, respond("17800000000000000"))


def test_graph_trouble_is_retried_or_stops_for_an_operator(graph):
    state, client = graph
    state.note_inbound(social.IG_ACCOUNT_ID, PERSON, state.clock)
    ig = InstagramConnector(CONFIG)
    state.faults.update({"rate_limit_next": 1, "retry_after": 7})
    with pytest.raises(RetriableError) as limited:
        ig.send(client, respond(f"{PERSON}:m"))
    assert limited.value.retry_after == 7
    for code in (4, 613, 2):
        state.inject(code)
        with pytest.raises(RetriableError):
            ig.send(client, respond(f"{PERSON}:m"))
    state.token_expired = True
    with pytest.raises(FatalError, match="token"):
        ig.send(client, respond(f"{PERSON}:m"))
    with pytest.raises(FatalError, match="access_token"):
        InstagramConnector({**CONFIG, "access_token": None}).send(client, respond(f"{PERSON}:m"))
    with pytest.raises(RefusedError, match="hanya balasan"):
        ig.send(client, UpstreamAction(external_id=f"{PERSON}:m", action="resolve"))
    assert state.sent == []
