"""The loop with the reporter on WhatsApp: what goes out through the outbox, and what their replies do.

Out (one `Notification` each, idempotent by key; the texts are core.casework.citizen's):
- `acknowledge`: a new WhatsApp complaint thread gets its tracking code, public link and response date
  (`ack:<complaint id>`), unless its first message is older than `ADUAN_CITIZEN_ACK_MAX_AGE_HOURS`;
- `notify_action`: a tindak lanjut, postponement, completion or rejection reaches the reporter of a complaint from
  `ADUAN_CITIZEN_NOTICE_CHANNELS` (WhatsApp, walk-ins) whose contact is a phone number, and the reporters of the
  duplicates merged into it (`notice:<event id>:<number>`: one per status change and number, never two);
  completion also asks "sudah beres?" once per round of handling (`beres:<complaint id>:<reopened count>`).
  Anonymous and `rahasia` reporters are told as well: the message goes only to them.
In (`handle_reply`, called by the intake pipeline before a WhatsApp message is filed as a complaint):
- "BERHENTI" records the opt-out (`ContactOptout`) and confirms it once; from then on nothing goes to the number.
  "MULAI" subscribes it again;
- "1"/"sudah"/its button and "2"/"belum"/its button, from a number asked "sudah beres?" in the last
  `ADUAN_SATISFACTION_DAYS` days, record the answer on that complaint (`satisfaction`, `satisfaction_at`, a
  history entry); "belum" on a complaint still resolved reopens it (workflow `reopen`, counted in
  `reopened_count`) and it is back with its OPD. Neither opens a complaint.
The outbox (core.casework.outbox) decides at sending time between the session message and the template.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from core.casework import citizen
from core.casework.citizen import NOTICE_ACTIONS, SUDAH, Message
from core.casework.contacts import QUESTION_KEY, WHATSAPP, set_optout
from core.casework.outbox import enqueue, normalise_msisdn
from core.casework.workflow import Action, apply_action, reason_label
from core.reference.calendar import calendar_for
from core.runtime.settings import Settings
from models import Complaint, ComplaintEvent, EventKind, Notification, NotificationStatus, Opd, Status
from models.types import utcnow

SESSION_ONLY = "sesi"  # the `template` column of a message that has no template (session only)
REPORTER = "Pelapor"


def message_params(message: Message, kind: str, inbound_at: datetime | None = None,
                   always: bool = False) -> dict[str, Any]:
    """What a reporter's outbox row carries: both forms of the message, for the sender to choose from."""
    return {"kind": kind, "text": message.text, "session": message.session(), "template": message.template,
            "params": list(message.params), "buttons": list(message.template_buttons),
            "inbound_at": inbound_at.isoformat() if inbound_at else None, "always": always}


def _enqueue(session: Session, key: str, number: str, message: Message, kind: str, now: datetime,
             complaint: Complaint | None = None, inbound_at: datetime | None = None,
             always: bool = False) -> Notification:
    return enqueue(session, key=key, recipient=number, template=message.template or SESSION_ONLY,
                   params=message_params(message, kind, inbound_at, always), now=now,
                   opd_id=complaint.opd_id if complaint else None, complaint_id=complaint.id if complaint else None)


def reporter_number(complaint: Complaint, settings: Settings) -> str | None:
    """The reporter's WhatsApp number when they are told of their complaint (their channel, a phone number)."""
    if complaint.channel not in settings.citizen_notice_channels:
        return None
    return normalise_msisdn(complaint.reporter_contact)


# --- out -----------------------------------------------------------------------------------------

def acknowledge(session: Session, complaint: Complaint, settings: Settings, first_at: datetime,
                now: datetime | None = None) -> Notification | None:
    """Queue the acknowledgement of a complaint a WhatsApp message has just opened (the caller commits)."""
    now = now or utcnow()
    if complaint.channel != WHATSAPP or now - first_at > timedelta(hours=settings.citizen_ack_max_age_hours):
        return None
    number = normalise_msisdn(complaint.reporter_contact)
    if number is None:
        return None
    code = complaint.tracking_code
    message = citizen.acknowledgement(settings, code, citizen.public_link(settings, code), complaint.response_due_at)
    return _enqueue(session, f"ack:{complaint.id}", number, message, "ack", now, complaint, inbound_at=first_at)


def _own_note(action: str, note: str | None, reason: str | None) -> str | None:
    """The OPD's own words of an action's note (a rejection's note starts with its reason's label)."""
    if action == "reject" and reason and note:
        if note == reason:
            return None
        return note.removeprefix(f"{reason}: ")
    return note


def notify_action(session: Session, complaint: Complaint, event: ComplaintEvent, action: Action | str,
                  settings: Settings, now: datetime | None = None) -> list[Notification]:
    """Queue the status notice of one action (and "sudah beres?" on completion); the caller commits."""
    action = str(action)
    if action not in NOTICE_ACTIONS:
        return []
    now = now or utcnow()
    children = session.exec(select(Complaint).where(Complaint.parent_id == complaint.id)
                            .order_by(Complaint.id)).all() if complaint.id else []
    targets: dict[str, Complaint] = {}
    for target in (complaint, *children):
        number = reporter_number(target, settings)
        if number is not None and number not in targets:
            targets[number] = target
    if not targets:
        return []
    opd = session.get(Opd, complaint.opd_id) if complaint.opd_id else None
    reason = reason_label(complaint.reject_reason, settings) if action == "reject" else None
    note = _own_note(action, event.note, reason)
    code = complaint.tracking_code
    link = citizen.public_link(settings, code)
    rows: list[Notification] = []
    for number, target in targets.items():
        merged = target.tracking_code if target.id != complaint.id else None
        message = citizen.status_notice(action, code, link, opd_name=opd.name if opd else None, note=note,
                                        reason=reason, merged_code=merged)
        rows.append(_enqueue(session, f"notice:{event.id}:{number}", number, message, f"notice:{action}", now,
                             target))
    own = reporter_number(complaint, settings)
    if action == "resolve" and own is not None:
        rows.append(_enqueue(session, f"{QUESTION_KEY}{complaint.id}:{complaint.reopened_count or 0}", own,
                             citizen.satisfaction_question(code), "question", now, complaint))
    return rows


# --- in ------------------------------------------------------------------------------------------

def handle_reply(session: Session, channel: str, sender: str, text: str | None, reply_id: str | None,
                 message_id: str, at: datetime, settings: Settings,
                 now: datetime | None = None) -> tuple[str, str] | None:
    """(outcome, what happened) when a WhatsApp message is an opt-out or an answer to "sudah beres?", else None
    (the message is filed as usual). The caller commits."""
    if channel != WHATSAPP:
        return None
    now = now or utcnow()
    number = normalise_msisdn(sender) or sender
    pemda = settings.pemda_name.removeprefix("Pemerintah ")
    if citizen.is_stop(text) and not reply_id:
        row, changed = set_optout(session, number, True, at, message_id)
        if changed:
            _enqueue(session, f"berhenti:{number}:{message_id}"[:200], number, citizen.optout_confirmation(pemda),
                     "optout", now, inbound_at=at, always=True)
            return "skipped", f"BERHENTI: nomor {number} berhenti berlangganan"
        return "skipped", f"BERHENTI: nomor {number} sudah berhenti berlangganan"
    if citizen.is_start(text) and not reply_id:
        _, changed = set_optout(session, number, False, at, message_id)
        if not changed:
            return None
        _enqueue(session, f"mulai:{number}:{message_id}"[:200], number, citizen.optin_confirmation(pemda), "optin",
                 now, inbound_at=at)
        return "skipped", f"MULAI: nomor {number} berlangganan kembali"
    read = citizen.read_answer(text, reply_id)
    if read is None:
        return None
    answer, code = read
    complaint = asked_complaint(session, number, at, settings, code)
    if complaint is None:
        return None
    return record_answer(session, complaint, number, answer, text, message_id, at, settings, now)


def asked_complaint(session: Session, number: str, at: datetime, settings: Settings,
                    code: str | None = None) -> Complaint | None:
    """The complaint this number was last asked "sudah beres?" about within the answer period (the one the
    pressed button names, when it names one)."""
    since = at - timedelta(days=settings.satisfaction_days)
    questions = session.exec(select(Notification).where(
        Notification.recipient == number, Notification.idempotency_key.like(f"{QUESTION_KEY}%"),
        Notification.created_at >= since, Notification.status != NotificationStatus.failed,
        Notification.complaint_id.is_not(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc())).all()
    for question in questions:
        complaint = session.get(Complaint, question.complaint_id)
        if complaint is not None and (code is None or complaint.tracking_code == code):
            return complaint
    return None


def record_answer(session: Session, complaint: Complaint, number: str, answer: str, text: str | None,
                  message_id: str, at: datetime, settings: Settings, now: datetime) -> tuple[str, str]:
    """Keep the reporter's answer on the complaint; "belum" on a resolved complaint reopens it."""
    code = complaint.tracking_code
    seen = session.exec(select(ComplaintEvent.id).where(ComplaintEvent.complaint_id == complaint.id,
                                                        ComplaintEvent.external_id == message_id)).first()
    if seen is not None:
        return "unchanged", f"jawaban {answer} untuk {code} sudah dicatat"
    # Never before the completion it answers in the history (WhatsApp timestamps are whole seconds).
    when = max(at, complaint.resolved_at) if complaint.resolved_at else at
    complaint.satisfaction, complaint.satisfaction_at = answer, at
    complaint.updated_at = now
    session.add(complaint)
    said = " ".join((text or answer).split())[:200]
    session.add(ComplaintEvent(
        complaint_id=complaint.id, at=when, actor=REPORTER, kind=EventKind.note, external_id=message_id[:200],
        note=f"Pelapor menjawab \"sudah beres?\": {'sudah' if answer == SUDAH else 'belum'} ({said})",
        data={"satisfaction": answer}))
    reopened = False
    if answer != SUDAH and complaint.status == Status.resolved:
        apply_action(session, complaint, Action.reopen, REPORTER, calendar_for(settings),
                     note="Dibuka kembali: pelapor menjawab masalahnya belum beres", now=when, settings=settings)
        reopened = True
    opd = session.get(Opd, complaint.opd_id) if complaint.opd_id else None
    message = citizen.answer_thanks(answer, code, citizen.public_link(settings, code),  # type: ignore[arg-type]
                                    opd.name if opd else None, reopened)
    _enqueue(session, f"jawab:{complaint.id}:{message_id}"[:200], number, message, "thanks", now, complaint,
             inbound_at=at)
    session.flush()
    what = f"jawaban \"{answer}\" untuk {code}" + ("; aduan dibuka kembali" if reopened else "")
    return "updated", what
