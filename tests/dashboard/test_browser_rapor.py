"""The rapor page and the Jelajah date pickers in headless Chromium against the real API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from dashboard import ids
from tests.dashboard.demo_data import seed_demo
from tests.dashboard.stack import launch_stack, wait_dash_idle

pytestmark = pytest.mark.browser

JAKARTA = ZoneInfo("Asia/Jakarta")
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch_stack(tmp_path_factory.mktemp("rapor"), lambda session, now: seed_demo(session, now),
                            refresh_seconds=30)


def api(stack, path: str, **params):
    r = httpx.get(f"{stack.api_url}/api/v1{path}", params=params, headers={"X-API-Key": stack.key}, timeout=30)
    r.raise_for_status()
    return r.json()


def _pinned_total(page) -> str:
    row = page.locator(f"#{ids.OPD_GRID} .ag-floating-bottom .ag-row")
    row.first.wait_for()
    return row.first.locator("[col-id='total']").inner_text()


def test_the_rapor_opens_on_the_last_complete_month_with_the_current_one_a_click_away(page, stack):
    stack.log_in(page)
    page.goto(stack.dash_url + "/opd")
    wait_dash_idle(page)
    today = datetime.now(JAKARTA).date()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    select = page.locator(f"#{ids.OPD_MONTH}")
    assert select.input_value() == last_month.isoformat()
    assert select.locator("option:checked").inner_text() == f"{MONTHS_ID[last_month.month - 1]} {last_month.year}"
    current = select.locator(f"option[value='{this_month.isoformat()}']")
    assert current.inner_text() == f"{MONTHS_ID[this_month.month - 1]} {this_month.year} (berjalan)"

    # The grid shows last month's rapor, tertunda in its own column, the kabupaten total pinned below.
    headers = page.locator(f"#{ids.OPD_GRID} .ag-header-cell-text").all_inner_texts()
    assert headers.index("Tertunda") == headers.index("Proses") + 1
    end = (this_month - timedelta(days=1)).isoformat()
    whole = api(stack, "/rapor", period_start=last_month.isoformat(), period_end=end)
    page.wait_for_function(
        f"() => {{ const c = document.querySelector('#{ids.OPD_GRID} .ag-floating-bottom [col-id=\"total\"]');"
        f" return c && c.innerText.replace('.', '') === '{whole['total']['total']}'; }}", timeout=30_000)
    assert "Total Kabupaten Blitar" in page.locator(f"#{ids.OPD_GRID} .ag-floating-bottom").inner_text()

    # One channel: the totals follow the API's rapor for that channel.
    assert page.locator(f"#{ids.OPD_CHANNEL} option:checked").inner_text() == "Semua kanal"
    lapor = api(stack, "/rapor", period_start=last_month.isoformat(), period_end=end, channel="lapor")
    assert lapor["total"]["total"] < whole["total"]["total"]
    page.select_option(f"#{ids.OPD_CHANNEL}", "lapor")
    page.wait_for_function(
        f"() => {{ const c = document.querySelector('#{ids.OPD_GRID} .ag-floating-bottom [col-id=\"total\"]');"
        f" return c && c.innerText.replace('.', '') === '{lapor['total']['total']}'; }}", timeout=30_000)

    # The month in progress is one choice away.
    page.select_option(f"#{ids.OPD_MONTH}", this_month.isoformat())
    month_end = (this_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    running = api(stack, "/rapor", period_start=this_month.isoformat(), period_end=month_end.isoformat(),
                  channel="lapor")
    page.wait_for_function(
        f"() => {{ const c = document.querySelector('#{ids.OPD_GRID} .ag-floating-bottom [col-id=\"total\"]');"
        f" return c && c.innerText.replace('.', '') === '{running['total']['total']}'; }}", timeout=30_000)
    page.console_log.assert_clean()


@pytest.fixture
def english_page(browser):
    """A browser set to American English: the pickers must still speak Indonesian."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US",
                                  timezone_id="Asia/Jakarta")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") and "aduan" in m.text
          else None)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.errors = errors
    yield pg
    context.close()


def test_jelajah_date_pickers_show_indonesian_dates_in_an_english_browser(english_page, stack):
    page = english_page
    stack.log_in(page)
    page.goto(stack.dash_url + "/jelajah?received_from=2026-10-05&received_to=2026-12-01")
    wait_dash_idle(page)
    start = page.locator(f"#{ids.JL_PERIOD}-from input")
    assert start.input_value() == "05/10/2026"
    assert page.locator(f"#{ids.JL_PERIOD}-to input").input_value() == "01/12/2026"
    start.click()
    caption = page.locator(".CalendarMonth_caption:visible").first
    caption.wait_for()
    assert "Oktober 2026" in caption.inner_text()
    weekdays = page.locator(".DayPicker_weekHeader:visible").first.locator("li").all_inner_texts()
    assert weekdays == ["Sn", "Sl", "Rb", "Km", "Jm", "Sb", "Mg"]  # from Monday (Senin), in Indonesian
    assert page.evaluate("window.__aduanMomentLocale") == "id"
    # Picking a day still filters: the address bar carries the ISO date.
    page.locator("td.CalendarDay[aria-label*='12 Oktober 2026']:visible").first.click()
    page.wait_for_url(re.compile(r"received_from=2026-10-12"))
    assert start.input_value() == "12/10/2026"
    assert not page.errors, page.errors
