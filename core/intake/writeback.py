"""Write-back: an action taken here on a complaint whose status an upstream owns goes out through the outbox.

`take_action` applies the workflow action locally (optimistic) and, when the channel's lifecycle lists the
action in `write_back`, enqueues one outbox row (`Notification`, channel = the complaint's channel, template
`upstream:<action>`). `dispatch_writebacks` (the worker) claims due rows of every channel but WhatsApp and
hands each to its connector's `send`:
- the upstream took it (`UpstreamAck`): the row is sent and the action's history event gets the id under which
  the posted follow-up comes back on the next pull, so that pull recognises it instead of adding it again;
- the upstream refused (`RefusedError`): the row fails with the upstream's reason (never retried), the
  history says so, and the complaint goes back to the status it had, unless it has moved on since;
- a retriable error (timeout, 429, 5xx) is retried with backoff; a fatal one (token, config) fails the row.

While a row is pending the complaint panel shows "menunggu sinkron ke <upstream>"; the intake pipeline keeps
a pending or confirmed action from being silently reverted by an upstream update (core.intake.pipeline).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.casework import citizen
from core.casework.citizen_loop import notify_action
from core.casework.outbox import claim, release
from core.casework.sla import track_pause
from core.casework.workflow import Action, ActionConflictError, ActionInputError, apply_action
from core.intake.contract import (
    ConnectorError,
    RefusedError,
    RetriableError,
    UpstreamAck,
    UpstreamAction,
)
from core.intake.http import client_for
from core.intake.ingest import Resolver
from core.intake.lifecycles import lifecycle_of, upstream_name
from core.intake.sync import ChannelConnectors, http_policy
from core.reference.calendar import WorkingCalendar, calendar_for
from core.runtime.settings import Settings
from models import Complaint, ComplaintEvent, EventKind, Notification, NotificationStatus, Opd
from models.types import utcnow

log = logging.getLogger("aduan.writeback")

TEMPLATE_PREFIX = "upstream:"
# What the complaint panel calls an outbox row's state.
SHOWN = {NotificationStatus.pending: "menunggu", NotificationStatus.sending: "menunggu",
         NotificationStatus.sent: "terkirim", NotificationStatus.delivered: "terkirim",
         NotificationStatus.read: "terkirim", NotificationStatus.failed: "gagal"}
ACTION_LABEL = {"verify": "verifikasi", "dispatch": "disposisi", "respond": "tindak lanjut",
                "postpone": "tunda", "resolve": "selesai", "reject": "tolak / bukan kewenangan"}


def is_writeback(row: Notification) -> bool:
    return row.template.startswith(TEMPLATE_PREFIX)


# --- taking an action -----------------------------------------------------------------------------

def take_action(session: Session, complaint: Complaint, action: Action | str, actor: str,
                calendar: WorkingCalendar, settings: Settings, opd_code: str | None = None,
                note: str | None = None, now: datetime | None = None, *, category_code: str | None = None,
                reason: str | None = None, into: int | None = None,
                may_read: Callable[[Complaint], bool] | None = None) -> ComplaintEvent:
    """`workflow.apply_action`, plus the outbox row when the upstream must hear of it (caller commits).
    Raises TransitionError / ActionInputError / ActionConflictError as apply_action does.

    A complaint whose status its upstream owns (SP4N-LAPOR!) is never merged as a child: closing it here as a
    duplicate would contradict the upstream, which keeps it open. It may be the parent; merge the others into it.
    A category set here is checked against the channel's lifecycle (an upstream may handle some categories to
    the end: no deadlines)."""
    action = Action(action)
    now = now or utcnow()
    lifecycle = lifecycle_of(complaint.channel, settings)
    if action is Action.merge and not may_merge_as_child(complaint.channel, settings):
        owner = upstream_name(complaint.channel, settings)
        raise ActionConflictError("into", f"aduan {owner} tidak dapat digabung sebagai duplikat karena statusnya "
                                          f"dikelola {owner}; gabungkan aduan lain ke dalamnya")
    cap = lifecycle.reply_max_chars
    if cap and action is Action.respond and note:
        room = _reply_room(session, complaint, settings, cap) if lifecycle.reply_carries_code else cap
        if len(note.strip()) > room:
            to = upstream_name(complaint.channel, settings)
            extra = f" termasuk kode aduan dan tautannya; isi paling banyak {room:,}" if room < cap else ""
            raise ActionInputError("note", f"balasan ke {to} maksimal {cap:,} karakter{extra} "
                                           f"(sekarang {len(note.strip()):,})".replace(",", "."))
    resolver = Resolver(session, settings)
    event = apply_action(session, complaint, action, actor, calendar, opd_code=opd_code, note=note, now=now,
                         category_code=category_code, reason=reason, into=into, settings=settings,
                         exempt=lambda category: resolver.ladder_exempt(complaint.channel, category),
                         may_read=may_read)
    if action.value in lifecycle.write_back:
        enqueue(session, complaint, event, action, now, settings if lifecycle.reply_carries_code else None)
    notify_action(session, complaint, event, action, settings, now)  # the reporter hears of it (WhatsApp)
    return event


def _reply_room(session: Session, complaint: Complaint, settings: Settings, cap: int) -> int:
    opd = session.get(Opd, complaint.opd_id) if complaint.opd_id else None
    code = complaint.tracking_code
    return citizen.public_reply_room(code, citizen.public_link(settings, code), cap, opd.name if opd else None)


def may_merge_as_child(channel: str, settings: Settings | None = None) -> bool:
    """Whether a complaint of this channel may be closed here as another's duplicate (not when its upstream
    owns the status; see take_action)."""
    return not lifecycle_of(channel, settings).upstream_owned


def enqueue(session: Session, complaint: Complaint, event: ComplaintEvent, action: Action,
            now: datetime, carry_code: Settings | None = None) -> Notification:
    """One outbox row per history event (its id is the idempotency key). `carry_code` (settings): a reply goes
    out worded for its author, with the tracking code and public link (core.casework.citizen.public_reply)."""
    key = f"{TEMPLATE_PREFIX}{event.id}"
    existing = session.exec(select(Notification).where(Notification.idempotency_key == key)).first()
    if existing is not None:
        return existing
    opd = session.get(Opd, complaint.opd_id) if complaint.opd_id else None
    note = event.note
    if carry_code is not None and action is Action.respond and note:
        code = complaint.tracking_code
        note = citizen.public_reply(code, citizen.public_link(carry_code, code), note, opd.name if opd else None)
    params = {"external_id": complaint.external_id, "action": action.value, "note": note,
              "opd_name": opd.name if opd else None, "opd_code": opd.code if opd else None, "event_id": event.id,
              "from_status": event.from_status, "to_status": event.to_status}
    row = Notification(idempotency_key=key, recipient=complaint.channel[:64], channel=complaint.channel[:16],
                       template=f"{TEMPLATE_PREFIX}{action.value}", params=params, complaint_id=complaint.id,
                       opd_id=complaint.opd_id, created_at=now, updated_at=now, next_attempt_at=now)
    session.add(row)
    session.flush()
    return row


# --- sending --------------------------------------------------------------------------------------

@dataclass
class WritebackResult:
    sent: int = 0
    retried: int = 0
    refused: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.sent or self.retried or self.refused or self.failed)

    def __str__(self) -> str:  # for logs: words, not a dataclass repr
        return f"{self.sent} sent, {self.retried} to retry, {self.refused} refused, {self.failed} failed"


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.sync_timeout_seconds * 3 + 60)


def dispatch_writebacks(engine: Engine, settings: Settings, *, now: datetime | None = None,
                        client: httpx.Client | None = None, batch_size: int = 20, max_batches: int | None = None,
                        should_stop: Callable[[], bool] = lambda: False) -> WritebackResult:
    """Send every due write-back (default time: the wall clock, re-read per batch)."""
    result = WritebackResult()
    own_client = client is None
    client = client or client_for(http_policy(settings))
    connectors = ChannelConnectors(engine, settings)
    try:
        batches = 0
        while not should_stop() and (max_batches is None or batches < max_batches):
            moment = now or utcnow()
            claimed = claim(engine, moment, batch_size, lease=_lease(settings), upstream=True)
            if not claimed:
                break
            batches += 1
            for index, row in enumerate(claimed):
                if should_stop():
                    release(engine, [r.id for r in claimed[index:]], now or utcnow())
                    break
                _send_one(engine, settings, connectors, client, row, now or utcnow(), result)
        return result
    finally:
        if own_client:
            client.close()


def _earlier_unsent(engine: Engine, row: Notification) -> Notification | None:
    """An older write-back of the same complaint that has not gone out yet (actions go in order)."""
    if row.complaint_id is None:
        return None
    with Session(engine) as session:
        return session.exec(select(Notification).where(
            Notification.complaint_id == row.complaint_id, Notification.id < row.id,
            Notification.channel == row.channel,
            Notification.status.in_([NotificationStatus.pending, NotificationStatus.sending]))
            .order_by(Notification.id)).first()


def _send_one(engine: Engine, settings: Settings, connectors: ChannelConnectors, client: httpx.Client,
              row: Notification, now: datetime, result: WritebackResult) -> None:
    earlier = _earlier_unsent(engine, row)
    if earlier is not None:  # wait behind it
        with Session(engine) as session:
            session.exec(update(Notification).where(Notification.id == row.id).values(
                status=NotificationStatus.pending, updated_at=now,
                next_attempt_at=max(earlier.next_attempt_at or now, now) + timedelta(seconds=1)))
            session.commit()
        return
    params: dict[str, Any] = dict(row.params or {})
    attempts = row.attempts + 1
    try:
        connector = connectors(row.channel)
        ack = connector.send(client, UpstreamAction(
            external_id=str(params.get("external_id")), action=str(params.get("action")),
            note=params.get("note"), opd_name=params.get("opd_name")))
        if not isinstance(ack, UpstreamAck):
            ack = UpstreamAck()
    except RefusedError as exc:
        _refused(engine, row, params, attempts, str(exc), now, connectors)
        result.refused += 1
        log.info("write-back %s (%s) refused upstream: %s", row.id, row.template, exc)
    except RetriableError as exc:
        if attempts < settings.whatsapp_max_attempts:
            delay = min(settings.whatsapp_retry_max_seconds, settings.whatsapp_retry_base_seconds * 2 ** (attempts - 1))
            delay = max(delay * random.uniform(0.8, 1.2), exc.retry_after or 0)
            _update(engine, row.id, attempts=attempts, updated_at=now, last_error=str(exc)[:2000],
                    status=NotificationStatus.pending, next_attempt_at=now + timedelta(seconds=delay))
            result.retried += 1
        else:
            _failed(engine, row, params, attempts, f"gagal setelah {attempts} percobaan; terakhir {exc}", now)
            result.failed += 1
    except (ConnectorError, NotImplementedError) as exc:  # token, config, no connector: needs an operator
        _failed(engine, row, params, attempts, str(exc), now)
        result.failed += 1
        log.warning("write-back %s (%s) failed: %s", row.id, row.template, exc)
    else:
        _confirmed(engine, row, params, attempts, ack, now, connectors)
        result.sent += 1


def _update(engine: Engine, row_id: int, **values: Any) -> None:
    with Session(engine) as session:
        session.exec(update(Notification).where(Notification.id == row_id).values(**values))
        session.commit()


def _owner(channel: str, connectors: ChannelConnectors | None = None) -> str:
    settings = connectors.settings if connectors else None
    return upstream_name(channel, settings)


def _label(params: dict[str, Any]) -> str:
    action = str(params.get("action"))
    return ACTION_LABEL.get(action, action)


def _confirmed(engine: Engine, row: Notification, params: dict[str, Any], attempts: int, ack: UpstreamAck,
               now: datetime, connectors: ChannelConnectors) -> None:
    with Session(engine) as session:
        session.exec(update(Notification).where(Notification.id == row.id).values(
            status=NotificationStatus.sent, attempts=attempts, sent_at=now, updated_at=now, last_error=None,
            next_attempt_at=None, provider_id=(ack.event_external_id or None) and ack.event_external_id[:200]))
        event = session.get(ComplaintEvent, params.get("event_id")) if params.get("event_id") else None
        if event is not None and ack.event_external_id and event.external_id is None:
            # A pull that ran between the upstream's answer and this commit may have added the follow-up
            # already: ours (with the actor who wrote it) is kept, the pulled copy goes.
            copy = session.exec(select(ComplaintEvent).where(
                ComplaintEvent.complaint_id == event.complaint_id,
                ComplaintEvent.external_id == ack.event_external_id)).first()
            if copy is not None:
                session.delete(copy)
                session.flush()
            event.external_id = ack.event_external_id[:200]
            session.add(event)
        if row.complaint_id is not None:
            owner = _owner(row.channel, connectors)
            session.add(ComplaintEvent(
                complaint_id=row.complaint_id, at=now, actor=owner[:120], kind=EventKind.note,
                note=f"Dikonfirmasi {owner}: {_label(params)}" + (f" ({ack.detail})" if ack.detail else ""),
                data={"writeback": row.id, "action": params.get("action"), "result": "confirmed"}))
        session.commit()


def _failed(engine: Engine, row: Notification, params: dict[str, Any], attempts: int, reason: str,
            now: datetime) -> None:
    with Session(engine) as session:
        session.exec(update(Notification).where(Notification.id == row.id).values(
            status=NotificationStatus.failed, attempts=attempts, updated_at=now, last_error=reason[:2000],
            next_attempt_at=None))
        if row.complaint_id is not None:
            owner = _owner(row.channel)
            session.add(ComplaintEvent(
                complaint_id=row.complaint_id, at=now, actor="system", kind=EventKind.note,
                note=f"Gagal dikirim ke {owner}: {_label(params)}: {reason}"[:4000],
                data={"writeback": row.id, "action": params.get("action"), "result": "failed"}))
        session.commit()


def _refused(engine: Engine, row: Notification, params: dict[str, Any], attempts: int, reason: str,
             now: datetime, connectors: ChannelConnectors) -> None:
    owner = _owner(row.channel, connectors)
    with Session(engine) as session:
        session.exec(update(Notification).where(Notification.id == row.id).values(
            status=NotificationStatus.failed, attempts=attempts, updated_at=now,
            last_error=f"ditolak {owner}: {reason}"[:2000], next_attempt_at=None))
        complaint = session.get(Complaint, row.complaint_id) if row.complaint_id else None
        if complaint is not None:
            back, to = params.get("from_status"), params.get("to_status")
            note = f"Ditolak {owner}: {_label(params)}: {reason}"
            event = ComplaintEvent(complaint_id=complaint.id, at=now, actor=owner[:120], kind=EventKind.status,
                                   note=note[:4000],
                                   data={"writeback": row.id, "action": params.get("action"), "result": "refused"})
            acted = session.get(ComplaintEvent, params["event_id"]) if params.get("event_id") else None
            if acted is not None and complaint.first_response_at == acted.at:  # it never reached the reporter
                complaint.first_response_at = None
                session.add(complaint)
            if back and to and back != to and complaint.status == to:
                event.from_status, event.to_status = to, back
                complaint.status = back
                if to == "resolved":
                    complaint.resolved_at = None
                track_pause(complaint, now, calendar_for(connectors.settings))  # a refused postponement resumes
                complaint.updated_at = now
                session.add(complaint)
            session.add(event)
        session.commit()


# --- what the complaint panel and Konektor show ---------------------------------------------------

def upstream_actions(session: Session, complaint_id: int) -> list[dict[str, Any]]:
    """The complaint's write-backs, oldest first: {action, status (menunggu|terkirim|gagal), error, at}."""
    rows = session.exec(select(Notification).where(
        Notification.complaint_id == complaint_id, Notification.template.startswith(TEMPLATE_PREFIX))
        .order_by(Notification.id)).all()
    return [{"action": r.template.removeprefix(TEMPLATE_PREFIX), "status": SHOWN[NotificationStatus(r.status)],
             "error": r.last_error if r.status == NotificationStatus.failed else None,
             "at": r.sent_at or r.updated_at} for r in rows]


def sync_state(channel: str, actions: list[dict[str, Any]], settings: Settings | None = None) -> str | None:
    """One line for the panel: pending first, else the latest action's failure; None when all is in sync."""
    if not actions:
        return None
    owner = upstream_name(channel, settings)
    pending = [a for a in actions if a["status"] == "menunggu"]
    if pending:
        return f"menunggu sinkron ke {owner}"
    last = actions[-1]
    if last["status"] == "gagal":
        return f"gagal sinkron ke {owner}: {last['error']}"
    return f"tersinkron dengan {owner}"


def failed_by_channel(session: Session, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
    """The latest failed write-backs per channel (Konektor page): complaint, action, reason, when."""
    rows = session.exec(select(Notification, Complaint.tracking_code).join(
        Complaint, Complaint.id == Notification.complaint_id, isouter=True).where(
        Notification.status == NotificationStatus.failed, Notification.template.startswith(TEMPLATE_PREFIX))
        .order_by(Notification.updated_at.desc(), Notification.id.desc()).limit(limit * 10)).all()
    out: dict[str, list[dict[str, Any]]] = {}
    for row, code in rows:
        items = out.setdefault(row.channel, [])
        if len(items) < limit:
            items.append({"complaint_id": row.complaint_id, "tracking_code": code,
                          "action": row.template.removeprefix(TEMPLATE_PREFIX), "error": row.last_error,
                          "at": row.updated_at})
    return out


def writeback_problems(session: Session) -> dict[str, dict[str, Any]]:
    """Per channel: write-backs waiting to go out, and the latest failed ones with the reason (Konektor page)."""
    pending = dict(session.exec(select(Notification.channel, func.count()).where(
        Notification.status.in_([NotificationStatus.pending, NotificationStatus.sending]),
        Notification.template.startswith(TEMPLATE_PREFIX)).group_by(Notification.channel)).all())
    failed = failed_by_channel(session)
    return {channel: {"writeback_pending": pending.get(channel, 0), "writeback_failed": failed.get(channel, [])}
            for channel in {*pending, *failed}}
