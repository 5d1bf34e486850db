"""Message threads: a reporter's message opens a complaint or joins their recent one.

A message joins the complaint of the same reporter key (a wa_id) whose messages span to within the
window of it, late arrivals included; otherwise it opens a complaint keyed `<reporter>:<message id>`.
A message id seen before in any of the reporter's complaints changes nothing (redeliveries).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func, text
from sqlmodel import Session, select

from core.intake.contract import ComplaintDraft, DraftEvent, ThreadMessage
from core.reference.regions import nearest_kecamatan
from models import Complaint, ComplaintEvent, ComplaintMedia, EventKind
from models.types import utcnow

RECENT_THREADS = 5


def apply_message(session: Session, channel: str, message: ThreadMessage, window: timedelta,
                  placeholder_titles: frozenset[str]) -> ComplaintDraft | str:
    """The draft of a new complaint, or the outcome ("updated", "unchanged") of joining a thread."""
    lock_reporters(session, channel, {message.reporter})
    threads = _threads_of(session, channel, message.reporter)
    if _already_seen(session, threads, message):
        return "unchanged"
    event = DraftEvent(external_id=message.message_id, at=message.at, kind=EventKind.message_in,
                       actor=message.reporter_name or message.reporter, note=message.text)
    thread = _thread_for(session, threads, message.at, window)
    if thread is None:
        kecamatan = nearest_kecamatan(session, message.lat, message.lon) if message.lat is not None else None
        return ComplaintDraft(
            external_id=f"{message.reporter}:{message.message_id}", title=message.title, body=message.text,
            received_at=message.at, reporter_name=message.reporter_name,
            reporter_contact=message.reporter_contact or message.reporter,
            lat=message.lat, lon=message.lon, location_text=message.location_text, kecamatan=kecamatan,
            classification=message.classification, events=[event])
    _append(session, thread, event, message, placeholder_titles)
    return "updated"


def lock_reporters(session: Session, channel: str, reporters: set[str]) -> None:
    """Serialise concurrent deliveries from one reporter on PostgreSQL (SQLite serialises writers);
    locks are taken in key order and held until commit, so taking one twice is harmless."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(int(hashlib.sha256(f"{channel}:{r}".encode()).hexdigest()[:15], 16) for r in reporters):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _threads_of(session: Session, channel: str, reporter: str) -> list[Complaint]:
    return list(session.exec(select(Complaint).where(
        Complaint.channel == channel, Complaint.external_id.like(f"{reporter}:%"))
        .order_by(Complaint.received_at.desc())).all())


def _already_seen(session: Session, threads: list[Complaint], message: ThreadMessage) -> bool:
    if any(c.external_id == f"{message.reporter}:{message.message_id}" for c in threads):
        return True
    if not threads:
        return False
    return session.exec(select(ComplaintEvent.id).where(
        ComplaintEvent.complaint_id.in_([c.id for c in threads]), ComplaintEvent.external_id == message.message_id)
    ).first() is not None


def _thread_for(session: Session, threads: list[Complaint], at: datetime, window: timedelta) -> Complaint | None:
    for complaint in threads[:RECENT_THREADS]:
        last = session.exec(select(func.max(ComplaintEvent.at)).where(
            ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == EventKind.message_in)).one()
        last = max(last, complaint.received_at) if last else complaint.received_at
        if complaint.received_at - window <= at <= last + window:
            return complaint
    return None


def _append(session: Session, complaint: Complaint, event: DraftEvent, message: ThreadMessage,
            placeholder_titles: frozenset[str]) -> None:
    data = {"media_id": message.media_id} if message.media_id else None
    session.add(ComplaintEvent(complaint_id=complaint.id, kind=EventKind.message_in, actor=event.actor,
                               note=event.note, at=event.at, external_id=event.external_id, data=data))
    record_media(session, complaint.id, message)
    if not message.placeholder:
        if complaint.title in placeholder_titles:
            complaint.title = message.title
        complaint.body = f"{complaint.body}\n{message.text}".strip()
    if message.lat is not None and complaint.lat is None:
        complaint.lat, complaint.lon = message.lat, message.lon
        complaint.location_text = complaint.location_text or message.location_text
        complaint.kecamatan = complaint.kecamatan or nearest_kecamatan(session, message.lat, message.lon)
    complaint.updated_at = utcnow()
    session.add(complaint)


def record_media(session: Session, complaint_id: int, message: ThreadMessage) -> None:
    """A message with a photo/video/document leaves a pending ComplaintMedia; the worker downloads it
    (core.intake.media). Once per (complaint, media id)."""
    if not message.media_id:
        return
    known = session.exec(select(ComplaintMedia.id).where(ComplaintMedia.complaint_id == complaint_id,
                                                         ComplaintMedia.media_id == message.media_id)).first()
    if known is None:
        session.add(ComplaintMedia(complaint_id=complaint_id, media_id=message.media_id[:200],
                                   kind=(message.media_kind or "image")[:16], mime_type=message.media_mime,
                                   caption=message.media_caption))
