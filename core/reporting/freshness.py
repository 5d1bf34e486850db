"""How old each channel's newest complaint is: a feed that stopped shows up here before anyone misses it.

Kabupaten-wide on purpose: a feed's age is a property of the channel, not of the OPD reading it, so an OPD
whose own queue is quiet still sees that LAPOR! arrives (and the wall does not cry wolf for a quiet OPD).
Only timestamps leave this module, never counts or content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.intake.channels import channel_label, known_channels, newest_per_channel
from core.runtime.settings import Settings
from models.types import utcnow


def channel_freshness(session: Session, settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    """Newest `received_at` per known channel (also channels without any complaint), its age, and whether
    that age is past the channel's `ADUAN_CHANNEL_STALE_HOURS`."""
    now = now or utcnow()
    newest = newest_per_channel(session)
    items = []
    for channel in known_channels(session):
        code = channel["code"]
        latest = newest.get(code)
        hours = settings.channel_stale_after(code)
        age = max(0, round((now - latest).total_seconds())) if latest else None
        items.append({"channel": code, "label": channel_label(code), "latest_received_at": latest,
                      "age_seconds": age, "stale_after_hours": hours,
                      "stale": age is not None and age > hours * 3600})
    return {"generated_at": now, "latest_received_at": max(filter(None, newest.values()), default=None),
            "items": items}
