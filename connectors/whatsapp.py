"""WhatsApp Business Cloud API webhook (docs/wire-formats.md): verify, split, thread, statuses.

One delivery carries any number of entries/changes, each with messages and/or statuses. `split`
turns it into one inbox payload per message (keyed by its wamid, so Meta's redeliveries dedupe)
and per status callback. A message becomes a `ThreadMessage` keyed by the sender's wa_id (core joins
it to that number's complaint within `thread_window_minutes`, core.intake.threads); a status callback
becomes a `DeliveryReceipt` (core moves the matching outbox notification forward, never backward).
A photo/video/document's media id rides on the message; core keeps a pending row and its worker calls
`fetch_media` (the Graph media endpoint) to download and store the bytes (core.intake.media).
A pressed reply button (an interactive `button_reply`, or a template's quick reply `button`) is a message whose
text is the button's title and whose `reply_id` is its id/payload (core reads "sudah beres?" answers from it); a
status callback's `biz_opaque_callback_data` comes back as the receipt's `reference`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, Field

from connectors.base import DeliveryReceipt, PushConnector, Skip, ThreadMessage, parse_json
from connectors.meta_signing import MetaWebhookSigning
from core.intake.contract import FatalError, MediaFile, RefusedError, RetriableError, TooLargeError
from core.intake.http import get_bytes_once, get_json_once

CHANNEL = "whatsapp"
MEDIA_TYPES = {"image": "Foto", "video": "Video", "audio": "Pesan suara", "document": "Dokumen",
               "sticker": "Stiker"}
PLACEHOLDER_TITLES = {f"{label} dari WhatsApp" for label in MEDIA_TYPES.values()} | {"Lokasi dari WhatsApp"}
TITLE_MAX = 120
GRAPH_BASE_URL, GRAPH_VERSION = "https://graph.facebook.com", "v21.0"
MEDIA_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
MEDIA_MAX_BYTES = 16 * 2**20  # WhatsApp's own caps: image 5 MB, audio/video 16 MB (documents up to 100 MB)


class WhatsAppConfig(BaseModel):
    verify_token: str = Field(min_length=1, description="Token typed into the Meta app's webhook settings")
    app_secret: str = Field(min_length=1, description="Meta app secret (signs every delivery)")
    phone_number_id: str | None = Field(None, description="Only accept deliveries for this business number")
    thread_window_minutes: int | None = Field(
        None, ge=0, description="Messages from one number within this window are one complaint "
                                "(default: ADUAN_WHATSAPP_THREAD_WINDOW_MINUTES)")
    # Reporters' photos are fetched through the Graph media endpoint (GET /{version}/{media-id}, then its url).
    graph_base_url: str | None = Field(None, description="Meta Graph base URL (default: ADUAN_WHATSAPP_GRAPH_BASE_URL)")
    graph_version: str | None = Field(None, description="Graph API version (default: ADUAN_WHATSAPP_GRAPH_VERSION)")
    access_token: str | None = Field(None, description="System-user token that may read the number's media "
                                                       "(default: ADUAN_WHATSAPP_TOKEN)")


@dataclass
class MessageContent:
    text: str
    title: str
    placeholder: bool = False  # no words from the reporter (bare photo or pin)
    lat: float | None = None
    lon: float | None = None
    location_text: str | None = None
    media_id: str | None = None
    media_kind: str | None = None
    media_mime: str | None = None
    media_caption: str | None = None
    reply_id: str | None = None  # a reply button pressed (interactive button_reply / template quick reply)


class WhatsAppConnector(MetaWebhookSigning, PushConnector):
    name: ClassVar[str] = "whatsapp"
    channel: ClassVar[str] = CHANNEL
    Config: ClassVar[type[BaseModel]] = WhatsAppConfig
    secret_fields: ClassVar[tuple[str, ...]] = ("app_secret", "verify_token", "access_token")
    placeholder_titles: ClassVar[frozenset[str]] = frozenset(PLACEHOLDER_TITLES)

    config: WhatsAppConfig

    # --- webhook -------------------------------------------------------------------------------
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
            location_text=content.location_text, media_id=content.media_id, media_kind=content.media_kind,
            media_mime=content.media_mime, media_caption=content.media_caption, reply_id=content.reply_id)

    # --- media ---------------------------------------------------------------------------------
    def fetch_media(self, client: httpx.Client, media_id: str, max_bytes: int = MEDIA_MAX_BYTES) -> MediaFile:
        """A reporter's media through the Cloud API: `GET /{version}/{media-id}` (bearer token) answers
        `{"url","mime_type","sha256","file_size","id","messaging_product"}`; a GET of that url with the same
        token gives the bytes (the url lives 5 minutes, so both steps run together). RefusedError: this media
        cannot be had (unknown or expired id); TooLargeError: over `max_bytes`; FatalError: token/config;
        RetriableError: try again later."""
        token = self.config.access_token
        if not token:
            raise FatalError("token Graph belum diatur (access_token konektor atau ADUAN_WHATSAPP_TOKEN); "
                             "media WhatsApp belum dapat diunduh")
        if not isinstance(media_id, str) or not MEDIA_ID.match(media_id):
            raise RefusedError(f"id media tidak valid: {str(media_id)[:60]!r}")
        base = (self.config.graph_base_url or GRAPH_BASE_URL).rstrip("/")
        version = self.config.graph_version or GRAPH_VERSION
        headers = {"Authorization": f"Bearer {token}"}
        params = {"phone_number_id": self.config.phone_number_id} if self.config.phone_number_id else None
        meta = get_json_once(client, f"{base}/{version}/{media_id}", params, headers, refuse=(400, 404))
        url = meta.get("url") if isinstance(meta, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise RetriableError(f"jawaban Graph untuk media {media_id} tanpa url unduhan")
        declared = str(meta.get("file_size") or "")
        too_large = f"berkas melebihi batas {max_bytes:,} byte".replace(",", ".")
        if declared.isdigit() and int(declared) > max_bytes:
            raise TooLargeError(f"{too_large} ({int(declared):,} byte)".replace(",", "."))
        content = get_bytes_once(client, url, headers, max_bytes, too_large, refuse=(400, 404))
        mime = meta.get("mime_type")
        return MediaFile(content=content, mime_type=str(mime)[:100] if mime else None,
                         sha256=str(meta["sha256"]) if meta.get("sha256") else None)


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
    if kind in ("interactive", "button"):  # a reply button pressed: its title is what the person "said"
        part = message.get(kind) or {}
        pressed = (part.get("button_reply") or part.get("list_reply") or {}) if kind == "interactive" else part
        said = str(pressed.get("title") or pressed.get("text") or "").strip()
        reply_id = str(pressed.get("id") or pressed.get("payload") or "")[:256] or None
        if not said and not reply_id:
            return None
        said = said or reply_id or ""
        return MessageContent(text=said, title=_title(said), reply_id=reply_id)
    if kind in MEDIA_TYPES:
        media = message.get(kind) or {}
        caption = (media.get("caption") or "").strip()
        label = MEDIA_TYPES[kind]
        note = f"[{label}: media {media.get('id')}]"
        about = {"media_id": str(media["id"]) if media.get("id") else None, "media_kind": kind,
                 "media_mime": str(media.get("mime_type") or "")[:100] or None, "media_caption": caption or None}
        if caption:
            return MessageContent(text=f"{caption}\n{note}", title=_title(caption), **about)
        return MessageContent(text=note, title=f"{label} dari WhatsApp", placeholder=True, **about)
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
        error=(f"{errors[0].get('code', '')} {errors[0].get('title', '')}".strip() or "failed") if failed else None,
        reference=str(status["biz_opaque_callback_data"])[:512] if status.get("biz_opaque_callback_data") else None)
