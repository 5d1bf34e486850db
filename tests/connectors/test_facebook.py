"""Facebook Page (Meta webhooks, object "page"): feed comments added, edited, removed; Messenger; replies."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connectors.base import ComplaintDraft, NormaliseError, Skip, ThreadMessage
from connectors.emulators import meta_social as social
from connectors.emulators.meta_webhooks import encode, sign
from connectors.facebook import FacebookConnector
from core.intake import registry
from core.intake.contract import RefusedError, UpstreamAction, Withdrawal
from models.enums import Classification

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "facebook_webhooks.json").read_text())
SECRET = "fb-app-secret"
CONFIG = social.connector_config("facebook", "http://testserver", SECRET, "verify-fb")
COMMENT = "1122334455667788_1357924680135792"
PSID = "2603817495013576"


def translate(connector, body: dict) -> list:
    return [connector.normalise(payload) for _, payload in connector.split(encode(body))]


def test_registered_through_its_entry_point_only():
    assert registry.get("facebook") is FacebookConnector
    assert (FacebookConnector.kind, FacebookConnector.channel) == ("push", "facebook")
    assert FacebookConnector.lifecycle.reply_max_chars == 2000


def test_handshake_and_signature():
    fb = FacebookConnector(CONFIG)
    ask = {"hub.mode": "subscribe", "hub.verify_token": "verify-fb", "hub.challenge": "77"}
    assert fb.verify_handshake(ask) == "77"
    assert fb.verify_handshake({**ask, "hub.verify_token": "verify-ig"}) is None
    body = encode(FIXTURES["comment_add"])
    assert fb.verify_signature(body, {"X-Hub-Signature-256": sign(body, SECRET)})
    assert not fb.verify_signature(body, {"X-Hub-Signature-256": "sha256=" + "0" * 64})


def test_added_and_edited_comments_are_the_same_candidate_draft():
    fb = FacebookConnector(CONFIG)
    [added] = translate(fb, FIXTURES["comment_add"])
    [edited] = translate(fb, FIXTURES["comment_edited"])
    assert isinstance(added, ComplaintDraft) and isinstance(edited, ComplaintDraft)
    assert added.external_id == edited.external_id == COMMENT
    assert added.classification == Classification.kandidat and added.reporter_name == "Siti Rahayu"
    assert added.received_at == datetime(2026, 11, 12, 6, 30, tzinfo=UTC)
    assert "5 hari" in added.body and "6 hari" in edited.body and "sisi timur" in edited.body
    assert added.content_hash() != edited.content_hash()


def test_a_removed_comment_is_withdrawn_not_deleted():
    [removed] = translate(FacebookConnector(CONFIG), FIXTURES["comment_remove"])
    assert isinstance(removed, Withdrawal)
    assert removed.external_id == COMMENT and removed.at == datetime(2026, 11, 12, 8, 30, tzinfo=UTC)


def test_reactions_are_not_landed_and_the_pages_own_replies_are_skipped():
    fb = FacebookConnector(CONFIG)
    pairs = fb.split(encode(FIXTURES["reaction_and_page_reply"]))
    assert [key for key, _ in pairs] == ["1122334455667788_1357924680139999"]
    [own] = [fb.normalise(p) for _, p in pairs]
    assert isinstance(own, Skip) and "sendiri" in own.reason
    hidden = json.loads(json.dumps(FIXTURES["comment_add"]))
    hidden["entry"][0]["changes"][0]["value"]["verb"] = "hide"
    [skip] = translate(fb, hidden)
    assert isinstance(skip, Skip) and "hide" in skip.reason
    assert fb.split(encode({**FIXTURES["comment_add"], "entry": [{**FIXTURES["comment_add"]["entry"][0],
                                                                   "id": "999"}]})) == []


def test_messenger_messages_thread_and_edits_join_the_thread():
    fb = FacebookConnector(CONFIG)
    [message] = translate(fb, FIXTURES["messenger"])
    [edit] = translate(fb, FIXTURES["messenger_edit"])
    assert isinstance(message, ThreadMessage) and message.reporter == edit.reporter == PSID
    assert message.classification == Classification.kandidat
    assert message.message_id.startswith("m_") and edit.message_id == message.message_id + "#edit1"
    assert edit.text.startswith("(diedit) ") and "Ibu Sulastri" in edit.text


def test_iso_created_time_and_a_photo_comment():
    fb = FacebookConnector(CONFIG)
    body = json.loads(json.dumps(FIXTURES["comment_add"]))
    value = body["entry"][0]["changes"][0]["value"]
    value["created_time"] = "2026-11-12T06:30:00+0000"
    del value["message"]
    value["photo"] = "https://scontent.xx.fbcdn.net/v/t39.30808-6/foto.jpg"
    [draft] = translate(fb, body)
    assert draft.received_at == datetime(2026, 11, 12, 6, 30, tzinfo=UTC) and draft.body == "[Foto dilampirkan]"


def test_a_payload_of_another_shape_stays_in_the_inbox_with_the_reason():
    fb = FacebookConnector(CONFIG)
    body = json.loads(json.dumps(FIXTURES["comment_add"]))
    body["entry"][0]["changes"][0]["value"]["from"] = "Siti"
    [(_, payload)] = fb.split(encode(body))
    with pytest.raises(NormaliseError, match="tidak dikenal"):
        fb.normalise(payload)
    del body["entry"][0]["changes"][0]["value"]["created_time"]
    body["entry"][0].pop("time")
    [(_, payload)] = fb.split(encode(body))
    with pytest.raises(NormaliseError):
        fb.normalise(payload)
    assert FIXTURES["comment_add"]["entry"][0]["time"]  # the fixture itself is untouched


@pytest.fixture
def graph():
    state = social.MetaSocialState()
    state.clock = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
    with TestClient(social.create_app(state)) as client:
        yield state, client


def test_replies_go_to_the_send_api_or_under_the_comment(graph):
    state, client = graph
    fb = FacebookConnector(CONFIG)
    state.note_inbound(social.PAGE_ID, PSID, state.clock - timedelta(hours=2))
    state.note_comment(social.PAGE_ID, COMMENT, state.clock - timedelta(hours=5))
    note = "Selamat siang, petugas DLH sudah mengangkut sampah di Pasar Wlingi pagi ini."
    dm = fb.send(client, UpstreamAction(external_id=f"{PSID}:m_Yp4b", action="respond", note=note))
    reply = fb.send(client, UpstreamAction(external_id=COMMENT, action="respond", note=note))
    assert [s["recipient"] for s in state.sent] == [PSID] and dm.event_external_id.startswith("m_")
    assert [r["comment_id"] for r in state.replies] == [COMMENT]
    assert reply.event_external_id.startswith("1122334455667788_")
    state.blocked = {PSID}
    with pytest.raises(RefusedError, match="tidak dapat dihubungi"):
        fb.send(client, UpstreamAction(external_id=f"{PSID}:m_Yp4b", action="respond", note=note))
    state.note_comment(social.PAGE_ID, COMMENT, state.clock, removed=True)
    with pytest.raises(RefusedError, match="sudah tidak ada"):
        fb.send(client, UpstreamAction(external_id=COMMENT, action="respond", note=note))
    state.blocked = set()
    state.clock += timedelta(hours=23)  # 25 hours after the person's last message
    with pytest.raises(RefusedError, match="24 jam"):
        fb.send(client, UpstreamAction(external_id=f"{PSID}:m_Yp4b", action="respond", note=note))


def test_the_emulator_refuses_what_meta_refuses(graph):
    state, client = graph
    url = f"/v21.0/{social.PAGE_ID}/messages"
    auth = {"Authorization": f"Bearer {social.DEFAULT_TOKEN}"}
    state.note_inbound(social.PAGE_ID, PSID, state.clock)
    ok = {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "Halo"}}
    assert client.post(url, json=ok).json()["error"]["code"] == 104
    assert client.post(url, json=ok, headers={"Authorization": "Bearer salah"}).json()["error"]["code"] == 190
    assert client.post(url, json={**ok, "messaging_type": "BROADCAST"}, headers=auth).status_code == 400
    too_long = {**ok, "message": {"text": "x" * 2001}}
    assert "2000" in client.post(url, json=too_long, headers=auth).json()["error"]["message"]
    answer = client.post(url, params={"access_token": social.DEFAULT_TOKEN}, json=ok)
    assert answer.status_code == 200 and answer.json()["recipient_id"] == PSID
    # A private reply to a comment: once, within seven days.
    state.note_comment(social.PAGE_ID, COMMENT, state.clock - timedelta(days=1))
    private = {"recipient": {"comment_id": COMMENT}, "messaging_type": "RESPONSE", "message": {"text": "Halo"}}
    assert client.post(url, json=private, headers=auth).status_code == 200
    assert client.post(url, json=private, headers=auth).json()["error"]["error_subcode"] == 2018278
    wrong_edge = client.post(f"/v21.0/{COMMENT}/replies", json={"message": "x"}, headers=auth)
    assert wrong_edge.json()["error"]["error_subcode"] == 33  # Instagram's edge on a Facebook comment
