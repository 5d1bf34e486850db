"""What anyone may see without logging in: one complaint by its tracking code, and the kabupaten's figures.

The rules (docs/domain.md, "What is public"):
- never the reporter: no name, contact, address or coordinates, and none of their own messages (`message_in`
  events and notes are never read here);
- a complaint's own words (title, body) only when `access.text_is_public`: verified, not rejected or archived,
  not `rahasia`;
- of the history, the status steps and the OPD's public answers only (the notes of respond, postpone,
  resolve and reject, and an upstream's agency replies); an answer can quote the complaint, so answers are
  shown only when its text is, or when it was verified before it was rejected, and never when it is
  `rahasia`; a rejection always says its reason's label;
- never who on the staff did it: steps say "OPD", "Admin", "Pelapor" or the channel;
- nothing of merged duplicates (a child says which complaint it was merged into, a parent never lists its
  children).

The figures reuse the rapor and the stats queries: the same numbers as GET /api/v1/rapor and the wall.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from core.casework.citizen import public_link
from core.casework.workflow import reason_label
from core.identity.access import PUBLIC, PUBLIC_TEXT_STATUSES, text_is_public
from core.intake.channels import channel_label
from core.reporting.filters import ComplaintFilter
from core.reporting.rapor import build_rapor
from core.reporting.stats import MERGED, Stats
from core.runtime.settings import Settings
from models import Category, Complaint, ComplaintEvent, EventKind, Opd, Status
from models.enums import STATUS_LABEL_ID
from models.types import utcnow

# Tracking codes are PREFIX-HEX (core.intake.ingest.tracking_code) or a LAPOR! / manual reference number.
TRACKING_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$")
MAX_MONTHS = 24

# Who took a step, in words that name no one.
OPD, ADMIN, REPORTER = "OPD", "Admin", "Pelapor"
# action -> (label, who); the actions of core.casework.workflow that appear publicly
_ACTIONS: dict[str, tuple[str, str]] = {
    "verify": ("Diverifikasi", ADMIN),
    "dispatch": ("Diteruskan ke OPD", ADMIN),
    "respond": ("Tindak lanjut OPD", OPD),
    "postpone": ("Ditunda", OPD),
    "resolve": ("Selesai", OPD),
    "reject": ("Ditolak", ADMIN),
    "merge": ("Digabung dengan aduan lain", ADMIN),
    "reopen": ("Dibuka kembali", ADMIN),
}
_WITH_OPD = frozenset({Status.dispatched, Status.in_progress, Status.postponed, Status.resolved})
_ANSWERS = frozenset({"respond", "postpone", "resolve", "reject"})  # whose note is the OPD's public answer
_STEP_LABELS = {Status.verified: "Diverifikasi", Status.dispatched: "Diteruskan ke OPD",
                Status.in_progress: "Ditindaklanjuti", Status.postponed: "Ditunda", Status.resolved: "Selesai",
                Status.rejected: "Ditolak", Status.archived: "Diarsipkan", Status.unverified: "Menunggu verifikasi"}


def public_url(settings: Settings, code: str) -> str:
    """The public page of one complaint: {ADUAN_PUBLIC_BASE_URL}/publik?kode=<tracking code> (default base: the
    dashboard's own address). The rule itself lives with the citizen messages that carry the link."""
    return public_link(settings, code)


def normalise_code(code: str) -> str | None:
    """The code as stored (upper case), or None when it cannot be a tracking code (length, characters)."""
    code = (code or "").strip()
    return code.upper() if TRACKING_CODE.fullmatch(code) else None


# --- redaction ----------------------------------------------------------------------------------

HIDDEN = "[disamarkan]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Indonesian mobile numbers as people write them: 0812-3456-7890, +62 812 3456 7890, 6281234567890.
_PHONE = re.compile(r"(?<![\w+])(?:\+62|62|0)[\s.-]?8\d{1,3}(?:[\s.-]?\d{2,5}){1,4}(?!\w)")
_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")  # the 16-digit population number (NIK) of a KTP


def _name_pattern(names: list[str]) -> re.Pattern[str] | None:
    """The reporters' names, whole and each word of three letters or more, as whole words."""
    words = set()
    for name in names:
        name = " ".join((name or "").split())
        if len(name) >= 3:
            words.add(name)
            words.update(w for w in re.split(r"[^\w']+", name) if len(w) >= 3)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


class Redactor:
    """Blanks what could name or reach a reporter in public text: e-mail addresses, phone numbers and NIK of
    anyone, and the names and contacts of the complaint's reporters (its merged duplicates' too)."""

    def __init__(self, names: list[str], contacts: list[str]):
        self.names = _name_pattern(names)
        self.contacts = sorted({c.strip() for c in contacts if c and len(c.strip()) >= 4}, key=len, reverse=True)

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        for contact in self.contacts:
            text = text.replace(contact, HIDDEN)
        text = _NIK.sub(HIDDEN, _PHONE.sub(HIDDEN, _EMAIL.sub(HIDDEN, text)))
        return self.names.sub(HIDDEN, text) if self.names else text


def _redactor(session: Session, complaint_id: int, reporter_name: str | None,
              reporter_contact: str | None) -> Redactor:
    # MERGED ("parent_id > 0") as well: with table statistics that see mostly NULLs, SQLite scans the table
    # for "parent_id = x" alone, and reads the few children through their index with the range.
    kids = session.execute(select(Complaint.reporter_name, Complaint.reporter_contact)
                           .where(MERGED, Complaint.parent_id == complaint_id)).all()
    names = [reporter_name or "", *(k.reporter_name or "" for k in kids)]
    contacts = [reporter_contact or "", *(k.reporter_contact or "" for k in kids)]
    return Redactor(names, contacts)


# --- one complaint -------------------------------------------------------------------------------

def _text_note(status: Status, rahasia: bool) -> str | None:
    """Why the complaint's own words are not shown (a sentence for the page), or None when they are."""
    if rahasia:
        return "Isi aduan bersifat rahasia dan tidak ditampilkan."
    if status is Status.unverified:
        return "Isi aduan ditampilkan setelah diverifikasi petugas."
    if status in (Status.rejected, Status.archived):
        return "Isi aduan yang ditolak atau diarsipkan tidak ditampilkan."
    return None


def public_complaint(session: Session, settings: Settings, code: str) -> dict[str, Any] | None:
    """The public view of the complaint with this tracking code, or None when there is none."""
    c = Complaint
    row = session.execute(
        select(c.id, c.tracking_code, c.channel, c.status, c.rahasia, c.title, c.body, c.kecamatan,
               c.received_at, c.verified_at, c.dispatched_at, c.first_response_at, c.resolved_at,
               c.response_due_at, c.resolution_due_at, c.reject_reason, c.parent_id, c.reporter_name,
               c.reporter_contact,
               Opd.name.label("opd_name"), Category.name.label("category_name"))
        .select_from(c).outerjoin(Opd, Opd.id == c.opd_id).outerjoin(Category, Category.id == c.category_id)
        .where(c.tracking_code == code)).first()
    if row is None:
        return None
    status = Status(row.status)
    public_text = text_is_public(status, row.rahasia)
    # Before disposition the OPD is only the category's default: not yet the one handling it.
    handled = status in _WITH_OPD or row.dispatched_at is not None
    redact = _redactor(session, row.id, row.reporter_name, row.reporter_contact)
    parent_code = session.execute(select(c.tracking_code).where(c.id == row.parent_id)).scalar() \
        if row.parent_id else None
    return {
        "tracking_code": row.tracking_code,
        "status": status.value,
        "status_label": STATUS_LABEL_ID[status],
        "channel_label": channel_label(row.channel),
        "opd_name": row.opd_name if handled else None,
        "category_name": row.category_name,
        "kecamatan": row.kecamatan,
        "received_at": row.received_at,
        "verified_at": row.verified_at,
        "dispatched_at": row.dispatched_at,
        "first_response_at": row.first_response_at,
        "resolved_at": row.resolved_at,
        "response_due_at": row.response_due_at,
        "resolution_due_at": row.resolution_due_at,
        "title": redact(row.title) if public_text else None,
        "body": redact(row.body or None) if public_text else None,
        "text_note": _text_note(status, row.rahasia),
        "reject_reason_label": reason_label(row.reject_reason, settings) if status is Status.rejected else None,
        "merged_into": parent_code,
        "timeline": [{**item, "text": redact(item["text"])}
                     for item in _timeline(session, settings, row, public_text)],
    }


def _timeline(session: Session, settings: Settings, row, public_text: bool) -> list[dict[str, Any]]:
    events = session.execute(
        select(ComplaintEvent.at, ComplaintEvent.kind, ComplaintEvent.actor, ComplaintEvent.to_status,
               ComplaintEvent.note, ComplaintEvent.external_id, ComplaintEvent.data)
        .where(ComplaintEvent.complaint_id == row.id,
               ComplaintEvent.kind.in_([EventKind.created, EventKind.status, EventKind.message_out]))
        .order_by(ComplaintEvent.at, ComplaintEvent.id)).all()
    # The OPD's answers may quote the complaint: shown when its text is, and after the rejection of a complaint
    # that had been verified (the answer then says why); never for rahasia, never for one rejected unread.
    verified = any(ev.to_status in PUBLIC_TEXT_STATUSES for ev in events) or row.verified_at is not None
    answers = not row.rahasia and (public_text or verified)
    opd_names = dict(session.execute(select(Opd.code, Opd.name)).all())
    channel = channel_label(row.channel)
    out = []
    for ev in events:
        item = _step(ev, channel, answers, opd_names, settings)
        if item is not None:
            out.append(item)
    return out


def _step(ev, channel: str, answers: bool, opd_names: dict[str, str],
          settings: Settings) -> dict[str, Any] | None:
    """One public timeline entry of an event, or None when the event is not for the public."""
    data = ev.data or {}
    action = data.get("action")
    if ev.kind == EventKind.created:
        return _item(ev.at, "received", "Aduan diterima", f"Melalui kanal {channel}", channel)
    if action in _ACTIONS and "writeback" not in data:  # an upstream's refusal of a write-back is no action
        label, who = _ACTIONS[action]
        if action == "reopen" and ev.actor == REPORTER:
            who = REPORTER
        return _item(ev.at, action, label, _action_text(action, ev.note, data, answers, opd_names, settings),
                     who)
    if ev.kind == EventKind.message_out:
        # An upstream's agency reply (LAPOR! instansi, a Google review reply, the 112 CAD's closing note) comes
        # in through the connector's thread with its upstream id; anything else sent out is not an answer.
        if ev.external_id is None or data:
            return None
        return _item(ev.at, "answer", "Jawaban OPD", _clean(ev.note) if answers else None, OPD)
    if ev.kind == EventKind.status and ev.to_status:
        # A step the upstream took (LAPOR! verification, disposition, its status changes): no note, no name.
        status = Status(ev.to_status)
        by = channel if ev.actor not in ("system", "sistem") else "Sistem"
        return _item(ev.at, "status", _STEP_LABELS.get(status, STATUS_LABEL_ID[status]), None, by)
    return None


def _action_text(action: str, note: str | None, data: dict[str, Any], answers: bool,
                 opd_names: dict[str, str], settings: Settings) -> str | None:
    if action == "dispatch":  # the note is staff's own; the OPD's name is what the public needs
        name = opd_names.get(data.get("opd") or "")
        return f"Diteruskan ke {name}" if name else None
    if action == "merge":
        into = data.get("into_code")
        return f"Aduan yang sama sudah tercatat sebagai {into}; pantau perkembangannya di sana." if into else None
    if action == "reject":
        label = reason_label(data.get("reason"), settings)
        free = _reject_free_text(note, label) if answers else None
        text = f"Alasan: {label}" if label else None
        return f"{text}. {free}" if text and free else (text or free)
    if action in _ANSWERS and answers:
        return _clean(note)
    return None


def _reject_free_text(note: str | None, label: str | None) -> str | None:
    """workflow stores a rejection's note as "<label>: <note>" (or the label alone)."""
    note = _clean(note)
    if not note or not label:
        return note
    if note == label:
        return None
    return _clean(note.removeprefix(f"{label}:")) or None


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _item(at: datetime, kind: str, label: str, text: str | None, by: str) -> dict[str, Any]:
    return {"at": at, "kind": kind, "label": label, "text": text, "by": by}


# --- figures -------------------------------------------------------------------------------------

def month_start(day: date, back: int = 0) -> date:
    """The first day of the month `back` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def public_figures(session: Session, settings: Settings, months: int = 12,
                   now: datetime | None = None) -> dict[str, Any]:
    """The kabupaten's figures over the last `months` months (this one included): by month, by OPD (the rapor
    of the last complete month, with predikat), by channel and by kecamatan (with the centroid, for the map).
    Merged duplicates count once, as everywhere."""
    now = now or utcnow()
    today = now.astimezone(settings.tz).date()
    start = month_start(today, months - 1)
    window = ComplaintFilter(received_from=start, received_to=today).resolve(session, settings.tz)
    stats = Stats(session, window, PUBLIC, settings.tz, "working", now)
    summary = stats.summary()
    by_month = []
    per_month = {str(key)[:7]: m for key, m in stats.by_received_month()}
    for back in range(months - 1, -1, -1):
        first = month_start(today, back)
        m = per_month.get(f"{first:%Y-%m}")
        shown = m.public() if m is not None else None
        by_month.append({
            "month": f"{first:%Y-%m}", "period_start": first,
            "received": m.total if m else 0,
            "counted": (m.total - m.excluded) if m else 0,
            "resolved": m.resolved if m else 0,
            "completion_pct": shown["completion_pct"] if shown else None,
            "avg_followup_days": shown["avg_followup_days"] if shown else None,
        })
    rapor_end = month_start(today) - timedelta(days=1)
    rapor = build_rapor(session, settings, month_start(rapor_end), rapor_end, "working", access=PUBLIC)
    return {
        "generated_at": now,
        "pemda_name": settings.pemda_name,
        "months": months,
        "period_start": start,
        "period_end": today,
        "summary": {"received": summary["total"], "open": summary["open"],
                    "resolved": summary["by_bucket"]["selesai"], "completion_pct": summary["completion_pct"],
                    "avg_followup_days": summary["avg_followup_days"],
                    "merged_children": summary["merged_children"]},
        "by_month": by_month,
        "rapor": rapor,
        "by_channel": stats.by_channel(),
        "by_kecamatan": stats.by_kecamatan(),
    }
