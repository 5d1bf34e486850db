"""Google Business Profile reviews: which reviews are complaints, replies, edits, locations."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from connectors.base import Skip
from connectors.google_reviews import GoogleReviewsConnector
from core.intake.instances import InstanceError, validate_config
from core.intake.sync import sync_instance
from models import Complaint, ComplaintEvent, EventKind, Opd, RawRecord, Status
from tests.emulated import add_google, complaints_by_channel, count, google_upstream
from tests.factories import seeded

PAGE = json.loads((Path(__file__).parent / "fixtures" / "google_reviews_page.json").read_text())
BY_STARS = {}
for review in PAGE["reviews"]:
    BY_STARS.setdefault(review["starRating"], []).append(review)
LOCATION = {"name": "accounts/112233445566778899/locations/4001", "opd": "RSUD-NGUDI",
            "label": "RSUD Ngudi Waluyo Wlingi", "category": "KESEHATAN-RS", "kecamatan": "Wlingi"}
CONFIG = {"base_url": "http://127.0.0.1:9", "access_token": "ya29.x", "locations": [LOCATION]}


def test_a_low_rating_with_a_reply_is_a_complaint_answered_by_its_opd():
    [one] = BY_STARS["ONE"]
    draft = GoogleReviewsConnector(CONFIG).normalise(one)
    assert (draft.rating, draft.opd_code, draft.category_code, draft.kecamatan) == (1, "RSUD-NGUDI",
                                                                                    "KESEHATAN-RS", "Wlingi")
    assert draft.external_id == one["name"] and draft.body == one["comment"]
    assert draft.title.startswith("Ulasan 1★ RSUD Ngudi Waluyo Wlingi: Petugas loket")
    assert draft.received_at == datetime(2026, 9, 12, 23, 37, 40, 841000, tzinfo=UTC)
    [reply] = draft.events
    assert (reply.is_opd_response, reply.kind, reply.note) == (True, EventKind.message_out,
                                                               one["reviewReply"]["comment"])
    assert draft.status == Status.in_progress
    assert draft.reporter_name == one["reviewer"]["displayName"]


def test_which_reviews_become_complaints_is_configurable():
    default = GoogleReviewsConnector(CONFIG)
    open_two = next(r for r in BY_STARS["TWO"] if "comment" in r)
    empty_two = next(r for r in BY_STARS["TWO"] if "comment" not in r)
    assert default.normalise(open_two).status == Status.dispatched  # no reply yet
    assert isinstance(default.normalise(empty_two), Skip)
    assert isinstance(default.normalise(BY_STARS["THREE"][0]), Skip)
    assert isinstance(default.normalise(BY_STARS["FIVE"][0]), Skip)

    lenient = GoogleReviewsConnector({**CONFIG, "complaint_max_rating": 3, "include_empty_comments": True})
    assert lenient.normalise(BY_STARS["THREE"][0]).rating == 3
    assert lenient.normalise(empty_two).title.endswith("tanpa komentar")
    assert isinstance(lenient.normalise(BY_STARS["FIVE"][0]), Skip)


def test_a_review_of_an_unconfigured_location_stays_in_the_inbox():
    other = {**BY_STARS["ONE"][0], "name": "accounts/1/locations/999/reviews/x"}
    with pytest.raises(ValueError, match="locations/999"):
        GoogleReviewsConnector(CONFIG).normalise(other)


def test_location_config_is_checked():
    with pytest.raises(InstanceError, match="locations.0.name: .*accounts/"):
        validate_config("google_reviews", {**CONFIG, "locations": [{**LOCATION, "name": "locations/4001"}]})
    with pytest.raises(InstanceError, match="locations.0.opd: wajib diisi"):
        validate_config("google_reviews", {**CONFIG, "locations": [{"name": LOCATION["name"]}]})
    with pytest.raises(InstanceError, match="page_size"):
        validate_config("google_reviews", {**CONFIG, "page_size": 100})
    with pytest.raises(InstanceError, match="lebih dari sekali"):
        validate_config("google_reviews", {**CONFIG, "locations": [LOCATION, LOCATION]})


def test_several_locations_each_answered_by_its_opd(session, engine):
    seeded(session)
    with google_upstream(total=120) as (_app, url):
        add_google(session, url)
        summary = sync_instance("gmaps", engine=engine)
    assert summary.status == "ok" and summary.fetched == 120
    rows = session.exec(select(Complaint.location_text, Opd.code).join(Opd, Opd.id == Complaint.opd_id)).all()
    assert {label: code for label, code in rows} == {
        "RSUD Ngudi Waluyo Wlingi": "RSUD-NGUDI", "RSUD Srengat": "RSUD-SRENGAT",
        "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Blitar": "DISDUKCAPIL",
        "Mal Pelayanan Publik Kabupaten Blitar": "DPMPTSP", "Puskesmas Kanigoro": "DINKES",
        "Puskesmas Wlingi": "DINKES"}
    assert count(session, RawRecord) == 120  # five-star reviews land too, as skipped
    assert session.exec(select(Complaint).where(Complaint.rating > 2)).first() is None


def test_an_edited_review_updates_its_complaint_and_a_late_reply_is_its_first_response(session, engine):
    seeded(session)
    with google_upstream(total=80) as (app_, url):
        add_google(session, url)
        sync_instance("gmaps", engine=engine)
        store = app_.state.store
        complaints = complaints_by_channel(session, "google_reviews")[0]
        target = next(r for r in store.reviews.values() if r.rating == 1 and r.reply_at is None
                      and "comment" in store.payload(r))
        name = store.payload(target)["name"]
        events_before = count(session, ComplaintEvent)

        store.edit(kind="comment", ids=[target.review_id])
        edited = sync_instance("gmaps", engine=engine)
        assert (edited.new, edited.updated) == (0, 1)
        assert complaints_by_channel(session, "google_reviews") == (complaints, complaints)
        assert count(session, ComplaintEvent) == events_before + 1
        complaint = session.exec(select(Complaint).where(Complaint.external_id == name)).one()
        assert "Diperbarui" in complaint.body and complaint.first_response_at is None

        store.edit(kind="reply", ids=[target.review_id])  # a reply leaves the review's updateTime alone
        replied = sync_instance("gmaps", engine=engine)
    assert replied.updated == 1
    session.refresh(complaint)
    assert complaint.first_response_at == target.reply_at
    assert complaint.status == Status.in_progress


def _land_and_normalise(session, settings, connector, payload):
    from core.intake import pipeline
    from core.intake.ingest import Resolver

    batch = pipeline.ingest(session, connector, [(payload["name"], payload)], Resolver(session, settings))
    session.commit()
    return batch.verdicts[0].outcome


def _one_star_here():
    return next(r for r in BY_STARS["ONE"] if r["name"].startswith(LOCATION["name"]) and r.get("comment"))


def test_a_complaint_edited_up_to_five_stars_is_updated_not_dropped(session, settings):
    seeded(session)
    connector = GoogleReviewsConnector(CONFIG)
    review = _one_star_here()
    assert _land_and_normalise(session, settings, connector, review) == "new"
    happier = {**review, "starRating": "FIVE", "updateTime": "2026-11-23T09:00:00Z",
               "comment": review["comment"] + " (Sudah ditangani, terima kasih.)"}
    assert _land_and_normalise(session, settings, connector, happier) == "updated"
    complaint = session.exec(select(Complaint).where(Complaint.external_id == review["name"])).one()
    assert complaint.rating == 5 and "terima kasih" in complaint.body


def test_an_edit_upstream_keeps_what_staff_recorded_locally(session, settings):
    from core.casework.workflow import Action, apply_action
    from core.reference.calendar import WorkingCalendar

    seeded(session)
    connector = GoogleReviewsConnector(CONFIG)
    review = _one_star_here()
    _land_and_normalise(session, settings, connector, review)
    complaint = session.exec(select(Complaint).where(Complaint.external_id == review["name"])).one()
    apply_action(session, complaint, Action.resolve, "admin-rsud", WorkingCalendar(), note="Sudah ditangani")
    session.commit()
    edited = {**review, "updateTime": "2026-11-23T09:00:00Z", "comment": review["comment"] + " Tambahan."}
    assert _land_and_normalise(session, settings, connector, edited) == "updated"
    session.refresh(complaint)
    assert complaint.status == Status.resolved and complaint.body.endswith("Tambahan.")
    assert _land_and_normalise(session, settings, connector, edited) == "unchanged"


# --- replying (write-back) ------------------------------------------------------------------------

def _replier(url, **http):
    from connectors.emulators.google_reviews import connector_config
    from tests.emulated import FAST_HTTP

    return GoogleReviewsConnector(connector_config(url, http={**FAST_HTTP, **http}))


def _unanswered(store):
    return next(r for r in store.reviews.values() if r.rating == 1 and r.reply_at is None)


def test_a_reply_is_put_on_the_review_and_comes_back_under_the_acknowledged_id():
    import httpx

    from connectors.base import UpstreamAction

    with google_upstream(total=40) as (app_, url), httpx.Client() as http:
        store = app_.state.store
        review = _unanswered(store)
        name = store.payload(review)["name"]
        connector = _replier(url)
        note = "Mohon maaf atas antrean panjang. Loket tambahan dibuka mulai Senin."
        ack = connector.send(http, UpstreamAction(external_id=name, action="respond", note=note))
        [page_with_it] = [p for p in connector.fetch_pages(http, {}) if name in dict(p.records)]
    served = dict(page_with_it.records)[name]
    assert served["reviewReply"]["comment"] == note
    assert served["updateTime"] == store.payload(review)["updateTime"]  # a reply leaves the review alone
    [event] = connector.normalise(served).events
    assert (event.external_id, event.note, event.is_opd_response) == (ack.event_external_id, note, True)
    assert ack.event_external_id == f"gbp-reply:{served['reviewReply']['updateTime']}"


def test_google_refuses_an_over_long_reply_and_a_reply_to_a_deleted_review():
    import httpx

    from connectors.base import FatalError, RefusedError, RetriableError, UpstreamAction

    with google_upstream(total=40) as (app_, url), httpx.Client() as http:
        store = app_.state.store
        review = _unanswered(store)
        name = store.payload(review)["name"]
        connector = _replier(url)
        with pytest.raises(RefusedError, match="INVALID_ARGUMENT"):
            connector.send(http, UpstreamAction(name, "respond", "x" * 4097))
        assert review.reply_at is None
        assert connector.send(http, UpstreamAction(name, "respond", "x" * 4096)).event_external_id
        with pytest.raises(RefusedError, match="sudah tidak ada"):
            connector.send(http, UpstreamAction(name.rsplit("/", 1)[0] + "/hilang", "respond", "Halo"))
        with pytest.raises(RefusedError, match="hanya balasan"):
            connector.send(http, UpstreamAction(name, "resolve", "Selesai"))
        with pytest.raises(FatalError, match="token"):
            GoogleReviewsConnector({**connector.config.model_dump(mode="json"), "access_token": "salah"}).send(
                http, UpstreamAction(name, "respond", "Halo"))

        app_.state.faults.update({"rate_limit_next": 2, "retry_after": 0})  # a busy quota: retried
        assert connector.send(http, UpstreamAction(name, "respond", "Balasan kedua")).event_external_id
        assert store.payload(review)["reviewReply"]["comment"] == "Balasan kedua"
        app_.state.faults.update({"error_rate": 1.0})
        with pytest.raises(RetriableError, match="HTTP 50|gangguan"):
            _replier(url, attempts=2).send(http, UpstreamAction(name, "respond", "Balasan ketiga"))
    assert store.payload(review)["reviewReply"]["comment"] == "Balasan kedua"
