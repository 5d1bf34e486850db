"""Open311 GeoReport v2 intake: a POSTed service request, landed by our own route (api/routes/open311.py)
with what the server knew when it arrived, becomes a complaint draft. The read side (services,
requests) is reporting and lives in core.intake.open311."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from connectors.base import ComplaintDraft, Connector

CHANNEL = "open311"


class Open311Config(BaseModel):
    """Open311 intake has nothing to configure: requests arrive through our own route."""

    model_config = ConfigDict(extra="forbid")


class Open311Connector(Connector):
    name: ClassVar[str] = CHANNEL
    channel: ClassVar[str] = CHANNEL
    kind = "api"
    Config: ClassVar[type[BaseModel]] = Open311Config

    def normalise(self, payload: dict[str, Any]) -> ComplaintDraft:
        form = payload["form"]
        description = (form.get("description") or "").strip()
        first_line = description.splitlines()[0] if description else form["service_code"]
        name = " ".join(p for p in (form.get("first_name"), form.get("last_name")) if p).strip() or None
        contact = form.get("email") or form.get("phone") or None
        lat, lon = form.get("lat"), form.get("long")
        return ComplaintDraft(
            external_id=payload["id"],
            title=first_line[:120],
            body=description,
            received_at=datetime.fromisoformat(payload["received_at"]),
            category_code=form["service_code"],
            reporter_name=name,
            reporter_contact=contact,
            location_text=form.get("address_string") or None,
            kecamatan=payload.get("kecamatan"),
            lat=float(lat) if lat not in (None, "") else None,
            lon=float(lon) if lon not in (None, "") else None,
        )
