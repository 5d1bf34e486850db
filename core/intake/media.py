"""Reporters' media (WhatsApp photos, videos, documents): download what intake left pending, check, store.

A thread message with a media id leaves a `ComplaintMedia` row in state `pending` (core.intake.threads).
`fetch_pending` (a worker job; the demo runs it once) asks the channel's connector for the bytes
(`fetch_media`, e.g. the Graph media endpoint), checks them against the upstream's sha256 and the size cap
(ADUAN_MEDIA_MAX_BYTES), and stores them: the row becomes `fetched`. A retriable failure (timeout, 429,
5xx) is tried again after a doubling wait (ADUAN_MEDIA_RETRY_BASE_SECONDS) until ADUAN_MEDIA_MAX_ATTEMPTS
tries; then, or at once when the media cannot be had (unknown or expired id, over the cap, a hash that does
not match), the row becomes `failed` with the reason. A refused token or a missing connector stops the
channel's pass without spending tries: the rows wait until an operator fixes it.

While a row is pending, `fetched_at` holds the time of its last try (the backoff is counted from it);
once fetched, the time it was stored. Rows are taken one at a time under a row lock (SKIP LOCKED on
PostgreSQL), so several workers never fetch the same media.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.intake.contract import (
    FatalError,
    MediaFile,
    RefusedError,
    RetriableError,
    TooLargeError,
)
from core.intake.http import client_for
from core.intake.sync import ChannelConnectors, http_policy
from core.runtime.settings import Settings
from models import Complaint, ComplaintMedia
from models.types import utcnow

log = logging.getLogger(__name__)

PENDING, FETCHED, FAILED = "pending", "fetched", "failed"
MEDIA_ID_PATTERN = r"^[A-Za-z0-9_-]{1,200}$"
# Served inline (a browser shows them); anything else is a download. SVG can carry script: a download.
INLINE_PREFIXES = ("image/", "video/", "audio/")
INLINE_TYPES = {"application/pdf"}
NOT_INLINE = {"image/svg+xml"}
_MIME = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")


# --- what the API shows --------------------------------------------------------------------------


def media_url(complaint_id: int, media_id: str) -> str:
    return f"/api/v1/complaints/{complaint_id}/media/{media_id}"


def media_list(session: Session, complaint_id: int, hidden: bool = False) -> list[dict[str, Any]]:
    """A complaint's media for its detail (no bytes); `hidden` (rahasia content the reader may not see): none."""
    if hidden:
        return []
    rows = session.exec(select(ComplaintMedia.media_id, ComplaintMedia.kind, ComplaintMedia.mime_type,
                               ComplaintMedia.caption, ComplaintMedia.state, ComplaintMedia.size,
                               ComplaintMedia.error)
                        .where(ComplaintMedia.complaint_id == complaint_id).order_by(ComplaintMedia.id)).all()
    return [{"media_id": r.media_id, "kind": r.kind, "mime_type": r.mime_type, "caption": r.caption,
             "state": r.state, "size": r.size, "error": r.error if r.state == FAILED else None,
             "url": media_url(complaint_id, r.media_id)} for r in rows]


def stored_media(session: Session, complaint_id: int, media_id: str) -> ComplaintMedia | None:
    return session.exec(select(ComplaintMedia).where(ComplaintMedia.complaint_id == complaint_id,
                                                     ComplaintMedia.media_id == media_id)).first()


def safe_type(mime: str | None) -> str:
    """The stored type when it is a plain `type/subtype`, else application/octet-stream."""
    plain = (mime or "").split(";", 1)[0].strip().lower()
    return plain if _MIME.match(plain) else "application/octet-stream"


def served_inline(mime: str) -> bool:
    return mime not in NOT_INLINE and (mime.startswith(INLINE_PREFIXES) or mime in INLINE_TYPES)


def file_name(media_id: str, mime: str) -> str:
    ext = {"image/jpeg": ".jpg", "audio/ogg": ".ogg"}.get(mime) or mimetypes.guess_extension(mime) or ".bin"
    return f"media-{media_id}{ext}"


# --- fetching ------------------------------------------------------------------------------------


@dataclass
class MediaResult:
    fetched: int = 0
    retried: int = 0
    failed: int = 0
    blocked: dict[str, str] = field(default_factory=dict)  # channel → why its media wait

    def __bool__(self) -> bool:  # "did anything happen" (the worker logs only then)
        return bool(self.fetched or self.retried or self.failed)

    def __str__(self) -> str:  # for logs and the demo: words, not a dataclass repr
        waiting = "".join(f"; {channel} waiting: {why}" for channel, why in self.blocked.items())
        return f"{self.fetched} fetched, {self.retried} to retry, {self.failed} failed{waiting}"


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Wait after the `attempts`-th failed try: base, 2×base, 4×base… (capped at a day)."""
    return timedelta(seconds=min(settings.media_retry_base_seconds * 2 ** max(attempts - 1, 0), 86_400))


def sha256_matches(content: bytes, declared: str | None) -> bool:
    """Meta's media endpoint gives the hex digest; its webhooks have used base64: either matches."""
    if not declared:
        return True
    digest = hashlib.sha256(content).digest()
    text = declared.strip()
    if text.lower() == digest.hex():
        return True
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True) == digest
    except (binascii.Error, ValueError):
        return False


def media_connectors(engine: Engine, settings: Settings) -> ChannelConnectors:
    """Per channel, the enabled instance's connector that can fetch media, its config completed from the
    settings (Graph base URL, version, token)."""
    s = settings
    token = s.whatsapp_token.get_secret_value() if s.whatsapp_token else None
    return ChannelConnectors(engine, settings, can=lambda cls: hasattr(cls, "fetch_media"),
                             defaults={"graph_base_url": s.whatsapp_graph_base_url,
                                       "graph_version": s.whatsapp_graph_version, "access_token": token},
                             lacking=" yang dapat mengunduh media")


def fetch_pending(engine: Engine, settings: Settings, *, now: datetime | None = None,
                  client: httpx.Client | None = None, limit: int = 100,
                  should_stop: Callable[[], bool] = lambda: False) -> MediaResult:
    """Try every pending media whose wait is over, at most `limit` (default time: the wall clock)."""
    result = MediaResult()
    own_client = client is None
    client = client or client_for(http_policy(settings))
    connectors = media_connectors(engine, settings)
    try:
        for media_id, channel in _due(engine, settings, now or utcnow(), limit):
            if should_stop():
                break
            if channel in result.blocked:
                continue
            _fetch_one(engine, settings, connectors, client, media_id, channel, now or utcnow(), result)
        return result
    finally:
        if own_client:
            client.close()


def _due(engine: Engine, settings: Settings, now: datetime, limit: int) -> list[tuple[int, str]]:
    """Pending rows, never-tried first then longest-waiting, whose backoff is over (no bytes loaded)."""
    with Session(engine) as session:
        rows = session.exec(
            select(ComplaintMedia.id, ComplaintMedia.attempts, ComplaintMedia.fetched_at, Complaint.channel)
            .join(Complaint, Complaint.id == ComplaintMedia.complaint_id)
            .where(ComplaintMedia.state == PENDING)
            .order_by(func.coalesce(ComplaintMedia.fetched_at, ComplaintMedia.created_at), ComplaintMedia.id)
            .limit(limit * 4)).all()
    due = [(r.id, r.channel) for r in rows
           if r.attempts == 0 or r.fetched_at is None or r.fetched_at + backoff(settings, r.attempts) <= now]
    return due[:limit]


def _fetch_one(engine: Engine, settings: Settings, connectors: ChannelConnectors, client: httpx.Client,
               row_id: int, channel: str, now: datetime, result: MediaResult) -> None:
    with Session(engine) as session:
        row = session.exec(select(ComplaintMedia).where(ComplaintMedia.id == row_id, ComplaintMedia.state == PENDING)
                           .with_for_update(skip_locked=True)).first()
        if row is None:  # another worker has it, or it is done
            return
        try:
            connector = connectors(channel)
            media: MediaFile = connector.fetch_media(client, row.media_id, settings.media_max_bytes)
        except (RefusedError, TooLargeError) as exc:
            _fail(row, now, str(exc))
            result.failed += 1
        except RetriableError as exc:
            if row.attempts + 1 >= settings.media_max_attempts:
                _fail(row, now, f"gagal setelah {row.attempts + 1} percobaan; terakhir: {exc}")
                result.failed += 1
            else:
                row.attempts += 1
                row.error, row.fetched_at = str(exc)[:500], now
                result.retried += 1
        except FatalError as exc:  # token refused, no connector, bad config: an operator must act; no try spent
            row.error = str(exc)[:500]
            result.blocked[channel] = str(exc)
            log.warning("media of channel %s waiting: %s", channel, exc)
        else:
            _store(row, media, settings, now, result)
        session.add(row)
        session.commit()


def _fail(row: ComplaintMedia, now: datetime, reason: str) -> None:
    row.attempts += 1
    row.state, row.error, row.fetched_at = FAILED, reason[:500], now


def _store(row: ComplaintMedia, media: MediaFile, settings: Settings, now: datetime, result: MediaResult) -> None:
    content = media.content
    if len(content) > settings.media_max_bytes:
        _fail(row, now, f"berkas {len(content):,} byte melebihi batas {settings.media_max_bytes:,} byte"
              .replace(",", "."))
        result.failed += 1
        return
    if not sha256_matches(content, media.sha256):
        _fail(row, now, f"sha256 tidak cocok: hulu menyebut {media.sha256[:64]}, "
                        f"berkas yang diterima {hashlib.sha256(content).hexdigest()}")
        result.failed += 1
        return
    row.attempts += 1
    row.content, row.size, row.sha256 = content, len(content), hashlib.sha256(content).hexdigest()
    row.mime_type = (media.mime_type or row.mime_type or "application/octet-stream")[:100]
    row.state, row.error, row.fetched_at = FETCHED, None, now
    result.fetched += 1
