"""The wall on a 1080p and a 4K screen (sizes read from the DOM), and each channel's data age in the browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from dashboard import ids
from models import Complaint
from tests.dashboard.demo_data import seed_demo
from tests.dashboard.stack import launch_stack, wait_dash_idle
from tests.factories import add_complaint

pytestmark = pytest.mark.browser

VIEWPORTS = {"1080p": (1920, 1080), "4k": (3840, 2160)}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    # LAPOR! arrived minutes ago; 112's newest call-centre complaint is three weeks old.
    def seed(session, now):
        seed_demo(session, now, newest_minutes_ago=5)
        add_complaint(session, "lapor", external_id="lapor-fresh", received_at=now - timedelta(minutes=3),
                      kecamatan="Kanigoro", desa="Gogodeso")
        for complaint in session.exec(select(Complaint).where(Complaint.channel == "call112")).all():
            complaint.received_at -= timedelta(weeks=3)
        session.commit()

    yield from launch_stack(tmp_path_factory.mktemp("wall"), seed, refresh_seconds=5)


# Bounding boxes of every text label plotly drew (map names, tick labels, legend, colour bar) per graph.
TEXT_BOXES = """(graph) => [...document.querySelectorAll('#' + graph + ' svg text')]
  .filter(t => t.textContent.trim() !== '' && t.getBBox().width > 0)
  .map(t => { const r = t.getBoundingClientRect();
              return {text: t.textContent, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom,
                      transform: t.getAttribute('transform') || ''}; })"""


def overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a["x0"] < b["x1"] - 1 and b["x0"] < a["x1"] - 1 and a["y0"] < b["y1"] - 1 and b["y0"] < a["y1"] - 1:
                found.append((a["text"], b["text"]))
    return found


# The map's names were placed for the size the graph has now: the first render may be for the size measured
# before the KPIs and tiles arrived and moved it, and the next render (their arrival re-measures) replaces it.
MAP_PLACED_FOR_ITS_SIZE = """() => { const box = document.getElementById('wall-map');
  const g = box && box.querySelector('.js-plotly-plot');
  const placed = g && g.layout && g.layout.meta && g.layout.meta.size_px;
  return placed && placed[0] === box.clientWidth && placed[1] === box.clientHeight
         && box.querySelectorAll('svg .textpoint text').length > 0; }"""


# Width of the widest list number drawn in the first item's font, against the list's left padding (where the
# browser draws an outside marker; the panel hides what sticks out past it).
MARKER_FITS = """() => { const li = document.querySelector('.wall .slow-item'); const st = getComputedStyle(li);
  const probe = document.createElement('span');
  probe.style.font = getComputedStyle(li, '::marker').font || st.font; probe.style.fontWeight = '800';
  probe.style.position = 'absolute'; probe.style.whiteSpace = 'pre'; probe.textContent = '5. ';
  document.body.appendChild(probe); const number = probe.getBoundingClientRect().width; probe.remove();
  return {number, indent: parseFloat(getComputedStyle(li.parentElement).paddingLeft)}; }"""


def wait_wall(page) -> None:
    """Until the KPIs, tiles, trend and map have drawn at this screen's size."""
    page.locator(".channel-tile").first.wait_for()
    page.wait_for_function(MAP_PLACED_FOR_ITS_SIZE, timeout=30_000)
    wait_dash_idle(page)
    page.wait_for_function(MAP_PLACED_FOR_ITS_SIZE, timeout=30_000)


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_the_wall_fills_the_screen_with_type_scaled_to_it(browser, stack, screenshot, name):
    width, height = VIEWPORTS[name]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID",
                                  timezone_id="Asia/Jakarta")
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    stack.log_in(page)
    page.goto(stack.dash_url + "/?kiosk=1")
    wait_wall(page)

    label_px = page.evaluate("() => [...document.querySelectorAll('.wall .kpi-label')]"
                             ".map(e => parseFloat(getComputedStyle(e).fontSize))")
    assert len(label_px) == 6 and min(label_px) >= height / 60, label_px

    # Charts reach down to the bottom of the screen: no empty lower half, and nothing cut off below it.
    bottom = page.evaluate("() => Math.max(...[...document.querySelectorAll('.wall-charts .panel')]"
                           ".map(e => e.getBoundingClientRect().bottom))")
    assert height * 0.97 <= bottom <= height + 1, (bottom, height)
    assert page.evaluate("() => document.documentElement.scrollHeight") <= height + 2

    # Map names grow with the screen and none is printed over another; no label in any chart turned on its side.
    for graph in (ids.WALL_MAP, ids.WALL_TREND):
        boxes = page.evaluate(TEXT_BOXES, graph)
        assert boxes and not overlaps(boxes), (graph, overlaps(boxes))
        assert not [b for b in boxes if "rotate(90" in b["transform"] or "rotate(-90" in b["transform"]]
    map_px = page.evaluate("() => [...document.querySelectorAll('#wall-map .textpoint text')]"
                           ".map(t => parseFloat(t.style.fontSize))")
    assert min(map_px) >= height / 90, map_px
    names = page.evaluate("() => [...document.querySelectorAll('#wall-map .textpoint text')].map(t => t.textContent)")
    assert len([n for n in names if n]) >= 10  # most kecamatan keep their name on the map

    # The slowest OPDs' numbers ("1." to "5.") fit in the list's indent, which the panel does not clip.
    page.locator(".slow-item").first.wait_for()
    marker = page.evaluate(MARKER_FITS)
    assert marker["number"] <= marker["indent"], marker

    screenshot(page, f"wall-{name}")  # docs/screenshots/wall-1080p.png, wall-4k.png (with --screenshots)

    # With the menu bar (not kiosk) the wall still ends at the screen's bottom edge.
    page.goto(stack.dash_url + "/")
    wait_wall(page)
    page.wait_for_function(f"() => Math.abs(document.documentElement.scrollHeight - {height}) <= 2", timeout=30_000)
    bottom = page.evaluate("() => Math.max(...[...document.querySelectorAll('.wall-charts .panel')]"
                           ".map(e => e.getBoundingClientRect().bottom))")
    assert height * 0.97 <= bottom <= height + 1, (bottom, height)
    assert not errors, errors
    context.close()


def test_channel_tiles_and_konektor_show_how_old_each_channels_newest_record_is(page, stack):
    stack.log_in(page)
    page.goto(stack.dash_url + "/")
    page.locator("#tile-call112 .tile-age").wait_for()
    assert "data terbaru 3 minggu lalu" in page.inner_text("#tile-call112 .tile-age")
    assert page.locator("#tile-call112 .tile-age-stale").count() == 1
    assert "menit lalu" in page.inner_text("#tile-lapor .tile-age")
    assert page.locator("#tile-lapor .tile-age-stale").count() == 0
    # The kabupaten's newest complaint is minutes old: no stale-data banner.
    wait_dash_idle(page)
    assert page.locator(".wall-stale").count() == 0

    page.goto(stack.dash_url + "/konektor")
    row = page.locator("#connector-call112-cad")
    row.wait_for()
    assert "Data lama" in row.inner_text() and "3 minggu" in row.inner_text()
    assert "melewati batas 48 jam" in row.inner_text()
    assert "Normal" in page.inner_text("#connector-lapor-blitar")
    # whatsapp-pemkab has two failed inbox rows: "Galat" is not 0 and does not say everything is fine.
    galat = page.locator(".kpi-card", has_text="Galat")
    assert galat.locator(".kpi-value").inner_text() == "1"
    assert "semua normal" not in galat.inner_text() and "2 baris gagal" in galat.inner_text()

    page.goto(stack.dash_url + "/kanal?channel=call112")
    page.locator("#kanal-data-age").wait_for()
    assert "3 minggu lalu" in page.inner_text("#kanal-data-age")
    assert "melewati batas 48 jam" in page.inner_text("#kanal-data-age")
    page.console_log.assert_clean()
