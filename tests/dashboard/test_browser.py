"""The dashboard in headless Chromium against the real API and a seeded SQLite database."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from connectors.emulators import lapor
from core.intake.channels import channel_label
from core.intake.instances import save_instance
from dashboard import ids
from tests.dashboard.demo_data import seed_demo
from tests.dashboard.stack import SESSION_COOKIE, launch_stack, wait_dash_idle, wait_grid_rows
from tests.emulated import FAST_HTTP, lapor_upstream
from tests.factories import add_complaint

pytestmark = pytest.mark.browser

STALE_MINUTES = 120


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # The newest complaint is three hours old: older than ADUAN_STALE_MINUTES, so the wall starts out stale.
    def seed(session, now):
        seed_demo(session, now, newest_minutes_ago=180)

    yield from launch_stack(tmp_path_factory.mktemp("stack"), seed, refresh_seconds=5, stale_minutes=STALE_MINUTES)


def open_page(page, stack, path: str, username: str = "admin"):
    if not any(c["name"] == SESSION_COOKIE for c in page.context.cookies()):
        stack.log_in(page, username)
    page.goto(stack.dash_url + path)
    wait_dash_idle(page)
    return page


PAGES = [
    ("kanal", "/kanal", "Pemantauan per kanal"),
    ("kanal-112", "/kanal?channel=call112", "Panggilan 112"),
    ("kanal-ulasan", "/kanal?channel=google_reviews", "Sebaran bintang"),
    ("kanal-whatsapp", "/kanal?channel=whatsapp", "menunggu balasan"),
    ("opd", "/opd", "Rapor OPD"),
    ("opd-rincian", "/opd/DPUPR", "Dinas Pekerjaan Umum"),
    ("jelajah", "/jelajah", "Jelajah aduan"),
    ("konektor", "/konektor", "Kesehatan konektor"),
    ("audit", "/audit", "Jejak audit"),
]


@pytest.mark.parametrize(("name", "path", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_renders_without_console_errors(page, stack, screenshot, name, path, heading):
    open_page(page, stack, path)
    assert heading in page.inner_text("main")
    assert "tidak dapat dihubungi" not in page.inner_text("body")
    # No label turned to fit a thin bar or slice: it is read level, or outside what it labels.
    turned = page.evaluate("() => [...document.querySelectorAll('.slicetext, .bartext')]"
                           ".filter(t => /rotate\\((?!0\\))/.test(t.getAttribute('transform') || ''))"
                           ".map(t => t.textContent)")
    assert not turned, turned
    screenshot(page, name)
    page.console_log.assert_clean()


def test_wall_refreshes_itself_and_warns_while_data_is_stale(page, stack, screenshot):
    open_page(page, stack, "/")
    warning = page.locator(".wall-stale")
    warning.wait_for(state="visible")
    assert "Aduan terakhir masuk 3 jam" in warning.inner_text()
    assert re.fullmatch(r"Data per \d\d\.\d\d WIB", page.inner_text(f"#{ids.WALL_ASOF}"))
    today = page.locator(".kpi-card").first.locator(".kpi-value")
    before = int(today.inner_text().replace(".", ""))

    # A complaint arrives: without any reload the wall shows it and the warning goes away.
    engine = stack.engine()
    with Session(engine) as session:
        add_complaint(session, "whatsapp", external_id="fresh-1", received_at=datetime.now(UTC),
                      title="Banjir di Kanigoro")
    engine.dispose()
    warning.wait_for(state="detached", timeout=30_000)
    page.wait_for_function(f"() => document.querySelector('.kpi-card .kpi-value').innerText.replace('.', '') == "
                           f"'{before + 1}'", timeout=30_000)
    assert page.locator(".channel-tile").count() >= 4
    assert page.locator(".slow-item").count() == 5
    wait_dash_idle(page)
    screenshot(page, "dinding")
    page.console_log.assert_clean()


def test_kiosk_mode_hides_navigation(page, stack, screenshot):
    open_page(page, stack, "/")
    assert page.locator(f"#{ids.NAVBAR}").is_visible()
    open_page(page, stack, "/?kiosk=1")
    page.locator(f"#{ids.NAVBAR}").wait_for(state="hidden")
    assert page.locator(".wall-title").is_visible()
    screenshot(page, "dinding-kiosk")
    page.console_log.assert_clean()


def grid_column(page, col: str) -> list[str]:
    return page.locator(f"#{ids.JL_GRID} .ag-center-cols-container .ag-row [col-id='{col}']").all_inner_texts()


def test_clicking_a_chart_bar_on_jelajah_filters_the_grid(page, stack):
    open_page(page, stack, "/jelajah")
    wait_grid_rows(page, ids.JL_GRID)
    assert len(set(grid_column(page, "channel"))) > 1

    keys = page.evaluate(f"() => document.querySelector('#{ids.JL_CHART_CHANNEL} .js-plotly-plot').data[0].customdata")
    bars = page.locator(f"#{ids.JL_CHART_CHANNEL} .barlayer .point path")
    assert bars.count() == len(keys)
    # Plotly lays a drag layer over the bars: click the bar's centre with the mouse.
    box = bars.nth(len(keys) - 1).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    chosen = keys[-1]
    page.wait_for_url(re.compile(rf"channel={chosen}"))
    label = channel_label(chosen)  # as GET /channels serves it
    page.wait_for_function(
        f"() => {{ const cells = [...document.querySelectorAll('#{ids.JL_GRID} .ag-center-cols-container "
        f".ag-row [col-id=channel]')]; return cells.length > 0 && cells.every(c => c.innerText === '{label}'); }}",
        timeout=30_000)
    assert label in page.inner_text(f"#{ids.JL_CHANNEL}")

    # The export follows the same filter.
    with page.expect_download() as download:
        page.click(f"#{ids.JL_CSV}")
    with open(download.value.path(), encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {r["Kanal"] for r in rows} == {label}  # in words, as on the screen
    page.console_log.assert_clean()


def test_filter_in_the_url_is_applied_and_opening_a_row_shows_its_timeline(page, stack, screenshot):
    open_page(page, stack, "/jelajah?status=resolved")
    wait_grid_rows(page, ids.JL_GRID)
    wait_dash_idle(page)
    assert set(grid_column(page, "status")) == {"Selesai"}
    assert "Selesai" in page.inner_text(f"#{ids.JL_STATUS}")

    page.locator(f"#{ids.JL_GRID} .ag-center-cols-container .ag-row [col-id='title']").first.click()
    panel = page.locator(f"#{ids.JL_DETAIL}")
    panel.wait_for(state="visible")
    items = page.locator("#jl-timeline .timeline-item")
    items.first.wait_for()
    history = items.all_inner_texts()
    assert "Diterima" in history[0]
    assert any("Tindak lanjut" in h for h in history)
    page.locator(f"#{ids.JL_DETAIL}.show:not(.showing)").wait_for()
    page.wait_for_timeout(500)  # let the panel finish sliding in before the picture
    screenshot(page, "jelajah-rincian")
    page.console_log.assert_clean()


def test_rapor_downloads_xlsx_and_links_to_the_opd_page(page, stack):
    open_page(page, stack, "/opd")
    rows = page.locator(f"#{ids.OPD_GRID} .ag-center-cols-container .ag-row")
    rows.first.wait_for()
    with page.expect_download() as download:
        page.click(f"#{ids.OPD_XLSX}")
    path = download.value.path()
    with open(path, "rb") as fh:
        assert fh.read(2) == b"PK"  # an XLSX is a zip
    assert download.value.suggested_filename.endswith(".xlsx")

    link = page.locator(f"#{ids.OPD_GRID} .ag-center-cols-container a[href^='/opd/']").first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(re.compile(re.escape(href) + "$"))
    wait_dash_idle(page)
    assert "Aduan lewat tenggat" in page.inner_text("main")
    page.console_log.assert_clean()


def test_sync_now_pulls_from_lapor_and_updates_the_connector_row(page, stack):
    with lapor_upstream(total=25) as (_, base_url):
        engine = stack.engine()
        with Session(engine) as session:  # point the seeded instance at the LAPOR! emulator
            save_instance(session, "lapor-blitar", "lapor", lapor.connector_config(base_url, http=FAST_HTTP),
                          replace=True)
        engine.dispose()
        open_page(page, stack, "/konektor")
        row = page.locator("#connector-lapor-blitar")
        assert "Normal" in row.inner_text()
        fetched_before = int(row.locator("td").nth(6).inner_text().replace(".", ""))
        row.get_by_role("button", name="Sinkronkan sekarang").click()
        result = page.locator(f"#{ids.KONEKTOR_RESULT} .alert")
        result.wait_for(timeout=60_000)
    assert "Sinkronisasi lapor-blitar selesai" in result.inner_text()
    assert "25 baru" in result.inner_text()
    page.wait_for_function(f"() => parseInt(document.querySelector('#connector-lapor-blitar').children[6].innerText"
                           f".replace('.', '')) === {fetched_before + 25}", timeout=30_000)
    page.console_log.assert_clean()


def test_kanal_112_shows_emergency_handling_time_in_minutes(page, stack):
    open_page(page, stack, "/kanal?channel=call112")
    panel = page.locator("#kanal-handling-time")
    panel.wait_for(timeout=30_000)
    text = panel.inner_text()
    assert "Waktu penanganan darurat (menit): median, p90" in text
    assert "Semua darurat" in text  # a row per category, then the total
    page.console_log.assert_clean()
