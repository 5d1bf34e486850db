"""What an author's later change does to a complaint core already holds (social comments and messages).

- An edit of a channel whose upstream knows only the words (`Connector.keeps_staff_decisions`: Instagram and
  Facebook comments) arrives as the same draft with new words. Core keeps what staff decided since — status,
  classification (a `kandidat` accepted by the triage desk stays accepted), category, OPD, place — and takes the
  words; the history says "Diperbarui di sumber: title, body".
- A `Withdrawal` (a deleted comment, an unsent message) never deletes anything. The complaint's history notes it
  once (event external id `withdrawn:<id>`). A complaint nobody has acted on yet (still unverified) of which
  nothing from its author is left is closed as withdrawn: status rejected with reject reason `dicabut`, which
  keeps it out of the rapor's counts; staff may reopen it. One that staff already handle stays open with the note.
"""

from __future__ import annotations

from sqlmodel import Session, select

from core.intake.channels import channel_label
from core.intake.contract import ComplaintDraft, Withdrawal
from core.intake.ingest import Resolver
from models import Category, Complaint, ComplaintEvent, EventKind, Opd, Status
from models.enums import Classification
from models.types import utcnow

WITHDRAWN = "dicabut"  # the reject reason of a complaint its author took back
PREFIX = "withdrawn:"
# Where the draft says nothing (None), the complaint keeps what it has (staff may have set it in triage).
_KEPT_WHEN_MISSING = ("kecamatan", "desa", "location_text", "lat", "lon")


def keep_staff_decisions(session: Session, channel: str, draft: ComplaintDraft, resolver: Resolver) -> None:
    """Turn an edit's draft into "the new words, the rest as staff left it" (changes `draft` in place)."""
    existing = resolver.existing_complaint(channel, draft.external_id)
    if existing is None or existing.content_hash == draft.content_hash():
        return
    draft.status = Status(existing.status)
    draft.classification = Classification(existing.classification)
    category = session.get(Category, existing.category_id) if existing.category_id else None
    draft.category_code = category.code if category else None
    opd = session.get(Opd, existing.opd_id) if existing.opd_id else None
    draft.opd_code = opd.code if opd else None
    for name in _KEPT_WHEN_MISSING:
        if getattr(draft, name) is None:
            setattr(draft, name, getattr(existing, name))


def apply_withdrawal(session: Session, channel: str, item: Withdrawal, actor: str = "system") -> tuple[str, str | None]:
    """(outcome, reason): "updated" when noted now, "unchanged" when noted before, "skipped" when unknown."""
    complaint = session.exec(select(Complaint).where(Complaint.channel == channel,
                                                     Complaint.external_id == item.external_id)).first()
    whole = complaint is not None
    if complaint is None:  # one message of a thread
        complaint = session.exec(select(Complaint).join(ComplaintEvent, ComplaintEvent.complaint_id == Complaint.id)
                                 .where(Complaint.channel == channel,
                                        ComplaintEvent.external_id == item.external_id)).first()
    if complaint is None:
        return "skipped", f"{item.note}, tetapi belum dikenal di sini"
    key = (PREFIX + item.external_id)[:200]
    events = session.exec(select(ComplaintEvent.external_id, ComplaintEvent.kind).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.external_id.is_not(None))).all()
    known = {external_id for external_id, _ in events}
    if key in known:
        return "unchanged", None
    withdrawn = {e.removeprefix(PREFIX) for e in known if e.startswith(PREFIX)} | {item.external_id}
    words = {e for e, kind in events if kind == EventKind.message_in and not e.startswith(PREFIX)}
    nothing_left = whole or not (words - withdrawn)
    label = channel_label(channel)
    note = f"Dicabut pengirim di {label}: {item.note}"
    event = ComplaintEvent(complaint_id=complaint.id, at=item.at, actor=label[:120], kind=EventKind.note,
                           external_id=key, data={"withdrawn": item.external_id})
    if nothing_left and complaint.status == Status.unverified:
        event.kind, event.from_status, event.to_status = EventKind.status, complaint.status, Status.rejected
        complaint.status, complaint.reject_reason = Status.rejected, WITHDRAWN
        complaint.updated_at = utcnow()
        session.add(complaint)
    elif nothing_left:
        note += "; aduan sudah ditangani sehingga tetap terbuka"
    else:
        note += "; pesan lain dari pengirim tetap ada"
    event.note = note[:4000]
    session.add(event)
    return "updated", None
