"""The public page /publik in headless Chromium at a phone's size (390×844), without logging in, against the
real API and dashboard: look up a code, see the timeline, never a reporter's name or number nor rahasia text
in the page's HTML, the figures equal to GET /api/v1/rapor, axe-core finds no serious or critical problem,
and the API's rate limit holds through the page."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session

from core.casework.workflow import Action, apply_action
from core.intake.contract import DraftEvent
from core.reference.calendar import calendar_for
from core.runtime.settings import get_settings
from dashboard import ids
from models import EventKind
from tests.dashboard.demo_data import seed_demo
from tests.dashboard.stack import launch_stack, wait_dash_idle
from tests.factories import add_complaint

pytestmark = pytest.mark.browser

JAKARTA = ZoneInfo("Asia/Jakarta")
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "id-ID", "timezone_id": "Asia/Jakarta"}
REPORTER, NUMBER, STAFF = "Siti Rahayu", "6281234567001", "Bambang Sutejo"
SECRET = "Pungli di loket tiga oleh petugas berbaju batik"
CODES: dict[str, str] = {}


def seed(session: Session, now: datetime) -> None:
    seed_demo(session, now)
    settings, calendar = get_settings(), calendar_for(get_settings())
    start = now - timedelta(days=3)

    def act(complaint, action, at, **kw):
        apply_action(session, complaint, action, STAFF, calendar, now=at, settings=settings, **kw)
        session.commit()

    words = f"Saya {REPORTER} ({NUMBER}). Saluran di depan rumah saya mampet, air masuk ke rumah"
    thread = [DraftEvent(external_id="wa-pub-2", at=start + timedelta(minutes=5), kind=EventKind.message_in,
                         actor=REPORTER, note=f"Tolong cepat ya, ini {REPORTER}, nomor saya {NUMBER}")]
    handled = add_complaint(session, "whatsapp", "wa-pub", title="Saluran mampet depan rumah", body=words,
                            received_at=start, reporter_name=REPORTER, reporter_contact=NUMBER,
                            category_code="INFRA-JALAN", kecamatan="Kanigoro", events=thread)
    act(handled, Action.dispatch, start + timedelta(hours=2), opd_code="DPUPR",
        note=f"Pelapor {REPORTER} minta cepat")
    act(handled, Action.respond, start + timedelta(days=1), note="Tim sudah survei, pengerukan dijadwalkan besok")
    act(handled, Action.resolve, start + timedelta(days=2), note="Saluran sudah dikeruk dan air lancar kembali")

    secret = add_complaint(session, "lapor", "lapor-pub", title=SECRET, body=SECRET, rahasia=True,
                           status="dispatched", opd_code="DISDUKCAPIL", received_at=start,
                           reporter_name=REPORTER, reporter_contact=NUMBER)
    act(secret, Action.respond, start + timedelta(days=1), note=f"Laporan {SECRET} diteruskan ke inspektorat")

    waiting = add_complaint(session, "whatsapp", "wa-wait", title="Lampu jalan mati", received_at=now,
                            body=f"{REPORTER} di sini, lampu jalan di gang saya mati", reporter_name=REPORTER,
                            reporter_contact=NUMBER)
    CODES.update(handled=handled.tracking_code, secret=secret.tracking_code, waiting=waiting.tracking_code)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch_stack(tmp_path_factory.mktemp("publik"), seed, refresh_seconds=30)


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    pg.console_errors = errors
    yield pg
    context.close()


def api(stack, path: str, **params):
    r = httpx.get(f"{stack.api_url}/api/v1{path}", params=params, headers={"X-API-Key": stack.key}, timeout=30)
    r.raise_for_status()
    return r.json()


def open_code(page, stack, code: str) -> None:
    page.goto(f"{stack.dash_url}/publik?kode={code}")
    wait_dash_idle(page)


def assert_nothing_private(page) -> None:
    html = page.content()
    for secret in (REPORTER, "Siti", NUMBER, "0812", STAFF, "Bambang", SECRET, "Pungli"):
        assert secret not in html, secret


def test_look_up_a_code_and_see_the_timeline(phone, stack, screenshot):
    r = httpx.get(f"{stack.dash_url}/publik", timeout=30)
    assert r.status_code == 200 and 'lang="id"' in r.text  # no log-in, the language declared
    phone.goto(f"{stack.dash_url}/publik")
    wait_dash_idle(phone)
    assert phone.url.endswith("/publik")  # not sent to /masuk
    assert phone.locator("h1").inner_text() == "Pemerintah Kabupaten Blitar"
    assert not phone.locator(f"#{ids.NAVBAR} nav").count()  # no menu of the internal app

    phone.get_by_label("Kode aduan").fill(CODES["handled"].lower())
    phone.get_by_role("button", name="Lacak").click()
    card = phone.locator("#pub-complaint")
    card.wait_for()
    assert phone.locator("#pub-status").inner_text() == "Selesai"
    assert "Dinas Pekerjaan Umum dan Penataan Ruang" in card.inner_text()
    steps = phone.locator("#pub-timeline > li")
    labels = [steps.nth(i).locator(".pub-step-label").inner_text() for i in range(steps.count())]
    assert labels == ["Aduan diterima", "Diteruskan ke OPD", "Tindak lanjut OPD", "Selesai"]
    assert "Saluran sudah dikeruk dan air lancar kembali" in steps.nth(3).inner_text()
    assert "oleh OPD" in steps.nth(3).inner_text()
    phone.wait_for_function(f"() => location.search === '?kode={CODES['handled']}'")  # shareable
    assert_nothing_private(phone)
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"
    assert not phone.console_errors, phone.console_errors
    screenshot(phone, "publik-lacak")  # docs/screenshots/publik-lacak.png (with --screenshots)


def test_no_reporter_number_or_rahasia_text_anywhere_in_the_html(phone, stack):
    open_code(phone, stack, CODES["handled"])
    body = phone.locator(".pub-body").inner_text()
    assert "[disamarkan]" in body and "mampet" in body  # verified: the text shows, the reporter does not
    assert_nothing_private(phone)

    open_code(phone, stack, CODES["secret"])
    assert phone.locator("#pub-status").inner_text() == "Ditindaklanjuti"
    assert "rahasia" in phone.locator("#pub-complaint").inner_text()
    assert_nothing_private(phone)

    open_code(phone, stack, CODES["waiting"])
    assert phone.locator("#pub-status").inner_text() == "Belum diverifikasi"
    assert "Lampu jalan" not in phone.content()
    assert_nothing_private(phone)

    open_code(phone, stack, "WA-000000000000")
    assert "tidak ditemukan" in phone.locator("#pub-problem").inner_text()


def test_staff_see_what_the_public_sees(phone, stack):
    """Logged in, the page still asks the API as nobody, and the internal menu stays away."""
    stack.log_in(phone)
    open_code(phone, stack, CODES["handled"])
    assert phone.locator(f"#{ids.NAVBAR}").get_attribute("class") == "d-none"
    assert phone.locator("#pub-status").inner_text() == "Selesai"
    assert_nothing_private(phone)  # the admin would read the reporter: the public page does not
    phone.goto(f"{stack.dash_url}/")
    wait_dash_idle(phone)
    assert phone.locator(f"#{ids.NAVBAR}").get_attribute("class") in ("", None)  # back in the app: the menu


def test_the_figures_match_the_rapor(phone, stack, screenshot):
    phone.goto(f"{stack.dash_url}/publik")
    wait_dash_idle(phone)
    phone.get_by_role("tab", name="Angka").click()
    phone.locator("#pub-rapor").wait_for()
    wait_dash_idle(phone)
    phone.wait_for_function("() => location.search === '?tab=angka'")

    today = datetime.now(JAKARTA).date()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    rapor = api(stack, "/rapor", period_start=last_month.isoformat(),
                period_end=(this_month - timedelta(days=1)).isoformat())
    assert rapor["rows"], "the demo data has a rapor last month"

    def cells(key: str) -> list[str]:
        row = phone.locator(f"#pub-rapor tr[data-opd='{key}']")
        counts = row.locator(".pub-opd-sub").inner_text().split(" selesai")[0]
        return [counts, *(row.locator("td").nth(i).inner_text().strip() for i in range(2))]

    def expected(item) -> list[str]:
        pct = "–" if item["completion_pct"] is None else f"{item['completion_pct']:.1f}".replace(".", ",") + " %"
        return [f"{item['resolved']} dari {item['total']}", pct, item["predikat"] or "–"]

    shown = phone.locator("#pub-rapor tbody tr").evaluate_all("rows => rows.map(r => r.dataset.opd)")
    assert shown == [row["opd_code"] for row in rapor["rows"]]  # same OPD, same order
    for row in rapor["rows"]:
        assert cells(row["opd_code"]) == expected(row), row["opd_name"]
    assert cells("total") == expected(rapor["total"])

    start = (this_month.replace(year=this_month.year - 1) if this_month.month == 12 else
             this_month.replace(year=this_month.year - 1, month=this_month.month + 1))
    window = {"received_from": start.isoformat(), "received_to": today.isoformat()}
    channels = api(stack, "/stats/by-channel", **window)["items"]
    for item in channels:
        value = phone.locator(f"#pub-channels li[data-key='{item['key']}'] .pub-share-value").inner_text()
        assert value.startswith(f"{item['total']:,}".replace(",", ".") + " ·"), item["key"]
    summary = api(stack, "/stats/summary", **window)
    assert phone.locator("#pub-kpis .pub-kpi-value").first.inner_text() == f"{summary['total']:,}".replace(",", ".")
    assert_nothing_private(phone)
    assert not phone.console_errors, phone.console_errors
    screenshot(phone, "publik-angka")  # docs/screenshots/publik-angka.png (with --screenshots)


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = results.response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in found if v["impact"] in ("serious", "critical")]


def test_axe_finds_no_serious_problem(phone, stack):
    open_code(phone, stack, CODES["handled"])
    assert _serious(phone) == []
    phone.get_by_role("tab", name="Angka").click()
    phone.locator("#pub-rapor").wait_for()
    wait_dash_idle(phone)
    assert _serious(phone) == []
    open_code(phone, stack, "WA-000000000000")
    assert _serious(phone) == []


@pytest.fixture(scope="module")
def strict_stack(tmp_path_factory):
    """A stack whose public routes allow 4 requests a minute per address."""
    old = os.environ.get("ADUAN_PUBLIC_RATE_PER_MINUTE")
    os.environ["ADUAN_PUBLIC_RATE_PER_MINUTE"] = "4"
    try:
        yield from launch_stack(tmp_path_factory.mktemp("publik-strict"), seed, refresh_seconds=30)
    finally:
        if old is None:
            os.environ.pop("ADUAN_PUBLIC_RATE_PER_MINUTE", None)
        else:
            os.environ["ADUAN_PUBLIC_RATE_PER_MINUTE"] = old


def test_the_page_is_no_way_around_the_rate_limit(phone, strict_stack):
    phone.goto(f"{strict_stack.dash_url}/publik")
    wait_dash_idle(phone)
    field, button = phone.get_by_label("Kode aduan"), phone.get_by_role("button", name="Lacak")
    for _ in range(4):
        field.fill(CODES["handled"])
        button.click()
        wait_dash_idle(phone)
        assert phone.locator("#pub-complaint").count() == 1
    field.fill(CODES["handled"])
    button.click()
    problem = phone.locator("#pub-problem")
    problem.wait_for()
    assert problem.inner_text().startswith("Terlalu banyak permintaan dari alamat ini; coba lagi dalam")
    # The API counts the person the dashboard forwards, not the dashboard: another address is still served.
    r = httpx.get(f"{strict_stack.api_url}/api/v1/public/complaints/{CODES['handled']}",
                  headers={"X-Forwarded-For": "198.51.100.9"}, timeout=30)
    assert r.status_code == 200
