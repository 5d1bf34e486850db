"""The unified complaint and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.enums import Classification, EventKind, Status
from models.types import JSONType, UTCDateTime, utcnow


class ComplaintBase(SQLModel):
    title: str = Field(max_length=300)
    body: str = Field(default="", sa_type=Text)
    classification: Classification = Field(default=Classification.pengaduan, sa_type=String(32))
    category_id: int | None = Field(default=None, foreign_key="category.id")
    opd_id: int | None = Field(default=None, foreign_key="opd.id")
    rahasia: bool = False
    anonim: bool = False
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_contact: str | None = Field(default=None, max_length=200)
    location_text: str | None = Field(default=None, max_length=500)
    desa: str | None = Field(default=None, max_length=120)
    kecamatan: str | None = Field(default=None, max_length=120)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    # How it reached the upstream when the upstream says (LAPOR!: web, sms, aplikasi, media_sosial).
    source_channel: str | None = Field(default=None, max_length=32)


class Complaint(ComplaintBase, table=True):
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index("ix_complaint_received_id", "received_at", "id"),  # also every received_at window and order
        Index("ix_complaint_opd_status", "opd_id", "status"),  # also the opd_id foreign key
        # The channels present and each one's newest complaint (the wall's freshness): a probe per channel.
        Index("ix_complaint_channel_received", "channel", "received_at"),
        Index("ix_complaint_status_response_due", "status", "response_due_at"),
        # Covers the dashboard aggregates (summary, breakdowns, rapor): scanning it reads a
        # fraction of the pages a table scan reads, and a received_at window becomes a range.
        Index("ix_complaint_stats", "received_at", "status", "channel", "opd_id", "category_id", "kecamatan",
              "response_due_at", "resolution_due_at", "followup_working_days"),
        Index("ix_complaint_status_resolved", "status", "resolved_at"),  # resolutions per day
        # Today's part of the overdue count next to the rollup (core/reporting/rollup.py): deadlines passed today.
        Index("ix_complaint_status_resolution_due", "status", "resolution_due_at"),
        # The 112 handling time (core/reporting/channel_calls.py) from the index alone: one range per category.
        Index("ix_complaint_handling", "channel", "status", "category_id", "received_at", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    external_id: str = Field(max_length=200)
    tracking_code: str = Field(max_length=40, unique=True)
    category_id: int | None = Field(default=None, foreign_key="category.id", index=True)
    opd_id: int | None = Field(default=None, foreign_key="opd.id")
    kecamatan: str | None = Field(default=None, max_length=120, index=True)
    status: Status = Field(default=Status.unverified, sa_type=String(16))  # the status_* indexes lead with it
    substantive: bool | None = None
    rating: int | None = Field(default=None, ge=1, le=5)
    received_at: datetime = Field(sa_type=UTCDateTime)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    response_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sla_tier: str | None = Field(default=None, max_length=32)
    sla_tier_override: bool = False
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Working days spent postponed; every SLA clock (due dates, ladder day) is shifted by it.
    paused_working_days: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    escalation_level: int = 0
    # Working days from receipt to first response / resolution, kept in step by a flush hook
    # (core.casework.followup) so stats can average them in SQL.
    followup_working_days: int | None = None
    resolution_working_days: int | None = None
    raw_record_id: int | None = Field(default=None, foreign_key="raw_record.id")
    # Who typed it in ("user:12", "key:3"): a petugas sees only the complaints they entered.
    entered_by: str | None = Field(default=None, max_length=40, index=True)
    content_hash: str | None = Field(default=None, max_length=64)
    # Merged duplicates point at the complaint that stands for the group; stats count a group once.
    parent_id: int | None = Field(default=None, foreign_key="complaint.id", index=True)
    # Code from ADUAN_REJECT_REASONS (tidak_substantif, bukan_wewenang, duplikat, spam, data_tidak_lengkap).
    reject_reason: str | None = Field(default=None, max_length=32)
    # When it went into a LAPOR! hand-back download, so it is never handed back twice.
    handed_back_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The reporter's answer to "sudah beres?" after resolution: "sudah" | "belum" (None = not answered).
    satisfaction: str | None = Field(default=None, max_length=8)
    satisfaction_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Times it was reopened (by staff or by the reporter's "belum"): the rapor shows them.
    reopened_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Start of the current round of handling after a reopen (None = never reopened): the ladder, the deadlines and
    # the day of handling count from here. `reopen_answered_at` is the OPD's first answer in that round; until it
    # comes the complaint is chased again like a new one (core.casework.sla).
    reopened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopen_answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)



class ComplaintPublic(ComplaintBase):
    id: int
    channel: str
    external_id: str
    tracking_code: str
    status: Status
    substantive: bool | None
    rating: int | None
    received_at: datetime
    verified_at: datetime | None
    dispatched_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla_tier: str | None
    escalation_level: int
    created_at: datetime
    updated_at: datetime


class ComplaintEventBase(SQLModel):
    kind: EventKind = Field(sa_type=String(16))
    actor: str = Field(default="system", max_length=120)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, sa_type=Text)


class ComplaintEvent(ComplaintEventBase, table=True):
    __tablename__ = "complaint_event"
    __table_args__ = (UniqueConstraint("complaint_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Upstream id of a thread message / reply, so re-syncs never duplicate it.
    external_id: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))


class ComplaintMedia(SQLModel, table=True):
    """A photo/video/document a reporter sent (WhatsApp media fetched through the Graph media endpoint)."""

    __tablename__ = "complaint_media"
    __table_args__ = (UniqueConstraint("complaint_id", "media_id"),)

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    media_id: str = Field(max_length=200)  # upstream id, e.g. the WhatsApp media id
    kind: str = Field(default="image", max_length=16)  # image | video | audio | document | sticker
    mime_type: str | None = Field(default=None, max_length=100)
    caption: str | None = Field(default=None, sa_type=Text)
    sha256: str | None = Field(default=None, max_length=64)
    size: int | None = None
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    # pending -> fetched | failed (error says why); fetching is retried by the worker
    state: str = Field(default="pending", max_length=16)
    error: str | None = Field(default=None, max_length=500)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
