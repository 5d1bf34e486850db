"""Who may be written to, and how: WhatsApp opt-outs ("BERHENTI") and the 24-hour customer-service window.

- A number with an active `ContactOptout` gets no message of any kind (the outbox fails the row with
  `OPTED_OUT`), except the one confirming the opt-out.
- Free-form (session) messages are allowed only within 24 hours of the person's last message to us; the last
  message is the latest of: a message in one of that number's WhatsApp threads, an answer to "sudah beres?"
  (on whichever complaint asked it), a BERHENTI/MULAI.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from models import Complaint, ComplaintEvent, ContactOptout, EventKind, Notification

WHATSAPP = "whatsapp"
WINDOW = timedelta(hours=24)
OPTED_OUT = "penerima berhenti berlangganan"
QUESTION_KEY = "beres:"  # idempotency keys of the "sudah beres?" questions: beres:<complaint id>:<round>


def optout_of(session: Session, number: str, channel: str = WHATSAPP) -> ContactOptout | None:
    return session.exec(select(ContactOptout).where(ContactOptout.channel == channel,
                                                    ContactOptout.address == number)).first()


def is_opted_out(session: Session, number: str | None, channel: str = WHATSAPP) -> bool:
    if not number:
        return False
    row = optout_of(session, number, channel)
    return row is not None and row.active


def set_optout(session: Session, number: str, active: bool, at: datetime, message_id: str | None,
               channel: str = WHATSAPP) -> tuple[ContactOptout, bool]:
    """Record BERHENTI (`active`) or MULAI; returns the row and whether anything changed. The caller commits."""
    row = optout_of(session, number, channel)
    if row is None:
        if not active:
            return ContactOptout(channel=channel, address=number, active=False, opted_out_at=at, updated_at=at), False
        row = ContactOptout(channel=channel, address=number, active=True, opted_out_at=at, updated_at=at,
                            message_id=(message_id or "")[:200] or None)
        session.add(row)
        session.flush()
        return row, True
    changed = row.active != active
    row.active = active
    row.updated_at = max(row.updated_at, at) if row.updated_at else at
    if active and changed:
        row.opted_out_at = at
        row.message_id = (message_id or "")[:200] or None
    session.add(row)
    session.flush()
    return row, changed


def last_inbound(session: Session, number: str) -> datetime | None:
    """When this number last wrote to us (None: never, as far as the database knows)."""
    thread = session.exec(
        select(func.max(ComplaintEvent.at)).join(Complaint, Complaint.id == ComplaintEvent.complaint_id)
        .where(Complaint.channel == WHATSAPP, Complaint.external_id.like(f"{number}:%"),
               ComplaintEvent.kind == EventKind.message_in)).one()
    answer = session.exec(
        select(func.max(Complaint.satisfaction_at)).join(Notification, Notification.complaint_id == Complaint.id)
        .where(Notification.recipient == number, Notification.idempotency_key.like(f"{QUESTION_KEY}%"))).one()
    optout = optout_of(session, number)
    times = [t for t in (thread, answer, optout.updated_at if optout else None) if t is not None]
    return max(times) if times else None


def in_window(last: datetime | None, now: datetime) -> bool:
    return last is not None and now - last < WINDOW
