"""The Isu page and the wall's spike line in-process (no browser), against the real API over the trends the worker
stored: an analyst sees topics with examples and links to Jelajah, a viewer the summary only."""

from __future__ import annotations

import pytest
from dash import no_update
from fastapi.testclient import TestClient

from api.main import create_app
from core.identity.users import create_user
from dashboard import state, trends_view
from models.types import utcnow
from tests.dashboard.trends_data import FLOOD, seed_trends

PASSWORD = "sandi-yang-cukup-panjang"


@pytest.fixture
def browser(dash_app, settings, session):
    seed_trends(session, utcnow(), n=120)
    with TestClient(create_app()) as api:
        state.configure(settings, transport=api._transport)
        with dash_app.server.test_client() as client:
            yield client


def log_in(browser, session, username: str, role: str) -> None:
    create_user(session, username, f"Pengguna {username}", role, PASSWORD)
    browser.get("/masuk")
    with browser.session_transaction() as cookie:
        token = cookie.get("csrf") or ""
    browser.post("/masuk", data={"username": username, "password": PASSWORD, "next": "/", "csrf": token})
    browser.get("/isu")


def test_an_analyst_sees_topics_with_examples_spikes_on_the_map_and_issues(browser, session):
    log_in(browser, session, "analis", "analyst")
    from dashboard.pages import dinding, isu

    page = str(isu.layout())
    assert "Ringkasan mingguan (PDF)" in page and "isu-viewer-note" not in page
    summary, chart, topics, error = isu.show_topics("week")
    assert error is None and " topik" in str(summary) and "dihitung" in str(summary)
    assert chart.data and all(trace.customdata[0].startswith("/jelajah?") and "&q=" in trace.customdata[0]
                              for trace in chart.data)
    text = str(topics)
    assert "isu-example" in text and "/jelajah?received_from=" in text and "&q=" in text
    assert isu.open_topic({"points": [{"customdata": "/jelajah?q=banjir"}]}) == "/jelajah?q=banjir"

    spikes, spike_map = isu.show_spikes("week")
    assert FLOOD in str(spikes) and "category=BENCANA" in str(spikes) and "kecamatan=Kanigoro" in str(spikes)
    kanigoro = list(spike_map.data[0].customdata).index("Kanigoro")
    assert spike_map.data[0].marker.size[kanigoro] == max(spike_map.data[0].marker.size)

    issues = str(isu.show_issues("week"))
    assert "Gorong-gorong Jalan Kenanga tersumbat — Talun" in issues and "4 aduan dari 4 pelapor" in issues

    line = dinding.refresh_spike(0)
    assert line is not None and f"Lonjakan: {FLOOD}, 30 aduan, " in str(line) and "biasanya" in str(line)

    download, problem = isu.download_briefing(1)
    assert problem is None and download["filename"].startswith("ringkasan-mingguan-")


def test_a_viewer_sees_the_summary_without_examples_or_drill_down(browser, session):
    log_in(browser, session, "bupati", "viewer")
    from dashboard.pages import isu

    page = str(isu.layout())
    assert "isu-viewer-note" in page and "Ringkasan mingguan (PDF)" not in page
    _, chart, topics, error = isu.show_topics("week")
    assert error is None and chart.data
    assert "isu-topic" in str(topics) and "isu-example" not in str(topics) and "/jelajah" not in str(topics)
    assert isu.open_topic({"points": [{"customdata": "/jelajah?q=banjir"}]}) is no_update
    spikes, _ = isu.show_spikes("week")
    assert FLOOD in str(spikes) and "/jelajah" not in str(spikes)


def test_the_wall_line_reads_like_the_issue_says():
    spike = {"label": "banjir di Kanigoro", "count": 31, "ratio": 4.02}
    assert trends_view.wall_line({"spikes": [spike]}) == "Lonjakan: banjir di Kanigoro, 31 aduan, 4× biasanya"
    assert trends_view.wall_line({"spikes": []}) is None and trends_view.wall_line(None) is None
    assert trends_view.times(3.46) == "3,5×" and trends_view.times(12.3) == "12×"
