"""Log-in through the dashboard, in-process: Flask's test client in front, the real API and database behind
(the dashboard's API client speaks to the FastAPI app through the TestClient's transport)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.main import create_app
from core.identity.keys import create_display_token, create_key
from core.identity.users import create_user
from dashboard import detail, state
from dashboard.login import _redact_tokens
from models import AuditEntry, Status
from tests.factories import add_complaint, seeded

PASSWORD = "sandi-yang-cukup-panjang"


@pytest.fixture
def api(settings, session):
    seeded(session)
    with TestClient(create_app()) as client:
        yield client


@pytest.fixture
def browser(dash_app, api, settings):
    """A browser's cookie jar in front of the dashboard, whose API client reaches the real API."""
    state.configure(settings, transport=api._transport)
    with dash_app.server.test_client() as client:
        yield client


def user(session: Session, username: str, role: str, opd: str | None = None, name: str | None = None):
    return create_user(session, username, name or username.title(), role, PASSWORD, opd)


CONNECTOR_TABLE = {"output": "konektor-table.children", "outputs": {"id": "konektor-table", "property": "children"},
                   "inputs": [{"id": "konektor-interval", "property": "n_intervals", "value": 0},
                              {"id": "konektor-synced", "property": "data", "value": None}],
                   "changedPropIds": ["konektor-interval.n_intervals"], "state": []}


def run_callback(browser, payload: dict) -> str:
    r = browser.post("/_dash-update-component", json=payload)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_data(as_text=True)


def csrf(browser) -> str:
    """The form token, as the page the person fills in carries it (the layout's log-out form, or /masuk)."""
    browser.get("/_dash-layout")
    with browser.session_transaction() as cookie:
        return cookie.get("csrf") or ""


def log_in(browser, username: str, password: str = PASSWORD, next_path: str = "/"):
    browser.get("/masuk")
    with browser.session_transaction() as cookie:
        token = cookie.get("csrf") or ""
    return browser.post("/masuk", data={"username": username, "password": password, "next": next_path,
                                        "csrf": token})


def test_pages_send_a_browser_without_log_in_to_the_form_and_back(browser, session):
    r = browser.get("/jelajah?status=resolved")
    assert r.status_code == 302 and r.location == "/masuk?next=/jelajah?status=resolved"
    form = browser.get(r.location).get_data(as_text=True)
    assert "Nama pengguna" in form and 'value="/jelajah?status=resolved"' in form

    user(session, "analis", "analyst")
    r = log_in(browser, "analis", next_path="/jelajah?status=resolved")
    assert r.status_code == 302 and r.location == "/jelajah?status=resolved"
    assert browser.get("/jelajah").status_code == 200
    cookie = browser.get_cookie("aduan_sesi")
    assert cookie.http_only and cookie.same_site == "Lax" and PASSWORD not in cookie.value


def test_log_in_never_redirects_off_the_dashboard(browser, session):
    user(session, "analis", "analyst")
    assert log_in(browser, "analis", next_path="//evil.example/x").location == "/"


def test_wrong_password_is_refused_and_the_fifth_locks_the_account(browser, session):
    user(session, "sekar", "analyst")
    for _ in range(4):
        r = log_in(browser, "sekar", "salah-sekali")
        assert r.status_code == 401 and "Nama pengguna atau kata sandi salah." in r.get_data(as_text=True)
    r = log_in(browser, "sekar", "salah-sekali")
    assert r.status_code == 423
    r = log_in(browser, "sekar")  # the right password, but too late
    page = r.get_data(as_text=True)
    assert r.status_code == 423 and "Akun terkunci" in page and "coba lagi setelah pukul" in page
    assert browser.get_cookie("aduan_sesi") is None or "login" not in (browser.get_cookie("aduan_sesi").value or "")


def test_an_unknown_username_gets_the_same_pages_as_an_account(browser, session):
    for _ in range(4):
        r = log_in(browser, "bukan-siapa", "salah-sekali")
        assert r.status_code == 401 and "Nama pengguna atau kata sandi salah." in r.get_data(as_text=True)
    r = log_in(browser, "bukan-siapa", "salah-sekali")
    page = r.get_data(as_text=True)
    assert r.status_code == 423 and "Akun terkunci" in page and "coba lagi setelah pukul" in page


def test_the_dashboard_calls_the_api_as_the_person_who_logged_in(browser, session):
    user(session, "pupr", "opd_admin", "DPUPR", name="Bagus Santoso")
    log_in(browser, "pupr")
    browser.get("/")  # keeps this request's context (and so the log-in) for the calls below
    me = state.client().me()
    assert (me["username"], me["role"], me["opd_code"]) == ("pupr", "opd_admin", "DPUPR")


def test_an_opd_admin_records_follow_up_and_resolves_from_the_detail_panel(browser, session):
    own = add_complaint(session, "lapor", "pupr-1", status=Status.dispatched, opd_code="DPUPR")
    other = add_complaint(session, "lapor", "dinkes-1", status=Status.dispatched, opd_code="DINKES",
                          category_code="KESEHATAN")
    user(session, "pupr", "opd_admin", "DPUPR", name="Bagus Santoso")
    log_in(browser, "pupr")
    browser.get("/")

    panel, refusal = detail.act(own.id, "respond", "   ", None)
    assert panel is None and "isi tindak lanjut wajib diisi" in str(refusal)
    panel, refusal = detail.act(own.id, "respond", "Tim sudah meninjau lokasi, perbaikan Senin.", None)
    assert refusal is None
    text = str(panel)
    assert "Tindak lanjut tersimpan." in text and "Tim sudah meninjau lokasi" in text and "Bagus Santoso" in text
    assert "Tandai selesai" in text  # still offered: the complaint is in progress now
    panel, refusal = detail.act(own.id, "resolve", "Jalan sudah ditambal.", None)
    assert refusal is None and "Aduan ditandai selesai." in str(panel)
    session.refresh(own)
    assert own.status == Status.resolved
    audited = session.exec(select(AuditEntry).where(AuditEntry.target == f"complaints:{own.id}")).all()
    assert [(a.actor_name, a.role, a.outcome) for a in audited] == [  # the refused blank note is kept too
        ("Bagus Santoso", "opd_admin", outcome) for outcome in ("failed", "ok", "ok")]
    assert all("via aduan-dashboard" in a.user_agent for a in audited)

    _, refusal = detail.act(other.id, "respond", "Bukan OPD saya", None)
    assert "tidak ditemukan" in str(refusal)  # another OPD's complaint does not exist for this log-in


def test_a_viewer_gets_no_complaint_list_and_no_detail(browser, session):
    user(session, "bupati", "viewer")
    log_in(browser, "bupati")
    browser.get("/jelajah")
    from dashboard.pages import jelajah  # pages import once the app exists

    page = str(jelajah.layout())
    assert "Tidak ada akses" in page and "jl-grid" not in page
    found = add_complaint(session, "lapor", "x-1")
    _, err = state.fetch(lambda c: c.complaint(found.id))
    assert err.status == 403


def test_an_access_token_is_refreshed_before_it_expires_and_the_cookie_keeps_the_new_one(browser, session):
    user(session, "analis", "analyst")
    log_in(browser, "analis")
    with browser.session_transaction() as cookie:
        first = cookie["login"]["access_token"]
        cookie["login"] = {**cookie["login"], "expires_at": 0}
    assert "konektor" in run_callback(browser, CONNECTOR_TABLE)  # a page's callback, as the browser sends it
    with browser.session_transaction() as cookie:
        assert cookie["login"]["access_token"] != first and cookie["login"]["expires_at"] > 0


def test_a_rejected_access_token_is_replaced_through_the_refresh_token(browser, session):
    user(session, "analis", "analyst")
    log_in(browser, "analis")
    with browser.session_transaction() as cookie:
        cookie["login"] = {**cookie["login"], "access_token": "forged.token.value"}
    browser.get("/")
    assert state.client().me()["username"] == "analis"


def test_log_out_ends_the_log_in_at_the_api_too(browser, session, api):
    user(session, "analis", "analyst")
    log_in(browser, "analis")
    with browser.session_transaction() as cookie:
        refresh = cookie["login"]["refresh_token"]
    r = browser.post("/keluar", data={"csrf": csrf(browser)})
    assert r.status_code == 302 and r.location == "/masuk?keluar=1"
    assert "Anda telah keluar." in browser.get(r.location).get_data(as_text=True)
    assert browser.get("/").status_code == 302
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": refresh}).status_code == 401


def test_a_log_in_ended_elsewhere_is_forgotten_by_the_dashboard(browser, session, api):
    found = user(session, "analis", "analyst")
    log_in(browser, "analis")
    from core.identity.users import update_user

    update_user(session, found, active=False)
    assert "Masuk kembali" in run_callback(browser, CONNECTOR_TABLE)
    assert browser.get("/kanal").status_code == 302  # that callback's answer cleared the cookie


def test_a_wall_tv_enters_with_its_display_token_and_nothing_else(browser, session):
    _, display = create_display_token(session, "TV Pendopo", 30)
    _, admin_key = create_key(session, "sistem-lain", "admin")
    assert browser.get("/masuk/layar?token=adu_salah").status_code == 401
    refused = browser.get(f"/masuk/layar?token={admin_key}")
    assert refused.status_code == 403 and "bukan token layar" in refused.get_data(as_text=True)
    r = browser.get(f"/masuk/layar?token={display}")
    assert r.status_code == 302 and r.location == "/?kiosk=1"
    assert browser.get("/").status_code == 200
    assert browser.get_cookie("aduan_sesi").expires is not None  # survives the TV being switched off
    browser.get("/")
    assert (state.login().kind, state.login().role) == ("display", "viewer")


def test_display_tokens_never_reach_the_access_log():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - "%s" %s',
                               ("127.0.0.1", "GET /masuk/layar?token=adu_rahasia HTTP/1.1", "302"), None)
    _redact_tokens(record)
    assert "adu_rahasia" not in record.getMessage() and "token=***" in record.getMessage()


AUDIT_ALL = {"output": "..audit-grid.rowData...audit-count.children...audit-error.children..",
             "outputs": [{"id": "audit-grid", "property": "rowData"}, {"id": "audit-count", "property": "children"},
                         {"id": "audit-error", "property": "children"}],
             "inputs": [{"id": i, "property": "value", "value": None}
                        for i in ("audit-actor", "audit-action", "audit-outcome", "audit-since", "audit-until")],
             "changedPropIds": [], "state": []}


def test_admins_read_the_audit_trail_of_dashboard_log_ins_and_others_may_not(browser, session):
    user(session, "kominfo", "admin", name="Admin Kominfo")
    user(session, "analis", "analyst")
    log_in(browser, "analis", "salah-sekali")
    log_in(browser, "kominfo")
    trail = run_callback(browser, AUDIT_ALL)
    assert "auth.login" in trail and "Admin Kominfo (user:" in trail and "Ditolak" in trail
    assert "via aduan-dashboard" not in trail  # the grid shows the address, not the agent

    browser.post("/keluar", data={"csrf": csrf(browser)})
    log_in(browser, "analis")
    assert "Audit" not in browser.get("/_dash-layout").get_data(as_text=True)
    refused = run_callback(browser, AUDIT_ALL)
    assert "tidak diizinkan" in refused


def test_a_person_changes_their_own_password_and_logs_in_again(browser, session):
    found = user(session, "analis", "analyst")
    log_in(browser, "analis")
    assert "Ganti kata sandi untuk <strong>analis</strong>" in browser.get("/masuk/sandi").get_data(as_text=True)
    new = "sandi-baru-yang-panjang"

    def change(current, repeat=new):
        return browser.post("/masuk/sandi", data={"current": current, "new": new, "repeat": repeat,
                                                  "csrf": csrf(browser)})

    wrong = change("bukan-ini")
    assert wrong.status_code == 401 and "Kata sandi saat ini salah." in wrong.get_data(as_text=True)
    session.refresh(found)
    assert found.failed_logins == 1  # one wrong password is one failure, not retried behind the person's back
    assert "tidak sama" in change(PASSWORD, repeat="lain").get_data(as_text=True)
    weak = browser.post("/masuk/sandi", data={"current": PASSWORD, "new": "pendek", "repeat": "pendek",
                                              "csrf": csrf(browser)})
    assert weak.status_code == 422 and "minimal 10 karakter" in weak.get_data(as_text=True)
    done = change(PASSWORD)
    assert done.status_code == 302 and done.location == "/masuk?sandi=1"
    assert browser.get("/").status_code == 302  # every log-in ended, this one too
    assert log_in(browser, "analis").status_code == 401
    assert log_in(browser, "analis", new).status_code == 302


def test_forms_posted_from_another_site_are_refused(browser, session):
    user(session, "analis", "analyst")
    forged = browser.post("/masuk", data={"username": "analis", "password": PASSWORD})  # no token: not our form
    assert forged.status_code == 400 and "Formulir kedaluwarsa" in forged.get_data(as_text=True)
    assert log_in(browser, "analis").status_code == 302
    assert browser.post("/keluar").location == "/"  # a forged log-out button changes nothing
    assert browser.get("/kanal").status_code == 200
    changed = browser.post("/masuk/sandi", data={"current": PASSWORD, "new": "x" * 12, "repeat": "x" * 12})
    assert changed.status_code == 400
    assert log_in(browser, "analis").status_code == 302  # the old password still works
