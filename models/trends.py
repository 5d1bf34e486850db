"""Topics and spikes found in the text and counts of complaints (core.trends), computed by the worker.

A `TrendRun` is one computation of the topics of a period (a calendar week or month); its topics keep which
complaints they hold (`TrendTopicMember`, for the period and the one before), so every count a reader sees is
taken in SQL under that reader's scope and filters. A `TrendSpike` is a count well above its own seasonal
baseline; it is notified to the Kominfo admins at most once (`notified_at`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, utcnow


class TrendRun(SQLModel, table=True):
    __tablename__ = "trend_run"
    __table_args__ = (UniqueConstraint("period", "period_start"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=8)  # week | month
    period_start: date
    period_end: date  # inclusive
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    method: str = Field(default="", max_length=300)
    documents: int = 0
    # Library versions, vocabulary size, seconds taken.
    info: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))


class TrendTopic(SQLModel, table=True):
    __tablename__ = "trend_topic"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="trend_run.id", index=True)
    rank: int = 0
    label: str = Field(max_length=200)
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JSONType))


class TrendTopicMember(SQLModel, table=True):
    """A complaint of the period (or the one before) and the topic it belongs to most."""

    __tablename__ = "trend_topic_member"
    __table_args__ = (UniqueConstraint("topic_id", "complaint_id"),
                      Index("ix_trend_topic_member_complaint", "complaint_id"))

    id: int | None = Field(default=None, primary_key=True)
    topic_id: int = Field(foreign_key="trend_topic.id", index=True)
    complaint_id: int = Field(foreign_key="complaint.id")
    weight: float = 0.0


class TrendSpike(SQLModel, table=True):
    """An unusually high count of one category in one kecamatan, or of one topic, in a day or a week."""

    __tablename__ = "trend_spike"

    id: int | None = Field(default=None, primary_key=True)
    # kind:subject:window:period_start: one row per spike, updated while it lasts.
    key: str = Field(max_length=300, unique=True)
    kind: str = Field(max_length=24)  # category_kecamatan | topic
    label: str = Field(max_length=300)
    category_id: int | None = Field(default=None, foreign_key="category.id")
    kecamatan: str | None = Field(default=None, max_length=120)
    # The topic of the newest run it was seen in (no foreign key: a recomputed run replaces its topics).
    topic_id: int | None = None
    window: str = Field(max_length=8)  # day | week
    period_start: date = Field(index=True)
    period_end: date
    count: int = 0
    expected: float = 0.0
    ratio: float = 0.0
    score: float = 0.0  # -log10 of the Poisson upper-tail p-value
    channels: dict[str, int] | None = Field(default=None, sa_column=Column(JSONType))
    # Complaints counted per OPD ({opd_id: n}; "" for none): an opd_admin sees the spikes its OPD is part of.
    opd_counts: dict[str, int] | None = Field(default=None, sa_column=Column(JSONType))
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
