"""Notification outbox: enqueue once, claim due rows, send WhatsApp messages, retry or fail.

A row goes pending → sending (claimed, with a lease) → sent | failed; delivery callbacks from
the WhatsApp webhook (connectors/whatsapp.py) move it on to delivered/read by `provider_id`.
Claiming is one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING id, so several
workers on PostgreSQL never take the same row, and on SQLite the single statement is atomic.

Rows are approved templates (reminders to OPD admins: `params` is the list of template parameters) or messages
with forms (`params` is a dict: a reporter's message, core.casework.citizen_loop, or the weekly briefing, whose
template carries an uploaded document in its header, core.reporting.briefing): a session text or interactive message
inside the 24-hour window, else the row's template; Graph error 131047 (outside the window), answered at once or in a
`failed` status callback, sends the template instead. A number that said BERHENTI gets nothing (the row fails
with "penerima berhenti berlangganan"), except the confirmation of its opt-out.

Sending twice after a crash: before the HTTP call the row records the attempt's reference (`provider_id =
"ref:<ref>@<unix time>"`, committed), and the request carries it as `biz_opaque_callback_data`, which Meta echoes in
the message's status callbacks. A worker killed after the request leaves the row `sending` with that reference;
when the lease runs out, the next worker does not send it again but waits up to `ADUAN_WHATSAPP_UNSURE_MINUTES`
for the callback: a `sent`/`delivered` status carrying the reference marks the row sent (with the wamid). Only
when no callback came in that time is it sent again. A worker killed before the request has recorded nothing,
and the row is simply sent when the lease runs out. (A timeout is retried at once: the request may have got
through, the one case where a duplicate remains possible.)

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
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.casework.contacts import OPTED_OUT, in_window, is_opted_out, last_inbound
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

    def send_template(self, to: str, template: str, params: list[Any], *, ref: str | None = None,
                      buttons: list[str] | tuple[str, ...] = (), document: dict[str, Any] | None = None) -> str | None:
        """An approved template; `buttons`: the payloads of its quick-reply buttons, in order; `document`: its
        header's document, `{"id": <uploaded media id>, "filename"}` or `{"link", "filename"}`."""
        components: list[dict[str, Any]] = [
            {"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in params]}]
        if document:
            components.insert(0, {"type": "header", "parameters": [{"type": "document", "document": document}]})
        components += [{"type": "button", "sub_type": "quick_reply", "index": str(i),
                        "parameters": [{"type": "payload", "payload": payload}]} for i, payload in enumerate(buttons)]
        body = {
            "messaging_product": "whatsapp", "to": to, "type": "template",
            "template": {"name": template, "language": {"code": self.settings.whatsapp_template_language},
                         "components": components},
        }
        return self._post(body, ref)

    def send_session(self, to: str, message: dict[str, Any], *, ref: str | None = None) -> str | None:
        """A free-form message inside the 24-hour window: `message` is `{"type": "text", "text": {"body"}}` or
        `{"type": "interactive", "interactive": {"type": "button", "body", "action": {"buttons"}}}`."""
        return self._post({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}, ref)

    def send_text(self, to: str, text: str, *, ref: str | None = None) -> str | None:
        return self.send_session(to, {"type": "text", "text": {"preview_url": True, "body": text}}, ref=ref)

    def upload_media(self, content: bytes, mime_type: str, filename: str) -> str:
        """Upload a file for later messages (`POST /{phone_number_id}/media`, multipart); answers its media id.
        Raises SendError like a send."""
        s = self.settings
        url = f"{s.whatsapp_graph_base_url.rstrip('/')}/{s.whatsapp_graph_version}/{s.whatsapp_phone_number_id}/media"
        headers = {"Authorization": f"Bearer {s.whatsapp_token.get_secret_value()}"}
        try:
            response = self.client.post(url, headers=headers, data={"messaging_product": "whatsapp", "type": mime_type},
                                        files={"file": (filename, content, mime_type)})
        except httpx.TimeoutException:
            raise SendError("retry", "timeout") from None
        except httpx.TransportError as exc:
            raise SendError("retry", f"connection error: {exc.__class__.__name__}") from None
        if response.status_code == 200:
            try:
                return str(response.json()["id"])
            except (ValueError, KeyError, TypeError):
                raise SendError("retry", "unreadable media upload answer") from None
        raise classify_error(response)

    def _post(self, body: dict[str, Any], ref: str | None) -> str | None:
        s = self.settings
        base = s.whatsapp_graph_base_url.rstrip("/")
        url = f"{base}/{s.whatsapp_graph_version}/{s.whatsapp_phone_number_id}/messages"
        if ref:
            body = {**body, "biz_opaque_callback_data": ref}
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


def enqueue(session: Session, *, key: str, recipient: str, template: str, params: list[Any] | dict[str, Any],
            now: datetime, opd_id: int | None = None, complaint_id: int | None = None) -> Notification:
    """Add a notification unless one with `key` exists (then return that one). The caller commits.
    A number that opted out (BERHENTI) gets the row already failed, with the reason (`params["always"]`: the
    confirmation of the opt-out itself still goes)."""
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
    elif not _always(params) and is_opted_out(session, number):
        row.status, row.last_error, row.next_attempt_at = NotificationStatus.failed, OPTED_OUT, None
    session.add(row)
    return row


def _always(params: Any) -> bool:
    return isinstance(params, dict) and bool(params.get("always"))


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: bool = False
    unconfigured: bool = False
    opted_out: int = 0  # not sent: the number said BERHENTI (also counted in `failed`)
    templated: int = 0  # messages to reporters that went as their template (outside the window, or 131047)
    unsure: int = 0  # rows whose last send may have reached Meta: waiting for its status callback

    def __bool__(self) -> bool:  # "did anything happen" (the worker logs only then)
        return bool(self.sent or self.retried or self.failed)

    def __str__(self) -> str:  # for logs and the demo: words, not a dataclass repr
        state = "; sending stopped (token refused)" if self.blocked else (
            "; WhatsApp not configured" if self.unconfigured else "")
        extra = "".join(f", {n} {what}" for n, what in ((self.opted_out, "to opted-out numbers"),
                                                          (self.templated, "as templates"),
                                                          (self.unsure, "awaiting Meta's callback")) if n)
        return f"{self.sent} sent, {self.retried} to retry, {self.failed} failed{extra}{state}"


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


REF_PREFIX = "ref:"


def attempt_ref(row_id: int, attempt: int) -> str:
    """The reference one send attempt carries (`biz_opaque_callback_data`)."""
    return f"aduan:{row_id}:{attempt}"


def unsure_since(provider_id: str | None) -> datetime | None:
    """When the attempt whose outcome is unknown started (its reference is still in `provider_id`), else None."""
    if not provider_id or not provider_id.startswith(REF_PREFIX) or "@" not in provider_id:
        return None
    try:
        return datetime.fromtimestamp(int(provider_id.rsplit("@", 1)[1]), UTC)
    except ValueError:
        return None


def begin_attempt(engine: Engine, row_id: int, attempt: int, ref: str, now: datetime) -> bool:
    """Record, before the request leaves, that attempt `ref` of a claimed row is under way (committed). False when
    the row is no longer ours (a status callback or another worker moved it meanwhile)."""
    with Session(engine) as session:
        done = session.exec(update(Notification).where(Notification.id == row_id,
                                                       Notification.status == NotificationStatus.sending)
                            .values(provider_id=f"{REF_PREFIX}{ref}@{int(now.timestamp())}",
                                    attempts=attempt, updated_at=now))
        session.commit()
    return done.rowcount == 1


def _send_one(engine: Engine, settings: Settings, sender: GraphSender, row: Notification, now: datetime,
              result: DispatchResult) -> None:
    citizen = row.params if isinstance(row.params, dict) else None
    with Session(engine) as session:
        opted_out = not _always(row.params) and is_opted_out(session, row.recipient)
        last = last_inbound(session, row.recipient) if citizen is not None and not opted_out else None
    if opted_out:
        _update(engine, row.id, status=NotificationStatus.failed, last_error=OPTED_OUT, next_attempt_at=None,
                updated_at=now)
        result.failed += 1
        result.opted_out += 1
        return
    started = unsure_since(row.provider_id)
    wait = timedelta(minutes=settings.whatsapp_unsure_minutes)
    if started is not None and now < started + wait:  # the last request may have reached Meta: no second one
        _update(engine, row.id, next_attempt_at=started + wait, updated_at=now)
        result.unsure += 1
        return
    if started is not None:
        log.warning("notification %s: no status callback for %s within %s; sending it again", row.id,
                    row.provider_id, wait)
    attempts = row.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "updated_at": now}
    ref = attempt_ref(row.id, attempts)
    if not begin_attempt(engine, row.id, attempts, ref, now):
        return
    form = "template"
    try:
        if citizen is None:
            provider_id = sender.send_template(row.recipient, row.template, list(row.params or []), ref=ref)
        else:
            hint = _parse_time(citizen.get("inbound_at"))
            last = max((t for t in (last, hint) if t is not None), default=None)
            session_ok = citizen.get("session") and not citizen.get("force_template") and in_window(last, now)
            form = "session" if session_ok else "template"
            provider_id, form = _send_citizen(engine, sender, row, citizen, form, ref, now)
    except SendError as exc:
        values["last_error"] = exc.reason
        values["provider_id"] = None
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
        _update(engine, row.id, **values)
        return
    values.update(status=NotificationStatus.sent, provider_id=provider_id, sent_at=now, last_error=None,
                  next_attempt_at=None)
    if citizen is not None:
        values["params"] = {**citizen, "sent_as": form}
        if form == "template":
            result.templated += 1
    result.sent += 1
    with Session(engine) as session:  # a status callback that came first (matched by the reference) stays
        session.exec(update(Notification).where(Notification.id == row.id,
                                                Notification.status == NotificationStatus.sending).values(**values))
        session.commit()


def _send_citizen(engine: Engine, sender: GraphSender, row: Notification, citizen: dict[str, Any], form: str,
                  ref: str, now: datetime) -> tuple[str | None, str]:
    """Send a reporter's message as a session message or as its template; a session message Graph refuses with
    131047 (outside the window) goes as the template at once. Raises SendError."""
    template = citizen.get("template")
    if form == "session":
        try:
            return sender.send_session(row.recipient, citizen["session"], ref=ref), "session"
        except SendError as exc:
            if exc.code != 131047 or not template:
                raise
            log.info("notification %s to %s: 131047 outside the window, sending template %s", row.id,
                     row.recipient, template)
            ref = f"{ref}t"
            if not begin_attempt(engine, row.id, row.attempts + 1, ref, now):
                raise SendError("fail", "baris diambil alih saat pengiriman") from None
    if not template:
        raise SendError("fail", "di luar jendela 24 jam layanan pelanggan; pesan ini hanya dapat dikirim sebagai "
                                "pesan sesi (tanpa template)", 131047)
    provider_id = sender.send_template(row.recipient, template, list(citizen.get("params") or []), ref=ref,
                                       buttons=citizen.get("buttons") or (), document=citizen.get("document"))
    return provider_id, "template"


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _update(engine: Engine, row_id: int, **values: Any) -> None:
    with Session(engine) as session:
        session.exec(update(Notification).where(Notification.id == row_id).values(**values))
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
                  error: str | None = None, reference: str | None = None) -> str:
    """Move the notification the provider reports on forward (never backward); returns what happened.

    `reference`: what the send attached (`biz_opaque_callback_data`); it finds a row whose sender stopped before
    recording the wamid, which then gets it. A reporter's session message that fails with 131047 (outside the
    window) is queued again as its template."""
    try:
        new = NotificationStatus(status)
    except ValueError:  # "deleted", "warning"…: nothing an outbox row can record
        return f"status {status!r} untuk {provider_id} tidak dipakai"
    if new in (NotificationStatus.pending, NotificationStatus.sending):
        return f"status {new} untuk {provider_id} tidak dipakai"
    notification = session.exec(select(Notification).where(Notification.provider_id == provider_id)).first()
    if notification is None and reference:
        notification = session.exec(select(Notification).where(
            Notification.provider_id.like(f"{REF_PREFIX}{reference}@%"))).first()
        if notification is not None:
            notification.provider_id = provider_id[:200]
            if new is not NotificationStatus.failed and notification.status == NotificationStatus.sending:
                notification.next_attempt_at = None
    if notification is None:
        return f"status {new} untuk {provider_id}: tidak ada notifikasi"
    current = NotificationStatus(notification.status)
    params = notification.params if isinstance(notification.params, dict) else None
    if (new is NotificationStatus.failed and (error or "").startswith("131047") and params is not None
            and params.get("template") and params.get("sent_as") == "session"
            and current in (NotificationStatus.sent, NotificationStatus.sending)):
        notification.status = NotificationStatus.pending
        notification.params = {**params, "force_template": True, "sent_as": None}
        notification.provider_id, notification.next_attempt_at = None, utcnow()
        notification.last_error = f"{error}; dikirim ulang sebagai template {params['template']}"[:2000]
        notification.updated_at = utcnow()
        session.add(notification)
        return f"status failed (131047) → notifikasi {notification.id} dikirim ulang sebagai template"
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
