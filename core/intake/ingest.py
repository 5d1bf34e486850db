"""Channel-agnostic complaint upsert: every entry path ends here (through core.intake.pipeline).

A connector turns one upstream payload into a `ComplaintDraft`; `upsert_complaint` makes the
database agree with it, idempotently, keyed by (channel, external id):
new → insert with due dates and a `created` event; changed → update and one history event;
identical → nothing at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from types import SimpleNamespace

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.casework.followup import stamp_working_days
from core.casework.sla import set_due_dates, track_pause
from core.intake.channels import channel_label, declared
from core.intake.contract import ComplaintDraft, DraftEvent, NormaliseError
from core.intake.lifecycles import ladder_exempt, lifecycle_of
from core.reference.calendar import calendar_for
from core.runtime.bulk import copies, insert_returning, insert_rows
from core.runtime.settings import Settings
from core.runtime.sqlfuncs import one_of
from models import Category, Complaint, ComplaintEvent, EventKind, Opd, SlaTier, Status
from models.enums import AWAITING_RESPONSE
from models.types import utcnow


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
           "location_text", "desa", "kecamatan", "lat", "lon", "rating", "source_channel")


def tracking_code(channel: str, external_id: str) -> str:
    """Public code, stable for the same upstream record (48 bits: collision-free at province scale)."""
    prefix = CHANNEL_PREFIX.get(channel) or declared(channel, "code_prefix") or channel[:4].upper()
    digest = hashlib.sha256(f"{channel}:{external_id}".encode()).hexdigest()[:12].upper()
    return f"{prefix}-{digest}"


class Resolver:
    """Caches code → id look-ups for one batch so a sync does not query them per row."""

    def __init__(self, session: Session, settings: Settings):
        self.session = session
        self.settings = settings
        self.calendar = calendar_for(settings)
        self._opd: dict[str, int] = {}
        self._cat: dict[str, Category] = {}
        self._tiers: dict[str, int] | None = None
        self._complaints: dict[tuple[str, str], Complaint | None] = {}
        self._deadlines: dict[tuple[date, int], datetime] = {}
        self._parent_codes: dict[int, str | None] = {}

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`calendar.add_working_days`, remembered per local date (it depends on nothing else)."""
        key = (self.calendar.local_date(start), days)
        if key not in self._deadlines:
            self._deadlines[key] = self.calendar.add_working_days(start, days)
        return self._deadlines[key]

    def prefetch_complaints(self, channel: str, external_ids: list[str]) -> None:
        """Load a page's existing complaints in one query so the upserts that follow need none."""
        self._complaints = dict.fromkeys(((channel, e) for e in external_ids), None)
        ids = sorted(set(external_ids))
        for start in range(0, len(ids), 500):
            rows = self.session.exec(select(Complaint).where(Complaint.channel == channel, one_of(
                Complaint.external_id, ids[start:start + 500], self.session.get_bind().dialect.name)))
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

    def forget(self, channel: str, external_id: str) -> None:
        self._complaints.pop((channel, external_id), None)

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

    def ladder_exempt(self, channel: str, category: Category | None) -> bool:
        """Whether the channel's upstream handles complaints of this category to the end (off the ladder)."""
        if category is None:
            return ladder_exempt(lifecycle_of(channel, self.settings), None)
        parent_id = category.parent_id
        if parent_id is not None and parent_id not in self._parent_codes:
            parent = self.session.get(Category, parent_id)
            self._parent_codes[parent_id] = parent.code if parent else None
        parent_code = self._parent_codes.get(parent_id) if parent_id is not None else None
        return ladder_exempt(lifecycle_of(channel, self.settings), category.code, parent_code)

    def draft_exempt(self, channel: str, draft: ComplaintDraft) -> bool:
        """`ladder_exempt` for a draft's category code (False when the code is unknown: the upsert fails it)."""
        try:
            return self.ladder_exempt(channel, self.category(draft.category_code))
        except NormaliseError:
            return False

    def tier_days(self, tier: str) -> int:
        if self._tiers is None:
            self._tiers = dict(self.settings.sla_tiers)
            for row in self.session.exec(select(SlaTier)).all():
                self._tiers[row.code] = row.resolution_days
        if tier not in self._tiers:
            raise NormaliseError(f"unknown SLA tier {tier!r}")
        return self._tiers[tier]


def apply_due_dates(complaint: Complaint, resolver: Resolver, exempt: bool = False) -> None:
    """Response due in N working days, resolution due by tier; stored so 'overdue' is plain SQL.
    `exempt` (the channel's upstream handles the category to the end): no deadlines at all, so the
    complaint is never overdue and never on the escalation ladder."""
    settings = resolver.settings
    complaint.sla_tier = complaint.sla_tier or settings.default_sla_tier
    set_due_dates(complaint, resolver.add_working_days, settings.response_days,
                  0 if exempt else resolver.tier_days(complaint.sla_tier), exempt)


@dataclass
class _Resolved:
    category: Category | None
    opd_id: int | None
    tier: str | None
    exempt: bool = False  # handled upstream to the end: no deadlines, open = in progress

    def status(self, draft: ComplaintDraft) -> Status:
        """The draft's status as we keep it: an exempt complaint awaiting response is in progress upstream."""
        if self.exempt and draft.status in AWAITING_RESPONSE:
            return Status.in_progress
        return draft.status


def _resolve(draft: ComplaintDraft, resolver: Resolver, channel: str | None = None) -> _Resolved:
    """Every look-up a draft needs, done before anything is touched (NormaliseError leaves no trace)."""
    category = resolver.category(draft.category_code)
    opd_id = resolver.opd_id(draft.opd_code)
    if opd_id is None and category is not None:
        opd_id = category.default_opd_id
    tier = draft.sla_tier or (category.sla_tier if category else None)
    resolver.tier_days(tier or resolver.settings.default_sla_tier)
    exempt = channel is not None and resolver.ladder_exempt(channel, category)
    return _Resolved(category, opd_id, tier, exempt)


def _fill_new(target, channel: str, draft: ComplaintDraft, resolved: _Resolved, resolver: Resolver,
              raw_record_id: int | None, digest: str):
    """Set a new complaint's fields on `target` (an ORM object or a plain namespace for bulk insert)."""
    target.channel, target.external_id = channel, draft.external_id
    target.tracking_code = tracking_code(channel, draft.external_id)
    target.received_at, target.status = draft.received_at, resolved.status(draft)
    for name in _COPIED:
        setattr(target, name, getattr(draft, name))
    target.category_id = resolved.category.id if resolved.category else None
    target.opd_id = resolved.opd_id
    target.sla_tier = resolved.tier
    target.sla_tier_override = draft.sla_tier is not None
    _stamp_status_times(target, draft)
    apply_due_dates(target, resolver, resolved.exempt)
    track_pause(target, utcnow(), resolver.calendar)
    target.raw_record_id = raw_record_id
    target.content_hash = digest
    return target


def _column_defaults(model) -> dict:
    """Python-side defaults of a table model's columns (Core inserts do not apply them)."""
    columns = {c.name for c in model.__table__.columns} - {"id"}
    return {name: field.get_default(call_default_factory=True)
            for name, field in model.model_fields.items() if name in columns}


def _history_of_new(session: Session, channel: str, complaint: Complaint, draft: ComplaintDraft,
                    actor: str) -> None:
    session.add(ComplaintEvent(complaint_id=complaint.id, kind=EventKind.created, actor=actor,
                               to_status=complaint.status, at=complaint.received_at,
                               note=f"Diterima dari kanal {channel_label(channel)}"))
    for step in _upstream_steps(channel, draft):
        session.add(ComplaintEvent(complaint_id=complaint.id, **step))
    _add_thread_events(session, complaint, draft.events, known=set())


def _upstream_steps(channel: str, draft: ComplaintDraft) -> list[dict]:
    """The verify and dispatch steps the upstream took before we first saw the complaint (their times come
    with the record), so its history shows them; actor and note name the channel in words."""
    label = channel_label(channel)
    steps = [(draft.verified_at, Status.verified, f"Diverifikasi di {label}"),
             (draft.dispatched_at, Status.dispatched, f"Didisposisikan ke OPD di {label}")]
    return [{"kind": EventKind.status, "actor": label[:120], "to_status": status, "at": at, "note": note}
            for at, status, note in steps if at is not None]


def _apply_update(session: Session, complaint: Complaint, draft: ComplaintDraft, resolved: _Resolved,
                  resolver: Resolver, raw_record_id: int | None, actor: str, digest: str) -> None:
    changed = [name for name in _COPIED if getattr(complaint, name) != getattr(draft, name)]
    for name in changed:
        setattr(complaint, name, getattr(draft, name))
    new_category_id = resolved.category.id if resolved.category else None
    if new_category_id != complaint.category_id:
        changed.append("category")
        complaint.category_id = new_category_id
        if not complaint.sla_tier_override:
            complaint.sla_tier = resolved.tier
            apply_due_dates(complaint, resolver, resolved.exempt)
    if resolved.exempt != (complaint.response_due_at is None):  # on or off the ladder (category, settings)
        apply_due_dates(complaint, resolver, resolved.exempt)
    if resolved.opd_id != complaint.opd_id:
        changed.append("opd")
        complaint.opd_id = resolved.opd_id
    if changed:
        session.add(ComplaintEvent(complaint_id=complaint.id, kind=EventKind.updated, actor=actor,
                                   note="Diperbarui di sumber: " + ", ".join(changed),
                                   data={"fields": changed}))
    status = resolved.status(draft)
    if status != complaint.status:
        session.add(ComplaintEvent(complaint_id=complaint.id, kind=EventKind.status, actor=actor,
                                   from_status=complaint.status, to_status=status))
        complaint.status = status
        track_pause(complaint, utcnow(), resolver.calendar)
    _stamp_status_times(complaint, draft)
    _add_thread_events(session, complaint, draft.events)
    complaint.content_hash = digest
    complaint.raw_record_id = raw_record_id or complaint.raw_record_id
    complaint.updated_at = utcnow()
    session.add(complaint)


def upsert_complaint(session: Session, channel: str, draft: ComplaintDraft, resolver: Resolver,
                     raw_record_id: int | None = None, actor: str = "system") -> UpsertResult:
    digest = draft.content_hash()
    existing = resolver.existing_complaint(channel, draft.external_id)
    if existing is not None and existing.content_hash == digest:
        return UpsertResult(existing, Outcome.unchanged)
    resolved = _resolve(draft, resolver, channel)
    if existing is None:
        complaint = _fill_new(Complaint(), channel, draft, resolved, resolver, raw_record_id, digest)
        session.add(complaint)
        session.flush()
        _history_of_new(session, channel, complaint, draft, actor)
        resolver.remember(complaint)
        return UpsertResult(complaint, Outcome.new)
    _apply_update(session, existing, draft, resolved, resolver, raw_record_id, actor, digest)
    return UpsertResult(existing, Outcome.updated)


def ids_by_external_id(conn, table, channel: str, external_ids: list[str]) -> dict[str, int]:
    """`{external_id: id}` of a channel's rows in `table` (complaint: one row per external id)."""
    ids = {}
    for start in range(0, len(external_ids), 500):
        rows = conn.execute(select(table.c.external_id, table.c.id).where(
            table.c.channel == channel, table.c.external_id.in_(external_ids[start:start + 500])))
        ids.update({r.external_id: r.id for r in rows})
    return ids


def upsert_many(session: Session, channel: str, items: list[tuple[ComplaintDraft, int | None]],
                resolver: Resolver, actor: str = "system") -> list[Outcome | NormaliseError]:
    """`upsert_complaint` for a page: new complaints and their history go in set-based (COPY and one
    `INSERT … RETURNING` on PostgreSQL, a batched INSERT each elsewhere; no ORM object per row); updates take
    the ORM path. Returns per item its outcome, or the NormaliseError that kept it out (nothing written for
    it). Raises IntegrityError, having written part of the page, when a key was taken meanwhile: call it in
    a savepoint."""
    results: list[Outcome | NormaliseError] = []
    pending: dict[str, tuple[SimpleNamespace, ComplaintDraft]] = {}

    defaults = _column_defaults(Complaint)

    def insert_pending() -> None:
        rows = [vars(row) for row, _ in pending.values()]
        conn = session.connection()
        table = Complaint.__table__
        if copies(conn):
            returned = insert_returning(conn, table, rows, list(rows[0]), ("external_id", "id"))
            if len(returned) < len(rows):  # another writer inserted some meanwhile: the caller redoes each
                raise IntegrityError("INSERT INTO complaint … ON CONFLICT DO NOTHING", None,
                                     Exception(f"{len(rows) - len(returned)} complaint(s) of the page exist already"))
            ids = dict(returned)
        else:
            # No RETURNING: psycopg then pipelines one short statement instead of parsing a page-sized
            # one (~40 placeholders a row) in Python; reading the ids back by key is cheaper.
            conn.execute(insert(table), rows)
            ids = ids_by_external_id(conn, table, channel, list(pending))
        event_defaults = _column_defaults(ComplaintEvent)
        events = []
        for external_id, (row, draft) in pending.items():
            complaint_id = ids[external_id]
            events.append({**event_defaults, "complaint_id": complaint_id, "kind": EventKind.created, "actor": actor,
                           "to_status": row.status, "at": row.received_at,
                           "note": f"Diterima dari kanal {channel_label(channel)}"})
            events += [{**event_defaults, "complaint_id": complaint_id, **step}
                       for step in _upstream_steps(channel, draft)]
            seen = set()
            for ev in sorted(draft.events, key=lambda e: e.at):
                if ev.external_id not in seen:
                    seen.add(ev.external_id)
                    events.append({**event_defaults, "complaint_id": complaint_id, "kind": ev.kind,
                                   "actor": ev.actor, "note": ev.note, "at": ev.at, "external_id": ev.external_id})
            resolver.forget(channel, draft.external_id)  # inserted behind the ORM's back: look it up if needed
        if events:
            insert_rows(conn, ComplaintEvent.__table__, events, list(event_defaults))
        pending.clear()

    for draft, raw_record_id in items:
        if draft.external_id in pending:
            insert_pending()  # a second version of a record first seen on this very page
        digest = draft.content_hash()
        existing = resolver.existing_complaint(channel, draft.external_id)
        if existing is not None and existing.content_hash == digest:
            results.append(Outcome.unchanged)
            continue
        try:
            resolved = _resolve(draft, resolver, channel)
        except NormaliseError as exc:
            results.append(exc)
            continue
        if existing is None:
            row = _fill_new(SimpleNamespace(**defaults), channel, draft, resolved, resolver, raw_record_id, digest)
            responses = [ev.at for ev in draft.events if ev.is_opd_response]
            row.first_response_at = min(responses) if responses else None
            stamp_working_days(row, resolver.calendar)  # Core inserts skip the ORM hook that does this
            pending[draft.external_id] = (row, draft)
            results.append(Outcome.new)
        else:
            _apply_update(session, existing, draft, resolved, resolver, raw_record_id, actor, digest)
            results.append(Outcome.updated)
    if pending:
        insert_pending()
    return results


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
        if (ev.is_opd_response and complaint.reopened_at is not None and complaint.reopen_answered_at is None
                and ev.at >= complaint.reopened_at):
            complaint.reopen_answered_at = ev.at
