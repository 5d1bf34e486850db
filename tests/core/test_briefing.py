"""The weekly briefing: its week, the PDF (two pages at most, the spike and the figures in its text), the CLI, and the
worker's Monday job sending it once per week as a WhatsApp document through the outbox (Meta emulator)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select
from typer.testing import CliRunner

from connectors.emulators.meta_graph import PHONE_NUMBER_ID, MetaGraphState, create_app
from connectors.emulators.runner import serve
from core.casework.outbox import GraphSender, dispatch_due
from core.entry.briefing import WeeklyBriefing, week_spikes
from core.entry.cli import app
from core.reporting.briefing import Week, build_briefing, due_week, render_briefing_pdf, template_params
from core.trends.job import run_trends
from models import Briefing, Complaint, Notification, Status
from tests.factories import seeded
from tests.trends_factories import add, at

runner = CliRunner()
WEEK = Week.parse("2026-W45")  # Monday 2 – Sunday 8 November 2026
FLOOD_DAY = date(2026, 11, 5)  # its Thursday
FLOOD = "Bencana dan kedaruratan di Kanigoro"
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (make browser)")


def test_weeks_are_iso_weeks():
    assert (WEEK.start, WEEK.end, WEEK.code) == (date(2026, 11, 2), date(2026, 11, 8), "2026-W45")
    assert WEEK.previous.code == "2026-W44" and Week.parse("2026-W53").end == date(2027, 1, 3)
    assert Week.containing(date(2027, 1, 1)).code == "2026-W53"
    for bad in ("2026-45", "2026-W5", "W45", "2025-W53", "2026-W00", ""):
        with pytest.raises(ValueError):
            Week.parse(bad)


def test_the_briefing_is_due_from_monday_seven_for_the_week_that_ended(settings):
    assert due_week(at(date(2026, 11, 9), 6), settings) is None
    assert due_week(at(date(2026, 11, 9), 7), settings) == WEEK
    assert due_week(at(date(2026, 11, 12), 15), settings) == WEEK  # a worker that was down catches up
    assert due_week(at(date(2026, 11, 16), 7), settings) == WEEK.next


@pytest.fixture
def week_data(session, settings):
    """Eight quiet weeks, then in week 45: 30 flood reports in Kanigoro on Thursday (WhatsApp, LAPOR!, 112), the
    week's other complaints, and a duplicate group in Talun (one parent, two merged reports) completed on Friday."""
    seeded(session)
    for back in range(1, 8 * 7 + 1):
        day = FLOOD_DAY - timedelta(days=back)
        add(session, 2, day, title="Jalan berlubang besar di jalan raya", category="INFRA-JALAN", opd="DPUPR",
            kecamatan="Wlingi")
        if back % 3 == 0:
            add(session, 1, day, title="Pohon tumbang menutup jalan", category="BENCANA", opd="BPBD",
                kecamatan="Kanigoro", channel="call112")
    for i, channel in enumerate(["whatsapp"] * 12 + ["lapor"] * 10 + ["call112"] * 8):
        add(session, 1, FLOOD_DAY, title="Banjir setinggi lutut di permukiman, gorong-gorong tersumbat",
            category="BENCANA", opd="BPBD", kecamatan="Kanigoro", channel=channel, hour=7 + i % 10)
    friday = at(FLOOD_DAY + timedelta(days=1), 10)
    (parent,) = add(session, 1, FLOOD_DAY, title="Gorong-gorong Jalan Kenanga tersumbat", category="INFRA-DRAINASE",
                    opd="DPUPR", kecamatan="Talun", channel="whatsapp", status=Status.resolved, resolved_at=friday)
    add(session, 2, FLOOD_DAY, title="Gorong-gorong tersumbat", category="INFRA-DRAINASE", opd="DPUPR",
        kecamatan="Talun", channel="lapor", status=Status.resolved, resolved_at=friday, parent_id=parent.id)
    run_trends(session, settings, now=at(FLOOD_DAY, 15))  # the worker's trends job on that afternoon
    return session


def _received(session, week: Week) -> int:
    rows = session.exec(select(Complaint).where(Complaint.parent_id.is_(None))).all()
    return sum(1 for c in rows if week.start <= c.received_at.astimezone(at(week.start).tzinfo).date() <= week.end)


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@needs_poppler
def test_the_pdf_has_the_spike_the_figures_and_fits_two_pages(week_data, settings, tmp_path):
    from PIL import Image

    spikes = week_spikes(week_data, settings, WEEK)
    assert spikes and spikes[0]["label"] == FLOOD and spikes[0]["count"] == 30
    data = build_briefing(week_data, settings, WEEK, spikes=spikes, now=at(date(2026, 11, 9), 7))
    assert [s["label"] for s in data.spikes].count(FLOOD) == 1  # its day and its week: one line
    assert data.this["received"] == _received(week_data, WEEK) and data.before["received"] == _received(
        week_data, WEEK.previous)
    assert data.closed["total"] == 1 and data.closed["items"][0]["reports"] == 3
    assert data.slowest["rows"], "the rapor of the four weeks has OPDs"
    pdf = tmp_path / "briefing.pdf"
    pdf.write_bytes(render_briefing_pdf(data, settings))
    assert 1 <= _pages(pdf) <= 2

    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    with Image.open(next(tmp_path.glob("page*.png"))) as image:
        grey = image.convert("L")
        inked = sum(grey.histogram()[:128])
    assert inked > 0.01 * grey.width * grey.height, "page 1 is blank"

    text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                   check=True, timeout=60).stdout.split())
    assert "PEMERINTAH KABUPATEN BLITAR" in text and "RINGKASAN MINGGUAN PENGADUAN MASYARAKAT" in text
    assert "Minggu 2026-W45: 2–8 November 2026" in text and "Blitar, 9 November 2026" in text
    assert FLOOD in text and f"{FLOOD}, 30 aduan" in text
    this, before = data.this, data.before
    assert f"Aduan masuk {this['received']} {before['received']}" in text
    assert f"Aduan diselesaikan {this['completed']} {before['completed']}" in text
    assert "Gorong-gorong Jalan Kenanga tersumbat" in text and "Badan Penanggulangan Bencana Daerah" in text
    assert "Talun" in text
    assert template_params(data)[0] == "2026-W45" and FLOOD in template_params(data)[3]


@needs_poppler
def test_the_cli_writes_the_week_asked_for_and_refuses_a_bad_week(week_data, settings, tmp_path):
    out = tmp_path / "w45.pdf"
    done = runner.invoke(app, ["briefing", "--week", "2026-W45", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_bytes().startswith(b"%PDF") and _pages(out) <= 2
    assert f"Lonjakan terbesar: {FLOOD}, 30 aduan" in done.output
    bad = runner.invoke(app, ["briefing", "--week", "2026-W60"])
    assert bad.exit_code == 2 and "--week" in bad.output and "2026-W60" in bad.output


@pytest.fixture
def meta():
    state = MetaGraphState(token="tok")
    with serve(create_app(state)) as base_url:
        state.base_url = base_url
        yield state


def test_the_monday_job_sends_the_briefing_once_per_week_as_a_whatsapp_document(week_data, settings, meta, engine):
    wa = settings.model_copy(update=dict(
        whatsapp_graph_base_url=meta.base_url, whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_token=SecretStr("tok"), briefing_recipients=["0812-3456-7001", "+62 812 3456 7002", "081234567001"]))
    sender = GraphSender(wa)
    job = WeeklyBriefing(engine, wa, sender)
    monday = at(date(2026, 11, 9), 7)
    try:
        assert job(monday - timedelta(hours=1)) is None  # Monday 06:00: not yet
        assert job(monday) == "briefing 2026-W45 made, queued to 2 recipients"
        assert job(monday + timedelta(minutes=5)) is None and job(at(date(2026, 11, 11), 9)) is None
        first = dispatch_due(engine, wa, sender=sender, now=monday)
        assert first.sent == 2
        assert job(monday + timedelta(hours=2)) is None
        assert dispatch_due(engine, wa, sender=sender, now=monday + timedelta(hours=2)).sent == 0
    finally:
        sender.close()

    got = meta.snapshot()
    assert len(got["uploads"]) == 1 and got["uploads"][0]["type"] == "application/pdf"
    assert sorted(m["to"] for m in got["messages"]) == ["6281234567001", "6281234567002"]
    for message in got["messages"]:
        assert message["template"] == "ringkasan_mingguan"
        assert message["header"] == {"type": "document", "id": got["uploads"][0]["id"], "link": None,
                                     "filename": "ringkasan-mingguan-2026-W45.pdf"}
        assert message["parameters"][0] == "2026-W45" and FLOOD in message["parameters"][3]
    stored = meta.media[got["uploads"][0]["id"]][0]
    week_data.expire_all()
    row = week_data.exec(select(Briefing)).one()
    assert stored == row.pdf and row.pdf.startswith(b"%PDF") and row.sent_to == 2
    assert len(week_data.exec(select(Notification).where(Notification.idempotency_key.like("briefing:%"))).all()) == 2


def test_without_recipients_or_sending_the_briefing_is_stored_and_queued_later(week_data, settings, meta, engine):
    monday = at(date(2026, 11, 9), 8)
    unconfigured = settings.model_copy(update={"briefing_recipients": ["081234567001"]})
    sender = GraphSender(unconfigured)
    try:
        assert WeeklyBriefing(engine, unconfigured, sender)(monday) == "briefing 2026-W45 made"
    finally:
        sender.close()
    week_data.expire_all()
    assert week_data.exec(select(Briefing.week)).all() == ["2026-W45"]
    assert not week_data.exec(select(Notification).where(Notification.idempotency_key.like("briefing:%"))).all()

    configured = unconfigured.model_copy(update=dict(
        whatsapp_graph_base_url=meta.base_url, whatsapp_phone_number_id=PHONE_NUMBER_ID,
        whatsapp_token=SecretStr("tok")))
    sender = GraphSender(configured)
    try:
        assert WeeklyBriefing(engine, configured, sender)(monday + timedelta(hours=1)) == \
            "briefing 2026-W45, queued to 1 recipient"
    finally:
        sender.close()
