"""Data age per channel, the wall's stale banner and the connector page's error count (pure shaping)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dashboard import shaping

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
JKT = ZoneInfo("Asia/Jakarta")
FRESHNESS = {"generated_at": "2026-11-23T07:00:00Z", "latest_received_at": "2026-11-23T06:58:00Z", "items": [
    {"channel": "lapor", "label": "SP4N-LAPOR!", "latest_received_at": "2026-11-23T06:58:00Z", "age_seconds": 120,
     "stale_after_hours": 24, "stale": False},
    {"channel": "call112", "label": "Call Center 112", "latest_received_at": "2026-11-02T07:00:00Z",
     "age_seconds": 21 * 86400, "stale_after_hours": 48, "stale": True},
    {"channel": "open311", "label": "Open311", "latest_received_at": None, "age_seconds": None,
     "stale_after_hours": 72, "stale": False}]}


def test_each_channel_reads_its_age_in_words_and_is_flagged_past_its_limit():
    ages = shaping.channel_ages(FRESHNESS)
    assert ages["call112"].text == "data terbaru 3 minggu lalu" and ages["call112"].stale
    assert ages["call112"].hint == "batas 48 jam"
    assert ages["lapor"].text == "data terbaru 2 menit lalu" and not ages["lapor"].stale
    assert ages["open311"].text == "belum ada data" and not ages["open311"].stale
    assert shaping.channel_ages(None) == {}
    assert [shaping.coarse_age(s) for s in (59, 5 * 3600, 3 * 86400, 100 * 86400)] == [
        "0 menit", "5 jam", "3 hari", "3 bulan"]


def test_the_banner_judges_the_kabupatens_newest_complaint_not_a_quiet_opds():
    quiet_opd = {"latest_received_at": "2026-11-20T01:00:00Z", "generated_at": "2026-11-23T07:00:00Z"}
    assert shaping.staleness(quiet_opd, [], NOW, 120, JKT).stale  # without the kabupaten's view: a false alarm
    assert not shaping.staleness(quiet_opd, [], NOW, 120, JKT, FRESHNESS).stale
    old = {**FRESHNESS, "latest_received_at": "2026-11-23T01:00:00Z"}
    s = shaping.staleness(quiet_opd, [], NOW, 120, JKT, old)
    assert s.stale and "6 jam" in s.reasons[0]


def test_konektor_is_not_normal_when_its_channel_went_quiet_and_galat_counts_failed_rows():
    ages = shaping.channel_ages(FRESHNESS)
    connectors = [
        {"name": "lapor", "channel": "lapor", "enabled": True, "status": "ok"},
        {"name": "call112-cad", "channel": "call112", "enabled": True, "status": "ok", "inbox_failed": 12},
        {"name": "google", "channel": "google_reviews", "enabled": True, "status": "ok",
         "writeback_failed": [{"action": "reply", "error": "403"}]}]
    rows = {r["name"]: r for r in shaping.connector_rows(connectors, NOW, JKT, shaping.Labels(), "admin", ages)}
    assert rows["call112-cad"]["status"] == "Data lama" and rows["call112-cad"]["data_stale"]
    assert rows["call112-cad"]["data_age"] == "data terbaru 3 minggu lalu"
    assert rows["lapor"]["status"] == "Normal" and not rows["lapor"]["data_stale"]
    kpis = {k.label: k for k in shaping.connector_kpis(connectors, NOW, ages)}
    assert kpis["Galat"].value == "2" and kpis["Galat"].tone == "danger"
    assert "semua normal" not in kpis["Galat"].hint and "12 baris gagal" in kpis["Galat"].hint
    assert "1 aksi hulu gagal" in kpis["Galat"].hint
    quiet = kpis["Kanal tanpa data baru"]
    assert quiet.value == "1" and "Call Center 112 3 minggu" in quiet.hint
    healthy = shaping.connector_kpis([connectors[0]], NOW, ages)
    assert {k.label: k.hint for k in healthy}["Galat"] == "semua normal"
