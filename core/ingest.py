"""Channel-agnostic complaint upsert: every connector and manual entry ends here.

A connector turns one upstream payload into a `ComplaintDraft`; `upsert_complaint` makes the
database agree with it, idempotently, keyed by (channel, external id):
new → insert with due dates and a `created` event; changed → update and one history event;
identical → nothing at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlmodel import Session, select

from core.calendar import WorkingCalendar
from core.settings import Settings
from models import Category, Classification, Complaint, ComplaintEvent, EventKind, Opd, SlaTier, Status
from models.types import utcnow


class NormaliseError(ValueError):
    """The payload cannot become a complaint (until a mapping is fixed): it stays in the inbox."""


class DraftEvent(BaseModel):
    """One entry of an upstream follow-up thread (agency reply, reporter reply, note)."""

    external_id: str
    at: datetime
    kind: EventKind = EventKind.message_out
    actor: str = "upstream"
    note: str | None = None
    is_opd_response: bool = False


class ComplaintDraft(BaseModel):
    external_id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=300)
    body: str = ""
    received_at: datetime
    classification: Classification = Classification.pengaduan
    status: Status = Status.unverified
    category_code: str | None = None
    opd_code: str | None = None
    rahasia: bool = False
    anonim: bool = False
    reporter_name: str | None = None
    reporter_contact: str | None = None
    location_text: str | None = None
    desa: str | None = None
    kecamatan: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    rating: int | None = Field(default=None, ge=1, le=5)
    sla_tier: str | None = None
    verified_at: datetime | None = None
    dispatched_at: datetime | None = None
    resolved_at: datetime | None = None
    events: list[DraftEvent] = Field(default_factory=list)

    def content_hash(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


class Outcome(StrEnum):
    new = "new"
    updated = "updated"
    unchanged = "unchanged"


@dataclass
class UpsertResult:
    complaint: Complaint
    outcome: Outcome


CHANNEL_PREFIX = {"lapor": "LPR", "whatsapp": "WA", "call112": "112", "google_reviews": "GMR",
                  "manual": "MNL", "open311": "O311"}

# Fields copied verbatim from the draft onto the complaint.
_COPIED = ("title", "body", "classification", "rahasia", "anonim", "reporter_name", "reporter_contact",
           "location_text", "desa", "kecamatan", "lat", "lon", "rating")


def tracking_code(channel: str, external_id: str) -> str:
    """Public code, stable for the same upstream record (48 bits: collision-free at province scale)."""
    prefix = CHANNEL_PREFIX.get(channel, channel[:4].upper())
    digest = hashlib.sha256(f"{channel}:{external_id}".encode()).hexdigest()[:12].upper()
    return f"{prefix}-{digest}"


class Resolver:
    """Caches code → id look-ups for one batch so a sync does not query them per row."""

    def __init__(self, session: Session, settings: Settings):
        self.session = session
        self.settings = settings
        self.calendar = WorkingCalendar(settings.tz, settings.regional_holidays)
        self._opd: dict[str, int] = {}
        self._cat: dict[str, Category] = {}
        self._tiers: dict[str, int] | None = None
        self._complaints: dict[tuple[str, str], Complaint | None] = {}

    def prefetch_complaints(self, channel: str, external_ids: list[str]) -> None:
        """Load a page's existing complaints in one query so the upserts that follow need none."""
        self._complaints = dict.fromkeys(((channel, e) for e in external_ids), None)
        ids = sorted(set(external_ids))
        for start in range(0, len(ids), 500):
            rows = self.session.exec(select(Complaint).where(Complaint.channel == channel,
                                                             Complaint.external_id.in_(ids[start:start + 500])))
            self._complaints.update({(channel, c.external_id): c for c in rows})

    def existing_complaint(self, channel: str, external_id: str) -> Complaint | None:
        key = (channel, external_id)
        if key in self._complaints:
            return self._complaints[key]
        return self.session.exec(
            select(Complaint).where(Complaint.channel == channel, Complaint.external_id == external_id)
        ).first()

    def remember(self, complaint: Complaint) -> None:
        if self._complaints:
            self._complaints[(complaint.channel, complaint.external_id)] = complaint

    def opd_id(self, code: str | None) -> int | None:
        if code is None:
            return None
        if code not in self._opd:
            opd = self.session.exec(select(Opd).where(Opd.code == code)).first()
            if opd is None:
                raise NormaliseError(f"unknown OPD code {code!r}")
            self._opd[code] = opd.id
        return self._opd[code]

    def category(self, code: str | None) -> Category | None:
        if code is None:
            return None
        if code not in self._cat:
            cat = self.session.exec(select(Category).where(Category.code == code)).first()
            if cat is None:
                raise NormaliseError(f"unknown category code {code!r}")
            self._cat[code] = cat
        return self._cat[code]

    def tier_days(self, tier: str) -> int:
        if self._tiers is None:
            self._tiers = dict(self.settings.sla_tiers)
            for row in self.session.exec(select(SlaTier)).all():
                self._tiers[row.code] = row.resolution_days
        if tier not in self._tiers:
            raise NormaliseError(f"unknown SLA tier {tier!r}")
        return self._tiers[tier]


def apply_due_dates(complaint: Complaint, resolver: Resolver) -> None:
    """Response due in N working days, resolution due by tier; stored so 'overdue' is plain SQL."""
    settings = resolver.settings
    complaint.response_due_at = resolver.calendar.add_working_days(complaint.received_at, settings.response_days)
    tier = complaint.sla_tier or settings.default_sla_tier
    complaint.sla_tier = tier
    complaint.resolution_due_at = resolver.calendar.add_working_days(complaint.received_at,
                                                                     resolver.tier_days(tier))


def upsert_complaint(session: Session, channel: str, draft: ComplaintDraft, resolver: Resolver,
                     raw_record_id: int | None = None, actor: str = "system") -> UpsertResult:
    digest = draft.content_hash()
    existing = resolver.existing_complaint(channel, draft.external_id)
    if existing is not None and existing.content_hash == digest:
        return UpsertResult(existing, Outcome.unchanged)

    category = resolver.category(draft.category_code)
    opd_id = resolver.opd_id(draft.opd_code)
    if opd_id is None and category is not None:
        opd_id = category.default_opd_id
    tier = draft.sla_tier or (category.sla_tier if category else None)

    if existing is None:
        complaint = Complaint(channel=channel, external_id=draft.external_id,
                              tracking_code=tracking_code(channel, draft.external_id),
                              received_at=draft.received_at, status=draft.status)
        for name in _COPIED:
            setattr(complaint, name, getattr(draft, name))
        complaint.category_id = category.id if category else None
        complaint.opd_id = opd_id
        complaint.sla_tier = tier
        complaint.sla_tier_override = draft.sla_tier is not None
        _stamp_status_times(complaint, draft)
        apply_due_dates(complaint, resolver)
        complaint.raw_record_id = raw_record_id
        complaint.content_hash = digest
        session.add(complaint)
        session.flush()
        session.add(ComplaintEvent(complaint_id=complaint.id, kind=EventKind.created, actor=actor,
                                   to_status=complaint.status, at=complaint.received_at,
                                   note=f"Diterima dari kanal {channel}"))
        _add_thread_events(session, complaint, draft.events, known=set())
        resolver.remember(complaint)
        return UpsertResult(complaint, Outcome.new)

    complaint = existing
    changed = [name for name in _COPIED if getattr(complaint, name) != getattr(draft, name)]
    for name in changed:
        setattr(complaint, name, getattr(draft, name))
    new_category_id = category.id if category else None
    recategorised = new_category_id != complaint.category_id
    if recategorised:
        changed.append("category")
        complaint.category_id = new_category_id
        if not complaint.sla_tier_override:
            complaint.sla_tier = tier
            apply_due_dates(complaint, resolver)
    if opd_id != complaint.opd_id:
        changed.append("opd")
        complaint.opd_id = opd_id
    if changed:
        session.add(ComplaintEvent(complaint_id=complaint.id, kind=EventKind.updated, actor=actor,
                                   note="Diperbarui di sumber: " + ", ".join(changed),
                                   data={"fields": changed}))
    if draft.status != complaint.status:
        session.add(ComplaintEvent(complaint_id=complaint.id, kind=EventKind.status, actor=actor,
                                   from_status=complaint.status, to_status=draft.status))
        complaint.status = draft.status
    _stamp_status_times(complaint, draft)
    _add_thread_events(session, complaint, draft.events)
    complaint.content_hash = digest
    complaint.raw_record_id = raw_record_id or complaint.raw_record_id
    complaint.updated_at = utcnow()
    session.add(complaint)
    return UpsertResult(complaint, Outcome.updated)


def _stamp_status_times(complaint: Complaint, draft: ComplaintDraft) -> None:
    for field in ("verified_at", "dispatched_at", "resolved_at"):
        value = getattr(draft, field)
        if value is not None and getattr(complaint, field) is None:
            setattr(complaint, field, value)
    if complaint.status == Status.resolved and complaint.resolved_at is None:
        complaint.resolved_at = utcnow()


def _add_thread_events(session: Session, complaint: Complaint, events: list[DraftEvent],
                       known: set[str] | None = None) -> None:
    if not events:
        return
    known = known if known is not None else set(session.exec(
        select(ComplaintEvent.external_id).where(ComplaintEvent.complaint_id == complaint.id,
                                                 ComplaintEvent.external_id.is_not(None))
    ).all())
    for ev in sorted(events, key=lambda e: e.at):
        if ev.external_id in known:
            continue
        session.add(ComplaintEvent(complaint_id=complaint.id, kind=ev.kind, actor=ev.actor, note=ev.note,
                                   at=ev.at, external_id=ev.external_id))
        known.add(ev.external_id)
        if ev.is_opd_response and (complaint.first_response_at is None or ev.at < complaint.first_response_at):
            complaint.first_response_at = ev.at
