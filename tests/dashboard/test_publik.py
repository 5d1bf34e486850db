"""The public page in-process: served without a log-in, its callbacks ask the API as nobody (even for a logged-in
admin), and its pieces lay out what the public API gives (pure functions, no browser)."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from dash import html
from fastapi.testclient import TestClient

from api.main import create_app
from core.identity.users import create_user
from dashboard import ids, publik_view, state
from dashboard.client import ApiError
from tests.factories import add_complaint, seeded

WIB = ZoneInfo("Asia/Jakarta")
PASSWORD = "sandi-yang-cukup-panjang"


@pytest.fixture
def api(settings, session):
    seeded(session)
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def browser(dash_app, api, settings):
    state.configure(settings, transport=api._transport)
    with dash_app.server.test_client() as client:
        yield client


def look_up(browser, code: str) -> str:
    payload = {"output": f"..{ids.PUB_RESULT}.children...{ids.PUB_SHOWN_CODE}.data..",
               "outputs": [{"id": ids.PUB_RESULT, "property": "children"},
                           {"id": ids.PUB_SHOWN_CODE, "property": "data"}],
               "inputs": [{"id": ids.PUB_FORM, "property": "n_submit", "value": 1}],
               "state": [{"id": ids.PUB_CODE, "property": "value", "value": code}],
               "changedPropIds": [f"{ids.PUB_FORM}.n_submit"]}
    r = browser.post("/_dash-update-component", json=payload)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_data(as_text=True)


def test_the_public_page_opens_without_a_log_in(browser):
    assert browser.get("/publik").status_code == 200
    assert browser.get("/publik?kode=WA-1").status_code == 200
    assert browser.get("/publikasi").status_code == 302  # only the page itself, not a prefix
    assert browser.get("/jelajah").headers["Location"].startswith("/masuk")
    assert '<html lang="id">' in browser.get("/publik").get_data(as_text=True)


def test_a_logged_in_admin_still_gets_the_public_view(browser, session):
    c = add_complaint(session, "whatsapp", "wa-1", reporter_name="Siti Rahayu", reporter_contact="6281234567001",
                      body="Saya Siti Rahayu, nomor 6281234567001", status="verified")
    create_user(session, "adminku", "Admin Ku", "admin", PASSWORD)
    anonymous = look_up(browser, c.tracking_code)
    form = browser.get("/masuk").get_data(as_text=True)
    token = form.split('name="csrf" value="')[1].split('"')[0]
    r = browser.post("/masuk", data={"username": "adminku", "password": PASSWORD, "csrf": token})
    assert r.status_code == 302
    as_admin = look_up(browser, c.tracking_code.lower())
    assert as_admin == anonymous
    assert "Siti" not in as_admin and "6281234567001" not in as_admin
    assert json.loads(as_admin)["response"][ids.PUB_SHOWN_CODE]["data"] == c.tracking_code


def test_an_unknown_code_says_so(browser):
    assert "tidak ditemukan" in look_up(browser, "WA-000000000000")
    assert "tidak valid" in look_up(browser, "A$")
    assert "Masukkan kode aduan" in look_up(browser, "  ")


# --- pure pieces ------------------------------------------------------------------------------------

def _text(component) -> str:
    """All the text of a component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    if component is None:
        return ""
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        return " ".join(_text(c) for c in children)
    return _text(children)


COMPLAINT = {
    "tracking_code": "WA-1A2B3C4D5E6F", "status": "in_progress", "status_label": "Ditindaklanjuti",
    "channel_label": "WhatsApp", "opd_name": "Dinas Kesehatan", "category_name": "Kesehatan",
    "kecamatan": "Kanigoro", "received_at": "2026-11-23T02:00:00Z", "verified_at": None,
    "dispatched_at": "2026-11-23T04:00:00Z", "first_response_at": "2026-11-24T03:30:00Z", "resolved_at": None,
    "response_due_at": "2026-11-26T16:59:59Z", "resolution_due_at": "2026-12-11T16:59:59Z",
    "title": "Puskesmas tutup", "body": "Puskesmas tutup jam 10", "text_note": None, "reject_reason_label": None,
    "merged_into": None,
    "timeline": [{"at": "2026-11-23T02:00:00Z", "kind": "received", "label": "Aduan diterima",
                  "text": "Melalui kanal WhatsApp", "by": "WhatsApp"},
                 {"at": "2026-11-24T03:30:00Z", "kind": "respond", "label": "Tindak lanjut OPD",
                  "text": "Jam layanan diperpanjang", "by": "OPD"}],
}


def test_the_complaint_card_shows_status_dates_and_steps():
    card = publik_view.complaint_view(COMPLAINT, WIB)
    text = _text(card)
    assert "Ditindaklanjuti" in text and "Dinas Kesehatan" in text and "Puskesmas tutup jam 10" in text
    assert "23 November 2026 pukul 09.00 WIB" in text  # local time, Indonesian month
    assert "Ditanggapi OPD" in text and "Target selesai" in text and "Batas tanggapan" not in text
    steps = card.children[-1]
    assert isinstance(steps, html.Ol) and len(steps.children) == 2
    assert "oleh OPD" in _text(steps.children[1]) and "Jam layanan diperpanjang" in _text(steps.children[1])


def test_a_merged_duplicate_links_to_its_parent():
    merged = {**COMPLAINT, "status": "rejected", "status_label": "Ditolak", "title": None, "body": None,
              "text_note": "Isi aduan yang ditolak atau diarsipkan tidak ditampilkan.",
              "reject_reason_label": "Duplikat", "merged_into": "LPR-000000000001"}
    card = publik_view.complaint_view(merged, WIB)
    text = _text(card)
    assert "LPR-000000000001" in text and "Alasan ditolak Duplikat" in text and "Target selesai" not in text
    links = [c for c in card.children if isinstance(c, html.P) and isinstance(c.children, list)]
    assert links[0].children[1].href == "/publik?kode=LPR-000000000001"


@pytest.mark.parametrize(("status", "detail", "expected"), [
    (404, "kode aduan tidak ditemukan", "Kode aduan WA-1 tidak ditemukan."),
    (422, "kode aduan tidak valid", "Kode aduan tidak valid"),
    (429, "terlalu banyak permintaan dari alamat ini; coba lagi dalam 12 detik",
     "Terlalu banyak permintaan dari alamat ini; coba lagi dalam 12 detik."),
    (None, None, "API tidak dapat dihubungi"),
])
def test_a_failed_look_up_says_why_in_a_sentence(status, detail, expected):
    err = ApiError("API tidak dapat dihubungi.", status, detail)
    assert _text(publik_view.problem(err, "WA-1")).startswith(expected)


def test_the_rapor_table_keeps_the_apis_order_and_numbers():
    rapor = {"period_start": "2026-11-01", "rows": [
        {"opd_code": "DINKES", "opd_name": "Dinas Kesehatan", "total": 41, "resolved": 28, "completion_pct": 68.3,
         "avg_followup_days": 2.0, "predikat": "Kurang"},
        {"opd_code": "DPUPR", "opd_name": "Dinas PU", "total": 2, "resolved": 0, "completion_pct": 0.0,
         "avg_followup_days": None, "predikat": "Kurang"}],
        "total": {"opd_code": None, "opd_name": "Total Kabupaten Blitar", "total": 43, "resolved": 28,
                  "completion_pct": 65.1, "avg_followup_days": 2.0, "predikat": "Kurang"}}
    table = publik_view.rapor_table(rapor)
    body = table.children[2].children
    assert [getattr(row, "data-opd") for row in body] == ["DINKES", "DPUPR"]
    assert "28 dari 41 selesai" in _text(body[0]) and "68,3 %" in _text(body[0])
    assert "belum ada tindak lanjut" in _text(body[1])
    assert "Total Kabupaten Blitar" in _text(table.children[3]) and "65,1 %" in _text(table.children[3])
    assert _text(table.children[0]) == "Rapor OPD November 2026"
