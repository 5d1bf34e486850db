"""GET /stats/freshness: how old each channel's newest complaint is, kabupaten-wide, against its own limit."""

from datetime import UTC, datetime, timedelta

import pytest

from core.runtime import settings as core_settings
from tests.factories import add_complaint

API = "/api/v1/stats/freshness"


@pytest.fixture
def feeds(client, session):
    now = datetime.now(UTC)
    add_complaint(session, "lapor", "l1", received_at=now - timedelta(hours=2), opd_code="DINKES")
    add_complaint(session, "lapor", "l2", received_at=now - timedelta(days=9), opd_code="DPUPR")
    add_complaint(session, "call112", "c1", received_at=now - timedelta(weeks=3), opd_code="DPUPR")
    return now


def by_channel(body):
    return {i["channel"]: i for i in body["items"]}


def test_each_channel_shows_its_newest_record_and_warns_past_its_limit(client, feeds, key_for):
    body = client.get(API, headers=key_for("viewer")).json()
    items = by_channel(body)
    assert items["lapor"]["label"] == "SP4N-LAPOR!"
    assert 2 * 3600 - 60 <= items["lapor"]["age_seconds"] <= 2 * 3600 + 600
    assert items["lapor"]["stale_after_hours"] == 24 and items["lapor"]["stale"] is False
    assert items["call112"]["age_seconds"] >= 21 * 86400 and items["call112"]["stale"] is True
    # A channel with nothing at all is listed, without an age, and not judged stale.
    assert items["whatsapp"]["latest_received_at"] is None and items["whatsapp"]["stale"] is False
    assert body["latest_received_at"] == items["lapor"]["latest_received_at"]


def test_an_opd_admin_sees_the_kabupatens_feed_age_not_only_its_own_quiet_queue(client, feeds, key_for):
    headers = key_for("opd_admin", "DPUPR")  # DPUPR's own newest complaint is nine days old
    scoped = client.get("/api/v1/stats/summary", headers=headers).json()
    body = client.get(API, headers=headers).json()
    assert body["latest_received_at"] != scoped["latest_received_at"]
    assert by_channel(body)["lapor"]["stale"] is False
    assert set(by_channel(body)["lapor"]) == {"channel", "label", "latest_received_at", "age_seconds",
                                             "stale_after_hours", "stale"}  # timestamps only, no counts


def test_limits_come_from_the_per_channel_setting(client, feeds, key_for, monkeypatch):
    monkeypatch.setenv("ADUAN_CHANNEL_STALE_HOURS", '{"lapor": 1, "*": 1000}')
    core_settings.get_settings.cache_clear()
    items = by_channel(client.get(API, headers=key_for("analyst")).json())
    assert items["lapor"]["stale_after_hours"] == 1 and items["lapor"]["stale"] is True
    assert items["call112"]["stale_after_hours"] == 1000 and items["call112"]["stale"] is False


def test_needs_a_key_and_rejects_a_nonsense_setting(client, monkeypatch):
    assert client.get(API).status_code == 401
    monkeypatch.setenv("ADUAN_CHANNEL_STALE_HOURS", '{"lapor": 0}')
    with pytest.raises(core_settings.SettingsError, match="ADUAN_CHANNEL_STALE_HOURS"):
        core_settings.load_settings()
