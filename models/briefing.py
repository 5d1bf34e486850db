"""The weekly briefing for the Bupati and the Sekda (core.reporting.briefing): one stored PDF per ISO week."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, utcnow


class Briefing(SQLModel, table=True):
    """Made once per week by the worker (the unique week keeps it once) and sent through the outbox."""

    id: int | None = Field(default=None, primary_key=True)
    week: str = Field(max_length=8, unique=True)  # ISO week, "2026-W49"
    period_start: date  # its Monday
    period_end: date  # its Sunday
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The WhatsApp template's body parameters (week, dates, figures, top spike), fixed when the PDF was made.
    params: list[Any] | None = Field(default=None, sa_column=Column(JSONType))
    media_id: str | None = Field(default=None, max_length=128)  # the PDF uploaded to WhatsApp, sent as document
    uploaded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_to: int = 0  # recipients queued in the outbox
