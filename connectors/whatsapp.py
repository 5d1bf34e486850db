"""WhatsApp Business Cloud API webhook (docs/wire-formats.md): verify, split, thread, statuses.

One delivery carries any number of entries/changes, each with messages and/or statuses. `split`
turns it into one inbox payload per message (keyed by its wamid, so Meta's redeliveries dedupe)
and per status callback. A message becomes a `ThreadMessage` keyed by the sender's wa_id (core joins
it to that number's complaint within `thread_window_minutes`, core.intake.threads); a status callback
becomes a `DeliveryReceipt` (core moves the matching outbox notification forward, never backward).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from connectors.base import DeliveryReceipt, PushConnector, Skip, ThreadMessage, parse_json

CHANNEL = "whatsapp"
MEDIA_TYPES = {"image": "Foto", "video": "Video", "audio": "Pesan suara", "document": "Dokumen",
               "sticker": "Stiker"}
PLACEHOLDER_TITLES = {f"{label} dari WhatsApp" for label in MEDIA_TYPES.values()} | {"Lokasi dari WhatsApp"}
TITLE_MAX = 120


class WhatsAppConfig(BaseModel):
    verify_token: str = Field(min_length=1, description="Token typed into the Meta app's webhook settings")
    app_secret: str = Field(min_length=1, description="Meta app secret (signs every delivery)")
    phone_number_id: str | None = Field(None, description="Only accept deliveries for this business number")
    thread_window_minutes: int | None = Field(
        None, ge=0, description="Messages from one number within this window are one complaint "
                                "(default: ADUAN_WHATSAPP_THREAD_WINDOW_MINUTES)")


@dataclass
class MessageContent:
    text: str
    title: str
    placeholder: bool = False  # no words from the reporter (bare photo or pin)
    lat: float | None = None
    lon: float | None = None
    location_text: str | None = None
    media_id: str | None = None


def header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def signature_for(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


class WhatsAppConnector(PushConnector):
    name: ClassVar[str] = "whatsapp"
    channel: ClassVar[str] = CHANNEL
    Config: ClassVar[type[BaseModel]] = WhatsAppConfig
    secret_fields: ClassVar[tuple[str, ...]] = ("app_secret", "verify_token")
    signature_header: ClassVar[str] = "X-Hub-Signature-256"
    placeholder_titles: ClassVar[frozenset[str]] = frozenset(PLACEHOLDER_TITLES)

    config: WhatsAppConfig

    # --- webhook -------------------------------------------------------------------------------
    def verify_handshake(self, params: Mapping[str, str]) -> str | None:
        token = params.get("hub.verify_token") or ""
        if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
                token.encode(), self.config.verify_token.encode()):
            return None
        return params.get("hub.challenge") or ""

    def verify_signature(self, body: bytes, headers: Mapping[str, str]) -> bool:
        given = header(headers, self.signature_header)
        if not given:
            return False
        expected = signature_for(body, self.config.app_secret)
        return hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))

    def split(self, body: bytes) -> Iterable[tuple[str, Any]]:
        delivery = parse_json(body)
        if not isinstance(delivery, dict) or delivery.get("object") != "whatsapp_business_account":
            raise ValueError("not a whatsapp_business_account delivery")
        pairs: list[tuple[str, Any]] = []
        for entry in delivery.get("entry") or []:
            for change in entry.get("changes") or []:
                value = change.get("value") or {}
                if change.get("field") != "messages" or not isinstance(value, dict):
                    continue
                metadata = value.get("metadata") or {}
                wanted = self.config.phone_number_id
                if wanted and str(metadata.get("phone_number_id")) != wanted:
                    continue
                contacts = {c.get("wa_id"): c for c in value.get("contacts") or []}
                for message in value.get("messages") or []:
                    pairs.append((message["id"], {
                        "type": "message", "waba_id": entry.get("id"), "metadata": metadata,
                        "contact": contacts.get(message.get("from")), "message": message}))
                for status in value.get("statuses") or []:
                    pairs.append((f"{status['id']}:{status['status']}", {
                        "type": "status", "waba_id": entry.get("id"), "metadata": metadata, "status": status}))
        return pairs

    # --- normalisation -------------------------------------------------------------------------
    def normalise(self, payload: Any) -> ThreadMessage | DeliveryReceipt | Skip:
        if payload.get("type") == "status":
            return receipt(payload["status"])
        message = payload["message"]
        content = describe(message)
        if content is None:
            return Skip(f"jenis pesan {message.get('type')!r} tidak diproses")
        profile = (((payload.get("contact") or {}).get("profile") or {}).get("name") or "")[:200] or None
        return ThreadMessage(
            reporter=str(message["from"]), message_id=str(message["id"]),
            at=datetime.fromtimestamp(int(message["timestamp"]), UTC), text=content.text, title=content.title,
            placeholder=content.placeholder, reporter_name=profile, lat=content.lat, lon=content.lon,
            location_text=content.location_text, media_id=content.media_id)


def describe(message: dict) -> MessageContent | None:
    kind = message.get("type")
    if kind == "text":
        body = ((message.get("text") or {}).get("body") or "").strip() or "(pesan kosong)"
        return MessageContent(text=body, title=_title(body))
    if kind == "location":
        loc = message.get("location") or {}
        place = ", ".join(p for p in (loc.get("name"), loc.get("address")) if p) or None
        lat, lon = float(loc["latitude"]), float(loc["longitude"])
        where = (place or f"{lat:.5f}, {lon:.5f}")[:500]
        return MessageContent(text=f"Lokasi: {where}", title="Lokasi dari WhatsApp", placeholder=True,
                              lat=lat, lon=lon, location_text=where)
    if kind in MEDIA_TYPES:
        media = message.get(kind) or {}
        caption = (media.get("caption") or "").strip()
        label = MEDIA_TYPES[kind]
        note = f"[{label}: media {media.get('id')}]"
        if caption:
            return MessageContent(text=f"{caption}\n{note}", title=_title(caption), media_id=media.get("id"))
        return MessageContent(text=note, title=f"{label} dari WhatsApp", placeholder=True, media_id=media.get("id"))
    return None


def _title(text: str) -> str:
    first_line = text.strip().splitlines()[0].strip()
    if len(first_line) <= TITLE_MAX:
        return first_line
    return first_line[:TITLE_MAX].rsplit(" ", 1)[0] + "…"


def receipt(status: dict) -> DeliveryReceipt:
    failed = status.get("status") == "failed"
    errors = status.get("errors") or [{}]
    return DeliveryReceipt(
        provider_id=str(status["id"]), status=str(status["status"]),
        at=datetime.fromtimestamp(int(status["timestamp"]), UTC) if status.get("timestamp") else None,
        error=(f"{errors[0].get('code', '')} {errors[0].get('title', '')}".strip() or "failed") if failed else None)
