"""The desk's daily work in headless Chromium against the real API: a walk-in typed into the form reaches the
wall, a 101-row upload is refused with its reason, the LAPOR! hand-back never hands a complaint back twice, and an
admin adds an OPD liaison, resets their password, and the liaison logs in with it."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from dashboard import ids
from models import User
from tests.dashboard.demo_data import seed_demo
from tests.dashboard.stack import PASSWORD, launch_stack, wait_dash_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    for s in launch_stack(tmp_path_factory.mktemp("daily"), seed_demo, refresh_seconds=30):
        s.add_user("loket", "petugas", name="Rina Loket")
        yield s


def api(stack, method: str, path: str, **kw) -> httpx.Response:
    r = httpx.request(method, f"{stack.api_url}/api/v1{path}", headers={"X-API-Key": stack.key}, timeout=30, **kw)
    r.raise_for_status()
    return r


def field(name: str) -> str:
    """CSS selector of a walk-in form field (a pattern-matching id, as Dash writes it into the DOM)."""
    return "[id='" + json.dumps({"field": name, "type": ids.AB_FIELD}, sort_keys=True, separators=(",", ":")) + "']"


def error_of(name: str) -> str:
    return "[id='" + json.dumps({"field": name, "type": ids.AB_ERROR}, sort_keys=True, separators=(",", ":")) + "']"


def choose(page, selector: str, text: str) -> None:
    """Pick the option of a dcc.Dropdown whose label contains `text`."""
    page.click(f"{selector} .Select-control")
    page.keyboard.type(text)
    page.locator(f"{selector} .VirtualizedSelectOption", has_text=text).first.click()
    page.locator(f"{selector} .Select-value", has_text=text).wait_for()


def today_kpi(page) -> int:
    page.wait_for_function("() => document.querySelector('.kpi-card .kpi-value').innerText !== '…'",
                           timeout=30_000)
    return int(page.locator(".kpi-card").first.locator(".kpi-value").inner_text().replace(".", ""))


def test_a_walk_in_typed_into_the_form_appears_on_the_wall(page, stack, screenshot):
    stack.log_in(page, "admin")
    page.goto(stack.dash_url + "/")
    wait_dash_idle(page)
    before = today_kpi(page)

    stack.log_in(page, "loket")  # the petugas desk
    page.goto(stack.dash_url + "/")
    wait_dash_idle(page)
    page.click("#app-daily-menu")
    menu = page.locator(".dropdown-menu.show").inner_text()
    assert "Aduan baru" in menu and "Unggah aduan" in menu
    assert "Serah ke SP4N-LAPOR!" not in menu and "Penghubung OPD" not in menu  # admins only
    page.click("#app-daily-aduan-baru")
    page.wait_for_url("**/aduan-baru")
    wait_dash_idle(page)

    # The API's 422 lands next to the field it names; the consent box is checked before anything is sent.
    page.fill(field("title"), "PJU")
    page.fill(field("body"), "Lampu penerangan jalan di depan balai desa mati sejak dua minggu.")
    page.fill(field("reporter_contact"), "0812-3456-7890")
    page.click(f"#{ids.AB_SUBMIT}")
    page.locator(error_of("consent")).filter(has_text="setuju").wait_for()
    page.check(field("consent"))
    page.click(f"#{ids.AB_SUBMIT}")
    page.locator(error_of("title")).filter(has_text="minimal 5 karakter").wait_for()
    assert page.locator(error_of("body")).inner_text() == ""
    assert page.locator(error_of("consent")).inner_text() == ""
    screenshot(page, "aduan-baru-galat")

    page.fill(field("title"), "Lampu PJU mati di depan balai desa")
    page.fill(field("reporter_contact"), "rumah pak RT")  # the API checks it against the reference rules
    page.click(f"#{ids.AB_SUBMIT}")
    page.locator(error_of("reporter_contact")).filter(has_text="nomor telepon/WhatsApp").wait_for()
    assert page.locator(error_of("title")).inner_text() == ""
    page.fill(field("reporter_contact"), "0812-3456-7890")
    choose(page, field("category"), "Penerangan jalan umum")
    choose(page, field("kecamatan"), "Kanigoro")
    choose(page, field("desa"), "Gogodeso")
    page.fill(field("reporter_name"), "Pak Darto")
    page.click(f"#{ids.AB_SUBMIT}")
    saved = page.locator("#ab-saved")
    saved.wait_for(timeout=30_000)
    code = page.inner_text("#ab-tracking-code")
    assert re.fullmatch(r"[A-Z0-9-]+", code), code
    assert page.locator(error_of("title")).inner_text() == ""
    assert page.input_value(field("title")) == ""  # ready for the next citizen
    screenshot(page, "aduan-baru")

    found = api(stack, "GET", "/complaints", params={"q": code}).json()["items"]
    assert [c["tracking_code"] for c in found] == [code]
    assert found[0]["channel"] == "manual" and found[0]["kecamatan"] == "Kanigoro" and found[0]["desa"] == "Gogodeso"

    # The link opens it in Jelajah (the petugas sees what they entered).
    page.click("#ab-link")
    page.wait_for_url(re.compile(r"/jelajah\?q="))
    page.locator(f"#{ids.JL_GRID} .ag-row [col-id='tracking_code']", has_text=code).wait_for(timeout=30_000)

    # The wall in the command room counts it.
    stack.log_in(page, "admin")
    page.goto(stack.dash_url + "/")
    wait_dash_idle(page)
    assert today_kpi(page) == before + 1
    page.console_log.assert_clean()


def workbook(path):
    """A download (saved without a file extension, which openpyxl would refuse by name)."""
    return load_workbook(io.BytesIO(Path(path).read_bytes()), read_only=True)


def rows_file(n: int) -> bytes:
    lines = ["judul,isi,kategori,kecamatan"]
    lines += [f"Jalan rusak nomor {i},Lubang di jalan desa nomor {i},INFRA-JALAN,Kanigoro" for i in range(1, n + 1)]
    return ("\n".join(lines) + "\n").encode()


def test_a_101_row_upload_shows_the_error_and_saves_nothing(page, stack, screenshot, tmp_path):
    total = api(stack, "GET", "/stats/summary").json()["total"]
    stack.log_in(page, "loket")
    page.goto(stack.dash_url + "/unggah")
    wait_dash_idle(page)
    with page.expect_download() as template:
        page.click(f"#{ids.UP_TEMPLATE}")
    assert workbook(template.value.path()).sheetnames[0] == "Aduan"

    too_many = tmp_path / "aduan-101.csv"
    too_many.write_bytes(rows_file(101))
    page.set_input_files(f"#{ids.UP_UPLOAD} input[type=file]", str(too_many))
    failed = page.locator("#up-failed")
    failed.wait_for(timeout=30_000)
    text = failed.inner_text()
    assert "Tidak ada baris yang disimpan." in text and "101 baris" in text and "maksimal 100" in text
    screenshot(page, "unggah-101")

    # Bad rows: each named by row and column, and still nothing written.
    bad = tmp_path / "aduan-salah.csv"
    bad.write_bytes(b"judul,isi,kategori,kecamatan\nLampu mati di pasar,Gelap sekali,INFRA-PJU,Kanigoro\n"
                    b"Sampah,Menumpuk,TIDAK-ADA,Kanigoro\nJalan rusak parah,,INFRA-JALAN,Atlantis\n")
    page.set_input_files(f"#{ids.UP_UPLOAD} input[type=file]", str(bad))
    page.locator("#up-error-table").wait_for(timeout=30_000)
    rows = [[cell.inner_text() for cell in row.locator("td").all()]
            for row in page.locator("#up-error-table tbody tr").all()]
    assert ["3", "Kategori", "kategori 'TIDAK-ADA' tidak dikenal; pakai kode dari daftar"] in rows
    assert ["4", "Isi", "wajib diisi"] in rows
    assert {r[0] for r in rows} == {"3", "4"}  # row 2 is fine
    assert "Tidak ada baris yang disimpan." in page.inner_text("#up-failed")
    screenshot(page, "unggah")
    assert api(stack, "GET", "/stats/summary").json()["total"] == total

    good = tmp_path / "aduan-benar.csv"
    good.write_bytes(rows_file(3))
    page.set_input_files(f"#{ids.UP_UPLOAD} input[type=file]", str(good))
    page.locator("#up-ok").wait_for(timeout=30_000)
    assert page.locator("#up-created-table tbody tr").count() == 3
    assert api(stack, "GET", "/stats/summary").json()["total"] == total + 3
    page.console_log.assert_clean()


def handed_back_rows(path) -> list[str]:
    """Tracking codes (column nomor_referensi) in every batch sheet of a hand-back workbook."""
    wb = workbook(path)
    codes = []
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        col = list(rows[0]).index("nomor_referensi")
        codes += [r[col] for r in rows[1:] if r and r[col]]
    return codes


def preview(page) -> tuple[str, str]:
    """The hand-back page's two counts: (to hand back, handed back already)."""
    return page.inner_text("#hb-preview-0"), page.inner_text("#hb-preview-1")


def test_a_second_hand_back_leaves_out_what_was_handed_back(page, stack, screenshot):
    waiting = api(stack, "GET", "/lapor-manual/preview", params={"channel": "whatsapp"}).json()["rows"]
    assert waiting > 0
    stack.log_in(page, "admin")
    page.goto(stack.dash_url + "/serah-lapor")
    wait_dash_idle(page)
    choose(page, f"#{ids.HB_CHANNEL}", "WhatsApp")
    page.wait_for_function(f"() => document.querySelector('#hb-preview-0').innerText === '{waiting}'",
                           timeout=30_000)
    assert preview(page) == (str(waiting), "0")
    with page.expect_download() as first:
        page.click(f"#{ids.HB_DOWNLOAD_BUTTON}")
    codes = handed_back_rows(first.value.path())
    assert len(codes) == waiting
    page.locator("#hb-done").wait_for(timeout=30_000)
    assert f"{waiting} aduan diserahkan" in page.inner_text("#hb-done")
    page.wait_for_function("() => document.querySelector('#hb-preview-0').innerText === '0'", timeout=30_000)
    assert preview(page) == ("0", str(waiting))
    screenshot(page, "serah-lapor")

    # A WhatsApp complaint arrives afterwards (typed in from a forwarded chat): only it goes in the second file.
    new = api(stack, "POST", "/complaints", json={"title": "Air PDAM keruh di Gogodeso", "body": "Sudah tiga hari.",
                                                  "channel": "whatsapp", "kecamatan": "Kanigoro"}).json()
    with page.expect_download() as second:
        page.click(f"#{ids.HB_DOWNLOAD_BUTTON}")
    assert handed_back_rows(second.value.path()) == [new["tracking_code"]]
    page.locator("#hb-done", has_text="1 aduan diserahkan").wait_for(timeout=30_000)
    assert f"{waiting} aduan sudah diserahkan sebelumnya dan tidak disertakan" in page.inner_text("#hb-done")

    # Nothing new: no file, and the page says so.
    page.click(f"#{ids.HB_DOWNLOAD_BUTTON}")
    page.locator("#hb-empty").wait_for(timeout=30_000)
    assert "Tidak ada aduan baru" in page.inner_text("#hb-empty")
    assert f"{waiting + 1} aduan sudah diserahkan sebelumnya" in page.inner_text("#hb-empty")

    # The complaint says it was handed back.
    assert api(stack, "GET", f"/complaints/{new['id']}").json()["handed_back_at"]
    page.goto(f"{stack.dash_url}/jelajah?q={new['tracking_code']}")
    wait_dash_idle(page)
    page.locator(f"#{ids.JL_GRID} .ag-row [col-id='title']", has_text="Air PDAM").click()
    page.locator(f"#{ids.JL_DETAIL}.show:not(.showing)").wait_for()
    page.locator("#jl-handed-back").wait_for()
    assert re.search(r"Sudah diserahkan ke SP4N-LAPOR! pada \d{2}/\d{2}/\d{4} \d{2}\.\d{2} WIB",
                     page.inner_text("#jl-handed-back"))
    page.console_log.assert_clean()


def liaisons_who_logged_in(stack, days_ago: dict[str, tuple[str, str, int]]) -> None:
    """username → (name, OPD, days since their last log-in)."""
    for username, (name, opd, _) in days_ago.items():
        stack.add_user(username, "opd_admin", opd, name=name)
    engine = stack.engine()
    now = datetime.now(UTC)
    with Session(engine) as session:
        for username, (_, _, days) in days_ago.items():
            user = session.exec(select(User).where(User.username == username)).one()
            user.last_login_at = now - timedelta(days=days)
            session.add(user)
        session.commit()
    engine.dispose()


def test_an_admin_adds_a_liaison_resets_the_password_and_the_liaison_logs_in(page, stack, screenshot, browser):
    stack.add_user("lama.dinkes", "opd_admin", "DINKES", name="Lama Tidak Masuk")
    liaisons_who_logged_in(stack, {"budi.dishub": ("Budi Santoso", "DISHUB", 2),
                                   "wati.dinsos": ("Wati Rahayu", "DINSOS", 45),
                                   "agus.disdik": ("Agus Prasetyo", "DISDIK", 29)})
    stack.log_in(page, "admin")
    page.goto(stack.dash_url + "/penghubung")
    wait_dash_idle(page)
    page.fill(f"#{ids.LS_NEW_NAME}", "Sari Wulandari")
    page.fill(f"#{ids.LS_NEW_USERNAME}", "sari.dpupr")
    choose(page, f"#{ids.LS_NEW_OPD}", "DPUPR")
    page.click(f"#{ids.LS_ADD}")
    page.locator(f"#{ids.LS_ONE_TIME}").wait_for(timeout=30_000)
    first_password = page.inner_text(f"#{ids.LS_ONE_TIME}")
    assert "sari.dpupr" in page.inner_text("#ls-ok")
    row = page.locator(f"#{ids.LS_GRID} .ag-row", has_text="sari.dpupr")
    row.wait_for()
    assert "belum pernah" in row.inner_text() and "belum masuk ≥ 30 hari" in row.inner_text()

    # Reset: a new one-time password; the first one stops working.
    row.locator("[col-id='name']").click()
    page.locator("#ls-selected-user", has_text="Sari Wulandari").wait_for()
    page.click(f"#{ids.LS_RESET}")
    page.locator(f"#{ids.LS_ONE_TIME}").filter(has_not_text=first_password).wait_for(timeout=30_000)
    new_password = page.inner_text(f"#{ids.LS_ONE_TIME}")
    assert new_password != first_password
    screenshot(page, "penghubung")

    # The liaison logs in with it, in their own browser.
    liaison = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    own = liaison.new_page()
    own.goto(stack.dash_url + "/masuk")
    own.fill("#username", "sari.dpupr")
    own.fill("#password", first_password)
    own.click("#login-submit")
    own.wait_for_load_state("networkidle")
    assert "Nama pengguna atau kata sandi salah." in own.inner_text("#login-message")
    own.fill("#password", new_password)
    own.click("#login-submit")
    own.wait_for_url(stack.dash_url + "/")
    assert "Sari Wulandari" in own.inner_text("#app-user-name") and "Admin OPD · DPUPR" in own.inner_text(
        "#app-user-role")
    liaison.close()

    # Logged in now: no longer flagged; the one who never logged in still is.
    page.click(f"#{ids.LS_REFRESH}")
    page.locator(f"#{ids.LS_GRID} .ag-row", has_text="sari.dpupr").filter(has_not_text="belum pernah").wait_for()
    page.click(f"#{ids.LS_IDLE_ONLY}")
    page.locator(f"#{ids.LS_GRID} .ag-row", has_text="lama.dinkes").wait_for()
    page.wait_for_function(f"() => !document.querySelector('#{ids.LS_GRID}').innerText.includes('sari.dpupr')",
                           timeout=30_000)
    idle = [r.inner_text() for r in page.locator(f"#{ids.LS_GRID} .ag-center-cols-container .ag-row").all()]
    assert len(idle) == 2 and any("wati.dinsos" in r for r in idle)  # 45 days ago; 29 and 2 days are fine
    assert "5 penghubung OPD · 2 belum masuk ≥ 30 hari · 0 nonaktif" in page.inner_text(f"#{ids.LS_COUNT}")

    # Disable, then enable again.
    page.click(f"#{ids.LS_IDLE_ONLY}")
    # The whole list is back (a row clicked while the grid still re-renders is lost on a busy machine).
    page.locator(f"#{ids.LS_GRID} .ag-row", has_text="sari.dpupr").wait_for()
    wait_dash_idle(page)
    page.locator(f"#{ids.LS_GRID} .ag-row [col-id='name']", has_text="Lama Tidak Masuk").click()
    page.locator("#ls-selected-user", has_text="Lama Tidak Masuk").wait_for()
    page.click(f"#{ids.LS_TOGGLE}")
    page.locator(f"#{ids.LS_GRID} .ag-row", has_text="lama.dinkes").filter(has_text="nonaktif").wait_for()
    page.locator(f"#{ids.LS_TOGGLE}", has_text="Aktifkan kembali").wait_for()
    assert api(stack, "GET", "/users/lama.dinkes").json()["active"] is False
    page.click(f"#{ids.LS_TOGGLE}")
    page.locator(f"#{ids.LS_TOGGLE}", has_text="Nonaktifkan").wait_for()
    assert api(stack, "GET", "/users/lama.dinkes").json()["active"] is True
    audit = api(stack, "GET", "/audit", params={"action": "user."}).json()["items"]
    assert {"user.create", "user.password_reset", "user.update"} <= {e["action"] for e in audit}
    page.console_log.assert_clean()


def test_the_menu_and_pages_follow_the_role(page, stack):
    stack.add_user("analis", "analyst", name="Analis Data")
    stack.log_in(page, "analis")
    page.goto(stack.dash_url + "/")
    wait_dash_idle(page)
    assert page.locator("#app-daily-menu").count() == 0
    for path in ("/aduan-baru", "/unggah", "/serah-lapor", "/penghubung"):
        page.goto(stack.dash_url + path)
        wait_dash_idle(page)
        assert "Tidak ada akses" in page.inner_text("main"), path
    stack.log_in(page, "loket")
    page.goto(stack.dash_url + "/penghubung")
    wait_dash_idle(page)
    assert "Tidak ada akses" in page.inner_text("main") and page.locator(f"#{ids.LS_GRID}").count() == 0
    page.console_log.assert_clean()


def test_a_petugas_can_not_reach_the_liaisons_through_the_api(stack):
    token = httpx.post(f"{stack.api_url}/api/v1/auth/login", json={"username": "loket", "password": PASSWORD},
                       timeout=30).json()["access_token"]
    r = httpx.get(f"{stack.api_url}/api/v1/users", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 403
