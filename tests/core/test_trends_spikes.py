"""Spikes: a planted flood in one kecamatan is flagged, a normal Monday peak is not; admins hear once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from core.identity.access import Access
from core.trends.job import run_trends
from core.trends.queries import spikes_view
from core.trends.spikes import find_spikes, upper_tail
from models import Notification, Opd, OpdAdmin, Role, TrendSpike
from tests.factories import seeded
from tests.trends_factories import add, at

TODAY = date(2026, 11, 30)  # a Monday


@pytest.fixture
def history(session):
    """Eight weeks of a normal pattern, then today: Infrastruktur in Wlingi peaks every Monday (12, else 2 a
    day) and peaks again today (13); Bencana in Kanigoro, about one a day, gets 30 flood reports today."""
    seeded(session)
    for back in range(1, 8 * 7 + 1):
        day = TODAY - timedelta(days=back)
        add(session, 12 if day.weekday() == 0 else 2, day, title="Jalan berlubang besar di jalan raya",
            category="INFRA-JALAN", opd="DPUPR", kecamatan="Wlingi")
        if back % 2:
            add(session, 1, day, title="Pohon tumbang menutup jalan", category="BENCANA", opd="BPBD",
                kecamatan="Kanigoro", channel="call112")
    add(session, 13, TODAY, title="Jalan berlubang besar di jalan raya", category="INFRA-JALAN", opd="DPUPR",
        kecamatan="Wlingi")
    for i, channel in enumerate(["whatsapp"] * 12 + ["lapor"] * 10 + ["call112"] * 8):
        add(session, 1, TODAY, title="Banjir setinggi lutut di permukiman, gorong-gorong tersumbat",
            category="BENCANA", opd="BPBD", kecamatan="Kanigoro", channel=channel, hour=7 + i % 10)
    return session


def test_planted_flood_is_a_spike_and_a_normal_monday_peak_is_not(history, settings):
    found = find_spikes(history, settings, TODAY)
    by_label = {(f.label, f.window): f for f in found}
    flood = by_label[("Bencana dan kedaruratan di Kanigoro", "day")]
    assert flood.count == 30 and flood.expected == pytest.approx(0.5)  # 4 of 8 Mondays had one
    assert ("Bencana dan kedaruratan di Kanigoro", "week") in by_label
    assert not any("Wlingi" in label for label, _ in by_label), by_label.keys()
    # The day-of-week baseline is what keeps the Monday peak quiet: against the mean of all days it would flag.
    plain_mean = (12 + 6 * 2) / 7
    assert upper_tail(13, plain_mean) < -3 and upper_tail(13, 12.0) > -1
    assert found[0].label == "Bencana dan kedaruratan di Kanigoro"  # ranked by score


def test_spikes_are_stored_and_notified_once(history, settings):
    diskominfo = history.exec(select(Opd).where(Opd.code == "DISKOMINFO")).one()
    history.add(OpdAdmin(opd_id=diskominfo.id, name="Admin Kominfo", whatsapp="081234567001"))
    history.commit()
    now = at(TODAY, 15)
    first = run_trends(history, settings, now=now)
    assert first.spikes >= 2 and first.notifications == first.spikes
    second = run_trends(history, settings, now=now + timedelta(hours=1))
    assert second.notifications == 0
    rows = history.exec(select(Notification).where(Notification.template == "lonjakan_aduan")).all()
    assert len(rows) == first.spikes and all(r.recipient == "6281234567001" for r in rows)
    assert all(s.notified_at is not None for s in history.exec(select(TrendSpike)).all())
    view = spikes_view(history, settings, since=TODAY, until=TODAY)
    top = view["spikes"][0]
    assert top["count"] >= 30 and top["ratio"] > 4 and {c["channel"] for c in top["channels"]} >= {
        "whatsapp", "lapor", "call112"}
    bpbd = history.exec(select(Opd).where(Opd.code == "BPBD")).one()
    dinsos = history.exec(select(Opd).where(Opd.code == "DINSOS")).one()
    own = spikes_view(history, settings, since=TODAY, until=TODAY, access=Access(Role.opd_admin, bpbd.id))
    assert own["spikes"] and spikes_view(history, settings, since=TODAY, until=TODAY,
                                         access=Access(Role.opd_admin, dinsos.id))["spikes"] == []
