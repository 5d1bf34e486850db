"""WhatsApp Business Cloud API webhook (DESIGN.md §3): verify, split, thread, statuses.

One delivery carries any number of entries/changes, each with messages and/or statuses. `split`
turns it into one inbox payload per message (keyed by its wamid, so Meta's redeliveries dedupe)
and per status callback. Normalisation needs the database: a message joins the thread of the same
wa_id when it is within the window of that thread's messages; status callbacks move the matching
outbox Notification forward (never backward) and never touch complaints.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel, Field
from sqlalchemy import func, text
from sqlmodel import Session, select

from connectors.base import Applied, PushConnector, Skip, parse_json
from core.intake.ingest import ComplaintDraft, DraftEvent, NormaliseError
from core.reference.regions import nearest_kecamatan
from core.runtime.settings import get_settings
from models import Complaint, ComplaintEvent, EventKind, Notification, NotificationStatus
from models.types import utcnow

CHANNEL = "whatsapp"
MEDIA_TYPES = {"image": "Foto", "video": "Video", "audio": "Pesan suara", "document": "Dokumen",
               "sticker": "Stiker"}
PLACEHOLDER_TITLES = {f"{label} dari WhatsApp" for label in MEDIA_TYPES.values()} | {"Lokasi dari WhatsApp"}
TITLE_MAX = 120

# A status only ever moves forward; `failed` beats `sent` but proof of delivery beats `failed`.
STATUS_RANK = {NotificationStatus.pending: 0, NotificationStatus.sending: 0, NotificationStatus.sent: 1,
               NotificationStatus.failed: 2, NotificationStatus.delivered: 3, NotificationStatus.read: 4}


def _default_window() -> int:
    return get_settings().whatsapp_thread_window_minutes


class WhatsAppConfig(BaseModel):
    verify_token: str = Field(min_length=1, description="Token typed into the Meta app's webhook settings")
    app_secret: str = Field(min_length=1, description="Meta app secret (signs every delivery)")
    phone_number_id: str | None = Field(None, description="Only accept deliveries for this business number")
    thread_window_minutes: int = Field(default_factory=_default_window, ge=0,
                                       description="Messages from one number within this window are one complaint")


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
    def normalise(self, payload: Any) -> ComplaintDraft | Skip:
        raise NormaliseError("WhatsApp payloads need the database (threads, statuses): use normalise_in")

    def normalise_in(self, session: Session, payload: Any, resolver) -> ComplaintDraft | Skip | Applied:
        if payload.get("type") == "status":
            return apply_status(session, payload["status"])
        return self._message(session, payload)

    def _message(self, session: Session, payload: dict) -> ComplaintDraft | Skip | Applied:
        message = payload["message"]
        content = describe(message)
        if content is None:
            return Skip(f"jenis pesan {message.get('type')!r} tidak diproses")
        wa_id, wamid = str(message["from"]), str(message["id"])
        at = datetime.fromtimestamp(int(message["timestamp"]), UTC)
        profile = (((payload.get("contact") or {}).get("profile") or {}).get("name") or "")[:200] or None
        _lock_reporter(session, wa_id)
        threads = _threads_of(session, wa_id)
        if _already_seen(session, threads, wa_id, wamid):
            return Applied("unchanged", f"pesan {wamid} sudah tercatat")
        thread = _thread_for(session, threads, at, timedelta(minutes=self.config.thread_window_minutes))
        event = DraftEvent(external_id=wamid, at=at, kind=EventKind.message_in, actor=profile or wa_id,
                           note=content.text)
        if thread is None:
            kecamatan = nearest_kecamatan(session, content.lat, content.lon) if content.lat is not None else None
            return ComplaintDraft(
                external_id=f"{wa_id}:{wamid}", title=content.title, body=content.text, received_at=at,
                reporter_name=profile, reporter_contact=wa_id, lat=content.lat, lon=content.lon,
                location_text=content.location_text, kecamatan=kecamatan, events=[event])
        _append(session, thread, event, content)
        return Applied("updated", f"pesan lanjutan pada {thread.tracking_code}")


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


def _lock_reporter(session: Session, wa_id: str) -> None:
    """Serialise concurrent deliveries from one number on PostgreSQL (SQLite serialises writers)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int(hashlib.sha256(f"wa:{wa_id}".encode()).hexdigest()[:15], 16)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _threads_of(session: Session, wa_id: str) -> list[Complaint]:
    return list(session.exec(select(Complaint).where(
        Complaint.channel == CHANNEL, Complaint.external_id.like(f"{wa_id}:%"))
        .order_by(Complaint.received_at.desc())).all())


def _already_seen(session: Session, threads: list[Complaint], wa_id: str, wamid: str) -> bool:
    if any(c.external_id == f"{wa_id}:{wamid}" for c in threads):
        return True
    if not threads:
        return False
    return session.exec(select(ComplaintEvent.id).where(
        ComplaintEvent.complaint_id.in_([c.id for c in threads]), ComplaintEvent.external_id == wamid)
    ).first() is not None


def _thread_for(session: Session, threads: list[Complaint], at: datetime, window: timedelta) -> Complaint | None:
    """The thread whose messages span to within `window` of this one (late arrivals count too)."""
    for complaint in threads[:5]:
        last = session.exec(select(func.max(ComplaintEvent.at)).where(
            ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == EventKind.message_in)).one()
        last = max(last, complaint.received_at) if last else complaint.received_at
        if complaint.received_at - window <= at <= last + window:
            return complaint
    return None


def _append(session: Session, complaint: Complaint, event: DraftEvent, content: MessageContent) -> None:
    data = {"media_id": content.media_id} if content.media_id else None
    session.add(ComplaintEvent(complaint_id=complaint.id, kind=EventKind.message_in, actor=event.actor,
                               note=event.note, at=event.at, external_id=event.external_id, data=data))
    if not content.placeholder:
        if complaint.title in PLACEHOLDER_TITLES:
            complaint.title = content.title
        complaint.body = f"{complaint.body}\n{content.text}".strip()
    if content.lat is not None and complaint.lat is None:
        complaint.lat, complaint.lon = content.lat, content.lon
        complaint.location_text = complaint.location_text or content.location_text
        complaint.kecamatan = complaint.kecamatan or nearest_kecamatan(session, content.lat, content.lon)
    complaint.updated_at = utcnow()
    session.add(complaint)


def apply_status(session: Session, status: dict) -> Skip:
    provider_id = str(status["id"])
    try:
        new = NotificationStatus(status["status"])
    except ValueError:  # "deleted", "warning"…: nothing an outbox row can record
        return Skip(f"status {status['status']!r} untuk {provider_id} tidak dipakai")
    if new not in STATUS_RANK or new in (NotificationStatus.pending, NotificationStatus.sending):
        return Skip(f"status {new} untuk {provider_id} tidak dipakai")
    notification = session.exec(select(Notification).where(Notification.provider_id == provider_id)).first()
    if notification is None:
        return Skip(f"status {new} untuk {provider_id}: tidak ada notifikasi")
    current = NotificationStatus(notification.status)
    if STATUS_RANK[new] <= STATUS_RANK[current]:
        return Skip(f"status {new} diabaikan: notifikasi {notification.id} sudah {current}")
    at = datetime.fromtimestamp(int(status.get("timestamp") or 0), UTC) if status.get("timestamp") else utcnow()
    notification.status = new
    if new is NotificationStatus.failed:
        errors = status.get("errors") or [{}]
        notification.last_error = f"{errors[0].get('code', '')} {errors[0].get('title', '')}".strip() or "failed"
    if notification.sent_at is None and new is not NotificationStatus.failed:
        notification.sent_at = at
    notification.updated_at = utcnow()
    session.add(notification)
    return Skip(f"status {new} → notifikasi {notification.id}", {"notification_id": notification.id})
