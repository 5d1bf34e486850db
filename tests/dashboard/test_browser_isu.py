"""The Isu page and the wall's spike line in headless Chromium against the real API and the stored trends."""

from __future__ import annotations

import re

import pytest

from dashboard import ids
from tests.dashboard.stack import launch_stack, wait_dash_idle
from tests.dashboard.trends_data import FLOOD, seed_trends

pytestmark = pytest.mark.browser

VIEWPORTS = {"1080p": (1920, 1080), "4k": (3840, 2160)}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    yield from launch_stack(tmp_path_factory.mktemp("isu"), seed_trends, refresh_seconds=5)


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_the_wall_says_the_biggest_spike_in_one_line_and_still_fits_the_screen(browser, stack, name):
    width, height = VIEWPORTS[name]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID",
                                  timezone_id="Asia/Jakarta")
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    stack.log_in(page)
    page.goto(stack.dash_url + "/?kiosk=1")
    line = page.locator(f"#{ids.WALL_SPIKE} .wall-spike")
    line.wait_for()
    assert re.fullmatch(rf"⚠\s*Lonjakan: {FLOOD}, 30 aduan, [\d,]+× biasanya", line.inner_text().strip())
    page.wait_for_function("() => { const g = document.querySelector('#wall-map .js-plotly-plot');"
                           " return g && g.layout.meta && g.layout.meta.size_px; }", timeout=30_000)
    wait_dash_idle(page)
    box = line.bounding_box()
    assert box["height"] < height / 12 and box["x"] + box["width"] <= width  # one line, inside the screen
    assert page.evaluate("() => document.documentElement.scrollHeight") <= height + 2
    bottom = page.evaluate("() => Math.max(...[...document.querySelectorAll('.wall-charts .panel')]"
                           ".map(e => e.getBoundingClientRect().bottom))")
    assert height * 0.97 <= bottom <= height + 1, (bottom, height)
    assert not errors, errors
    context.close()


def test_an_analyst_reads_topics_spikes_and_issues_and_clicks_through_to_jelajah(page, stack, screenshot):
    stack.add_user("rini", "analyst", name="Rini Analis")
    stack.log_in(page, "rini")
    page.goto(stack.dash_url + "/isu")
    page.locator(f"#{ids.ISU_TOPICS} .isu-topic").first.wait_for()
    page.locator(f"#{ids.ISU_SPIKES} .isu-spike").first.wait_for()
    page.locator(f"#{ids.ISU_ISSUES} .isu-issue").first.wait_for()
    page.wait_for_function(f"() => document.querySelectorAll('#{ids.ISU_TOPICS_CHART} .scatterlayer .trace')"
                           ".length > 0", timeout=30_000)
    wait_dash_idle(page)
    assert page.locator(f"#{ids.ISU_TOPICS} .isu-example").count() > 0
    assert FLOOD in page.inner_text(f"#{ids.ISU_SPIKES}")
    assert "Gorong-gorong Jalan Kenanga tersumbat — Talun" in page.inner_text(f"#{ids.ISU_ISSUES}")
    assert page.locator(f"#{ids.ISU_MAP} .scatterlayer .point").count() > 0
    # Each day is labelled once, whichever day of the week "this week" is seen on.
    days = page.evaluate(f"() => [...document.querySelectorAll('#{ids.ISU_TOPICS_CHART} .xtick text')]"
                         ".map(t => t.textContent)")
    assert days and len(days) == len(set(days)), days
    screenshot(page, "isu")  # docs/screenshots/isu.png (with --screenshots)

    # A point of a topic's line opens Jelajah filtered on that topic and period.
    point = page.locator(f"#{ids.ISU_TOPICS_CHART} .scatterlayer .trace .points path").last
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r"/jelajah\?.*q="), timeout=15_000)
    page.locator(f"#{ids.JL_TEXT}").wait_for()
    assert page.input_value(f"#{ids.JL_TEXT}")
    page.console_log.assert_clean()


def test_a_viewer_sees_the_summary_without_examples(page, stack):
    stack.add_user("bupati", "viewer", name="Bupati")
    stack.log_in(page, "bupati")
    page.goto(stack.dash_url + "/isu")
    page.locator(f"#{ids.ISU_TOPICS} .isu-topic").first.wait_for()
    wait_dash_idle(page)
    assert page.locator("#isu-viewer-note").is_visible()
    assert page.locator(f"#{ids.ISU_TOPICS} .isu-example").count() == 0
    assert page.locator(f"#{ids.ISU_TOPICS} a").count() == 0 and page.locator(f"#{ids.ISU_BRIEFING}").count() == 0
    assert FLOOD in page.inner_text(f"#{ids.ISU_SPIKES}")
    page.console_log.assert_clean()
