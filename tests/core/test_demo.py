"""`aduan demo` as a newcomer runs it: loads through the real connectors, serves, every page shows
data for every channel, and a second run duplicates nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from core.reporting.stats import pct
from core.runtime.db import make_engine
from tests.dashboard.stack import free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]

AD = str(Path(sys.executable).with_name("aduan"))
CHANNELS = ("lapor", "whatsapp", "call112", "google_reviews", "manual")


def wait_for_line(log: Path, proc: subprocess.Popen, pattern: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text()
        if re.search(pattern, content):
            return content
        if proc.poll() is not None:
            raise AssertionError(f"demo exited with {proc.returncode}:\n{content[-3000:]}")
        time.sleep(0.5)
    raise AssertionError(f"no {pattern!r} within {timeout:.0f}s:\n{log.read_text()[-3000:]}")


def per_channel(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT channel, count(*) FROM complaint GROUP BY channel")).all()
    engine.dispose()
    return dict(rows)


def whatsapp_by_opd(db_url: str) -> dict[str | None, int]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT o.code, count(*) FROM complaint c LEFT JOIN opd o ON o.id = c.opd_id "
                                 "WHERE c.channel = 'whatsapp' GROUP BY o.code")).all()
        uncategorised = conn.execute(text("SELECT count(*) FROM complaint WHERE channel = 'whatsapp' "
                                          "AND category_id IS NULL AND status = 'unverified'")).scalar()
        models = conn.execute(text("SELECT count(*) FROM triage_model")).scalar()
    engine.dispose()
    return {**dict(rows), "_uncategorised_queue": uncategorised, "_models": models}


@pytest.fixture
def demo_env(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'aduan.db'}"
    api_port, dash_port = free_port(), free_port()
    env = {**os.environ, "ADUAN_DATABASE_URL": db_url, "ADUAN_API_PORT": str(api_port),
           "ADUAN_DASHBOARD_PORT": str(dash_port), "ADUAN_DASHBOARD_API_URL": f"http://127.0.0.1:{api_port}"}
    return tmp_path, env, db_url, api_port, dash_port


def test_demo_serves_a_living_kabupaten_and_reruns_safely(demo_env, page):
    cwd, env, db_url, api_port, dash_port = demo_env
    log = cwd / "demo.log"
    with log.open("w") as out:
        proc = subprocess.Popen([AD, "demo"], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        output = wait_for_line(log, proc, r"\[demo\] ready", timeout=300)
        key = re.search(r"admin API key \(shown once\): (\S+)", output).group(1)
        api = httpx.Client(base_url=f"http://127.0.0.1:{api_port}/api/v1", headers={"X-API-Key": key}, timeout=30)
        by_channel = {i["key"]: i["total"] for i in api.get("/stats/by-channel").json()["items"]}
        assert all(by_channel.get(c, 0) > 0 for c in CHANNELS), by_channel
        # The wall's completion figure is the per-channel rapor rows added up (all periods).
        rapor = [api.get("/rapor", params={"period_start": "2000-01-01", "channel": c}).json()["total"]
                 for c in by_channel]
        resolved, total = sum(r["resolved"] for r in rapor), sum(r["total"] for r in rapor)
        assert api.get("/stats/summary").json()["completion_pct"] == pct(resolved, total)
        # 112 emergencies are the CAD's: no deadlines here, never on the letter ladder.
        emergencies = api.get("/complaints", params={"channel": "call112", "limit": 500, "category": [
            "KEBAKARAN", "KESEHATAN", "BENCANA", "TRANTIB", "TRANSPORTASI"]}).json()["items"]
        assert emergencies and all(c["escalation_level"] == 0 and c["response_due_at"] is None for c in emergencies)
        assert api.get("/escalations").json()["items"], "some escalations have already fired"
        assert api.get("/letters").status_code == 200
        assert {c["name"] for c in api.get("/connectors").json()} >= {"lapor", "whatsapp", "call112"}
        assert httpx.get(f"http://127.0.0.1:{api_port}/docs").status_code == 200
        # The staff's follow-up is in the audit log with each person's role, as if done through the API.
        desk = api.get("/audit", params={"actor": "demo:admin", "limit": 5}).json()["items"]
        assert desk and {(e["role"], e["action"]) for e in desk} == {("admin", "act")}
        # A LAPOR! complaint's history shows the steps taken upstream, by name.
        [lapor] = api.get("/complaints", params={"channel": "lapor", "status": "in_progress", "limit": 1}).json()[
            "items"]
        events = api.get(f"/complaints/{lapor['id']}").json()["events"]
        assert ("SP4N-LAPOR!", "verified") in [(e["actor"], e["to_status"]) for e in events], events
        assert events[0]["actor"] == "Sistem" and events[0]["note"] == "Diterima dari kanal SP4N-LAPOR!"

        base = f"http://127.0.0.1:{dash_port}"
        password = re.search(r"\[demo\]   admin +(\S+)", output).group(1)
        page.goto(base + "/")
        page.fill("#username", "admin")  # every page asks for a log-in first
        page.fill("#password", password)
        page.click("#login-submit")
        for channel in CHANNELS:  # one tile per channel, each with complaints in the last 30 days
            tile = page.locator(f"#tile-{channel} .tile-value")
            tile.wait_for(timeout=60_000)
            assert int(tile.inner_text().replace(".", "")) > 0, channel
        for channel in CHANNELS:
            page.goto(f"{base}/kanal?channel={channel}")
            value = page.locator("#kanal-kpis .kpi-value").first
            value.wait_for(timeout=60_000)
            assert int(value.inner_text().replace(".", "")) > 0, channel
        page.goto(base + "/opd")
        page.locator(".ag-center-cols-container .ag-row").first.wait_for(timeout=60_000)
        page.goto(base + "/jelajah")
        page.locator(".ag-center-cols-container .ag-row").first.wait_for(timeout=60_000)
        page.goto(base + "/konektor")
        page.locator("#connector-lapor").wait_for(timeout=60_000)
        page.context.clear_cookies()  # the TV: its link alone opens the wall
        page.goto(re.search(r"wall TV \(no log-in\): (\S+)", output).group(1))
        page.locator(f"#tile-{CHANNELS[0]} .tile-value").wait_for(timeout=60_000)
        assert "kiosk=1" in page.url
        page.console_log.assert_clean()
        # The log-ins and links stay the last lines on the terminal; each request went to the access log.
        assert log.read_text().rstrip().endswith("[demo] ready — Ctrl+C to stop")
        access = (cwd / "var" / "demo" / "access.log").read_text()
        assert '"GET /masuk' in access and "GET /api/v1/stats/by-channel" in access
        assert "\\u001b" not in access and "\x1b" not in access  # no terminal colour codes in JSON lines
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    # The demo trained the suggestions on its LAPOR! history; the admin's triage followed them, so WhatsApp
    # complaints reach the OPD they are about, not Diskominfo. Its queue still has uncategorised ones waiting.
    wa = whatsapp_by_opd(db_url)
    assert wa.pop("_models") >= 1 and wa.pop("_uncategorised_queue") > 0
    total = sum(wa.values())
    assert wa.get("DISKOMINFO", 0) <= 0.05 * total, wa
    assert len([code for code in wa if code]) >= 8, wa  # spread over the OPD the texts are about
    before = per_channel(db_url)
    again = subprocess.run([AD, "demo", "--no-serve"], cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert per_channel(db_url) == before
