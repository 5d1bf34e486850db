"""Instagram and Facebook Page webhooks end to end: through the HTTP route with signed real-shaped bodies, into
complaints (kandidat), edits and removals, DM threads, and replies through the write-back machinery to the Graph
emulator (Send API within 24 hours)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from connectors.emulators import meta_social as social
from connectors.emulators.meta_webhooks import deliver, encode, handshake, sign
from core.intake import writeback
from models import Complaint, ComplaintEvent, ConnectorInstance, EventKind, RawRecord, Status
from models.enums import Classification

FIXTURES = Path(__file__).parent.parent / "connectors" / "fixtures"
IG = json.loads((FIXTURES / "instagram_webhooks.json").read_text())
FB = json.loads((FIXTURES / "facebook_webhooks.json").read_text())
SECRET = {"instagram": "ig-app-secret-kab", "facebook": "fb-app-secret-kab"}
URL = {"instagram": "/api/v1/webhooks/ig-pemkab", "facebook": "/api/v1/webhooks/fb-pemkab"}
API = "/api/v1"
COMMENT = "1122334455667788_1357924680135792"
IG_PERSON = "7145232215489123"
T0 = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # Monday 08:30 WIB


@pytest.fixture
def meta(client, session):
    for platform, name in (("instagram", "ig-pemkab"), ("facebook", "fb-pemkab")):
        config = social.connector_config(platform, "http://testserver", SECRET[platform], f"verify-{platform}")
        session.add(ConnectorInstance(name=name, kind=platform, schedule_seconds=None, config=config))
    session.commit()
    return client


def count(session, model, *where) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def post(client, platform: str, body: dict, times: int = 1):
    responses = deliver(URL[platform], SECRET[platform], body, times=times, client=client)
    assert all(r.status_code == 200 for r in responses), responses[0].text
    return responses


def one(session, channel: str) -> Complaint:
    session.expire_all()
    return session.exec(select(Complaint).where(Complaint.channel == channel)).one()


def events(session, complaint: Complaint, kind: EventKind | None = None) -> list[ComplaintEvent]:
    query = select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
    if kind is not None:
        query = query.where(ComplaintEvent.kind == kind)
    return list(session.exec(query.order_by(ComplaintEvent.at, ComplaintEvent.id)).all())


# --- handshake and signatures --------------------------------------------------------------------

@pytest.mark.parametrize("platform", ["instagram", "facebook"])
def test_the_handshake_echoes_the_challenge_only_for_the_right_token(meta, platform):
    ok = handshake(URL[platform], f"verify-{platform}", "1158201444", client=meta)
    assert (ok.status_code, ok.text) == (200, "1158201444")
    assert ok.headers["content-type"].startswith("text/plain")
    other = "facebook" if platform == "instagram" else "instagram"
    assert handshake(URL[platform], f"verify-{other}", client=meta).status_code == 403


@pytest.mark.parametrize("case", ["forged", "missing", "other_apps_secret", "modified_after_signing"])
@pytest.mark.parametrize("platform", ["instagram", "facebook"])
def test_bad_signatures_are_refused_and_nothing_is_stored(meta, session, platform, case):
    body = encode(IG["comment"] if platform == "instagram" else FB["comment_add"])
    url, secret = URL[platform], SECRET[platform]
    if case == "forged":
        response = deliver(url, None, body, client=meta, signature="sha256=" + "ab" * 32)[0]
    elif case == "missing":
        response = deliver(url, None, body, client=meta)[0]
    elif case == "other_apps_secret":
        response = deliver(url, SECRET["facebook" if platform == "instagram" else "instagram"], body, client=meta)[0]
    else:
        response = deliver(url, None, body.replace(b"berlubang", b"mulus").replace(b"Sampah", b"Sampai"),
                           client=meta, signature=sign(body, secret))[0]
    assert response.status_code == (401 if case == "missing" else 403)
    assert count(session, RawRecord) == 0 and count(session, Complaint) == 0


# --- exactly once ----------------------------------------------------------------------------------

@pytest.mark.parametrize("platform", ["instagram", "facebook"])
def test_three_redeliveries_are_one_candidate_complaint(meta, session, platform):
    body = IG["comment"] if platform == "instagram" else FB["comment_add"]
    responses = post(meta, platform, body, times=3)
    assert [r.json()["new"] for r in responses] == [1, 0, 0]
    complaint = one(session, platform)
    assert complaint.classification == Classification.kandidat and complaint.status == Status.unverified
    assert complaint.source_channel == "komentar" and complaint.external_id in ("17865799348089039", COMMENT)
    assert count(session, RawRecord) == 1 and count(session, ComplaintEvent) == 1  # created
    # Meta batches: the same comment again beside a message, in one body.
    batched = {"object": body["object"], "entry": body["entry"] + (IG if platform == "instagram" else FB)[
        "messages" if platform == "instagram" else "messenger"]["entry"]}
    assert post(meta, platform, batched)[0].json()["duplicates"] == 1
    assert count(session, Complaint, Complaint.channel == platform) == 2


# --- edits and removals ----------------------------------------------------------------------------

def test_an_edit_changes_the_words_and_keeps_what_staff_decided(meta, session, key_for):
    admin = key_for("admin")
    post(meta, "facebook", FB["comment_add"])
    complaint = one(session, "facebook")
    r = meta.post(f"{API}/complaints/{complaint.id}/actions", json={"action": "dispatch", "opd": "DLH"},
                  headers=admin)
    assert r.status_code == 200, r.text
    session.expire_all()
    decided = session.get(Complaint, complaint.id)
    decided.classification = Classification.pengaduan  # the triage desk accepted the candidate
    session.add(decided)
    session.commit()
    before = (decided.status, decided.opd_id, decided.category_id, decided.response_due_at)

    post(meta, "facebook", FB["comment_edited"], times=3)
    edited = one(session, "facebook")
    assert "6 hari" in edited.body and "sisi timur" in edited.title + edited.body
    assert (edited.status, edited.opd_id, edited.category_id, edited.response_due_at) == before
    assert edited.classification == Classification.pengaduan
    [update] = events(session, edited, EventKind.updated)
    assert "body" in update.note and "classification" not in update.note
    assert count(session, Complaint) == 1


def test_a_removed_comment_nobody_handled_is_withdrawn_never_deleted(meta, session):
    post(meta, "facebook", FB["comment_add"])
    post(meta, "facebook", FB["comment_remove"], times=3)
    complaint = one(session, "facebook")
    assert (complaint.status, complaint.reject_reason) == (Status.rejected, "dicabut")
    assert "Sampah di dekat Pasar Wlingi" in complaint.body  # the words stay
    [withdrawn] = events(session, complaint, EventKind.status)
    assert withdrawn.external_id == f"withdrawn:{COMMENT}" and withdrawn.to_status == Status.rejected
    assert "komentar dihapus" in withdrawn.note and withdrawn.actor == "Facebook"


def test_a_removed_comment_already_dispatched_stays_open_with_a_note(meta, session, key_for):
    post(meta, "facebook", FB["comment_add"])
    complaint = one(session, "facebook")
    meta.post(f"{API}/complaints/{complaint.id}/actions", json={"action": "dispatch", "opd": "DLH"},
              headers=key_for("admin"))
    post(meta, "facebook", FB["comment_remove"])
    still = one(session, "facebook")
    assert still.status == Status.dispatched and still.reject_reason is None
    [note] = [e for e in events(session, still, EventKind.note) if e.external_id]
    assert "tetap terbuka" in note.note


def test_a_removal_of_a_comment_never_seen_is_only_recorded(meta, session):
    post(meta, "facebook", FB["comment_remove"])
    assert count(session, Complaint) == 0
    [raw] = session.exec(select(RawRecord)).all()
    assert raw.state == "skipped" and "belum dikenal" in raw.error


# --- direct messages -------------------------------------------------------------------------------

def test_direct_messages_from_one_account_within_the_window_are_one_thread(meta, session):
    post(meta, "instagram", IG["messages"])  # text, then a photo three minutes later (and a read receipt)
    post(meta, "instagram", IG["message_edit"], times=2)
    post(meta, "instagram", IG["echo"])  # our own reply from the Instagram app
    thread = one(session, "instagram")
    assert thread.external_id.startswith(f"{IG_PERSON}:") and thread.reporter_contact == IG_PERSON
    assert thread.classification == Classification.kandidat
    assert thread.title.startswith("Selamat siang, saya mau lapor lampu PJU")
    messages = events(session, thread, EventKind.message_in)
    assert len(messages) == 3 and messages[2].note.startswith("(diedit) ")
    later = json.loads(json.dumps(IG["messages"]))
    event = later["entry"][0]["messaging"][0]
    event["timestamp"] += 3 * 3600 * 1000  # three hours later: the window (60 minutes) is over
    event["message"]["mid"] += "X"
    event["message"]["text"] = "Satu lagi: sampah di Pasar Wlingi belum diangkut"
    later["entry"][0]["messaging"] = [event]
    post(meta, "instagram", later)
    assert count(session, Complaint, Complaint.channel == "instagram") == 2


def test_an_unsent_message_is_noted_and_a_thread_with_nothing_left_is_withdrawn(meta, session):
    post(meta, "instagram", IG["messages"])
    post(meta, "instagram", IG["unsend"], times=3)  # the photo is taken back; the text stays
    thread = one(session, "instagram")
    assert thread.status == Status.unverified
    [note] = [e for e in events(session, thread, EventKind.note) if e.external_id]
    assert "pesan ditarik" in note.note and "pesan lain" in note.note
    first_mid = IG["messages"]["entry"][0]["messaging"][0]["message"]["mid"]
    unsend_first = json.loads(json.dumps(IG["unsend"]))
    unsend_first["entry"][0]["messaging"][0]["message"]["mid"] = first_mid
    post(meta, "instagram", unsend_first)
    withdrawn = one(session, "instagram")
    assert (withdrawn.status, withdrawn.reject_reason) == (Status.rejected, "dicabut")
    assert count(session, ComplaintEvent, ComplaintEvent.complaint_id == withdrawn.id,
                 ComplaintEvent.kind == EventKind.message_in) == 2  # never deleted


# --- replies through the write-back machinery --------------------------------------------------------

@pytest.fixture
def graph():
    state = social.MetaSocialState()
    with TestClient(social.create_app(state)) as client:
        yield state, client


def _dispatched_dm(meta, session, admin) -> Complaint:
    post(meta, "instagram", IG["messages"])
    thread = one(session, "instagram")
    r = meta.post(f"{API}/complaints/{thread.id}/actions", json={"action": "dispatch", "opd": "DISHUB"},
                  headers=admin)
    assert r.status_code == 200, r.text
    return thread


NOTE = "Selamat siang, lampu PJU di Jl. Merdeka Wlingi sudah kami jadwalkan untuk diganti besok pagi."


def test_a_dm_reply_inside_the_window_goes_out_through_the_send_api(meta, session, engine, settings, key_for,
                                                                    graph):
    state, graph_client = graph
    admin = key_for("admin")
    thread = _dispatched_dm(meta, session, admin)
    last = datetime.fromtimestamp(IG["messages"]["entry"][0]["messaging"][1]["timestamp"] / 1000, UTC)
    state.note_inbound(social.IG_ACCOUNT_ID, IG_PERSON, last)
    state.clock = last + timedelta(hours=23, minutes=59)
    r = meta.post(f"{API}/complaints/{thread.id}/actions", json={"action": "respond", "note": NOTE}, headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    assert [(a["action"], a["status"]) for a in r.json()["upstream_actions"]] == [("respond", "menunggu")]
    too_long = meta.post(f"{API}/complaints/{thread.id}/actions", json={"action": "respond", "note": "x" * 1001},
                         headers=admin)
    assert too_long.status_code == 422 and "1.000" in too_long.json()["detail"][0]["msg"]

    result = writeback.dispatch_writebacks(engine, settings, client=graph_client)
    assert result.sent == 1 and not (result.refused or result.failed or result.retried)
    [sent] = state.sent
    assert (sent["recipient"], sent["text"], sent["messaging_type"]) == (IG_PERSON, NOTE, "RESPONSE")
    detail = meta.get(f"{API}/complaints/{thread.id}", headers=admin).json()
    assert [(a["action"], a["status"]) for a in detail["upstream_actions"]] == [("respond", "terkirim")]
    out = events(session, one(session, "instagram"), EventKind.message_out)
    assert [e.external_id for e in out] == [sent["message_id"]]
    # Meta echoes what the page sent: skipped, not a second complaint or message.
    echo = json.loads(json.dumps(IG["echo"]))
    echo["entry"][0]["messaging"][0]["message"]["mid"] = sent["message_id"]
    post(meta, "instagram", echo)
    assert count(session, Complaint) == 1


def test_a_dm_reply_outside_the_window_is_refused_and_the_status_goes_back(meta, session, engine, settings,
                                                                          key_for, graph):
    state, graph_client = graph
    admin = key_for("admin")
    thread = _dispatched_dm(meta, session, admin)
    last = datetime.fromtimestamp(IG["messages"]["entry"][0]["messaging"][1]["timestamp"] / 1000, UTC)
    state.note_inbound(social.IG_ACCOUNT_ID, IG_PERSON, last)
    state.clock = last + timedelta(hours=24, minutes=1)
    meta.post(f"{API}/complaints/{thread.id}/actions", json={"action": "respond", "note": NOTE}, headers=admin)
    result = writeback.dispatch_writebacks(engine, settings, client=graph_client)
    assert result.refused == 1 and state.sent == []
    detail = meta.get(f"{API}/complaints/{thread.id}", headers=admin).json()
    [action] = detail["upstream_actions"]
    assert action["status"] == "gagal" and "di luar jendela 24 jam" in action["error"]
    assert detail["status"] == "dispatched" and detail["first_response_at"] is None


def test_a_comment_reply_is_posted_under_the_comment(meta, session, engine, settings, key_for, graph):
    state, graph_client = graph
    admin = key_for("admin")
    post(meta, "facebook", FB["comment_add"], times=2)
    for body in (FB["comment_add"],):
        state.observe(body)
    complaint = one(session, "facebook")
    meta.post(f"{API}/complaints/{complaint.id}/actions", json={"action": "dispatch", "opd": "DLH"}, headers=admin)
    meta.post(f"{API}/complaints/{complaint.id}/actions", json={"action": "respond", "note": NOTE}, headers=admin)
    assert writeback.dispatch_writebacks(engine, settings, client=graph_client).sent == 1
    [reply] = state.replies
    assert (reply["comment_id"], reply["text"]) == (COMMENT, NOTE)
    # The Page's own reply comes back on the feed: skipped.
    own = json.loads(json.dumps(FB["reaction_and_page_reply"]))
    own["entry"][0]["changes"][1]["value"]["comment_id"] = reply["id"]
    post(meta, "facebook", own)
    assert count(session, Complaint) == 1


# --- a generated stream, with Meta's redeliveries and batching -----------------------------------------

@pytest.mark.parametrize("platform", ["instagram", "facebook"])
def test_a_generated_stream_is_exactly_one_complaint_per_comment_or_conversation(meta, session, platform):
    counts = social.run_scenario(URL[platform], SECRET[platform], platform, items=40, seed=5, start=T0,
                                 duplicate_rate=0.3, batch_rate=0.2, client=meta)
    truth = counts["truth"]
    assert counts["non_200"] == 0 and counts["posts"] > counts["deliveries"]
    complaints = session.exec(select(Complaint).where(Complaint.channel == platform)).all()
    assert len(complaints) == len(truth) == 40
    assert {c.classification for c in complaints} == {Classification.kandidat}
    withdrawn = [c for c in complaints if c.reject_reason == "dicabut"]
    assert len(withdrawn) == sum(item.removed for item in truth)
    by_key = {c.external_id.split(":")[0]: c for c in complaints}
    for item in truth:
        assert item.text.split(" Tambahan:")[0][:60] in by_key[item.key].body
    assert 0.2 <= social.complaint_share(truth) <= 0.45


@pytest.mark.parametrize("platform", ["instagram", "facebook"])
def test_out_of_order_redeliveries_still_give_one_complaint_per_item(meta, session, platform):
    counts = social.run_scenario(URL[platform], SECRET[platform], platform, items=30, seed=9, start=T0,
                                 duplicate_rate=0.5, batch_rate=0.3, shuffle_rate=0.5, client=meta)
    assert counts["non_200"] == 0
    assert count(session, Complaint, Complaint.channel == platform) == len(counts["truth"]) == 30
    again = social.run_scenario(URL[platform], SECRET[platform], platform, items=30, seed=9, start=T0,
                                duplicate_rate=0.0, batch_rate=0.0, client=meta)
    assert again["non_200"] == 0 and count(session, Complaint, Complaint.channel == platform) == 30
