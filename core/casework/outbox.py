"""Notification outbox: enqueue once, claim due rows, send WhatsApp templates, retry or fail.

A row goes pending → sending (claimed, with a lease) → sent | failed; delivery callbacks from
the WhatsApp webhook (connectors/whatsapp.py) move it on to delivered/read by `provider_id`.
Claiming is one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id, so several
workers on PostgreSQL never take the same row, and on SQLite the single statement is atomic.
A worker killed between the HTTP call and the commit leaves the row `sending`; when the lease
runs out it is sent again (at least once): the only window where a duplicate is possible.

An expired or revoked token (Graph error 190) blocks all sending until the configured token
changes; the block is kept in `ServiceState` and shown by `GET /api/v1/health`.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.runtime.settings import Settings
from models import Notification, NotificationStatus, ServiceState
from models.types import utcnow

log = logging.getLogger(__name__)

SENDER_STATE = "whatsapp_sender"

# Graph error codes (WhatsApp Cloud API). Everything else that is not 2xx/5xx fails the row.
AUTH_CODES = {0, 190}
RETRY_CODES = {1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056}


class SendError(Exception):
    def __init__(self, kind: str, reason: str, code: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.kind = kind  # retry | fail | auth
        self.reason = reason
        self.code = code
        self.retry_after = retry_after


def normalise_msisdn(raw: str | None) -> str | None:
    """'0812-3456-7890' / '+62 812…' → '628123456789'; None when it cannot be a phone number."""
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    return digits if 10 <= len(digits) <= 15 else None


def token_fingerprint(settings: Settings) -> str | None:
    if settings.whatsapp_token is None:
        return None
    return hashlib.sha256(settings.whatsapp_token.get_secret_value().encode()).hexdigest()[:12]


class GraphSender:
    """Sends approved template messages through the Cloud API (`POST /{version}/{phone_number_id}/messages`)."""

    def __init__(self, settings: Settings, client: httpx.Client | None = None):
        self.settings = settings
        self.client = client or httpx.Client(timeout=settings.whatsapp_timeout_seconds)

    @property
    def configured(self) -> bool:
        return bool(self.settings.whatsapp_token and self.settings.whatsapp_phone_number_id)

    def close(self) -> None:
        self.client.close()

    def send_template(self, to: str, template: str, params: list[Any]) -> str | None:
        s = self.settings
        base = s.whatsapp_graph_base_url.rstrip("/")
        url = f"{base}/{s.whatsapp_graph_version}/{s.whatsapp_phone_number_id}/messages"
        body = {
            "messaging_product": "whatsapp", "to": to, "type": "template",
            "template": {"name": template, "language": {"code": s.whatsapp_template_language},
                         "components": [{"type": "body",
                                         "parameters": [{"type": "text", "text": str(p)} for p in params]}]},
        }
        headers = {"Authorization": f"Bearer {s.whatsapp_token.get_secret_value()}"}
        try:
            response = self.client.post(url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise SendError("retry", "timeout") from None
        except httpx.TransportError as exc:
            raise SendError("retry", f"connection error: {exc.__class__.__name__}") from None
        if response.status_code == 200:
            try:
                return response.json()["messages"][0]["id"]
            except (ValueError, KeyError, IndexError, TypeError):
                # Accepted but unreadable: treat as sent rather than risk sending it twice.
                return None
        raise classify_error(response)


def classify_error(response: httpx.Response) -> SendError:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    reason = f"{code if code is not None else response.status_code}: {error.get('message') or response.reason_phrase}"
    retry_after = _retry_after(response)
    if code in AUTH_CODES or (code is None and response.status_code == 401):
        return SendError("auth", reason, code)
    if code in RETRY_CODES or response.status_code == 429 or response.status_code >= 500:
        return SendError("retry", reason, code, retry_after)
    return SendError("fail", reason, code)


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def enqueue(session: Session, *, key: str, recipient: str, template: str, params: list[Any],
            now: datetime, opd_id: int | None = None, complaint_id: int | None = None) -> Notification:
    """Add a notification unless one with `key` exists (then return that one). The caller commits."""
    existing = session.exec(select(Notification).where(Notification.idempotency_key == key)).first()
    if existing is not None:
        return existing
    number = normalise_msisdn(recipient)
    row = Notification(idempotency_key=key, recipient=number or recipient[:64], template=template, params=params,
                       opd_id=opd_id, complaint_id=complaint_id, created_at=now, updated_at=now,
                       next_attempt_at=now)
    if number is None:
        row.status = NotificationStatus.failed
        row.last_error = f"nomor WhatsApp tidak valid: {recipient!r}"
    session.add(row)
    return row


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: bool = False
    unconfigured: bool = False

    def __bool__(self) -> bool:  # "did anything happen" (the worker logs only then)
        return bool(self.sent or self.retried or self.failed)

    def __str__(self) -> str:  # for logs and the demo: words, not a dataclass repr
        state = "; sending stopped (token refused)" if self.blocked else (
            "; WhatsApp not configured" if self.unconfigured else "")
        return f"{self.sent} sent, {self.retried} to retry, {self.failed} failed{state}"


def dispatch_due(engine: Engine, settings: Settings, *, now: datetime | None = None,
                 sender: GraphSender | None = None, batch_size: int = 20, max_batches: int | None = None,
                 should_stop: Callable[[], bool] = lambda: False) -> DispatchResult:
    """Send every notification due at `now` (default: the wall clock, re-read per batch)."""
    result = DispatchResult()
    own_sender = sender is None
    sender = sender or GraphSender(settings)
    try:
        if not sender.configured:
            result.unconfigured = True
            return result
        if _blocked(engine, settings):
            result.blocked = True
            return result
        batches = 0
        while not should_stop() and not result.blocked and (max_batches is None or batches < max_batches):
            moment = now or utcnow()
            claimed = claim(engine, moment, batch_size, lease=_lease(settings))
            if not claimed:
                break
            batches += 1
            for index, row in enumerate(claimed):
                if should_stop() or result.blocked:
                    release(engine, [r.id for r in claimed[index:]], now or utcnow())
                    break
                _send_one(engine, settings, sender, row, now or utcnow(), result)
        return result
    finally:
        if own_sender:
            sender.close()


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.whatsapp_timeout_seconds * 3 + 60)


def claim(engine: Engine, now: datetime, limit: int, lease: timedelta, *,
          upstream: bool = False) -> list[Notification]:
    """Take up to `limit` due rows (pending, or `sending` with an expired lease) for this worker: WhatsApp
    messages, or with `upstream` the write-backs to every other channel (core.intake.writeback)."""
    due = or_(
        (Notification.status == NotificationStatus.pending)
        & or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        (Notification.status == NotificationStatus.sending) & (Notification.next_attempt_at <= now),
    ) & (Notification.channel != "whatsapp" if upstream else Notification.channel == "whatsapp")
    candidates = (select(Notification.id).where(due).order_by(Notification.next_attempt_at, Notification.id)
                  .limit(limit).with_for_update(skip_locked=True))
    with Session(engine, expire_on_commit=False) as session:
        ids = session.exec(
            update(Notification).where(Notification.id.in_(candidates.scalar_subquery()))
            .values(status=NotificationStatus.sending, next_attempt_at=now + lease, updated_at=now)
            .returning(Notification.id)
        ).scalars().all()
        session.commit()
        if not ids:
            return []
        rows = session.exec(select(Notification).where(Notification.id.in_(ids))).all()
    return sorted(rows, key=lambda r: r.id)


def release(engine: Engine, ids: list[int], now: datetime) -> None:
    """Give claimed but unsent rows back (shutdown, or sending was blocked)."""
    if not ids:
        return
    with Session(engine) as session:
        session.exec(update(Notification).where(Notification.id.in_(ids),
                                                Notification.status == NotificationStatus.sending)
                     .values(status=NotificationStatus.pending, next_attempt_at=now, updated_at=now))
        session.commit()


def _send_one(engine: Engine, settings: Settings, sender: GraphSender, row: Notification, now: datetime,
              result: DispatchResult) -> None:
    values: dict[str, Any] = {"attempts": row.attempts + 1, "updated_at": now}
    try:
        provider_id = sender.send_template(row.recipient, row.template, list(row.params or []))
    except SendError as exc:
        values["last_error"] = exc.reason
        if exc.kind == "retry" and values["attempts"] < settings.whatsapp_max_attempts:
            delay = min(settings.whatsapp_retry_max_seconds,
                        settings.whatsapp_retry_base_seconds * 2 ** (values["attempts"] - 1))
            delay = max(delay * random.uniform(0.8, 1.2), exc.retry_after or 0)
            values.update(status=NotificationStatus.pending, next_attempt_at=now + timedelta(seconds=delay))
            result.retried += 1
        else:
            if exc.kind == "retry":
                values["last_error"] = f"gagal setelah {values['attempts']} percobaan; terakhir {exc.reason}"
            values.update(status=NotificationStatus.failed, next_attempt_at=None)
            result.failed += 1
        if exc.kind == "auth":
            result.blocked = True
            block_sender(engine, settings, exc.reason, now)
        log.info("notification %s to %s: %s (%s)", row.id, row.recipient, exc.kind, exc.reason)
    else:
        values.update(status=NotificationStatus.sent, provider_id=provider_id, sent_at=now, last_error=None,
                      next_attempt_at=None)
        result.sent += 1
    with Session(engine) as session:
        session.exec(update(Notification).where(Notification.id == row.id).values(**values))
        session.commit()


# --- sender health -------------------------------------------------------------------------------

def _state(session: Session) -> ServiceState | None:
    return session.exec(select(ServiceState).where(ServiceState.name == SENDER_STATE)).first()


def block_sender(engine: Engine, settings: Settings, reason: str, now: datetime) -> None:
    """Stop all sending until the token changes (expired/revoked token)."""
    with Session(engine) as session:
        state = _state(session) or ServiceState(name=SENDER_STATE)
        state.status, state.detail, state.updated_at = "blocked", reason, now
        state.data = {"token_fingerprint": token_fingerprint(settings)}
        session.add(state)
        session.commit()
    log.error("WhatsApp sending stopped: %s; set a valid ADUAN_WHATSAPP_TOKEN", reason)


def unblock_sender(engine: Engine, now: datetime | None = None, note: str = "dibuka kembali") -> None:
    with Session(engine) as session:
        state = _state(session)
        if state is not None and state.status != "ok":
            state.status, state.detail, state.updated_at = "ok", note, now or utcnow()
            session.add(state)
            session.commit()


def _blocked(engine: Engine, settings: Settings) -> bool:
    with Session(engine) as session:
        state = _state(session)
    if state is None or state.status != "blocked":
        return False
    if (state.data or {}).get("token_fingerprint") != token_fingerprint(settings):
        unblock_sender(engine, note="token diganti; pengiriman dilanjutkan")
        return False
    return True


def sender_health(session: Session, settings: Settings) -> dict[str, Any]:
    """What GET /health shows about WhatsApp sending: ok | blocked | unconfigured, with queue sizes."""
    counts = dict(session.exec(select(Notification.status, func.count()).where(Notification.channel == "whatsapp")
                               .group_by(Notification.status)).all())
    state = _state(session)
    configured = bool(settings.whatsapp_token and settings.whatsapp_phone_number_id)
    blocked = (state is not None and state.status == "blocked"
               and (state.data or {}).get("token_fingerprint") == token_fingerprint(settings))
    return {
        "status": "blocked" if blocked else ("ok" if configured else "unconfigured"),
        "detail": state.detail if blocked else None,
        "since": state.updated_at if blocked else None,
        "pending": counts.get(NotificationStatus.pending, 0) + counts.get(NotificationStatus.sending, 0),
        "failed": counts.get(NotificationStatus.failed, 0),
        "sent": sum(counts.get(s, 0) for s in (NotificationStatus.sent, NotificationStatus.delivered,
                                               NotificationStatus.read)),
    }


# A status only ever moves forward; `failed` beats `sent` but proof of delivery beats `failed`.
STATUS_RANK = {NotificationStatus.pending: 0, NotificationStatus.sending: 0, NotificationStatus.sent: 1,
               NotificationStatus.failed: 2, NotificationStatus.delivered: 3, NotificationStatus.read: 4}


def apply_receipt(session: Session, provider_id: str, status: str, at: datetime | None = None,
                  error: str | None = None) -> str:
    """Move the notification the provider reports on forward (never backward); returns what happened."""
    try:
        new = NotificationStatus(status)
    except ValueError:  # "deleted", "warning"…: nothing an outbox row can record
        return f"status {status!r} untuk {provider_id} tidak dipakai"
    if new in (NotificationStatus.pending, NotificationStatus.sending):
        return f"status {new} untuk {provider_id} tidak dipakai"
    notification = session.exec(select(Notification).where(Notification.provider_id == provider_id)).first()
    if notification is None:
        return f"status {new} untuk {provider_id}: tidak ada notifikasi"
    current = NotificationStatus(notification.status)
    if STATUS_RANK[new] <= STATUS_RANK[current]:
        return f"status {new} diabaikan: notifikasi {notification.id} sudah {current}"
    notification.status = new
    if new is NotificationStatus.failed:
        notification.last_error = error or "failed"
    if notification.sent_at is None and new is not NotificationStatus.failed:
        notification.sent_at = at or utcnow()
    notification.updated_at = utcnow()
    session.add(notification)
    return f"status {new} → notifikasi {notification.id}"
