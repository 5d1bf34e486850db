"""Verifikasi: social candidates show "kemungkinan aduan NN %" and the queue can put the likely complaints first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.identity.users import create_user
from dashboard import queue, state
from models.enums import Classification
from tests.factories import add_complaint, seeded

PASSWORD = "sandi-yang-cukup-panjang"
AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def test_queue_query_and_badge():
    assert queue.queue_query(["youtube"], None) == ({"status": "unverified", "channel": ["youtube"]}, "received_at")
    assert queue.queue_query(None, queue.LIKELY) == (
        {"status": "unverified", "channel": [], "classification": ["kandidat"]}, "-candidate_score")
    assert queue.candidate_badge({"classification": "kandidat", "candidate_score": 0.8234}) == (
        "kemungkinan aduan 82 %", "green")
    assert queue.candidate_badge({"classification": "kandidat", "candidate_score": 0.41})[1] == "yellow"
    assert queue.candidate_badge({"classification": "kandidat", "candidate_score": 0.05}) == (
        "kemungkinan aduan 5 %", "grey")
    sure, none = ({"classification": "kandidat", "candidate_score": s} for s in (0.9996, 0.0))
    assert (queue.candidate_badge(sure)[0], queue.candidate_badge(none)[0]) == ("kemungkinan aduan 99 %",
                                                                                "kemungkinan aduan 1 %")
    assert queue.candidate_badge({"classification": "pengaduan", "candidate_score": None}) is None


@pytest.fixture
def browser(dash_app, settings, session):
    seeded(session)
    with TestClient(create_app()) as api:
        state.configure(settings, transport=api._transport)
        with dash_app.server.test_client() as client:
            yield client


def test_the_queue_ranks_candidates_by_how_likely_each_is_a_complaint(browser, session):
    praise = add_complaint(session, "youtube", "y1", title="Mantap videonya, sukses terus pemkab 👍",
                           body="Mantap videonya, sukses terus pemkab 👍", category_code=None,
                           classification=Classification.kandidat, received_at=AT)
    complaint = add_complaint(session, "youtube", "y2", title="Tolong pak, jalan di dusun kami rusak parah",
                              body="Tolong pak, jalan di dusun kami rusak parah dan banyak lubang, sering ada yang "
                                   "jatuh", category_code=None, classification=Classification.kandidat,
                              received_at=AT + timedelta(hours=1))
    lapor = add_complaint(session, "lapor", "L1", title="Lampu jalan mati", received_at=AT - timedelta(days=1))
    create_user(session, "loket", "Pengguna loket", "petugas", PASSWORD)
    browser.get("/masuk")
    with browser.session_transaction() as cookie:
        token = cookie.get("csrf") or ""
    browser.post("/masuk", data={"username": "loket", "password": PASSWORD, "next": "/", "csrf": token})
    from dashboard.pages import verifikasi  # pages import once the app exists

    oldest, count, _, _ = verifikasi.show_queue(0, None, None, queue.OLDEST)
    text = str(oldest)
    assert text.index(lapor.tracking_code) < text.index(praise.tracking_code) < text.index(complaint.tracking_code)
    assert text.count("kemungkinan aduan") == 2 and count.startswith("3 aduan")  # LAPOR! is no candidate

    likely, count, data, _ = verifikasi.show_queue(0, None, None, queue.LIKELY)
    text = str(likely)
    assert lapor.tracking_code not in text and count.startswith("2 aduan")
    assert text.index(complaint.tracking_code) < text.index(praise.tracking_code)
    assert "vf-likely tone-green" in text and "vf-likely tone-grey" in text
    assert set(data) == {str(praise.id), str(complaint.id)}
