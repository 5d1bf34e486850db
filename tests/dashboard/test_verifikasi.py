"""The Verifikasi page in-process (no browser): its cards come from the real API, and the dashboard relays a
reporter's photo with the person's own log-in (the API decides who may see it)."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from connectors.emulators.meta_graph import photo_png
from core.identity.users import create_user
from dashboard import state
from models import ComplaintMedia, Status
from tests.factories import add_complaint, seeded

PASSWORD = "sandi-yang-cukup-panjang"
PHOTO = photo_png("2024")


@pytest.fixture
def browser(dash_app, settings, session):
    seeded(session)
    with TestClient(create_app()) as api:
        state.configure(settings, transport=api._transport)
        with dash_app.server.test_client() as client:
            yield client


def log_in(browser, session, username: str, role: str, opd: str | None = None) -> None:
    create_user(session, username, f"Pengguna {username}", role, PASSWORD, opd)
    browser.get("/masuk")
    with browser.session_transaction() as cookie:
        token = cookie.get("csrf") or ""
    browser.post("/masuk", data={"username": username, "password": PASSWORD, "next": "/", "csrf": token})
    browser.get("/verifikasi")


def whatsapp_with_photo(session):
    complaint = add_complaint(session, "whatsapp", "6281:wamid.9", title="Jalan berlubang dekat pasar",
                              status=Status.unverified, category_code=None, opd_code=None)
    session.add(ComplaintMedia(complaint_id=complaint.id, media_id="2024", kind="image", mime_type="image/png",
                               caption="Lubangnya", state="fetched", content=PHOTO, size=len(PHOTO),
                               sha256=hashlib.sha256(PHOTO).hexdigest()))
    session.commit()
    return complaint


def test_the_queue_shows_cards_with_clock_photo_and_actions(browser, session):
    complaint = whatsapp_with_photo(session)
    newer = add_complaint(session, "lapor", "L-77", title="Lampu jalan mati", status=Status.unverified,
                          received_at=complaint.received_at.replace(hour=5))
    add_complaint(session, "lapor", "L-78", title="Sudah didisposisi", status=Status.dispatched, opd_code="DPUPR")
    log_in(browser, session, "loket", "petugas")
    from dashboard.pages import verifikasi  # pages import once the app exists

    cards, count, data, select_all = verifikasi.show_queue(0, None, None)
    text = str(cards)
    assert text.index(complaint.tracking_code) < text.index(newer.tracking_code)  # oldest first
    assert "Sudah didisposisi" not in text
    assert f"/media/{complaint.id}/2024" in text and "vf-thumb" in text
    assert "lewat" in text and "tone-red" in text  # received in 2026-11: long past its deadline
    assert "vf-reject" in text and "vf-dispatch" in text  # a petugas triages
    assert count.startswith("2 aduan menunggu verifikasi")
    assert set(data) == {str(complaint.id), str(newer.id)} and data[str(complaint.id)]["child"] is True
    assert data[str(newer.id)]["child"] is False  # LAPOR! owns its status: others merge into it
    assert select_all is False

    photo = browser.get(f"/media/{complaint.id}/2024")
    assert photo.status_code == 200 and photo.data == PHOTO
    assert photo.headers["Content-Type"] == "image/png" and photo.headers["X-Content-Type-Options"] == "nosniff"
    assert photo.headers["Cache-Control"].startswith("private")
    assert browser.get(f"/media/{complaint.id}/9999").status_code == 404
    assert browser.get(f"/media/{complaint.id}/a.b").status_code == 404  # not a media id: never sent on


def test_the_photo_relay_needs_a_log_in_that_may_read_the_complaint(browser, session):
    complaint = whatsapp_with_photo(session)
    anonymous = browser.get(f"/media/{complaint.id}/2024")
    assert anonymous.status_code == 302 and "/masuk" in anonymous.headers["Location"]
    log_in(browser, session, "dinkes", "opd_admin", "DINKES")
    assert browser.get(f"/media/{complaint.id}/2024").status_code == 404  # not this OPD's complaint


def test_roles_without_triage_see_no_access(browser, session):
    log_in(browser, session, "analis", "analyst")
    from dashboard.pages import verifikasi

    assert "Antrean verifikasi hanya untuk admin dan petugas" in str(verifikasi.layout())
