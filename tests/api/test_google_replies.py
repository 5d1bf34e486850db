"""A Google review answered from here: the reply goes out through the outbox, comes back on the next pull
as the same history entry, counts as the first response, and the OPD closes the complaint itself."""

from sqlmodel import select

from core.casework.citizen import public_link, public_reply
from core.intake import writeback
from core.intake.sync import sync_instance
from models import Complaint, ComplaintEvent, EventKind, Status
from tests.emulated import add_google, complaints_by_channel, count, google_upstream

API = "/api/v1"
NOTE = ("Selamat siang, mohon maaf atas antrean panjang di loket pendaftaran. Mulai Senin kami buka "
        "loket tambahan pukul 07.00. Terima kasih atas masukannya.")


def _unanswered_complaint(session, store):
    """A 1-2 star review of RSUD Ngudi Waluyo with words and no reply, already a complaint here."""
    for review in store.reviews.values():
        payload = store.payload(review)
        if review.rating <= 2 and review.reply_at is None and review.location == "4001" and payload.get("comment"):
            complaint = session.exec(select(Complaint).where(Complaint.external_id == payload["name"])).first()
            if complaint is not None:
                return review, complaint
    raise AssertionError("the emulator gave no unanswered complaint at 4001")


def test_a_reply_from_here_reaches_google_and_is_not_added_twice_by_the_next_pull(
        client, session, engine, settings, key_for):
    rsud = key_for("opd_admin", "RSUD-NGUDI")
    # Ten days of reviews: all within the connector's reply look-back, as a reply to a recent review is.
    with google_upstream(total=60, days=10) as (app_, url):
        add_google(session, url)
        assert sync_instance("gmaps", engine=engine).status == "ok"
        store = app_.state.store
        review, complaint = _unanswered_complaint(session, store)
        assert complaint.status == Status.dispatched and complaint.first_response_at is None
        complaints = complaints_by_channel(session, "google_reviews")

        too_long = client.post(f"{API}/complaints/{complaint.id}/actions",
                               json={"action": "respond", "note": "x" * 4097}, headers=rsud)
        assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"] == ["body", "note"]
        assert "4.096" in too_long.json()["detail"][0]["msg"]
        # The code and link go with the reply, so the OPD's own words may not take all 4,096 characters.
        room = 4096 - len(public_reply(complaint.tracking_code, public_link(settings, complaint.tracking_code), "",
                                       "RSUD Ngudi Waluyo Wlingi"))
        almost = client.post(f"{API}/complaints/{complaint.id}/actions",
                             json={"action": "respond", "note": "x" * (room + 1)}, headers=rsud)
        assert almost.status_code == 422 and f"isi paling banyak {room:,}".replace(",", ".") in \
            almost.json()["detail"][0]["msg"]

        r = client.post(f"{API}/complaints/{complaint.id}/actions", json={"action": "respond", "note": NOTE},
                        headers=rsud)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "in_progress" and body["first_response_at"] is not None
        assert [(a["action"], a["status"]) for a in body["upstream_actions"]] == [("respond", "menunggu")]
        assert review.reply_at is None  # nothing leaves before the outbox runs

        sent = writeback.dispatch_writebacks(engine, settings)
        assert sent.sent == 1 and not (sent.refused or sent.failed)
        served = store.payload(review)["reviewReply"]
        # The reviewer reads the OPD's words, then the tracking code and the public link (core.casework.citizen).
        code = complaint.tracking_code
        assert served["comment"] == public_reply(code, public_link(settings, code), NOTE, "RSUD Ngudi Waluyo Wlingi")
        assert served["comment"].startswith(NOTE) and f"Kode aduan: {code}" in served["comment"]
        assert f"/publik?kode={code}" in served["comment"] and len(served["comment"]) <= 4096
        detail = client.get(f"{API}/complaints/{complaint.id}", headers=rsud).json()
        assert [(a["action"], a["status"]) for a in detail["upstream_actions"]] == [("respond", "terkirim")]
        first_response = detail["first_response_at"]

        pulled = sync_instance("gmaps", engine=engine)
        assert pulled.status == "ok"
        assert complaints_by_channel(session, "google_reviews") == complaints
        replies = session.exec(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                            ComplaintEvent.kind == EventKind.message_out)).all()
        assert [(e.note, e.external_id) for e in replies] == [(NOTE, f"gbp-reply:{served['updateTime']}")]
        assert replies[0].actor == "test-opd_admin"  # the entry is ours, with who wrote it
        after_pull = client.get(f"{API}/complaints/{complaint.id}", headers=rsud).json()
        assert after_pull["first_response_at"] == first_response and after_pull["status"] == "in_progress"

        # The OPD closes it here; Google has no status to tell, and the next pull keeps it closed.
        r = client.post(f"{API}/complaints/{complaint.id}/actions",
                        json={"action": "resolve", "note": "Loket tambahan sudah dibuka."}, headers=rsud)
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        assert [a["action"] for a in r.json()["upstream_actions"]] == ["respond"]
        assert not writeback.dispatch_writebacks(engine, settings)
        events = count(session, ComplaintEvent, ComplaintEvent.complaint_id == complaint.id)
        store.edit(kind="comment", ids=[review.review_id])  # the reviewer edits the review afterwards
        assert sync_instance("gmaps", engine=engine).updated >= 1
    session.expire_all()
    closed = session.get(Complaint, complaint.id)
    assert closed.status == Status.resolved and closed.resolved_at is not None
    assert count(session, ComplaintEvent, ComplaintEvent.complaint_id == complaint.id,
                 ComplaintEvent.kind == EventKind.message_out) == 1
    assert count(session, ComplaintEvent, ComplaintEvent.complaint_id == complaint.id) == events + 1  # the edit


def test_a_reply_google_refuses_shows_as_failed_with_its_reason(client, session, engine, settings, key_for):
    rsud = key_for("opd_admin", "RSUD-NGUDI")
    with google_upstream(total=60, days=10) as (app_, url):
        add_google(session, url)
        sync_instance("gmaps", engine=engine)
        store = app_.state.store
        review, complaint = _unanswered_complaint(session, store)
        r = client.post(f"{API}/complaints/{complaint.id}/actions", json={"action": "respond", "note": NOTE},
                        headers=rsud)
        assert r.status_code == 200
        del store.reviews[review.review_id]  # the reviewer deleted the review meanwhile
        result = writeback.dispatch_writebacks(engine, settings)
    assert result.refused == 1
    detail = client.get(f"{API}/complaints/{complaint.id}", headers=rsud).json()
    [action] = detail["upstream_actions"]
    assert action["status"] == "gagal" and "sudah tidak ada di Google" in action["error"]
