"""Channel and status labels come from the API: a channel the dashboard never heard of shows the API's label."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from api.main import create_app
from core.identity.keys import create_key
from dashboard import shaping
from tests.factories import add_complaint, seeded


def test_a_plugin_channel_shows_its_api_label_in_the_grid(settings, session):
    seeded(session)
    add_complaint(session, "kanal_desa", "kd-1", title="Lampu jalan mati di dusun")  # no built-in label anywhere
    _, raw = create_key(session, "dasbor", "analyst")
    with TestClient(create_app()) as api:
        get = lambda path: api.get(f"/api/v1/{path}", headers={"X-API-Key": raw}).json()  # noqa: E731
        labels = shaping.Labels.from_api(get("channels"), get("statuses"))
        (item,) = get("complaints?channel=kanal_desa")["items"]

    row = shaping.grid_row(item, ZoneInfo("Asia/Jakarta"), labels)
    assert row["channel"] == "Kanal Desa"
    assert row["status"] == "Belum diverifikasi" and row["status_tone"] == "red"


def test_statuses_keep_the_apis_order_and_tone_for_codes_the_dashboard_lacks():
    labels = shaping.Labels.from_api([], [{"code": "kandidat", "label": "Kandidat", "tone": "yellow"},
                                          {"code": "resolved", "label": "Selesai", "tone": "green"}])
    mix = shaping.status_mix({"resolved": 2, "kandidat": 1, "mystery": 4}, labels)
    assert mix == [("kandidat", "Kandidat", 1, shaping.TONE_COLOURS["yellow"]),
                   ("resolved", "Selesai", 2, shaping.STATUS_COLOURS["resolved"]),
                   ("mystery", "mystery", 4, shaping.TONE_COLOURS["grey"])]
