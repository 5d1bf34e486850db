"""People log in to the dashboard in headless Chromium and see what their role allows (the real API decides)."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session

from core.identity.keys import create_display_token
from dashboard import ids
from tests.dashboard.demo_data import seed_demo
from tests.dashboard.stack import PASSWORD, launch_stack, wait_dash_idle, wait_grid_rows

pytestmark = pytest.mark.browser

OPD = "DPUPR"
OPD_NAME = "Dinas Pekerjaan Umum dan Penataan Ruang"
OPD_ADMIN = "Bagus Santoso"
JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    def seed(session, now):
        seed_demo(session, now)

    for s in launch_stack(tmp_path_factory.mktemp("people"), seed, refresh_seconds=30):
        s.add_user("pupr", "opd_admin", OPD, name=OPD_ADMIN)
        s.add_user("bupati", "viewer", name="Bupati Blitar")
        s.add_user("sekar", "analyst", name="Sekar Ayu")
        yield s


def api(stack, path: str, **params):
    r = httpx.get(f"{stack.api_url}/api/v1{path}", params=params, headers={"X-API-Key": stack.key}, timeout=30)
    r.raise_for_status()
    return r.json()


def log_in_with_form(page, stack, username: str, password: str = PASSWORD, path: str = "/"):
    page.goto(stack.dash_url + path)
    page.wait_for_url(re.compile(r"/masuk\?next="))
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")


def test_an_opd_admin_sees_only_their_opd_and_records_follow_up(page, stack, screenshot):
    log_in_with_form(page, stack, "pupr", path="/jelajah")
    assert "/jelajah" in page.url
    wait_dash_idle(page)
    assert OPD_ADMIN in page.inner_text(f"#{ids.NAVBAR}") and f"Admin OPD · {OPD}" in page.inner_text("#app-user-role")
    assert f"Hanya data OPD {OPD}" in page.inner_text("main")

    # Jelajah: every row and the count are this OPD's.
    wait_grid_rows(page, ids.JL_GRID)
    cells = page.locator(f"#{ids.JL_GRID} .ag-center-cols-container .ag-row [col-id='opd']").all_inner_texts()
    assert cells and set(cells) == {OPD_NAME}
    own = api(stack, "/stats/summary", opd=OPD)
    everyone = api(stack, "/stats/summary")
    assert own["total"] < everyone["total"]
    assert page.inner_text(f"#{ids.JL_COUNT}").startswith(f"{own['total']} aduan cocok")
    with page.expect_download() as download:
        page.click(f"#{ids.JL_CSV}")
    with open(download.value.path(), encoding="utf-8-sig") as fh:
        exported = list(csv.DictReader(fh))
    assert len(exported) == own["total"] and {r["Kode OPD"] for r in exported} == {OPD}

    # The wall and the rapor: this OPD's numbers only.
    page.goto(stack.dash_url + "/")
    wait_dash_idle(page)
    page.wait_for_function("() => document.querySelectorAll('.slow-item').length > 0", timeout=30_000)
    assert page.locator(".slow-item").count() == 1 and OPD_NAME in page.inner_text(".slow-list")
    month = page.locator(".kpi-card").nth(1).locator(".kpi-value").inner_text().replace(".", "")
    assert int(month) == own["new_this_month"]
    last_month = (datetime.now(JAKARTA).date().replace(day=1) - timedelta(days=1)).replace(day=1)
    page.goto(f"{stack.dash_url}/opd?month={last_month.isoformat()}")  # the seeded data spans it whole
    rows = page.locator(f"#{ids.OPD_GRID} .ag-center-cols-container .ag-row")
    rows.first.wait_for()
    wait_dash_idle(page)
    assert rows.count() == 1 and OPD_NAME in rows.first.inner_text()

    # Follow-up from the detail panel: the history shows who wrote it.
    page.goto(stack.dash_url + "/jelajah?status=dispatched")
    wait_grid_rows(page, ids.JL_GRID)
    wait_dash_idle(page)
    page.locator(f"#{ids.JL_GRID} .ag-center-cols-container .ag-row [col-id='title']").first.click()
    page.locator(f"#{ids.JL_DETAIL}.show:not(.showing)").wait_for()
    page.locator(f"#{ids.JL_ACTION_NOTE}").wait_for()
    note = "Tim DPUPR sudah meninjau lokasi; penambalan dijadwalkan Senin."
    page.fill(f"#{ids.JL_ACTION_NOTE}", note)
    page.get_by_role("button", name="Kirim tindak lanjut").click()
    page.locator("#jl-action-ok").wait_for(timeout=30_000)
    followup = page.locator("#jl-timeline .timeline-item", has_text=note)
    assert OPD_ADMIN in followup.inner_text()
    screenshot(page, "jelajah-tindak-lanjut")

    page.fill(f"#{ids.JL_ACTION_NOTE}", "Jalan sudah ditambal.")
    page.get_by_role("button", name="Tandai selesai").click()
    page.wait_for_function("() => document.querySelector('#jl-action-ok') && "
                           "document.querySelector('#jl-action-ok').innerText.includes('selesai')", timeout=30_000)
    assert "Selesai" in page.inner_text(f"#{ids.JL_DETAIL_BODY} .facts")
    page.console_log.assert_clean()


def test_a_viewer_sees_aggregates_but_no_complaint(page, stack):
    log_in_with_form(page, stack, "bupati")
    wait_dash_idle(page)
    assert "Pantauan Aduan Masyarakat" in page.inner_text("main")
    assert "Jelajah" not in page.inner_text(f"#{ids.NAVBAR}")
    page.wait_for_function("() => document.querySelector('.kpi-card .kpi-value').innerText !== '…'")

    page.goto(stack.dash_url + "/jelajah")
    wait_dash_idle(page)
    assert "Tidak ada akses" in page.inner_text(f"#{ids.JL_NO_ACCESS}")
    assert page.locator(f"#{ids.JL_GRID}").count() == 0
    page.goto(stack.dash_url + f"/opd/{OPD}")
    wait_dash_idle(page)
    assert "Tidak ada akses" in page.inner_text("main") and OPD_NAME in page.inner_text("main")
    page.console_log.assert_clean()


def test_five_wrong_passwords_lock_the_account(page, stack, screenshot):
    log_in_with_form(page, stack, "sekar", "bukan-sandinya")
    assert "Nama pengguna atau kata sandi salah." in page.inner_text("#login-message")
    for _ in range(4):
        page.fill("#password", "bukan-sandinya")
        page.click("#login-submit")
        page.wait_for_load_state("networkidle")
    page.fill("#password", PASSWORD)  # the right one, too late
    page.click("#login-submit")
    page.wait_for_load_state("networkidle")
    message = page.inner_text("#login-message")
    assert "Akun terkunci" in message and "coba lagi setelah pukul" in message
    assert "/masuk" in page.url
    screenshot(page, "masuk-terkunci")


def test_a_wall_tv_opens_with_its_display_token(page, stack, screenshot):
    engine = stack.engine()
    with Session(engine) as session:
        _, token = create_display_token(session, "TV Pendopo", 30)
    engine.dispose()
    page.goto(f"{stack.dash_url}/masuk/layar?token={token}")
    page.wait_for_url(re.compile(r"/\?kiosk=1$"))
    wait_dash_idle(page)
    page.locator(f"#{ids.NAVBAR}").wait_for(state="hidden")
    assert "Pantauan Aduan Masyarakat" in page.inner_text("main")
    page.console_log.assert_clean()


def test_the_log_in_page_and_log_out(page, stack, screenshot):
    page.goto(stack.dash_url + "/kanal")
    page.wait_for_url(re.compile(r"/masuk\?next=/kanal$"))
    screenshot(page, "masuk")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/kanal")
    wait_dash_idle(page)
    page.click("#app-logout")
    page.wait_for_url(re.compile(r"/masuk\?keluar=1$"))
    assert "Anda telah keluar." in page.inner_text("#login-message")
    page.goto(stack.dash_url + "/")
    page.wait_for_url(re.compile(r"/masuk\?next=/$"))
    page.console_log.assert_clean()


def test_the_api_records_the_address_the_dashboard_forwards(stack):
    # The dashboard runs on a trusted address (ADUAN_TRUSTED_PROXIES) and sends each person's address along.
    httpx.post(f"{stack.api_url}/api/v1/auth/login", json={"username": "tidak-ada", "password": "salah"},
               headers={"X-Forwarded-For": "198.51.100.23"}, timeout=30)
    entries = api(stack, "/audit", action="auth.login", actor="username:tidak-ada")["items"]
    assert entries[0]["ip"] == "198.51.100.23"


def test_a_google_review_is_answered_in_a_public_box_with_a_counter(page, stack):
    log_in_with_form(page, stack, "admin", path="/jelajah?channel=google_reviews&status=in_progress")
    wait_grid_rows(page, ids.JL_GRID)
    wait_dash_idle(page)
    page.locator(f"#{ids.JL_GRID} .ag-center-cols-container .ag-row [col-id='title']").first.click()
    page.locator(f"#{ids.JL_DETAIL}.show:not(.showing)").wait_for()
    box = page.locator(f"#{ids.JL_ACTION_NOTE}")
    box.wait_for()
    assert "Balas ulasan (publik, tampil di Google Maps)" in page.inner_text(f"#{ids.JL_DETAIL_BODY}")
    assert box.get_attribute("maxlength") == "4096"
    assert page.inner_text(f"#{ids.JL_ACTION_COUNT}") == "0 / 4.096 karakter"
    box.fill("Terima kasih, antrean kami perbaiki.")  # 36 characters; nothing is sent
    page.wait_for_function(f"() => document.querySelector('#{ids.JL_ACTION_COUNT}').innerText === "
                           "'36 / 4.096 karakter'", timeout=10_000)
    box.fill("x" * 5000)  # the browser stops at Google's cap
    page.wait_for_function(f"() => document.querySelector('#{ids.JL_ACTION_COUNT}').innerText === "
                           "'4.096 / 4.096 karakter'", timeout=10_000)
    assert page.get_by_role("button", name="Kirim balasan").is_visible()
    assert page.get_by_role("button", name="Tandai selesai").is_visible()
    page.console_log.assert_clean()


MENU = {"admin": ["/", "/kanal", "/opd", "/isu", "/jelajah", "/verifikasi", "/konektor", "/audit",
                  "/aduan-baru", "/unggah", "/serah-lapor", "/penghubung"],  # the last four under "Kerja harian"
        "rini": ["/", "/kanal", "/opd", "/isu", "/jelajah", "/konektor"],  # an analyst (sekar is locked out above)
        "pupr": ["/", "/kanal", "/opd", "/isu", "/jelajah"],
        "bupati": ["/", "/kanal", "/opd", "/isu"]}


@pytest.mark.parametrize("username", list(MENU))
def test_the_menu_offers_only_pages_the_person_may_open(page, stack, username):
    if username == "rini":
        stack.add_user("rini", "analyst", name="Rini Analis")
    stack.log_in(page, username)
    page.goto(stack.dash_url + "/")
    wait_dash_idle(page)
    hrefs = page.eval_on_selector_all(f"#{ids.NAVBAR} a.nav-link:not(.dropdown-toggle), #{ids.NAVBAR} a.dropdown-item",
                                  "links => links.map(a => a.getAttribute('href'))")
    assert hrefs == MENU[username]
    for href in hrefs:
        page.goto(stack.dash_url + href)
        wait_dash_idle(page)
        main = page.inner_text("main")
        assert "Tidak ada akses" not in main and "may not" not in main, (href, main[:500])
        assert page.locator(".api-error").count() == 0, (href, page.inner_text(".api-error"))
    page.console_log.assert_clean()


def test_pages_outside_the_menu_say_who_may_open_them(page, stack):
    stack.log_in(page, "pupr")
    page.goto(stack.dash_url + "/audit")
    wait_dash_idle(page)
    assert "Jejak audit hanya dapat dibuka oleh admin." in page.inner_text(".no-access")
    assert "ringkasan" not in page.inner_text(".no-access")  # an OPD admin sees more than summaries
    page.goto(stack.dash_url + "/konektor")
    wait_dash_idle(page)
    assert "hanya dapat dibuka oleh admin dan analis" in page.inner_text(".no-access")

    stack.log_in(page, "bupati")
    page.goto(stack.dash_url + f"/opd/{OPD}")
    wait_dash_idle(page)
    headers = page.locator(".panel-title").all_inner_texts()
    assert "Aduan lewat tenggat" in headers  # no "(0)" beside "Tidak ada akses"
    assert "Tidak ada akses" in page.inner_text("main")
    page.console_log.assert_clean()
