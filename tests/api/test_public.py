"""The public, no-log-in API (/api/v1/public/*): a complaint by its tracking code, the kabupaten's figures,
and the rate limit per client address. What may never be public: the reporter, the text of complaints that are
unverified, rejected or rahasia, staff names, merged children's reporters."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.main import create_app
from core.intake.contract import DraftEvent
from core.reporting.public import month_start
from core.runtime import settings as core_settings
from models import EventKind
from tests.api.conftest import PASSWORD
from tests.factories import add_complaint, rapor_fixture

API = "/api/v1"
PUBLIC = f"{API}/public"
STAFF = "Bambang Sutejo"  # the admin who acts: never named in public
REPORTER, PHONE = "Siti Rahayu", "6281234567001"


@pytest.fixture
def staff(client, user_for):
    user = user_for("admin", name=STAFF)
    r = client.post(f"{API}/auth/login", json={"username": user.username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def act(client, headers, complaint, **body):
    r = client.post(f"{API}/complaints/{complaint.id}/actions", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def look(client, code: str) -> dict:
    r = client.get(f"{PUBLIC}/complaints/{code}")
    assert r.status_code == 200, r.text
    return r.json()


def reporter_thread(session, external_id="wa-1", **kw):
    """A WhatsApp complaint whose thread carries the reporter's own words (their name and number in them)."""
    words = f"Saya {REPORTER}, hubungi {PHONE}. Rumah saya nomor 5 kebanjiran"
    events = [DraftEvent(external_id=f"{external_id}-m2", at=datetime(2026, 11, 23, 3, tzinfo=UTC),
                         kind=EventKind.message_in, actor=REPORTER, note=words)]
    return add_complaint(session, "whatsapp", external_id, title="Saluran mampet depan rumah", body=words,
                         reporter_name=REPORTER, reporter_contact=PHONE, events=events, **kw)


def never_private(answer: dict) -> None:
    text = json.dumps(answer)
    for secret in (REPORTER, "Siti", PHONE, STAFF, "Bambang"):
        assert secret not in text, secret


# --- one complaint ---------------------------------------------------------------------------------

def test_a_handled_complaint_shows_its_steps_and_the_opds_answers(client, session, staff):
    c = reporter_thread(session)
    act(client, staff, c, action="dispatch", opd="DPUPR", note=f"Tolong cepat, pelapor {REPORTER} kerabat camat")
    act(client, staff, c, action="respond", note="Tim sudah survei lokasi, pengerukan dijadwalkan Senin")
    act(client, staff, c, action="postpone", note="Menunggu alat berat")
    act(client, staff, c, action="respond", note="Alat berat sudah datang")
    act(client, staff, c, action="resolve", note="Saluran sudah dikeruk dan lancar")

    shown = look(client, c.tracking_code.lower())  # codes are case-insensitive
    never_private(shown)
    assert (shown["tracking_code"], shown["status"], shown["status_label"]) == (c.tracking_code, "resolved", "Selesai")
    assert shown["channel_label"] == "WhatsApp" and shown["opd_name"] == "Dinas Pekerjaan Umum dan Penataan Ruang"
    assert shown["category_name"] == "Jalan rusak" and shown["kecamatan"] == "Kanigoro"
    assert shown["title"] == "Saluran mampet depan rumah"  # verified: its own words are public...
    assert shown["body"] == "Saya [disamarkan], hubungi [disamarkan]. Rumah saya nomor 5 kebanjiran"
    assert shown["text_note"] is None
    for name in ("received_at", "verified_at", "dispatched_at", "first_response_at", "resolved_at",
                 "response_due_at", "resolution_due_at"):
        assert shown[name], name
    steps = [(s["kind"], s["label"], s["text"], s["by"]) for s in shown["timeline"]]
    assert steps == [
        ("received", "Aduan diterima", "Melalui kanal WhatsApp", "WhatsApp"),
        ("dispatch", "Diteruskan ke OPD", "Diteruskan ke Dinas Pekerjaan Umum dan Penataan Ruang", "Admin"),
        ("respond", "Tindak lanjut OPD", "Tim sudah survei lokasi, pengerukan dijadwalkan Senin", "OPD"),
        ("postpone", "Ditunda", "Menunggu alat berat", "OPD"),
        ("respond", "Tindak lanjut OPD", "Alat berat sudah datang", "OPD"),
        ("resolve", "Selesai", "Saluran sudah dikeruk dan lancar", "OPD"),
    ]  # ...but never the reporter's messages, nor the staff's note on the disposition


def test_an_unverified_complaint_shows_no_text(client, session):
    c = reporter_thread(session)
    shown = look(client, c.tracking_code)
    never_private(shown)
    assert shown["status"] == "unverified" and shown["title"] is None and shown["body"] is None
    assert shown["text_note"] == "Isi aduan ditampilkan setelah diverifikasi petugas."
    assert "mampet" not in json.dumps(shown) and "nomor 5" not in json.dumps(shown)
    assert shown["opd_name"] is None  # the category's default OPD is not yet the one handling it
    assert [s["kind"] for s in shown["timeline"]] == ["received"]


def test_rahasia_shows_steps_only(client, session, staff):
    c = add_complaint(session, "lapor", "r-1", title="Pungli di loket", body="Petugas loket 3 minta uang",
                      rahasia=True, status="dispatched", opd_code="DISDUKCAPIL", reporter_name=REPORTER)
    act(client, staff, c, action="respond", note="Petugas loket 3 sudah diperiksa inspektorat")
    shown = look(client, c.tracking_code)
    never_private(shown)
    text = json.dumps(shown)
    assert "Pungli" not in text and "loket 3" not in text
    assert shown["title"] is None and shown["text_note"] == "Isi aduan bersifat rahasia dan tidak ditampilkan."
    assert [(s["kind"], s["text"]) for s in shown["timeline"]][-1] == ("respond", None)


def test_a_rejection_says_why(client, session, staff):
    spam = reporter_thread(session, "wa-spam")
    act(client, staff, spam, action="reject", reason="spam", note=f"Promosi pinjol dari {PHONE}")
    shown = look(client, spam.tracking_code)
    never_private(shown)  # never verified: its text and the note that may quote it stay hidden
    assert (shown["status"], shown["reject_reason_label"], shown["title"]) == ("rejected", "Spam", None)
    assert shown["timeline"][-1] == {**shown["timeline"][-1], "kind": "reject", "label": "Ditolak",
                                     "text": "Alasan: Spam", "by": "Admin"}

    elsewhere = add_complaint(session, "lapor", "l-pln", status="verified", title="Listrik padam")
    act(client, staff, elsewhere, action="reject", reason="bukan_wewenang", note="Silakan lapor ke PLN di 123")
    shown = look(client, elsewhere.tracking_code)
    assert shown["title"] is None and shown["text_note"].startswith("Isi aduan yang ditolak")
    assert shown["timeline"][-1]["text"] == "Alasan: Bukan wewenang. Silakan lapor ke PLN di 123"


def test_a_merged_duplicate_points_at_its_parent_and_the_parent_shows_no_child(client, session, staff):
    parent = add_complaint(session, "lapor", "L1", reporter_name="Rudi Hartono", status="dispatched",
                           opd_code="DPUPR")
    child = reporter_thread(session, "wa-dup")
    act(client, staff, child, action="merge", into=parent.id, note=f"Sama dengan laporan {REPORTER}")
    shown = look(client, child.tracking_code)
    never_private(shown)
    assert shown["merged_into"] == parent.tracking_code and shown["reject_reason_label"] == "Duplikat"
    assert shown["timeline"][-1]["kind"] == "merge" and parent.tracking_code in shown["timeline"][-1]["text"]
    top = look(client, parent.tracking_code)
    never_private(top)
    assert "Rudi" not in json.dumps(top) and child.tracking_code not in json.dumps(top)


def test_an_upstream_thread_shows_the_agencys_replies_only(client, session):
    at = datetime(2026, 11, 24, 2, tzinfo=UTC)
    events = [DraftEvent(external_id="lapor:1", at=at, kind=EventKind.message_in, actor=REPORTER,
                         note=f"Mohon dipercepat, saya {REPORTER}"),
              DraftEvent(external_id="lapor:2", at=at + timedelta(hours=1), kind=EventKind.message_out,
                         actor="Drs. Joko Widodo (Admin DPUPR)", note="Laporan sudah kami teruskan ke bidang jalan",
                         is_opd_response=True)]
    c = add_complaint(session, "lapor", "L9", status="in_progress", opd_code="DPUPR", reporter_name=REPORTER,
                      verified_at=at - timedelta(days=1), dispatched_at=at - timedelta(hours=12), events=events)
    shown = look(client, c.tracking_code)
    never_private(shown)
    assert "Joko" not in json.dumps(shown)
    assert [(s["kind"], s["label"], s["text"], s["by"]) for s in shown["timeline"]] == [
        ("received", "Aduan diterima", "Melalui kanal SP4N-LAPOR!", "SP4N-LAPOR!"),
        ("status", "Diverifikasi", None, "SP4N-LAPOR!"),
        ("status", "Diteruskan ke OPD", None, "SP4N-LAPOR!"),
        ("answer", "Jawaban OPD", "Laporan sudah kami teruskan ke bidang jalan", "OPD"),
    ]


@pytest.mark.parametrize("code", ["AB", "X" * 41, "WA-12$", "WA 12", "-WA12"])
def test_a_malformed_code_is_a_422_naming_the_field(client, code):
    r = client.get(f"{PUBLIC}/complaints/{code}")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "tracking_code"]


def test_an_unknown_code_is_a_404_in_bahasa_indonesia(client):
    r = client.get(f"{PUBLIC}/complaints/WA-000000000000")
    assert (r.status_code, r.json()) == (404, {"detail": "kode aduan tidak ditemukan"})


def test_no_log_in_is_needed_and_credentials_change_nothing(client, session, key_for):
    c = reporter_thread(session)
    anonymous = client.get(f"{PUBLIC}/complaints/{c.tracking_code}").json()
    admin = client.get(f"{PUBLIC}/complaints/{c.tracking_code}", headers=key_for("admin")).json()
    assert anonymous == admin


# --- figures ---------------------------------------------------------------------------------------

def test_the_figures_are_the_rapor_and_the_stats(client, session, login_for):
    today = datetime.now(UTC).astimezone(core_settings.get_settings().tz).date()
    last_month = month_start(today, 1)
    received = datetime(last_month.year, last_month.month, 10, 2, tzinfo=UTC)
    rapor_fixture(session, "DINKES", resolved=5, in_progress=2, dispatched=1, unverified=1, received_at=received,
                  prefix="a")
    rapor_fixture(session, "DPUPR", resolved=1, in_progress=0, dispatched=3, unverified=0, received_at=received,
                  prefix="b", channel="whatsapp")
    spam = add_complaint(session, "whatsapp", "spam", status="rejected", received_at=received)
    now = add_complaint(session, "call112", "now", status="resolved", received_at=datetime.now(UTC))
    assert spam.id and now.id

    r = client.get(f"{PUBLIC}/figures", params={"months": 3})
    assert r.status_code == 200, r.text
    figures = r.json()
    viewer = login_for("viewer")
    end = month_start(today) - timedelta(days=1)
    rapor = client.get(f"{API}/rapor", params={"period_start": last_month.isoformat(),
                                                 "period_end": end.isoformat()}, headers=viewer).json()
    for name in ("rows", "total", "period_start", "period_end", "merged_children"):
        assert figures["rapor"][name] == rapor[name], name
    assert [row["predikat"] for row in figures["rapor"]["rows"]] == [row["predikat"] for row in rapor["rows"]]

    window = {"received_from": month_start(today, 2).isoformat(), "received_to": today.isoformat()}
    for part, path in (("by_channel", "by-channel"), ("by_kecamatan", "by-kecamatan")):
        assert figures[part] == client.get(f"{API}/stats/{path}", params=window, headers=viewer).json()["items"]

    months = {m["month"]: m for m in figures["by_month"]}
    assert list(months) == [f"{month_start(today, back):%Y-%m}" for back in (2, 1, 0)]
    previous = months[f"{last_month:%Y-%m}"]
    assert (previous["received"], previous["counted"], previous["resolved"]) == (14, 13, 6)
    assert (previous["counted"], previous["resolved"], previous["completion_pct"]) == (
        rapor["total"]["total"], rapor["total"]["resolved"], rapor["total"]["completion_pct"])
    assert months[f"{today:%Y-%m}"]["received"] == 1
    assert figures["summary"]["received"] == 15 and figures["pemda_name"] == "Pemerintah Kabupaten Blitar"


def test_the_figures_are_counted_once_per_cache_period(client, session, monkeypatch):
    first = client.get(f"{PUBLIC}/figures").json()
    add_complaint(session, "whatsapp", "late", received_at=datetime.now(UTC))
    again = client.get(f"{PUBLIC}/figures").json()
    assert again == first  # served from the app's cache (ADUAN_PUBLIC_FIGURES_CACHE_SECONDS, 300 s)
    assert client.get(f"{PUBLIC}/figures", params={"months": 1}).json()["summary"]["received"] == 1  # its own key

    monkeypatch.setenv("ADUAN_PUBLIC_FIGURES_CACHE_SECONDS", "0")
    core_settings.get_settings.cache_clear()
    fresh = client.get(f"{PUBLIC}/figures").json()
    assert fresh["summary"]["received"] == first["summary"]["received"] + 1


@pytest.mark.parametrize("months", ["0", "25", "dua"])
def test_figures_months_out_of_range_is_a_422_naming_it(client, months):
    r = client.get(f"{PUBLIC}/figures", params={"months": months})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "months"]


# --- rate limit --------------------------------------------------------------------------------------

def test_the_rate_limit_is_per_address_with_retry_after(settings, session, monkeypatch):
    monkeypatch.setenv("ADUAN_PUBLIC_RATE_PER_MINUTE", "3")
    core_settings.get_settings.cache_clear()
    app = create_app()
    with TestClient(app, client=("203.0.113.7", 50000)) as first, \
            TestClient(app, client=("203.0.113.8", 50000)) as second:
        answers = [first.get(f"{PUBLIC}/complaints/WA-000000000000").status_code for _ in range(3)]
        assert answers == [404, 404, 404]
        refused = first.get(f"{PUBLIC}/figures")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["detail"].startswith("terlalu banyak permintaan dari alamat ini; coba lagi dalam")
        assert second.get(f"{PUBLIC}/figures").status_code == 200  # another address has its own count
        assert first.get(f"{API}/health").status_code != 429  # only the public routes are limited


@pytest.fixture
def proxied_api(settings, monkeypatch):
    """The API as `aduan serve` runs it: uvicorn believes X-Forwarded-For from ADUAN_TRUSTED_PROXIES only."""
    monkeypatch.setenv("ADUAN_PUBLIC_RATE_PER_MINUTE", "2")
    core_settings.get_settings.cache_clear()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", proxy_headers=True,
                            forwarded_allow_ips=core_settings.get_settings().trusted_proxies)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}{PUBLIC}"
    server.should_exit = True
    thread.join(timeout=10)


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_count(proxied_api):
    with httpx.Client(base_url=proxied_api, timeout=10) as http:
        def status(address: str) -> int:
            return http.get("/complaints/WA-000000000000", headers={"X-Forwarded-For": address}).status_code

        assert [status("198.51.100.1") for _ in range(3)] == [404, 404, 429]
        assert status("198.51.100.2") == 404  # the dashboard forwards each person's address: counted apart
