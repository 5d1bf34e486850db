"""The LAPOR! hand-back: complaints from other channels in the upload-template shape, batches of 100,
for entry into SP4N-LAPOR! (the same columns as the manual upload, core.intake.manual_workbooks).

A download records what it hands back (`stamp_handed_back`: `complaint.handed_back_at` and a history event, in
the transaction that built the file), and the next download leaves those out unless asked to include them, so
nothing is handed back twice. Duplicates merged into another complaint are never handed back: their parent is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Select, func, or_
from sqlmodel import Session, select

from core.identity.access import Access
from core.intake.manual_entry import COLUMNS, SHEET
from core.intake.manual_workbooks import _header, _save
from core.reporting.channel_calls import day_bounds
from core.runtime.settings import Settings
from core.runtime.sheets import sheet_row
from models import Category, Complaint, ComplaintEvent, EventKind, Opd, Status
from models.types import utcnow

BATCH_SIZE = 100  # SP4N-LAPOR!'s own limit for one manual upload
MAX_EXPORT_ROWS = 5000


@dataclass
class HandbackFilter:
    channels: list[str] | None = None
    statuses: list[Status] | None = None
    opd: list[str] | None = None
    category: list[str] | None = None
    kecamatan: list[str] | None = None
    classification: list[str] | None = None
    received_from: date | datetime | None = None
    received_to: date | datetime | None = None
    include_handed_back: bool = False


EXCLUDED_CHANNELS = ("lapor",)
# What core.identity.access.Access.mask may blank out of a hand-back row.
_MASKED_FIELDS = ("title", "body", "location_text", "lat", "lon", "reporter_name", "reporter_contact", "rahasia",
                  "anonim")
DEFAULT_STATUSES = [s for s in Status if s not in (Status.rejected, Status.archived)]


def handback_complaints(session: Session, settings: Settings, flt: HandbackFilter, access: Access
                        ) -> list[Complaint]:
    # Locked until the download has stamped them: a second download at the same time waits, then leaves them out.
    query = handback_query(session, settings, flt, access)
    query = query.order_by(Complaint.received_at, Complaint.id).limit(MAX_EXPORT_ROWS + 1)
    return list(session.exec(query.with_for_update(of=Complaint)).all())


def handback_query(session: Session, settings: Settings, flt: HandbackFilter, access: Access) -> Select:
    """The complaints a hand-back with this filter returns (unordered, unlocked)."""
    query = select(Complaint).where(Complaint.channel.not_in(EXCLUDED_CHANNELS), Complaint.parent_id.is_(None),
                                    *access.scope())
    if not flt.include_handed_back:
        query = query.where(Complaint.handed_back_at.is_(None))
    if flt.channels:
        query = query.where(Complaint.channel.in_(flt.channels))
    query = query.where(Complaint.status.in_([s.value for s in (flt.statuses or DEFAULT_STATUSES)]))
    if flt.opd:
        query = query.join(Opd, Opd.id == Complaint.opd_id).where(Opd.code.in_(flt.opd))
    if flt.category:
        roots = session.exec(select(Category.id).where(Category.code.in_(flt.category))).all()
        children = session.exec(select(Category.id).where(Category.parent_id.in_(roots))).all() if roots else []
        query = query.where(Complaint.category_id.in_([*roots, *children]))
    if flt.kecamatan:
        query = query.where(or_(*[Complaint.kecamatan == k for k in flt.kecamatan]))
    if flt.classification:
        query = query.where(Complaint.classification.in_(flt.classification))
    start = day_bounds(flt.received_from, settings.tz)
    if start is not None:
        query = query.where(Complaint.received_at >= start)
    if flt.received_to is not None:
        stop = day_bounds(flt.received_to, settings.tz, end=True)
        date_only = not isinstance(flt.received_to, datetime)
        query = query.where(Complaint.received_at < stop if date_only else Complaint.received_at <= stop)
    return query


def handback_counts(session: Session, settings: Settings, flt: HandbackFilter, access: Access) -> dict[str, int]:
    """A preview of the download with this filter, reading only: `rows` it would return now (and stamp), its
    `batches`, and `already_handed_back`: matching complaints an earlier download handed back (left out of the
    file unless `include_handed_back`, then in it again)."""
    everything = handback_query(session, settings, replace(flt, include_handed_back=True), access).subquery()
    fresh = func.count().filter(everything.c.handed_back_at.is_(None))
    total, new = session.exec(select(func.count(), fresh).select_from(everything)).one()
    rows = total if flt.include_handed_back else new
    return {"rows": rows, "batches": batch_count(rows), "already_handed_back": total - new}


HANDED_BACK_NOTE = "Diserahkan ke SP4N-LAPOR! (unduhan templat unggah manual)"


def stamp_handed_back(session: Session, complaints: list[Complaint], actor: str, now: datetime | None = None) -> int:
    """Record that these complaints went into a hand-back (caller commits, with the file built): the first time
    only, with a history event. Returns how many were handed back for the first time."""
    now = now or utcnow()
    first = [c for c in complaints if c.handed_back_at is None]
    for complaint in first:
        complaint.handed_back_at = now
        session.add(complaint)
        session.add(ComplaintEvent(complaint_id=complaint.id, at=now, actor=actor[:120], kind=EventKind.note,
                                   note=HANDED_BACK_NOTE, data={"action": "handback"}))
    session.flush()
    return len(first)


def batch_rows(complaints: list[Any], batch: int | None) -> list[Any]:
    """The rows a download returns: all, or those of batch N (of BATCH_SIZE)."""
    if batch is None:
        return complaints
    return complaints[(batch - 1) * BATCH_SIZE:batch * BATCH_SIZE]


def handback_row(complaint: Complaint, codes: dict, settings: Settings, access: Access) -> list:
    shown = access.mask({name: getattr(complaint, name) for name in _MASKED_FIELDS})
    local = complaint.received_at.astimezone(settings.tz)
    values = {
        "judul": shown["title"], "isi": shown["body"], "tanggal_diterima": f"{local:%Y-%m-%d %H:%M}",
        "kanal": complaint.channel, "klasifikasi": str(complaint.classification),
        "kategori": codes["category"].get(complaint.category_id, ""),
        "opd_tujuan": codes["opd"].get(complaint.opd_id, ""),
        "kecamatan": complaint.kecamatan or "", "desa": complaint.desa or "", "lokasi": shown["location_text"] or "",
        "nama_pelapor": shown["reporter_name"] or "", "kontak_pelapor": shown["reporter_contact"] or "",
        "rahasia": "ya" if complaint.rahasia else "tidak",
        "anonim": "ya" if complaint.anonim else "tidak", "nomor_referensi": complaint.tracking_code,
    }
    return [values[c] for c in COLUMNS]


def handback_workbook(session: Session, settings: Settings, complaints: list[Complaint], access: Access,
                      batch: int | None = None) -> bytes:
    """All batches as sheets `Batch 1`, `Batch 2`…; or, with `batch=N`, only that batch as sheet `Aduan`."""
    codes = {"category": dict(session.exec(select(Category.id, Category.code)).all()),
             "opd": dict(session.exec(select(Opd.id, Opd.code)).all())}
    chunks = [complaints[i:i + BATCH_SIZE] for i in range(0, len(complaints), BATCH_SIZE)] or [[]]
    wb = Workbook()
    wb.remove(wb.active)
    selected = [(batch, chunks[batch - 1])] if batch else list(enumerate(chunks, start=1))
    for number, chunk in selected:
        ws = wb.create_sheet(SHEET if batch else f"Batch {number}")
        _header(ws, with_hints=False)
        for complaint in chunk:
            ws.append(sheet_row(ws, handback_row(complaint, codes, settings, access)))
    return _save(wb)


def batch_count(total: int) -> int:
    return max(1, -(-total // BATCH_SIZE))
