"""The complaint panel: a Google review is answered in a box that says the reply is public, with Google's
cap and a counter, and the panel shows whether the reply has reached Google."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.identity.users import create_user
from dashboard import detail, state
from models import Status
from tests.factories import add_complaint, seeded

PASSWORD = "sandi-yang-cukup-panjang"
REVIEW = "accounts/112233445566778899/locations/4001/reviews/AbFvOqPanel"


@pytest.fixture
def browser(dash_app, settings, session):
    """A browser's cookie jar in front of the dashboard, whose API client reaches the real API."""
    seeded(session)
    with TestClient(create_app()) as api:
        state.configure(settings, transport=api._transport)
        with dash_app.server.test_client() as client:
            yield client


def log_in_as_rsud(browser, session) -> None:
    create_user(session, "rsud", "Sri Wahyuni", "opd_admin", PASSWORD, "RSUD-NGUDI")
    browser.get("/masuk")
    with browser.session_transaction() as cookie:
        token = cookie.get("csrf") or ""
    browser.post("/masuk", data={"username": "rsud", "password": PASSWORD, "next": "/", "csrf": token})
    browser.get("/")  # keeps this request's context (and so the log-in) for the calls below


def test_an_opd_admin_replies_to_a_google_review_in_a_public_reply_box(browser, session):
    review = add_complaint(session, "google_reviews", REVIEW, status=Status.dispatched, opd_code="RSUD-NGUDI",
                           category_code="KESEHATAN-RS")
    letter = add_complaint(session, "lapor", "rsud-lapor-1", status=Status.dispatched, opd_code="RSUD-NGUDI",
                           category_code="KESEHATAN-RS")
    log_in_as_rsud(browser, session)

    panel = str(detail.body(state.client().complaint(review.id)))
    assert "Balas ulasan (publik, tampil di Google Maps)" in panel
    assert "Maksimal 4.096 karakter" in panel and "0 / 4.096 karakter" in panel and "maxLength=4096" in panel
    assert "Kirim balasan" in panel and "Tandai selesai" in panel  # closing stays the usual action
    other = str(detail.body(state.client().complaint(letter.id)))
    assert "Balas ulasan" not in other and "Kirim tindak lanjut" in other and "4.096" not in other

    panel, refusal = detail.act(review.id, "respond", "x" * 4097, None)
    assert panel is None and "4.096" in str(refusal)
    panel, refusal = detail.act(review.id, "respond", "Mohon maaf, loket tambahan dibuka Senin.", None)
    assert refusal is None
    text = str(panel)
    assert "Balasan tersimpan; dikirim ke Google." in text and "Mohon maaf, loket tambahan" in text
    assert "menunggu sinkron ke Google" in text
    panel, refusal = detail.act(review.id, "resolve", "Loket tambahan sudah dibuka.", None)
    assert refusal is None and "Aduan ditandai selesai." in str(panel)


def test_the_panel_shows_a_reply_google_refused_with_its_reason(browser, session):
    log_in_as_rsud(browser, session)
    shown = {"channel": "google_reviews", "status": "in_progress", "allowed_actions": [],
             "upstream_actions": [
                 {"action": "respond", "status": "terkirim", "error": None, "at": "2026-11-24T03:00:00Z"},
                 {"action": "respond", "status": "gagal", "error": "ulasan sudah tidak ada di Google (NOT_FOUND)",
                  "at": "2026-11-25T03:00:00Z"}],
             "sync_state": "gagal sinkron"}
    text = str(detail.sync_status(shown))
    assert "terkirim ke Google" in text and "24/11/2026 10.00 WIB" in text
    assert "gagal dikirim ke Google" in text and "ulasan sudah tidak ada di Google (NOT_FOUND)" in text
    assert detail.sync_status({"channel": "google_reviews"}) is None  # nothing sent upstream: nothing shown


def test_the_admin_rejects_from_the_panel_with_a_reason_from_the_list(browser, session):
    whatsapp = add_complaint(session, "whatsapp", "wa-spam-1", status=Status.unverified)
    create_user(session, "kominfo", "Admin Kominfo", "admin", PASSWORD)
    browser.get("/masuk")
    with browser.session_transaction() as cookie:
        token = cookie.get("csrf") or ""
    browser.post("/masuk", data={"username": "kominfo", "password": PASSWORD, "next": "/", "csrf": token})
    browser.get("/")

    panel = str(detail.body(state.client().complaint(whatsapp.id)))
    assert "Alasan penolakan" in panel and "Data tidak lengkap" in panel

    panel, refusal = detail.act(whatsapp.id, "reject", None, None)  # no reason picked
    assert panel is None and "alasan" in str(refusal).lower()
    panel, refusal = detail.act(whatsapp.id, "reject", None, None, "spam")
    assert refusal is None and "Aduan ditolak." in str(panel)
    assert state.client().complaint(whatsapp.id)["reject_reason"] == "spam"
