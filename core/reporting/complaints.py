"""Reading complaints: filtered keyset pages, one complaint with its history, row streams."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, or_, select
from sqlmodel import Session

from core.casework.sla import overdue_clause
from core.casework.workflow import reason_label
from core.identity.access import Access
from core.intake.channels import channel_label
from core.intake.writeback import sync_state, upstream_actions
from core.reporting.filters import FilterError, ResolvedFilter, supported_moment
from models import Category, Complaint, ComplaintEvent, ComplaintPublic, EventKind, Opd, RawRecord
from models.types import DB_INT_MAX, utcnow

PUBLIC_FIELDS = tuple(ComplaintPublic.model_fields)
LABEL_FIELDS = ("opd_code", "opd_name", "category_code", "category_name", "overdue")
SORT_FIELDS = {"received_at": Complaint.received_at, "updated_at": Complaint.updated_at, "id": Complaint.id}
SORT_PATTERN = r"^-?(received_at|updated_at|id)$"
MAX_LIMIT = 500


def complaint_select(now: datetime) -> Select:
    """Complaint columns plus OPD/category labels and the overdue flag, computed in SQL."""
    table = Complaint.__table__
    return (
        select(*(table.c[name] for name in PUBLIC_FIELDS),
               Opd.code.label("opd_code"), Opd.name.label("opd_name"),
               Category.code.label("category_code"), Category.name.label("category_name"),
               case((overdue_clause(now), True), else_=False).label("overdue"))
        .select_from(Complaint)
        .outerjoin(Opd, Opd.id == Complaint.opd_id)
        .outerjoin(Category, Category.id == Complaint.category_id)
    )


def row_to_dict(row, access: Access) -> dict[str, Any]:
    data = dict(row._mapping)
    data["overdue"] = bool(data["overdue"])
    return access.mask(data)


def filtered(stmt: Select, filt: ResolvedFilter | None, access: Access, now: datetime) -> Select:
    clauses = list(access.scope())
    if filt is not None:
        clauses += filt.clauses(now, search_rahasia=access.sees_rahasia)
    return stmt.where(*clauses) if clauses else stmt


# --- cursor pagination -------------------------------------------------------------------------

@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool

    @classmethod
    def parse(cls, text: str) -> Sort:
        return cls(text.lstrip("-"), text.startswith("-"))

    @property
    def token(self) -> str:
        return ("-" if self.descending else "") + self.field


def encode_cursor(sort: Sort, value: Any, row_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    blob = json.dumps({"s": sort.token, "v": value, "i": row_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(blob.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: Sort) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        token, value, row_id = data["s"], data["v"], int(data["i"])
        if sort.field != "id":
            value = supported_moment(datetime.fromisoformat(value))
        else:
            value = int(value)
        if not 0 <= row_id <= DB_INT_MAX or (sort.field == "id" and not 0 <= value <= DB_INT_MAX):
            raise ValueError("id beyond the integer columns")
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise FilterError("cursor", "cursor tidak valid") from None
    if token != sort.token:
        raise FilterError("cursor", f"cursor dibuat untuk urutan {token}, bukan {sort.token}")
    return value, row_id


def _after(sort: Sort, value: Any, row_id: int):
    column = SORT_FIELDS[sort.field]
    if sort.field == "id":
        return column < row_id if sort.descending else column > row_id
    if sort.descending:
        return or_(column < value, and_(column == value, Complaint.id < row_id))
    return or_(column > value, and_(column == value, Complaint.id > row_id))


def list_complaints(session: Session, filt: ResolvedFilter, access: Access, sort_token: str = "-received_at",
                    limit: int = 50, cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page ordered by (sort field, id): stable when rows are inserted between pages."""
    sort = Sort.parse(sort_token)
    now = utcnow()
    stmt = filtered(complaint_select(now), filt, access, now)
    if cursor:
        stmt = stmt.where(_after(sort, *decode_cursor(cursor, sort)))
    column = SORT_FIELDS[sort.field]
    order = (column.desc(), Complaint.id.desc()) if sort.descending else (column.asc(), Complaint.id.asc())
    rows = session.execute(stmt.order_by(*order).limit(limit + 1)).all()
    items = [row_to_dict(row, access) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]._mapping
        next_cursor = encode_cursor(sort, last[sort.field], last["id"])
    return items, next_cursor


# --- one complaint -----------------------------------------------------------------------------

_MESSAGE_KINDS = {EventKind.message_in, EventKind.message_out}


def get_complaint(session: Session, complaint_id: int, access: Access) -> dict[str, Any] | None:
    now = utcnow()
    stmt = filtered(complaint_select(now), None, access, now).where(Complaint.id == complaint_id)
    row = session.execute(stmt).first()
    if row is None:
        return None
    data = row_to_dict(row, access)
    events = session.execute(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
    ).scalars().all()
    meta = session.get(Complaint, complaint_id)
    hide_text, hide_reporter = access.hides_content(meta.rahasia), access.hides_reporter(meta.anonim)
    data["events"] = [{**_event_dict(ev, hide_text, hide_reporter, meta.channel), "source_code": meta.tracking_code}
                      for ev in events]
    data.update(group_fields(session, meta, access, data["events"]))
    data["upstream_actions"] = upstream_actions(session, complaint_id)
    data["sync_state"] = sync_state(meta.channel, data["upstream_actions"])
    data["raw"] = None
    if access.is_admin and meta.raw_record_id:
        record = session.get(RawRecord, meta.raw_record_id)
        data["raw"] = record.payload if record else None
    return data


# --- merged duplicates ---------------------------------------------------------------------------

def group_fields(session: Session, meta: Complaint, access: Access, events: list[dict[str, Any]]) -> dict[str, Any]:
    """What a complaint's detail says of its group (core.casework.workflow merge): the parent it was merged into,
    its reject reason, its hand-back, the children merged into it with their reporters (masked like the
    complaint itself), and the children's history added to `events` (each event names the code it came from)."""
    kids = session.execute(select(Complaint).where(Complaint.parent_id == meta.id)
                           .order_by(Complaint.received_at, Complaint.id)).scalars().all()
    parent_code = session.execute(select(Complaint.tracking_code).where(Complaint.id == meta.parent_id)
                                  ).scalar() if meta.parent_id else None

    def reporter(c: Complaint) -> str | None:
        return access.mask({"reporter_name": c.reporter_name, "anonim": c.anonim, "rahasia": c.rahasia,
                            "reporter_contact": None})["reporter_name"]

    merged = [{"id": c.id, "tracking_code": c.tracking_code, "channel": c.channel, "reporter_name": reporter(c),
               "received_at": c.received_at} for c in kids]
    reporters = [{"name": reporter(c), "channel": c.channel, "tracking_code": c.tracking_code} for c in (meta, *kids)]
    if kids:
        by_id = {c.id: c for c in kids}
        rows = session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(list(by_id)))
                               ).scalars().all()
        for ev in rows:
            kid = by_id[ev.complaint_id]
            events.append({**_event_dict(ev, access.hides_content(kid.rahasia), access.hides_reporter(kid.anonim),
                                         kid.channel), "source_code": kid.tracking_code})
        events.sort(key=lambda e: (e["at"], e["id"]))
    return {"parent_id": meta.parent_id, "parent_code": parent_code, "reject_reason": meta.reject_reason,
            "reject_reason_label": reason_label(meta.reject_reason), "handed_back_at": meta.handed_back_at,
            "merged": merged, "reporters": reporters}


# Actors stored as codes by the machinery, shown in words ("upstream": the complaint's own channel).
_ACTOR_WORDS = {"system": "Sistem", "sistem": "Sistem", "pelapor": "Pelapor", "publik": "Publik"}


def actor_in_words(actor: str | None, channel: str | None) -> str:
    if actor == "upstream":
        return channel_label(channel)
    return _ACTOR_WORDS.get(actor or "", actor or "")


def _event_dict(ev: ComplaintEvent, hide_text: bool, hide_reporter: bool, channel: str | None) -> dict[str, Any]:
    note = ev.note
    if hide_text and ev.kind in _MESSAGE_KINDS:
        note = None
    actor = actor_in_words(ev.actor, channel)
    if hide_reporter and ev.kind == EventKind.message_in:
        actor = "Pelapor"
    return {"id": ev.id, "at": ev.at, "kind": ev.kind, "actor": actor, "from_status": ev.from_status,
            "to_status": ev.to_status, "note": note}
